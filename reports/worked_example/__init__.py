"""A worked example of the methodology: one investee-quarter's scorecard, step by step.

    python -m smartdd.reports.worked_example --warehouse PATH [--investee ID] [--period YYYY-MM-DD] -o docs/worked-example.md

Reads the published warehouse read-only and writes a Markdown document that walks from the
workbook's inputs to the rating: every metric with its formula and inputs, each product's
price, each metric score, each principle score, the overall score, the rating and the
screening, and every red flag with its evidence and cells.

The package: queries.py (every query, and RELATIONS, the warehouse relations it reads, which
the dbt exposure `worked_example` declares), markdown.py (numbers, formulas and tables),
inputs.py, formulas.py and scores.py (the sections), render.py (the document).

Every number shown is read from the warehouse (schemas marts, intermediate, methodology; the
staging views only for workbook cells and complaint categories). The document substitutes
the inputs into each formula but never evaluates one: the results are the pipeline's, so the
document can be checked by hand against methodology.md.

Default quarter: the latest quarter of an investee that has a loan tape, at least one red flag
and a previous quarter; among those, the investee with the most severe flags (critical, then
high, then all), then the first investee id. With --period alone, the same choice within that
quarter (any investee of it when none qualifies); with --investee alone, its latest quarter.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from smartdd.reports.worked_example.queries import open_quarter
from smartdd.reports.worked_example.render import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smartdd.reports.worked_example", description="Write a worked example of one investee-quarter's scorecard.")
    parser.add_argument("--warehouse", type=Path, required=True, help="the published warehouse (smartdd.duckdb), opened read-only")
    parser.add_argument("--investee", help="investee id (default: see the module docstring)")
    parser.add_argument("--period", help="period end, YYYY-MM-DD (default: the investee's latest)")
    parser.add_argument("-o", "--output", type=Path, help="Markdown file to write (default: stdout)")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        print(f"worked_example: no warehouse at {args.warehouse}", file=sys.stderr)
        return 2
    q = open_quarter(args.warehouse, args.investee, args.period)
    try:
        text = render(q, args.warehouse)
    finally:
        q.con.close()
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(args.output)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
