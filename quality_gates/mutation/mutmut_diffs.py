"""Print the diff of many mutants at once, as ``mutmut show`` would, one process for all.

Run by the gate in mutmut's interpreter, in the directory holding ``mutants/``: reads a JSON list
of ``[mutant name, source path]`` on stdin and writes a JSON object mapping each name to its
unified diff (``null`` when mutmut cannot show it). ``mutmut show`` costs an interpreter start
per mutant; this is the same function (``get_diff_for_mutant``) called in a loop. It imports
only mutmut and the standard library: the gates' package is not installed there.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    """Read the request on stdin, write the diffs on stdout."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: PLC0415 - mutmut's env

    diffs: dict[str, str | None] = {}
    for name, path in json.load(sys.stdin):
        try:
            diffs[name] = get_diff_for_mutant(name, path=path)
        except Exception:  # noqa: BLE001 - one unreadable mutant must not hide the others
            diffs[name] = None
    sys.stdout.write(json.dumps(diffs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
