"""Benchmark: reading a loan tape with pandas' openpyxl reader against smartdd's ingest.

    python bench/ingest.py [--sizes 10000,100000,500000] [--repeat N]

Workbooks are built once and cached in .bench/: `smartdd.sample.write_samples` writes one
submission with an N-row loan tape (openpyxl write-only: every text inline, no declared
<dimension>), then it is re-saved the way Excel saves a workbook — texts in a shared-string
table, a <dimension> on every sheet — so both readers face what investees send.

Each measurement runs in its own subprocess, which reports its wall time and its peak
resident memory (its own, or that of a child it waited for, whichever is larger):

  baseline  pandas.read_excel(path, sheet_name="Loan_Tape", engine="openpyxl")
  smartdd   run_isolated(read_typed_workbook) → pseudonymise → write_submission: what
            smartdd.pipeline.workbook.process_submission does with a workbook, minus validation

The speed-up is the baseline's median time over smartdd's, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / ".bench"
DEFAULT_SIZES = (10_000, 100_000, 500_000)
BENCH_KEY = b"bench-only-key-not-a-secret-0123456789"
_INLINE = re.compile(rb'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"([^>]*)><is>(<t[^>]*>[^<]*</t>)</is></c>')
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="loan-tape rows, comma-separated")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each path per size (the median is shown)")
    parser.add_argument("--run", nargs=2, metavar=("PATH", "WORKBOOK"), help=argparse.SUPPRESS)  # one measurement, in a subprocess
    parser.add_argument("--build", type=int, metavar="ROWS", help=argparse.SUPPRESS)  # one workbook, in a subprocess
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(_run(*args.run)))
        return
    if args.build:
        _build(args.build, _cached(args.build))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'rows':>9} | {'path':<8} | {'seconds':>8} | {'rows/s':>9} | {'peak MiB':>8} | speed-up")
    for rows in sizes:
        workbook = build(rows)
        runs = {"baseline": [], "smartdd": []}
        for _ in range(args.repeat):
            for path in runs:
                runs[path].append(measure(path, workbook))
        seconds = {path: statistics.median(r["seconds"] for r in results) for path, results in runs.items()}
        for path, results in runs.items():
            peak = max(r["peak_mib"] for r in results)
            ratio = f"{seconds['baseline'] / seconds[path]:.1f}x" if path == "smartdd" else ""
            print(f"{rows:>9,} | {path:<8} | {seconds[path]:>8.2f} | {rows / seconds[path]:>9,.0f} | {peak:>8,.0f} | {ratio}", flush=True)


def build(rows: int) -> Path:
    """The cached workbook with a `rows`-row loan tape, built on first use in a subprocess.

    A subprocess, because a child inherits its parent's peak memory (ru_maxrss survives
    fork and exec on Linux): this process must stay small to measure its children.
    """
    target = _cached(rows)
    if not target.exists():
        print(f"building {target.name} (once; minutes for large sizes)...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, __file__, "--build", str(rows)], check=True)
    return target


def _cached(rows: int) -> Path:
    return CACHE / f"loan_tape_{rows}.xlsx"


def _build(rows: int, target: Path) -> None:
    from smartdd.sample import write_samples

    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        (written,) = write_samples(Path(tmp), investees=1, quarters=1, loan_tape_rows=rows, seed=7, defects=False)
        saved_like_excel(written, target.with_suffix(".part"))
    target.with_suffix(".part").replace(target)


def measure(path: str, workbook: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--run", path, str(workbook)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run(path: str, workbook: str) -> dict:
    """One measurement: wall time (libraries already imported, as in a running pipeline) and the
    peak resident memory of this process or of a child it waited for."""
    import pandas  # noqa: F401 - both paths need it; its import is not part of reading

    work = {"baseline": _baseline, "smartdd": _smartdd}[path]()
    started = time.perf_counter()
    work(Path(workbook))
    seconds = time.perf_counter() - started
    peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"seconds": seconds, "peak_mib": peak_kib / 1024}


def _baseline():
    import pandas as pd

    return lambda workbook: pd.read_excel(workbook, sheet_name="Loan_Tape", engine="openpyxl")


def _smartdd():
    import pandas as pd
    from smartdd.ingest.isolation import run_isolated
    from smartdd.ingest.pseudonymise import pseudonymise
    from smartdd.ingest.rawzone import write_submission
    from smartdd.ingest.safety import SafetyLimits

    from smartdd.pipeline.workbook import read_typed_workbook

    # Twenty rows of column letters in the pipeline; nothing to measure.
    provenance = pd.DataFrame({"sheet": [], "field": [], "column_letter": [], "row_number": pd.array([], dtype="Int64")})

    def ingest(workbook: Path) -> None:
        # the reading child imports its libraries itself: that cost is part of every workbook's ingest
        sheets, issues = run_isolated(read_typed_workbook, workbook, SafetyLimits().max_rows)
        rows = len(sheets["Loan_Tape"].frame)
        if any(i.severity == "error" for i in issues) or f"_{rows}." not in workbook.name:
            raise SystemExit(f"{workbook.name} read as {rows:,} loan-tape rows, with {issues[:3]}")
        frames = {name: pseudonymise(typed.frame, typed.raw.spec, BENCH_KEY) for name, typed in sheets.items()}
        with tempfile.TemporaryDirectory() as raw_dir:
            write_submission(Path(raw_dir), "bench", frames, provenance)

    return ingest


# ---- re-saving a write-only openpyxl workbook the way Excel saves it ---------------------


def saved_like_excel(source: Path, target: Path) -> Path:
    """Move inline texts into a shared-string table and declare each sheet's dimension."""
    strings: dict[bytes, int] = {}
    uses = 0

    def shared(m: re.Match) -> bytes:
        nonlocal uses
        uses += 1
        index = strings.setdefault(m.group(4), len(strings))
        return b'<c r="%s"%s t="s"%s><v>%d</v></c>' % (m.group(1), m.group(2), m.group(3), index)

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = _with_dimension(_INLINE.sub(shared, data))
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SHARED_STRINGS_TYPE}"/></Types>'.encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>", f'<Relationship Type="{_SHARED_STRINGS_REL}" Target="sharedStrings.xml" Id="rIdShared"/></Relationships>'.encode()
                )
            zout.writestr(info, data)
        head = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
            % (uses, len(strings))
        )
        zout.writestr("xl/sharedStrings.xml", head + b"".join(b"<si>%s</si>" % s for s in strings) + b"</sst>")
    return target


def _with_dimension(sheet: bytes) -> bytes:
    ends = sheet[: 2**20] + sheet[-(2**20) :]  # the header and the last rows tell the used range
    rows = re.findall(rb'<row r="(\d+)"', ends)
    if b"<dimension" in sheet or not rows:
        return sheet
    last_column = max(re.findall(rb'<c r="([A-Z]+)\d+"', ends) or [b"A"], key=lambda c: (len(c), c))
    at = min(i for i in (sheet.find(tag) for tag in (b"<sheetViews", b"<sheetFormatPr", b"<cols", b"<sheetData")) if i >= 0)
    return sheet[:at] + b'<dimension ref="A1:%s%s"/>' % (last_column, rows[-1]) + sheet[at:]


if __name__ == "__main__":
    main()
