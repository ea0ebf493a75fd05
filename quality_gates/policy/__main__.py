"""``python -m quality_gates.policy``: print the table of policy keys (docs/policy.md)."""

from __future__ import annotations

import sys

from quality_gates.policy.keys import keys_table

sys.stdout.write(keys_table())
