"""``python -m bugzoo``: the bug zoo's command line."""

from __future__ import annotations

from bugzoo.cli import main

raise SystemExit(main())
