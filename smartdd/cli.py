"""The `smartdd` command: template, sample, run, demo."""

from __future__ import annotations

import argparse
import fcntl
import filecmp
import os
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

from smartdd.config import Settings
from smartdd.storage import atomic_path, native, sha256_of


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smartdd", description="Client-protection due diligence for microfinance investors.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("template", help="write the blank submission template")
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--lang", choices=["en", "fr", "es"], default="en")

    p = commands.add_parser("sample", help="write synthetic, realistic filled submissions")
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--investees", type=int, default=6)
    p.add_argument("--quarters", type=int, default=2)
    p.add_argument("--loan-tape-rows", type=int, default=300)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--no-defects", action="store_true", help="only clean workbooks")

    p = commands.add_parser("check", help="validate workbooks as the pipeline would and write their feedback (stores nothing else)")
    p.add_argument("files", type=Path, nargs="+")
    p.add_argument("--lang", choices=["en", "fr", "es"])
    p.add_argument("-o", "--output", type=Path, default=Path("."))

    p = commands.add_parser("run", help="run the quarterly pipeline over a landing folder")
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--home", type=Path)
    p.add_argument("--revalidate", action="store_true", help="read and validate every file again, even those already processed")
    p.add_argument("--exposures", type=Path, help="CSV investee_id,exposure_usd: weights the portfolio dashboard (kept as reports/exposures.csv)")

    p = commands.add_parser("report", help="render the reports again from the published warehouse")
    p.add_argument("--home", type=Path)
    p.add_argument("--period", help="only the quarter ending YYYY-MM-DD")
    p.add_argument("--exposures", type=Path, help="CSV investee_id,exposure_usd (kept as reports/exposures.csv)")
    p.add_argument("--force", action="store_true", help="render every document, even those whose data did not change")

    p = commands.add_parser("demo", help="sample submissions through the whole pipeline to reports")
    p.add_argument("--home", type=Path, default=Path("var/demo"))
    p.add_argument("--investees", type=int, default=6)
    p.add_argument("--quarters", type=int, default=2)

    from smartdd.scheduler import add_parser as add_airflow_parser

    add_airflow_parser(commands)  # smartdd airflow up|trigger|down

    args = parser.parse_args(argv)
    return {"template": _template, "sample": _sample, "run": _run, "report": _report, "demo": _demo, "check": _check, "airflow": _airflow}[args.command](args)


def _check(args) -> int:
    from smartdd.check import check_files

    return check_files(args.files, args.output, lang=args.lang)


def _airflow(args) -> int:
    from smartdd.scheduler import main as airflow_main

    return airflow_main(args)


def _template(args) -> int:
    from smartdd.spec.template import write_template

    print(write_template(args.output, lang=args.lang))
    return 0


def _sample(args) -> int:
    from smartdd.sample import write_samples

    paths = write_samples(
        args.output,
        investees=args.investees,
        quarters=args.quarters,
        loan_tape_rows=args.loan_tape_rows,
        seed=args.seed,
        defects=not args.no_defects,
        jobs=os.cpu_count() or 1,
    )
    print(f"{len(paths)} workbook(s) written to {args.output}")
    return 0


def _run(args) -> int:
    from smartdd.ingest.pseudonymise import MissingKey, load_key

    settings = Settings.from_env(args.home).ensure()
    try:
        load_key(settings.home)
    except MissingKey as problem:
        print(f"smartdd: {problem}", file=sys.stderr)
        return 2
    if getattr(args, "revalidate", False):
        from smartdd.pipeline.incremental import REVALIDATE_ENV

        os.environ[REVALIDATE_ENV] = "1"
    if args.exposures is not None and not _install_exposures(args.exposures, settings):
        return 2
    return _run_pipeline(settings, args.landing)


def _install_exposures(source: Path, settings: Settings) -> bool:
    """Check the exposures file and keep it where the reports stage reads it (reports/exposures.csv)."""
    from smartdd.reports.exposures import BadExposures, install_exposures

    try:
        install_exposures(source, settings.reports)
    except BadExposures as problem:
        print(f"smartdd: {problem}", file=sys.stderr)
        return False
    return True


def _report(args) -> int:
    from smartdd.reports.build import ReportsFailed, write_reports

    settings = Settings.from_env(args.home).ensure()
    if not settings.warehouse.is_file():
        print(f"smartdd: {settings.home} has no published warehouse yet; run `smartdd run` first.", file=sys.stderr)
        return 2
    if args.exposures is not None and not _install_exposures(args.exposures, settings):
        return 2
    try:
        with _home_lock(settings):  # a run writing the same reports meanwhile would race this one
            written = write_reports(settings.warehouse, settings.reports, period=args.period, force=args.force)
    except (ValueError, ReportsFailed) as problem:
        print(f"smartdd: {problem}", file=sys.stderr)
        return 1
    from smartdd.config import reports_group_readable

    if reports_group_readable():  # as the pipeline's reports stage does
        for path in written:
            path.chmod(0o640)
    print(f"{len(written)} file(s) written; open {settings.reports / 'index.html'}")
    return 0


