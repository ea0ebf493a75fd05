"""The conformance suite: black-box tests any login API can be checked with over HTTP.

A target profile (``quality_gates.profile``) says how to talk to the service; the tests in
``properties/`` check the property catalogue (``catalogue.py``) against it, through the pytest
plugin (``plugin.py``) or ``quality-gates conformance URL --profile FILE`` (``cli.py``). Each
verdict comes with its evidence: the requests and responses that decided it, secrets masked.
"""
