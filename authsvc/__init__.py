"""authsvc: the reference login service the quality gates are proven on.

Build the ASGI app with :func:`authsvc.app.create_app`; run it with ``authsvc serve``.
"""

from __future__ import annotations

__all__ = ["__version__"]

#: The API version reported in the OpenAPI document.
__version__ = "0.1.0"
