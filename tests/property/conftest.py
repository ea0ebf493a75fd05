"""Fixtures for the property suite: one in-process service per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.property._service import InProcessService


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessService]:
    """The real app on its own SQLite file; tests call ``reset()`` per example.

    Module scope because Hypothesis runs many examples per test function and a
    function-scoped fixture would be shared by all of them anyway.
    """
    with InProcessService(tmp_path_factory.mktemp("authsvc")) as running:
        yield running
