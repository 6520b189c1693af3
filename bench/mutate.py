"""Targeted mutation testing: does the test suite notice when the product is wrong?

Each mutation is one small, plausible bug (an operator flipped, a constant moved, a seed row
edited, a check dropped) in one file. The script copies the repository once into a work folder,
applies each mutation there in turn, runs the tests of the mutation's area against the copy, and
prints a table: killed (some test failed), survived (every test passed: a hole in the tests),
stale (the text to mutate is no longer in the file: update the mutation).

    .venv/bin/python bench/mutate.py                  # every mutation, the tests as they are
    .venv/bin/python bench/mutate.py --before         # without the tests added for issue 13
    .venv/bin/python bench/mutate.py --area flags --area supersession
    .venv/bin/python bench/mutate.py --only SLOW_ --list

The copy is what is tested, not /work/main: the editable install maps `smartdd.*` to the
repository's folders with a meta-path finder that comes after the ordinary path finder, so with
PYTHONPATH=<copy> (and smartdd/ingest, smartdd/expectations, smartdd/reports symlinked inside the
copy's smartdd/ as pyproject's package-dir maps them) every `smartdd` import, dbt's Python models
included, resolves to the copy; the script checks that before it starts. The unmutated copy is run
first per area: tests that already fail there are deselected, so they cannot kill anything.

Not collected by pytest (outside tests/) and not run by `make test`: a full run takes about an hour
here (every dbt mutation needs a `dbt build`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]  # the source copied; --repo PATH changes it (e.g. a clean `git worktree add /tmp/mut-src HEAD`)
PACKAGE_DIRS = {"ingest": "ingest", "expectations": "expectations", "reports": "reports"}  # pyproject [tool.setuptools.package-dir]
IGNORED = shutil.ignore_patterns(".git", ".venv", "var", "target", "logs", "dbt_packages", "__pycache__", ".pytest_cache", ".ruff_cache", "*.duckdb", "*.pyc")

# the tests issue 13 added: left out by --before
NEW_TESTS = [
    "tests/methodology",
    "tests/dbt/test_supersession.py",
    "tests/expectations/test_business_rules.py",
    "tests/test_mutation_targets.py",
    "tests/ingest/test_chunk_boundary_mutants.py",
]

# tests left out of every run (a `-k` expression each): they assert a wall-clock time, and this machine is shared,
# so under load they fail on the unmutated copy too and "kill" whatever mutant happens to be running
TIMING_TESTS = ["test_lying_size_is_caught_while_streaming_not_after", "test_an_overstated_dimension_does_not_blow_memory"]
# extra `-k` terms of an area: seed_rows leaves out the test that compares the seeds with the defaults
AREA_K = {"seed_rows": ["test_seed_holds_the_methodology_defaults"]}
# area -> the tests that should notice a bug there (fast ones first: the run stops at the first failure)
AREAS = {
    "safety": [
        "tests/ingest/test_safety.py",
        "tests/ingest/test_xmlscan.py",
        "tests/ingest/test_lazy_workbook.py",
        "tests/test_mutation_targets.py",
        "tests/ingest/test_chunk_boundary_mutants.py",
    ],
    "coerce": ["tests/ingest/test_reading_rules.py", "tests/ingest/test_fast_table.py", "tests/expectations", "tests/test_mutation_targets.py"],
    "pseudonymise": ["tests/ingest/test_keyed_hash.py", "tests/test_mutation_targets.py", "tests/test_batch.py"],
    "business_rules": ["tests/expectations"],
    "supersession": ["tests/dbt/test_supersession.py", "tests/dbt/test_dbt_scoring.py", "tests/dbt/test_build_isolation.py"],
    "pricing": ["tests/pricing", "tests/methodology/test_scorecard_independent.py", "tests/dbt/test_dbt_scoring.py"],
    "flags": ["tests/methodology", "tests/dbt/test_dbt_scoring.py"],
    "seed_rows": ["tests/methodology"],
    "reports": [
        "tests/test_mutation_targets.py",
        "tests/reports",
        "tests/test_worked_example.py",
        "tests/dbt/test_build_isolation.py",
        "tests/test_end_to_end.py",
    ],
}


@dataclass(frozen=True)
class Mutation:
    id: str
    area: str
    path: str
    old: str
    new: str


def m(id: str, area: str, path: str, old: str, new: str) -> Mutation:  # noqa: A002 - the mutation's name
    return Mutation(id, area, path, old, new)


SAFETY, XMLSCAN, COERCE, PSEUDO, RULES = "ingest/safety.py", "ingest/xmlscan.py", "ingest/coerce.py", "ingest/pseudonymise.py", "expectations/rules.py"
PRICING, PRICED = "smartdd/methodology/pricing.py", "dbt_project/models/intermediate/int_products__priced.py"
SEEDS, MODELS = "dbt_project/seeds/", "dbt_project/models/intermediate/"
SUPERSEDED = MODELS + "int_submissions__superseded.sql"

MUTATIONS = [
    # ---- ingest safety: the gate before any parser
    m("empty_file_accepted", "safety", SAFETY, "if size == 0:", "if size < 0:"),
    m("file_size_limit_doubled", "safety", SAFETY, "if size > limits.max_file_bytes:", "if size > 2 * limits.max_file_bytes:"),
    m("unpacked_total_limit_doubled", "safety", SAFETY, "if total > limits.max_uncompressed_bytes:", "if total > 2 * limits.max_uncompressed_bytes:"),
    m("member_limit_doubled", "safety", SAFETY, "if info.file_size > limits.max_member_bytes:", "if info.file_size > 2 * limits.max_member_bytes:"),
    m("ratio_limit_x10", "safety", SAFETY, "ratio > limits.max_compression_ratio:", "ratio > 10 * limits.max_compression_ratio:"),
    m("lying_size_tolerated", "safety", SAFETY, "if produced > info.file_size:", "if produced > info.file_size + _CHUNK:"),
    m("crc_not_checked", "safety", SAFETY, "if produced != info.file_size or crc != info.CRC:", "if produced != info.file_size:"),
    m(
        "entities_only_in_first_bytes",
        "safety",
        SAFETY,
        "if any(marker in window for marker in _ENTITY_MARKERS):",
        "if any(marker in chunk[:512] for marker in _ENTITY_MARKERS):",
    ),
    m("entity_marker_split_across_chunks", "safety", SAFETY, "tail = window[-overlap:]", 'tail = b""'),
    m("entity_scan_window_without_tail", "safety", SAFETY, "window = tail + chunk", "window = chunk"),
    m(
        "entity_scan_overlap_one_short",
        "safety",
        SAFETY,
        "overlap = max(len(m) for m in _ENTITY_MARKERS) - 1",
        "overlap = max(len(m) for m in _ENTITY_MARKERS) - 2",
    ),
    m("sheet_rows_cut_across_chunks", "safety", XMLSCAN, "data = tail + chunk\n", "data = chunk\n"),
    m("sheet_last_rows_dropped", "safety", XMLSCAN, "            tail = data[cut:]\n    yield tail\n", "            tail = data[cut:]\n"),
    m("row_limit_doubled", "safety", SAFETY, "if rows > limits.max_rows:", "if rows > 2 * limits.max_rows:"),
    m("column_limit_doubled", "safety", SAFETY, "if cols > limits.max_columns:", "if cols > 2 * limits.max_columns:"),
    m("zip_password_bit_wrong", "safety", SAFETY, "if info.flag_bits & 0x1:", "if info.flag_bits & 0x2:"),
    m("member_count_limit_doubled", "safety", SAFETY, "if len(infos) > limits.max_members:", "if len(infos) > 2 * limits.max_members:"),
    m("encrypted_package_not_named", "safety", SAFETY, 'if names & {"EncryptionInfo", "EncryptedPackage"}:', 'if names & {"EncryptionInfo"}:'),
    m("uncached_empty_string_is_cached", "safety", XMLSCAN, 'return value is None or (value == "" and kind != "str")', "return value is None"),
    m("char_references_trusted", "safety", XMLSCAN, '(b"?", b"<?"), (b"&", b"&#")):', '(b"?", b"<?")):'),
    m("second_prefix_trusted", "safety", XMLSCAN, "list(declared.values()).count(self.uri) != 1", "list(declared.values()).count(self.uri) < 1"),
    m("other_encodings_trusted", "safety", XMLSCAN, '(encoding and encoding.group(1).lower() not in (b"utf-8", b"utf8"))', "(False)"),
    # ---- coercion: raw values to typed frames
    m("pct_fraction_warning_narrowed", "coerce", COERCE, "if 0 < number < 1:", "if 0 < number < 0.5:"),
    m("percent_cell_not_scaled", "coerce", COERCE, "return _plausible(float(value) * 100, spec), None", "return _plausible(float(value), spec), None"),
    m("fraction_in_int_accepted", "coerce", COERCE, "if not number.is_integer() or abs(number) >= _LARGEST_INT:", "if abs(number) >= _LARGEST_INT:"),
    m("uncached_formula_always_warning", "coerce", COERCE, "severity = ERROR if f.always_required else WARNING", "severity = WARNING"),
    m("implausible_number_limit_x10", "coerce", COERCE, "if abs(number) > limit:", "if abs(number) > 10 * limit:"),
    m("yes_no_inverted", "coerce", COERCE, 'return {s: canonical == "true" for', 'return {s: canonical != "true" for'),
    # ---- pseudonymisation
    m("national_id_case_kept", "pseudonymise", PSEUDO, 'values.astype("string").str.upper().str.replace(', 'values.astype("string").str.replace('),
    m("short_key_accepted", "pseudonymise", PSEUDO, "if len(key) < MIN_KEY_BYTES:", "if len(key) < 1:"),
    m("names_not_dropped", "pseudonymise", PSEUDO, 'if f.pii == "drop" and f.name in out:', 'if f.pii == "dropped" and f.name in out:'),
    m("hmac_outer_hash_of_hex", "pseudonymise", PSEUDO, "keyed.update(digest.digest())", "keyed.update(digest.hexdigest().encode())"),
    m("group_readable_key_file_accepted", "pseudonymise", PSEUDO, "if path.stat().st_mode & 0o077:", "if path.stat().st_mode & 0o007:"),
    m("key_file_in_repo_accepted", "pseudonymise", PSEUDO, "if path.is_relative_to(Path(forbidden).resolve()):", "if False:"),
    m("national_id_not_normalised", "pseudonymise", PSEUDO, 'normalise_national_id(out[f.name]) if f.name == "national_id" else out[f.name]', "out[f.name]"),
    # ---- business rules (expectations/rules.py)
    m(
        "sep_29_is_a_quarter_end",
        "business_rules",
        RULES,
        "QUARTER_ENDS = {(3, 31), (6, 30), (9, 30), (12, 31)}",
        "QUARTER_ENDS = {(3, 31), (6, 30), (9, 29), (9, 30), (12, 31)}",
    ),
    m("loan_officers_needed_without_borrowers", "business_rules", RULES, "if borrowers and officers == 0:", "if officers == 0:"),
    m("amount_with_zero_loans_inverted", "business_rules", RULES, "if loans == 0 and amount:", "if loans == 0 and not amount:"),
    m("bullet_allows_three", "business_rules", RULES, '(frame["installments"] != 1)', '(frame["installments"] > 3)'),
    m("products_tolerance_5pct", "business_rules", RULES, "PRODUCTS_TOLERANCE = 0.02", "PRODUCTS_TOLERANCE = 0.05"),
    m("all_answered_dropped", "business_rules", RULES, "missing = [code for code in catalogue if code not in answered]", "missing = []"),
    m("min_rows_off_by_one", "business_rules", RULES, "len(typed.frame) < sheet.min_rows", "len(typed.frame) < sheet.min_rows - 1"),
    m("resolved_over_received_by_two", "business_rules", RULES, 'frame["resolved"] > frame["received"]', 'frame["resolved"] > frame["received"] + 1'),
    m("bullet_is_a_warning", "business_rules", RULES, 'ERROR,\n            "bullet_installments",', 'WARNING,\n            "bullet_installments",'),
    # ---- supersession (dbt)
    m("supersede_by_hash_first", "supersession", SUPERSEDED, "order by received_at, file_sha256", "order by file_sha256, received_at"),
    m("supersede_by_submission_id", "supersession", SUPERSEDED, "order by received_at, file_sha256", "order by submission_id"),
    m("earliest_is_current", "supersession", SUPERSEDED, "order by received_at, file_sha256", "order by received_at desc, file_sha256"),
    m("warnings_never_supersede", "supersession", SUPERSEDED, "where status in ('accepted', 'accepted_with_warnings')", "where status in ('accepted')"),
    m("lag_for_lead", "supersession", SUPERSEDED, "lead(submission_id) over", "lag(submission_id) over"),
    m(
        "rejected_is_current",
        "supersession",
        SUPERSEDED,
        "(accepted.submission_id is not null and accepted.superseded_by is null)",
        "(accepted.superseded_by is null)",
    ),
    # ---- pricing
    m("yearly_rate_as_monthly", "pricing", PRICING, 'rate = nominal * 12 / n if rate_period == "month" else nominal / n', "rate = nominal * 12 / n"),
    m("deposit_never_returned", "pricing", PRICING, "flows[-1] += deposit", "flows[-1] += 0"),
    m("tax_on_interest_ignored", "pricing", PRICING, "flows += [-(principal + interest * tax)", "flows += [-(principal + interest)"),
    m(
        "insurance_ignored",
        "pricing",
        PRICING,
        "upfront = loan * ((terms.upfront_fee_pct or 0) + (terms.insurance_pct or 0)) / 100",
        "upfront = loan * (terms.upfront_fee_pct or 0) / 100",
    ),
    m("eir_one_period_short", "pricing", PRICING, "eir_pct = 100 * ((1 + r) ** n - 1)", "eir_pct = 100 * ((1 + r) ** (n - 1) - 1)"),
    m("bullet_year_of_360_days", "pricing", PRICING, "return 365.0 / term_days", "return 360.0 / term_days"),
    m("fortnightly_24_a_year", "pricing", PRICING, '"fortnightly": 26.0', '"fortnightly": 24.0'),
    m("irr_farthest_root", "pricing", PRICING, "return min(candidates, key=abs, default=None)", "return max(candidates, key=abs, default=None)"),
    m(
        "flat_interest_halved",
        "pricing",
        PRICING,
        "schedule = [(loan / n_inst, loan * rate)] * n_inst",
        "schedule = [(loan / n_inst, loan * rate / 2)] * n_inst",
    ),
    m("nominal_annual_of_monthly_not_x12", "pricing", PRICED, '{"month": rate * 12, "year": rate}', '{"month": rate, "year": rate}'),
    # ---- flags: seeds and the SQL that applies them
    m(
        "SLOW_COMPLAINT_RESOLUTION_lt_to_gt",
        "flags",
        SEEDS + "red_flag_rules.csv",
        "complaint_resolution_30d_rate,<,0.80",
        "complaint_resolution_30d_rate,>,0.80",
    ),
    m("PAR30_HIGH_gt_to_lt", "flags", SEEDS + "red_flag_rules.csv", "investee,par30_ratio,>,0.10", "investee,par30_ratio,<,0.10"),
    m("CASELOAD_HIGH_gt_to_ge", "flags", SEEDS + "red_flag_rules.csv", "borrowers_per_loan_officer,>,450", "borrowers_per_loan_officer,>=,450"),
    m("TAPE_MISMATCH_par30_gt_to_lt", "flags", SEEDS + "red_flag_rules.csv", "tape_par30_gap,>,0.05", "tape_par30_gap,<,0.05"),
    m("NO_COMPLAINTS_borrowers_gt_to_ge", "flags", SEEDS + "red_flag_rules.csv", "active_borrowers,>,1000", "active_borrowers,>=,1000"),
    m("ESSENTIAL_eq_to_gt", "flags", SEEDS + "red_flag_rules.csv", "essential_indicator_answer,=,0", "essential_indicator_answer,>,0"),
    m("SCORE_DROP_le_to_ge", "flags", SEEDS + "red_flag_rules.csv", "overall_score_change,<=,-10", "overall_score_change,>=,-10"),
    m("CROSS_INVESTEE_gt_to_ge", "flags", SEEDS + "red_flag_rules.csv", "cross_investee_share,>,0.05", "cross_investee_share,>=,0.05"),
    m("DSTI_HIGH_threshold_0.25", "flags", SEEDS + "red_flag_rules.csv", "dsti_over_50_share,>,0.20", "dsti_over_50_share,>,0.25"),
    m("band_A_min_86", "flags", SEEDS + "rating_bands.csv", "A,85,pass", "A,86,pass"),
    m("band_C_min_49", "flags", SEEDS + "rating_bands.csv", "C,50,watch", "C,49,watch"),
    m("par30_good_0.04", "flags", SEEDS + "metric_thresholds.csv", "P2,par30_ratio,0.03,0.12", "P2,par30_ratio,0.04,0.12"),
    m("complaints_per_1000_bad_0.3", "flags", SEEDS + "metric_thresholds.csv", "P7,complaints_per_1000,2.0,0.2", "P7,complaints_per_1000,2.0,0.3"),
    m("partially_0.6", "flags", SEEDS + "cp_answer_values.csv", "Partially,0.5,0.5", "Partially,0.6,0.5"),
    m("unevidenced_yes_1", "flags", SEEDS + "cp_answer_values.csv", "Yes,1,0.5", "Yes,1,1"),
    m("CP4.2b_weight_2", "flags", SEEDS + "cp_indicators.csv", "CP4.2b,P4,false,false,1,", "CP4.2b,P4,false,false,2,"),
    m("CP6.2a_not_essential", "flags", SEEDS + "cp_indicators.csv", "CP6.2a,P6,true,false,1,", "CP6.2a,P6,false,false,1,"),
    m("min_complaints_11", "flags", SEEDS + "methodology_parameters.csv", "min_complaints_for_collection_share,10,", "min_complaints_for_collection_share,11,"),
    m("peer_group_min_2", "flags", SEEDS + "methodology_parameters.csv", "peer_group_min_investees,3,", "peer_group_min_investees,2,"),
    m("high_severity_passes", "flags", SEEDS + "red_flag_severities.csv", "high,2,watch,", "high,2,pass,"),
    m("critical_caps_at_B", "flags", SEEDS + "red_flag_severities.csv", "critical,1,fail,C,", "critical,1,fail,B,"),
    m("watch_ordered_after_pass", "flags", SEEDS + "screening_outcomes.csv", "watch,2,", "watch,4,"),
    m(
        "compare_gt_as_ge",
        "flags",
        "dbt_project/macros/compare.sql",
        "when '>' then {{ value }} > {{ threshold }}",
        "when '>' then {{ value }} >= {{ threshold }}",
    ),
    m(
        "compare_lt_as_le",
        "flags",
        "dbt_project/macros/compare.sql",
        "when '<' then {{ value }} < {{ threshold }}",
        "when '<' then {{ value }} <= {{ threshold }}",
    ),
    m(
        "blend_half_half",
        "flags",
        MODELS + "int_principles__scored.sql",
        "{{ methodology_parameter('indicator_score_weight') }} as indicator_weight",
        "0.4 as indicator_weight",
    ),
    m(
        "cap_raises_rating",
        "flags",
        MODELS + "int_investee_quarters__rated.sql",
        "when caps.cap_min_score < score_bands.min_score",
        "when caps.cap_min_score > score_bands.min_score",
    ),
    m("combine_all_as_any", "flags", MODELS + "int_red_flags__raised.sql", "= max(conditions))", "> 0)"),
    m(
        "collection_share_from_11",
        "flags",
        MODELS + "int_investee_quarters__portfolio_metrics.sql",
        "when complaints_received >= {{",
        "when complaints_received > {{",
    ),
    m(
        "dsti_limit_inclusive",
        "flags",
        MODELS + "int_investee_quarters__tape_metrics.sql",
        "max_dsti > {{ methodology_parameter('dsti_limit') }}",
        "max_dsti >= {{ methodology_parameter('dsti_limit') }}",
    ),
    m(
        "tape_par_days_inclusive",
        "flags",
        MODELS + "int_loans__assessed.sql",
        "days_past_due > {{ methodology_parameter('tape_par_days') }}",
        "days_past_due >= {{ methodology_parameter('tape_par_days') }}",
    ),
    m(
        "country_peers_need_four",
        "flags",
        MODELS + "int_products__peer_benchmarked.sql",
        ">= {{ methodology_parameter('peer_group_min_investees') }}",
        "> {{ methodology_parameter('peer_group_min_investees') }}",
    ),
    # ---- reports
    m(
        "screening_drivers_any_severity",
        "reports",
        "reports/verdict.py",
        'if raised and by_severity.get(severity) == outcome and outcome != "pass":',
        'if raised and outcome != "pass":',
    ),
    m(
        "worst_first_pass_first",
        "reports",
        "reports/verdict.py",
        'SCREENING_ORDER = {"fail": 0, "watch": 1, "pass": 2}',
        'SCREENING_ORDER = {"fail": 2, "watch": 1, "pass": 0}',
    ),
    # the "report shows the oldest quarter": each document's quarter, and the quarters written
    m("dd_report_oldest_quarter", "reports", "reports/due_diligence.py", "now = data.in_period(period)", "now = data.in_period(data.periods[0])"),
    m("dd_report_every_quarter", "reports", "reports/due_diligence.py", "now = data.in_period(period)", "now = data"),
    m("self_scorecard_oldest_quarter", "reports", "reports/self_scorecard.py", "now = data.in_period(period)", "now = data.in_period(data.periods[0])"),
    m("excel_oldest_quarter", "reports", "reports/excel.py", "now = data.in_period(period)", "now = data.in_period(data.periods[0])"),
    m(
        "portfolio_oldest_quarter",
        "reports",
        "reports/portfolio.py",
        "now, before = data.in_period(period),",
        "now, before = data.in_period(min(data.periods)),",
    ),
    m("only_oldest_quarter_written", "reports", "reports/build.py", "    periods = data.periods\n", "    periods = data.periods[:1]\n"),
    m("fmt_ignores_pattern", "reports", "reports/format.py", "    return pattern.format(value)", "    return str(value)"),
    m(
        "cap_reason_never",
        "reports",
        "reports/verdict.py",
        'if not card or card.get("rating") == card.get("uncapped_rating") or not card.get("uncapped_rating"):',
        "if True:",
    ),
]


def _seed_row_mutations(repo: Path) -> list[Mutation]:
    """Area seed_rows, generated from the seeds: every red-flag rule's comparison flipped, every rating band's
    minimum moved, every metric threshold's good and bad moved by a tenth of the line, every answer value changed.
    Run with the pin test deselected, so only the boundary cases can kill them."""
    out = []
    flips = {">": "<", "<": ">", ">=": "<", "<=": ">=", "=": ">"}
    seeds = repo / SEEDS
    for line in (seeds / "red_flag_rules.csv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split(",")
        flipped = ",".join(cells[:5] + [flips[cells[5]]] + cells[6:])
        out.append(m(f"flip:{cells[0]}:{cells[4]}:{cells[5]}->{flips[cells[5]]}", "seed_rows", SEEDS + "red_flag_rules.csv", line, flipped))
    for line in (seeds / "rating_bands.csv").read_text(encoding="utf-8").splitlines()[1:]:
        rating, minimum, *rest = line.split(",")
        if float(minimum) > 0:
            out.append(
                m(
                    f"band:{rating}:{minimum}->{float(minimum) + 1:g}",
                    "seed_rows",
                    SEEDS + "rating_bands.csv",
                    line,
                    ",".join([rating, f"{float(minimum) + 1:g}", *rest]),
                )
            )
    for line in (seeds / "metric_thresholds.csv").read_text(encoding="utf-8").splitlines()[1:]:
        principle, metric, good, bad, version = line.split(",")
        step = (float(bad) - float(good)) / 10
        moved_good = ",".join([principle, metric, f"{float(good) + step:g}", bad, version])
        moved_bad = ",".join([principle, metric, good, f"{float(bad) - step:g}", version])
        out.append(m(f"threshold:{metric}:good->{float(good) + step:g}", "seed_rows", SEEDS + "metric_thresholds.csv", line, moved_good))
        out.append(m(f"threshold:{metric}:bad->{float(bad) - step:g}", "seed_rows", SEEDS + "metric_thresholds.csv", line, moved_bad))
    for line in (seeds / "cp_answer_values.csv").read_text(encoding="utf-8").splitlines()[1:]:
        response, value, without, version = line.split(",")
        if value:
            out.append(
                m(
                    f"answer:{response}:value->{float(value) + 0.25:g}",
                    "seed_rows",
                    SEEDS + "cp_answer_values.csv",
                    line,
                    f"{response},{float(value) + 0.25:g},{without},{version}",
                )
            )
            out.append(
                m(
                    f"answer:{response}:without_evidence->{float(without) + 0.25:g}",
                    "seed_rows",
                    SEEDS + "cp_answer_values.csv",
                    line,
                    f"{response},{value},{float(without) + 0.25:g},{version}",
                )
            )
    return out


def all_mutations(repo: Path) -> list[Mutation]:
    """The hand-written mutations and those generated from `repo`'s seeds."""
    return MUTATIONS + _seed_row_mutations(repo)