def _run_pipeline(settings: Settings, landing: Path) -> int:
    from smartdd import pipeline
    from smartdd.airflow_run import run_quarterly_dag

    _show_progress()
    copied = _bring_to_landing(landing.resolve(), native(settings.landing))
    if copied:
        print(f"{copied} new or changed file(s) copied to {settings.landing}")
    with _home_lock(settings):
        state = run_quarterly_dag(settings)
    if state != "success":
        print(f"smartdd: the pipeline run ended in state {state}; see {settings.work / 'airflow' / 'logs'}", file=sys.stderr)
        return 1
    result = pipeline.summary(settings)
    if not result["by_status"]:
        print(f"No files in {settings.landing}: nothing to do.")
        return 0
    counts = ", ".join(f"{n} {status}" for status, n in result["by_status"].items())
    print(f"Submissions: {counts}")
    for file_name, reason in result["rejected"]:
        print(f"  rejected {file_name}: {reason}")
    print(f"Warehouse: {settings.warehouse}")
    print(f"Feedback workbooks: {settings.feedback}")
    print(f"Reports: {settings.reports} (open {settings.reports / 'index.html'} for the portfolio overview)")
    return 0


def _show_progress() -> None:
    """A progress bar on a terminal; plain lines on stderr otherwise (a CI log, a cron mail)."""
    import logging

    from smartdd.progress import TTY_ENV

    if sys.stderr.isatty():
        os.environ[TTY_ENV] = "/dev/tty"
        return
    lines = logging.getLogger("smartdd.progress")
    if not lines.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("smartdd: %(message)s"))
        lines.addHandler(handler)
        lines.setLevel(logging.INFO)
        lines.propagate = False


def _bring_to_landing(source: Path, landing: Path) -> int:
    """Copy new or changed files into the home's landing folder (the one of record), keeping
    their modification time; a corrected file under the same name replaces the old copy
    (the old one stays in the archive)."""
    if source == landing:
        return 0
    if not isinstance(landing, Path):
        return _bring_to_remote_landing(source, landing)
    from smartdd.pipeline import landed_files

    copied = 0
    for path in landed_files(source):
        target = landing / path.relative_to(source)
        if target.is_file() and path.is_file() and not path.is_symlink() and filecmp.cmp(path, target, shallow=False):
            continue
        if path.is_symlink():  # carried over as a link (never followed), so receive records it as refused
            if not target.is_symlink() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(os.readlink(path), target)
            continue
        if not path.is_file():
            continue  # a pipe or device in the source folder: nothing to copy
        with atomic_path(target) as tmp:  # the temporary name never derives from the (maybe 250-character) name
            shutil.copyfile(path, tmp)  # created owner-only (umask 077); copy2 would carry the source's 0644 over
            landed = path.stat()
            os.utime(tmp, ns=(landed.st_atime_ns, landed.st_mtime_ns))  # its arrival time is the source file's
        copied += 1
    return copied


def _bring_to_remote_landing(source: Path, landing) -> int:
    """`_bring_to_landing` for a landing zone on another filesystem (SMARTDD_LANDING_URL): each file
    whose bytes differ from the object there is put whole (its arrival is then when it was put: an
    object keeps no modification time of its own). An object store keeps no links or pipes: those
    are named on stderr and not copied."""
    from smartdd.pipeline import landed_files
    from smartdd.safe_text import display_name

    copied = 0
    for path in landed_files(source):
        name = path.relative_to(source).as_posix()
        if path.is_symlink() or not path.is_file():
            print(f"smartdd: {display_name(name)} is not a regular file; it is not copied to the landing zone {landing}", file=sys.stderr)
            continue
        target = landing / name
        if target.exists() and target.stat().st_size == path.stat().st_size and sha256_of(target) == sha256_of(path):
            continue
        with atomic_path(target) as tmp:  # one put: the object appears whole or not at all
            shutil.copyfile(path, tmp)
        copied += 1
    return copied


@contextmanager
def _home_lock(settings: Settings):
    """One run per home folder at a time: two runs would share the build file and Airflow's database."""
    with open(settings.work / "run.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"smartdd: another run is using {settings.home}; wait for it to finish.") from None
        from smartdd.scheduler import live_holder  # the DAG's own run lock: a run the scheduler started

        if (busy := live_holder(settings)) is not None:
            raise SystemExit(f"smartdd: {settings.home} is in use by {busy.describe()}; wait for it to finish.")
        yield


def _demo(args) -> int:
    from smartdd.sample import write_samples

    settings = Settings.from_env(args.home).ensure()
    if not (os.environ.get("SMARTDD_HMAC_KEY") or os.environ.get("SMARTDD_HMAC_KEY_FILE")):
        key_file = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "smartdd" / "demo-hmac.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            print(f"Demo: created a local pseudonymisation key at {key_file} (demo only; production sets SMARTDD_HMAC_KEY_FILE).")
        os.environ["SMARTDD_HMAC_KEY_FILE"] = str(key_file)
    samples = settings.home / "samples"
    paths = write_samples(samples, investees=args.investees, quarters=args.quarters, seed=42, defects=True)
    print(f"Demo: {len(paths)} sample workbook(s) in {samples}")
    return _run_pipeline(settings, samples)


if __name__ == "__main__":
    sys.exit(main())
