"""``python -m authsvc`` is the ``authsvc`` command."""

from __future__ import annotations

from authsvc.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
