"""Subprocess entry point of the coverage gate: ``python -m quality_gates.coverage_worker``.

It runs in the checked repository, so coverage.py finds that repository's configuration and
resolves relative paths exactly as ``coverage report`` would there, and it makes the JSON
report, the XML report and diff-cover's verdict in one interpreter instead of three.

Arguments: DATA_FILE JSON_OUT [XML_OUT DIFF_FILE DIFF_JSON_OUT]. Exit 0, or 3 for "no data".
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

NO_DATA = 3


def main(argv: Sequence[str]) -> int:
    """Write the reports; see the module docstring."""
    import coverage  # noqa: PLC0415 - keeps `import quality_gates` light
    from coverage.exceptions import NoDataError  # noqa: PLC0415

    data_file, json_out, *rest = argv
    cov = coverage.Coverage(data_file=data_file)
    cov.load()
    try:
        # ignore_errors: files measured elsewhere and missing here must not abort the report;
        # the gate diagnoses them.
        cov.json_report(outfile=json_out, ignore_errors=True)
    except NoDataError:
        return NO_DATA
    if rest:
        xml_out, diff_file, diff_json_out = rest
        cov.xml_report(outfile=xml_out, ignore_errors=True)
        from diff_cover import diff_cover_tool  # noqa: PLC0415

        return int(
            diff_cover_tool.main(
                ["diff-cover", xml_out, f"--diff-file={diff_file}", "--branch-coverage",
                 f"--format=json:{diff_json_out}", "--quiet"]
            )
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
