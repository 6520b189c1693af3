"""Benchmark: the CPU each report costs, per document type, against a baseline revision of reports/.

    python bench/reports.py [--investees 8] [--quarters 1] [--repeat 3] [--baseline HEAD] [--home DIR]

A home with sample submissions for N investees (one institution named in Khmer, one investee
whose template is in French, like tests/reports) is built once through the pipeline without
Airflow (not timed; kept in --home to reuse). Then, for the baseline (`git archive` of
--baseline's reports/ into a temporary folder) and for the working tree's reports/, each
repetition runs in a fresh subprocess that imports that copy of `smartdd.reports` (its `preload`
first, as the stage's worker processes do), renders one
investee's documents to warm the process (fonts, the cached appendix; not counted) and then
every investee-quarter's documents one after the other, through `build.render_job` (what the
stage's workers run), timing the CPU of each part:

    data + html  both documents' contexts, their Jinja rendering, the HTML files written
    dd pdf       the due-diligence PDF (WeasyPrint: the report, then the cached appendix's pages)
    own pdf      the investee's scorecard PDF
    total        the investee-quarter: the three above
    portfolio    the quarter's dashboard HTML + PDF and the Excel workbook (once a quarter, not per investee)

and the wall time of `write_reports(force=True)` over the whole home (worker processes, both
cores). The table gives medians over the repetitions; the machine may be shared, so CPU time
(process_time) is the figure to compare, wall time only a check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_KEY = "bench-only-key-not-a-secret-0123456789"
KHMER_NAME = "គ្រឹះស្ថានមីក្រូហិរញ្ញវត្ថុ អង្គរ"
STEPS = ("data + html", "dd pdf", "own pdf", "total")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--investees", type=int, default=8)
    parser.add_argument("--quarters", type=int, default=1)
    parser.add_argument("--loan-tape-rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default="HEAD", help="git revision whose reports/ is the baseline; 'none' to skip")
    parser.add_argument("--home", type=Path, help="build the sample home here once and reuse it (default: a temporary one)")
    parser.add_argument("--no-wall", action="store_true", help="skip the write_reports wall-time run")
    parser.add_argument("--child", type=Path, metavar="HOME", help=argparse.SUPPRESS)
    parser.add_argument("--wall", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("SMARTDD_HMAC_KEY", BENCH_KEY)
    if args.child:
        import smartdd.reports

        assert Path(smartdd.reports.__file__).parent.samefile(os.environ["SMARTDD_BENCH_REPORTS"]), smartdd.reports.__file__
        print(json.dumps(_wall(args.child) if args.wall else _cpu(args.child)))
        return

    temporary = Path(tempfile.mkdtemp(prefix="smartdd-bench-reports-"))
    try:
        home = args.home or temporary / "home"
        if not (home / "warehouse" / "smartdd.duckdb").is_file():
            _build_home(home, temporary / "samples", args.investees, args.quarters, args.loan_tape_rows)
        variants = {}
        if args.baseline != "none":
            base = temporary / "baseline"
            base.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "reports"], capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
            variants[f"baseline ({args.baseline})"] = base / "reports"
        variants["this tree"] = ROOT / "reports"
        results = {name: [] for name in variants}
        walls = {name: [] for name in variants}
        for _ in range(args.repeat):  # interleaved, so a busy spell of the machine hits both alike
            for name, folder in variants.items():
                results[name].append(_child(folder, home, temporary))
                if not args.no_wall:
                    walls[name].append(_child(folder, home, temporary, wall=True)["wall"])
        _table(results, walls, args.repeat)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


_SHIM = """# written by bench/reports.py: this process and its workers import these folders as smartdd's packages
import importlib.util, sys

PACKAGES = {packages!r}


class _Folders:
    @staticmethod
    def find_spec(name, path=None, target=None):
        folder = PACKAGES.get(name)
        if folder is None:
            return None
        return importlib.util.spec_from_file_location(name, folder + "/__init__.py", submodule_search_locations=[folder])


