"""``python -m quality_gates.testmap``."""

from __future__ import annotations

from quality_gates.testmap.cli import main

raise SystemExit(main())
