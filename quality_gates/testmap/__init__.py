"""Test selection for a change: which tests execute the files it touches.

A run of the suite under coverage, with each test's node id as the coverage context
(:mod:`.contexts`), gives a map from each measured file to the tests that executed it
(:mod:`.store`). For a change since that run's commit, :mod:`.select` picks the tests to run:
none for documentation, the tests that execute the changed files for a code change, and the
whole suite when the map cannot answer. docs/benchmarks.md ("Test selection") says why this
leaves the coverage gate's judgement of the changed lines unchanged.
"""
