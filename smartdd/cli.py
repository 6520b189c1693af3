"""The `smartdd` command: template, sample, run, demo."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from smartdd.config import Settings


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

    p = commands.add_parser("run", help="run the quarterly pipeline over a landing folder")
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--home", type=Path)

    p = commands.add_parser("demo", help="sample submissions through the whole pipeline to reports")
    p.add_argument("--home", type=Path, default=Path("var/demo"))
    p.add_argument("--investees", type=int, default=6)
    p.add_argument("--quarters", type=int, default=2)

    args = parser.parse_args(argv)
    return {"template": _template, "sample": _sample, "run": _run, "demo": _demo}[args.command](args)


def _template(args) -> int:
    from smartdd.template import write_template

    print(write_template(args.output, lang=args.lang))
    return 0


def _sample(args) -> int:
    from smartdd.sample import write_samples

    paths = write_samples(args.output, investees=args.investees, quarters=args.quarters, loan_tape_rows=args.loan_tape_rows, seed=args.seed, defects=not args.no_defects)
    print(f"{len(paths)} workbook(s) written to {args.output}")
    return 0


def _run(args) -> int:
    from ingest.pseudonymise import MissingKey, load_key

    settings = Settings.from_env(args.home).ensure()
    try:
        load_key(settings.home)
    except MissingKey as problem:
        print(f"smartdd: {problem}", file=sys.stderr)
        return 2
    return _run_pipeline(settings, args.landing)


def _run_pipeline(settings: Settings, landing: Path) -> int:
    import shutil

    from smartdd import pipeline
    from smartdd.airflow_run import run_quarterly_dag

    landing = landing.resolve()
    if landing != settings.landing.resolve():
        # The landing folder of record is the home's; files keep their modification time.
        for path in landing.iterdir():
            if path.is_file() and not (settings.landing / path.name).exists():
                shutil.copy2(path, settings.landing / path.name)
    state = run_quarterly_dag(settings)
    if state != "success":
        print(f"smartdd: the pipeline run ended in state {state}; see {settings.work / 'airflow' / 'logs'}", file=sys.stderr)
        return 1
    result = pipeline.summary(settings)
    counts = ", ".join(f"{n} {status}" for status, n in result["by_status"].items())
    print(f"Submissions: {counts}")
    for file_name, reason in result["rejected"]:
        print(f"  rejected {file_name}: {reason}")
    print(f"Warehouse: {settings.warehouse}")
    print(f"Feedback workbooks: {settings.feedback}")
    print(f"Reports: {settings.reports} (open {settings.reports / 'index.html'} for the portfolio overview)")
    return 0


def _demo(args) -> int:
    from smartdd.sample import write_samples

    settings = Settings.from_env(args.home).ensure()
    if not (os.environ.get("SMARTDD_HMAC_KEY") or os.environ.get("SMARTDD_HMAC_KEY_FILE")):
        key_file = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "smartdd" / "demo-hmac.key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
            print(f"Demo: created a local pseudonymisation key at {key_file} (demo only; production sets SMARTDD_HMAC_KEY_FILE).")
        os.environ["SMARTDD_HMAC_KEY_FILE"] = str(key_file)
    samples = settings.home / "samples"
    paths = write_samples(samples, investees=args.investees, quarters=args.quarters, seed=42, defects=True)
    print(f"Demo: {len(paths)} sample workbook(s) in {samples}")
    return _run_pipeline(settings, samples)


if __name__ == "__main__":
    sys.exit(main())
