"""The reports stage: read the published marts once, write every quarter's documents.

    reports/<period_end>/<investee_id>.html, .pdf            due-diligence report (fund manager)
    reports/<period_end>/investee/<investee_id>.html, .pdf   the investee's own scorecard, in its language
    reports/<period_end>/portfolio.html, .pdf                portfolio dashboard
    reports/<period_end>/portfolio_scorecard.xlsx            the scorecard workbook for re-slicing
    reports/index.html                                       every quarter
    reports/validation_summary.html                          every workbook received, its outcome and problems (operator)

Documents whose inputs did not change since they were written are kept (reports/.render_manifest.json);
the others render in parallel worker processes.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from smartdd.reports.data import ReportData, load_report_data, records
from smartdd.reports.exposures import install_exposures, load_exposures
from smartdd.reports.manifest import Manifest, digest, row_hashes
from smartdd.reports.peers import period_stats
from smartdd.reports.validation_summary import write_validation_summary

# Jobs: fewer render in this process. A re-run after one resubmission has three (the portfolio's
# pages, its workbook, one investee): in two workers the portfolio's long PDF is printed while
# the other worker writes the rest, which beats one process even with the workers' start.
PARALLEL_FROM = 3
_PERIOD = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReportsFailed(RuntimeError):
    """Some documents could not be written; the others were, and the message names the failures."""


@dataclass
class Job:
    kind: str  # investee | portfolio (its HTML and PDF) | portfolio_excel (its workbook)
    key: str
    digest: str
    data: ReportData
    period: str
    folder: Path
    generated: str
    investee_id: str = ""
    stats: dict | None = None
    exposures: dict | None = None


def write_reports(
    warehouse: Path,
    out_dir: Path,
    *,
    exposures: Path | None = None,
    period: str | None = None,
    force: bool = False,
    workers: int | None = None,
    feedback: Path | None = None,
) -> list[Path]:
    """Write the reports of every quarter (or of `period`) that changed, the index and the validation
    summary (linking the feedback workbooks in `feedback`, by default the home's); returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if exposures is not None:
        install_exposures(exposures, out_dir)
    exposure_map, exposure_text = load_exposures(out_dir)
    data = load_report_data(warehouse)
    periods = data.periods
    if period is not None:
        if period not in periods:
            raise ValueError(f"No scorecard for the quarter ending {period} in {warehouse}; quarters: {', '.join(periods) or 'none'}.")
        periods = [period]
    manifest = Manifest(out_dir)
    generated = dt.date.today().isoformat()
    jobs = []
    for p in periods:
        jobs += _jobs_for(data, p, out_dir / p, manifest, generated, exposure_map, exposure_text, force)
    written, failures = _run(jobs, manifest, workers)
    manifest.save()
    written.append(write_index(out_dir, data))
    written.append(write_validation_summary(warehouse, out_dir, feedback=feedback))
    if failures:
        raise ReportsFailed(f"{len(failures)} report(s) could not be written (the others were): " + "; ".join(failures))
    return written


def _jobs_for(data: ReportData, period: str, folder: Path, manifest: Manifest, generated, exposures, exposure_text, force) -> list[Job]:
    upto = data.up_to(period)
    now = upto.in_period(period)
    stats = period_stats(now.principles, now.scorecard)
    stats_text = json.dumps(stats, sort_keys=True)
    frames = upto.frames()
    hashes = {name: row_hashes(frame) for name, frame in frames.items()}
    columns = {name: [str(c) for c in frame.columns] for name, frame in frames.items()}
    jobs = []
    portfolio = digest({name: (columns[name], hashes[name]) for name in frames}, exposure_text)
    for kind, outputs in _portfolio_outputs(folder).items():  # the long PDF first: it sets the stage's pace
        if force or not manifest.is_current(f"{period}/{kind}", portfolio, outputs):
            jobs.append(Job(kind, f"{period}/{kind}", portfolio, upto, period, folder, generated, exposures=exposures))
    rows = {name: frame.groupby("investee_id", sort=False).indices for name, frame in frames.items()}
    for investee_id in data.investees(period):
        mine = {name: rows[name].get(investee_id, np.array([], dtype=np.intp)) for name in frames}
        key = f"{period}/{investee_id}"
        mine_digest = digest({name: (columns[name], hashes[name][mine[name]]) for name in frames}, stats_text)
        if force or not manifest.is_current(key, mine_digest, _investee_outputs(folder, investee_id)):
            own = ReportData(**{name: frames[name].iloc[mine[name]] for name in frames})
            jobs.append(Job("investee", key, mine_digest, own, period, folder, generated, investee_id=investee_id, stats=stats))
    return jobs


def _portfolio_outputs(folder: Path) -> dict[str, list[Path]]:
    return {"portfolio": [folder / "portfolio.html", folder / "portfolio.pdf"], "portfolio_excel": [folder / "portfolio_scorecard.xlsx"]}


def _investee_outputs(folder: Path, investee_id: str) -> list[Path]:
    return [
        folder / f"{investee_id}.html",
        folder / f"{investee_id}.pdf",
        folder / "investee" / f"{investee_id}.html",
        folder / "investee" / f"{investee_id}.pdf",
    ]


def render_job(job: Job) -> list[Path]:
    """One investee's two documents, or one quarter's portfolio pages or workbook (runs in a worker process)."""
    from smartdd.reports.render import write_document

    if job.kind == "portfolio_excel":
        from smartdd.reports.excel import write_excel_scorecard

        return [write_excel_scorecard(job.data, job.period, job.folder / "portfolio_scorecard.xlsx", job.exposures)]
    if job.kind == "portfolio":
        from smartdd.reports.portfolio import portfolio_context

        context = portfolio_context(job.data, job.period, job.exposures, job.generated)
        return write_document("portfolio.html.j2", context, job.folder / "portfolio.html", job.folder / "portfolio.pdf")
    from smartdd.reports.due_diligence import dd_context
    from smartdd.reports.self_scorecard import self_context

    outputs = _investee_outputs(job.folder, job.investee_id)
    context = dd_context(job.data, job.investee_id, job.period, job.stats, job.generated)
    written = write_document("due_diligence.html.j2", context, outputs[0], outputs[1], appendix="appendix.html.j2")
    return written + write_document(
        "investee_scorecard.html.j2", self_context(job.data, job.investee_id, job.period, job.stats, job.generated), outputs[2], outputs[3]
    )


def _run(jobs: list[Job], manifest: Manifest, workers: int | None) -> tuple[list[Path], list[str]]:
    written: list[Path] = []
    failures: list[str] = []
    workers = workers or os.cpu_count() or 1
    if len(jobs) < PARALLEL_FROM or workers == 1:
        for job in jobs:
            _collect(job, lambda job=job: render_job(job), manifest, written, failures)
        return written, failures
    context = multiprocessing.get_context("forkserver")  # never fork a process that may hold threads (Airflow, DuckDB)
    context.set_forkserver_preload(["smartdd.reports.preload"])
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {pool.submit(render_job, job): job for job in jobs}
        for future in as_completed(futures):
            _collect(futures[future], future.result, manifest, written, failures)
    return written, failures


def _collect(job: Job, result, manifest: Manifest, written: list[Path], failures: list[str]) -> None:
    try:
        written += result()
    except Exception as problem:  # one document never stops the others; the stage still fails at the end
        failures.append(f"{job.key}: {type(problem).__name__}: {problem}")
        return
    manifest.record(job.key, job.digest)


def write_index(out_dir: Path, data: ReportData) -> Path:
    from smartdd.reports.render import render_html, write_html

    quarters = []
    by_period = {p: records(data.in_period(p).scorecard) for p in data.periods}
    kept = {d.name for d in out_dir.iterdir() if d.is_dir() and _PERIOD.match(d.name) and (d / "portfolio.html").is_file()}
    for period in sorted(kept | set(by_period), reverse=True):
        cards = by_period.get(period, [])
        quarters.append(
            {
                "period": period,
                "investees": len(cards),
                "screenings": {s: sum(1 for c in cards if c["screening"] == s) for s in ("pass", "watch", "fail")},
                "in_warehouse": period in by_period,
                "rendered": period in kept or (out_dir / period / "portfolio.html").is_file(),
            }
        )
    return write_html(out_dir / "index.html", render_html("index.html.j2", {"quarters": quarters, "generated": dt.date.today().isoformat()}))
