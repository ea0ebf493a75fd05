"""The conformance tests: black-box (and declared-hook) checks of the property catalogue.

Run them through the plugin (``--target-profile``) or ``quality-gates conformance``. Modules are
numbered so that they run in catalogue order, and the error-leak scan (property 50) runs last,
over everything the earlier tests received.
"""