sys.meta_path.insert(0, _Folders)
"""


def _shim(reports: Path, folder: Path) -> Path:
    """A sitecustomize that makes a process (and the workers it starts, which inherit PYTHONPATH)
    import `smartdd.reports` from `reports` and smartdd's other packages from this tree, whatever
    the installed package points at."""
    packages = {"smartdd": ROOT / "smartdd", "smartdd.ingest": ROOT / "ingest", "smartdd.expectations": ROOT / "expectations", "smartdd.reports": reports}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(_SHIM.format(packages={k: str(v) for k, v in packages.items()}))
    return folder


def _child(reports: Path, home: Path, work: Path, wall: bool = False) -> dict:
    shim = _shim(reports, work / f"shim-{reports.parent.name}")
    command = [sys.executable, __file__, "--child", str(home)] + (["--wall"] if wall else [])
    path = os.pathsep.join([str(shim), *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {**os.environ, "PYTHONPATH": path, "SMARTDD_BENCH_REPORTS": str(reports)}
    out = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        print(out.stdout[-2000:], out.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"the benchmark child for {reports} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _build_home(home: Path, samples: Path, investees: int, quarters: int, tape_rows: int) -> None:
    import openpyxl

    from smartdd import pipeline
    from smartdd.config import Settings
    from smartdd.sample import write_samples

    settings = Settings.from_env(home).ensure()
    for path in write_samples(samples, investees=investees, quarters=quarters, loan_tape_rows=tape_rows, seed=11, defects=True, jobs=os.cpu_count() or 1):
        wb = openpyxl.load_workbook(path)
        cover = {row[0].value: row for row in wb["Cover"].iter_rows(min_row=2)}
        investee = cover["investee_id"][2].value
        if investee.startswith("MFI-KH"):
            cover["institution_name"][2].value = KHMER_NAME
        elif investee.startswith("MFI-UG"):
            cover["language"][2].value = "fr"
        wb.save(path)
        shutil.copy2(path, settings.landing / path.name)
    for batch in pipeline.receive_in_batches(settings):
        pipeline.ingest_batch(batch, settings)
    pipeline.build_and_publish(settings)


def _cpu(home: Path) -> dict:
    """CPU seconds of each investee-quarter's `render_job`, split by the PDFs WeasyPrint prints."""
    import smartdd.reports.preload  # noqa: F401  (first, as in the stage's workers: what it does to the process counts)
    from smartdd.reports import build, render
    from smartdd.reports.data import load_report_data
    from smartdd.reports.manifest import Manifest

    pdf_seconds: dict[str, float] = {}
    current = {"template": ""}
    write_document, write_pdf = render.write_document, render.write_pdf

    def timed_document(template, *args, **kwargs):
        current["template"] = template
        return write_document(template, *args, **kwargs)

    def timed_pdf(*args, **kwargs):
        start = time.process_time()
        try:
            return write_pdf(*args, **kwargs)
        finally:
            pdf_seconds[current["template"]] = pdf_seconds.get(current["template"], 0.0) + time.process_time() - start

    render.write_document, render.write_pdf = timed_document, timed_pdf  # render_job and write_document look them up when called
    out = Path(tempfile.mkdtemp(prefix="smartdd-bench-out-"))
    try:
        data = load_report_data(home / "warehouse" / "smartdd.duckdb")
        jobs = []
        for period in data.periods:
            jobs += build._jobs_for(data, period, out / period, Manifest(out), "2026-01-01", {}, "", True)
        investee_jobs = [j for j in jobs if j.kind == "investee"]
        for job in jobs:
            (job.folder / "investee").mkdir(parents=True, exist_ok=True)

        def run(job) -> dict[str, float]:
            pdf_seconds.clear()
            start = time.process_time()
            build.render_job(job)
            total = time.process_time() - start
            dd, own = pdf_seconds.get("due_diligence.html.j2", 0.0), pdf_seconds.get("investee_scorecard.html.j2", 0.0)
            return {"dd pdf": dd, "own pdf": own, "data + html": total - dd - own, "total": total}

        warm_up = run(investee_jobs[0])["total"]  # fonts, the appendix laid out once per process
        times = [run(job) for job in investee_jobs]
        portfolio = [run(job)["total"] for job in jobs if job.kind == "portfolio"]
        sizes = [(job.folder / f"{job.investee_id}.pdf").stat().st_size for job in investee_jobs]
        return {
            "steps": {s: statistics.mean(t[s] for t in times) for s in STEPS},
            "investee_quarters": len(investee_jobs),
            "warm_up": warm_up,
            "portfolio": statistics.mean(portfolio),
            "pdf_kib": statistics.mean(sizes) / 1024,
        }
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _wall(home: Path) -> dict:
    from smartdd.reports.build import write_reports

    out = Path(tempfile.mkdtemp(prefix="smartdd-bench-wall-"))
    try:
        start = time.perf_counter()
        write_reports(home / "warehouse" / "smartdd.duckdb", out, force=True)
        return {"wall": time.perf_counter() - start}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _table(results: dict[str, list[dict]], walls: dict[str, list[float]], repeat: int) -> None:
    first = next(iter(results.values()))[0]
    print(f"{first['investee_quarters']} investee-quarters; median of {repeat} runs; CPU seconds per investee-quarter (portfolio: per quarter)")
    header = ["variant", *STEPS, "portfolio", "warm-up", "DD PDF KiB", "write_reports wall s"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for name, runs in results.items():
        med = {s: statistics.median(r["steps"][s] for r in runs) for s in STEPS}
        cells = [
            *(f"{med[s]:.3f}" for s in STEPS),
            f"{statistics.median(r['portfolio'] for r in runs):.2f}",
            f"{statistics.median(r['warm_up'] for r in runs):.2f}",
            f"{statistics.median(r['pdf_kib'] for r in runs):.0f}",
            f"{statistics.median(walls[name]):.1f}" if walls[name] else "—",
        ]
        print(" | ".join([name, *cells]))


if __name__ == "__main__":
    main()
