"""A pytest plugin that labels coverage data with the node id of the test that produced it.

Load it with ``-p quality_gates.testmap.contexts`` in a run under ``coverage run``. Each test's
setup, call and teardown are recorded under the test's node id (its fixtures too, which
coverage.py's own ``dynamic_context = test_function`` would give to the previous test); what
runs outside a test (collection, imports) keeps the empty context. Without a running coverage
measurement the plugin does nothing.
"""

from __future__ import annotations

from collections.abc import Generator

import coverage
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    """Switch the running measurement to ``item``'s node id for the test's whole protocol."""
    cov = coverage.Coverage.current()
    if cov is None:
        yield
        return
    cov.switch_context(item.nodeid)
    try:
        yield
    finally:
        cov.switch_context("")
