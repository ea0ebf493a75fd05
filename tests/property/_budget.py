"""How many examples a property gets, scaled by the active Hypothesis profile.

The profiles (``tests/conftest.py``) set ``max_examples`` for cheap properties: dev 50,
ci 200, debug 10. A property that hashes passwords or goes through the HTTP app costs
milliseconds per example, so it asks for a count relative to the dev profile instead,
and CI still runs more of them than a developer does, but not four times as many.
"""

from __future__ import annotations

from hypothesis import settings

__all__ = ["examples"]

_DEV_MAX_EXAMPLES = 50


def examples(dev: int, *, ci_factor: float = 1.5) -> int:
    """Return the example count for a property that runs ``dev`` examples under ``dev``.

    Profiles with more examples than dev (ci) get ``dev * ci_factor``; profiles with
    fewer (debug) get proportionally fewer, but at least one.
    """
    profile = settings().max_examples  # a fresh settings object inherits the loaded profile
    if profile > _DEV_MAX_EXAMPLES:
        return max(1, round(dev * ci_factor))
    return max(1, dev * profile // _DEV_MAX_EXAMPLES)
