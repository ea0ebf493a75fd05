"""``python -m quality_gates``: the same as the ``quality-gates`` command."""

from __future__ import annotations

from quality_gates.cli import main

raise SystemExit(main())
