"""The canary monitor: login outcomes from both versions' ``/metrics``, and a decision.

``metrics`` scrapes and parses the Prometheus text and turns counters into deltas (surviving
restarts); ``decision`` compares the two versions' login success and error rates.
"""