def make_copy(work: Path, repo: Path = REPO) -> Path:
    copy = work / "repo"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(repo, copy, ignore=IGNORED, symlinks=True)
    for name, folder in PACKAGE_DIRS.items():
        link = copy / "smartdd" / name
        if not link.exists():
            link.symlink_to(Path("..") / folder, target_is_directory=True)
    return copy


def environment(copy: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def check_the_copy_is_what_runs(copy: Path) -> None:
    probe = (
        "import smartdd, smartdd.ingest.safety as a, smartdd.expectations.rules as b, smartdd.reports.format as c, smartdd.methodology.pricing as d, smartdd.paths as p;"
        "print('\\n'.join([a.__file__, b.__file__, c.__file__, d.__file__, str(p.DBT_PROJECT_DIR)]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=environment(copy), cwd=copy, capture_output=True, text=True, check=True).stdout.split()
    outside = [f for f in out if not Path(f).resolve().is_relative_to(copy.resolve())]
    if outside:
        sys.exit(f"the copy is not what runs: {outside} (is the package layout still smartdd/ + ingest/ expectations/ reports/?)")


def area_args(area: str, override: bool = False) -> tuple[str, ...]:
    return ("-k", " and ".join(f"not {name}" for name in TIMING_TESTS + ([] if override else AREA_K.get(area, []))))


def _exists(copy: Path, test: str) -> bool:
    return (copy / test.split("::")[0]).exists()


def pytest_command(copy: Path, tests: list[str], before: bool, deselect: list[str], stop_first: bool = True, extra: tuple[str, ...] = ()) -> list[str]:
    ignores = [f"--ignore={t}" for t in NEW_TESTS if (copy / t).exists()] if before else []
    kept = [t for t in tests if _exists(copy, t) and not (before and any(t == n or t.startswith(n.rstrip("/") + "/") for n in NEW_TESTS))]
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "-rfE",
        *(["-x"] if stop_first else []),
        *kept,
        *ignores,
        *[f"--deselect={d}" for d in deselect],
        *extra,
    ]


def run_tests(copy: Path, command: list[str], timeout: float) -> tuple[str, float, str]:
    """('passed' | 'failed' | 'no tests' | 'timeout', seconds, the first failing test)"""
    if not any(a.startswith("tests") and not a.startswith("--") for a in command):
        return "no tests", 0.0, ""
    start = time.monotonic()
    try:
        result = subprocess.run(command, cwd=copy, env=environment(copy), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, ""
    seconds = time.monotonic() - start
    failing = re.findall(r"^(?:FAILED|ERROR) (\S+)", result.stdout, re.MULTILINE)
    outcome = {0: "passed", 5: "no tests"}.get(result.returncode, "failed")
    return outcome, seconds, failing[0] if failing else ("" if outcome != "failed" else result.stdout.strip().splitlines()[-1][:80])


def baseline_failures(copy: Path, area: str, before: bool, timeout: float, tests: list[str] | None = None) -> list[str]:
    """Tests that fail on the unmutated copy: deselected in the mutants' runs."""
    command = pytest_command(copy, tests or AREAS[area], before, [], stop_first=False, extra=area_args(area, bool(tests)))
    if not any(a.startswith("tests") for a in command):
        return []
    try:
        result = subprocess.run(command, cwd=copy, env=environment(copy), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        # every mutant would time out too and count as killed: no score is better than a false one
        sys.exit(f"the unmutated tests of area {area} took over {timeout:.0f} s (a loaded machine?): raise --timeout or narrow --tests")
    return sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+?)(?: - .*)?$", result.stdout, re.MULTILINE)))


def apply(copy: Path, mutation: Mutation) -> str | None:
    """The original text of the file (to restore), or None when the mutation is stale."""
    path = copy / mutation.path
    text = path.read_text(encoding="utf-8")
    if text.count(mutation.old) != 1:
        return None
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", action="store_true", help="leave out the tests added for issue 13 (the 'before' score)")
    parser.add_argument("--area", action="append", choices=sorted(AREAS), help="only these areas (repeatable)")
    parser.add_argument("--only", action="append", help="only mutations whose id contains this text (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "smartdd-mutate", help="work folder for the copy")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the product code of the copy already in --work (refresh only tests/): compare runs on one snapshot"
    )
    parser.add_argument(
        "--repo",
        type=Path,
        default=REPO,
        help="the source to copy and mutate (default: this checkout; give a clean `git worktree add` of HEAD when others are editing it)",
    )
    parser.add_argument(
        "--tests",
        action="append",
        help="run these tests (paths or node ids, repeatable) instead of each area's, without the area's -k terms: e.g. the seed pin test alone",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the unmutated run (half the time for a spot check of one mutant; a test failing on clean code then 'kills' it)",
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per test run (a timeout counts as killed)")
    args = parser.parse_args()
    repo = args.repo.resolve()
    chosen = [x for x in all_mutations(repo) if (not args.area or x.area in args.area) and (not args.only or any(o in x.id for o in args.only))]
    if args.list:
        for x in chosen:
            print(f"{x.area:15} {x.id:40} {x.path}")
        return
    args.work.mkdir(parents=True, exist_ok=True)
    copy = args.work / "repo"
    if args.reuse and copy.exists():
        shutil.rmtree(copy / "tests")
        shutil.copytree(repo / "tests", copy / "tests", ignore=IGNORED)
    else:
        copy = make_copy(args.work, repo)
    check_the_copy_is_what_runs(copy)
    label = "before (without the issue-13 tests)" if args.before else "after (with every test)"
    label += f", tests {' '.join(args.tests)}" if args.tests else ""
    print(f"# mutation run {label}: {len(chosen)} mutations, source {repo}, copy in {copy}\n", flush=True)
    deselected: dict[str, list[str]] = {}
    results = []
    print(f"| {'area':14} | {'mutation':40} | {'outcome':8} | {'s':>5} | test that failed |")
    print(f"|{'-' * 16}|{'-' * 42}|{'-' * 10}|{'-' * 7}|{'-' * 18}|", flush=True)
    for x in chosen:
        if x.area not in deselected:
            deselected[x.area] = [] if args.no_baseline else baseline_failures(copy, x.area, args.before, args.timeout, args.tests)
            for test in deselected[x.area]:
                print(f"  (baseline failure in {x.area}, deselected: {test})", flush=True)
        original = apply(copy, x)
        if original is None:
            outcome, seconds, test = "stale", 0.0, f"text not found once in {x.path}"
        else:
            try:
                status, seconds, test = run_tests(
                    copy,
                    pytest_command(copy, args.tests or AREAS[x.area], args.before, deselected[x.area], extra=area_args(x.area, bool(args.tests))),
                    args.timeout,
                )
            finally:
                (copy / x.path).write_text(original, encoding="utf-8")
            outcome = "killed" if status in ("failed", "timeout") else "survived"
            test = test if outcome == "killed" else ""
            test = f"timeout after {seconds:.0f} s (check by hand: a slow run is not a failing test)" if status == "timeout" else test
        results.append((x, outcome))
        print(f"| {x.area:14} | {x.id:40} | {outcome:8} | {seconds:5.0f} | {test} |", flush=True)
    print()
    print(f"| {'area':14} | killed | survived | stale | score |")
    print(f"|{'-' * 16}|--------|----------|-------|-------|")
    for area in [a for a in AREAS if any(x.area == a for x, _ in results)] + ["all"]:
        outcomes = [o for x, o in results if area in ("all", x.area)]
        killed, survived, stale = (outcomes.count(k) for k in ("killed", "survived", "stale"))
        score = f"{100 * killed / (killed + survived):.0f} %" if killed + survived else "–"
        print(f"| {area:14} | {killed:6} | {survived:8} | {stale:5} | {score:>5} |")


if __name__ == "__main__":
    main()
