"""One submission's data never stops the warehouse for the others.

Written straight to the raw zone (bypassing ingest, which now refuses such values) so the dbt
side of the defence is tested on its own: a data test failing on one submission's rows takes
that submission out with a reason and the rest is built; a product that cannot be priced gets a
pricing_error and a warning instead of failing the build.
"""

from __future__ import annotations

import json
import shutil

import pytest
from dbt_raw_zone import add_submission, empty_home, query
from test_dbt_scoring import COVER, PORTFOLIO, PRODUCTS

from smartdd.config import DBT_PROJECT_DIR, Settings
from smartdd.messages import render
from smartdd.pipeline import warehouse as warehouse_module
from smartdd.pipeline.warehouse import BuildFailed, build_warehouse

pytestmark = pytest.mark.slow

GOOD, BAD, NO_CODE = "a1b2c3d4e5f60718", "0f0e0d0c0b0a0908", "1122334455667788"
ONE_DAY_BULLET = {
    "lending_method": "individual",
    "product_code": "BULLET1D",
    "product_name": "1-day bullet, 90 % fee",
    "loan_amount": 100.0,
    "installments": 1,
    "repayment_frequency": "bullet",
    "term_days": 1,
    "nominal_rate_pct": 2.0,
    "rate_period": "month",
    "interest_method": "flat",
    "upfront_fee_pct": 90.0,
    "active_loans": 1,
    "outstanding_portfolio": 100.0,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    home = empty_home(tmp_path_factory.mktemp("home"))
    odd_name = {**COVER, "institution_name": 'Test \x1b[31mMicro\x01finance\x00 =HYPERLINK("x")'}  # controls, a NUL, a formula
    add_submission(home, GOOD, odd_name, PORTFOLIO, [*PRODUCTS, ONE_DAY_BULLET])
    other = {**COVER, "investee_id": "MFI-T-002", "institution_name": "Broken Numbers MFI"}
    add_submission(home, BAD, other, {**PORTFOLIO, "gross_loan_portfolio": float("inf"), "par30": float("inf")}, PRODUCTS)
    no_code = {**COVER, "investee_id": "MFI-T-003", "institution_name": "Product Without A Code MFI"}
    add_submission(home, NO_CODE, no_code, PORTFOLIO, [{**PRODUCTS[0], "product_code": None}])  # fails a not-null check
    settings = Settings.from_env(home)
    return settings, build_warehouse(settings)


def test_the_submission_whose_rows_fail_a_data_test_is_taken_out_with_a_reason(built):
    settings, result = built
    assert set(result.excluded) == {BAD, NO_CODE}
    assert "not_null_columns" in result.excluded[NO_CODE]  # one test checks all of a model's not-null columns, and names the row's submission
    submissions = query(result.build_file, "select submission_id, status, reason from marts.submissions order by submission_id").to_dict("records")
    bad = next(s for s in submissions if s["submission_id"] == BAD)
    assert bad["status"] == "rejected" and "Taken out of this quarter's warehouse" in bad["reason"]
    assert query(result.build_file, f"select count(*) as n from marts.cp_scorecard where submission_id = '{BAD}'")["n"][0] == 0


def test_the_others_are_built_and_scored(built):
    _, result = built
    card = query(result.build_file, "select * from marts.cp_scorecard").to_dict("records")
    assert [c["submission_id"] for c in card] == [GOOD]
    assert 0 <= card[0]["overall_score"] <= 100


def test_the_pipelines_build_runs_the_data_tests_and_leaves_the_unit_tests_out(built):
    """Unit tests check the models' code, not the quarter's data: test_dbt_unit_tests runs them."""
    settings, _ = built
    ran = json.loads((settings.work / "dbt_target" / "run_results.json").read_text())["results"]
    kinds = {r["unique_id"].split(".")[0] for r in ran}
    assert "test" in kinds and "model" in kinds and "unit_test" not in kinds


def test_an_unpriceable_product_gets_a_pricing_error_and_a_warning_not_a_crash(built):
    _, result = built
    priced = query(result.build_file, "select * from marts.product_pricing where product_code = 'BULLET1D'").to_dict("records")[0]
    assert priced["apr_pct"] is None or priced["apr_pct"] != priced["apr_pct"]  # null
    assert "too large to compute" in priced["pricing_error"]
    warnings = query(result.build_file, "select * from marts.validation_issues where rule = 'product_code:pricing'").to_dict("records")
    assert [w["submission_id"] for w in warnings] == [GOOD] and "BULLET1D" in warnings[0]["message"]
    # the warehouse's own warnings carry the catalogue's code and parameters like ingest's do
    params = json.loads(warnings[0]["params"])
    assert warnings[0]["code"] == "product_not_priced" and params == {"product_code": "BULLET1D", "error": priced["pricing_error"]}
    assert render("product_not_priced", params) == warnings[0]["message"]
    assert "BULLET1D" in render("product_not_priced", params, "fr") != warnings[0]["message"]
    others = query(result.build_file, "select count(*) as n from marts.product_pricing where pricing_error is null")["n"][0]
    assert others == len(PRODUCTS)


def test_a_failure_that_no_submission_explains_names_every_failing_node(tmp_path, monkeypatch):
    """A duplicated methodology row is the investor's problem: the build fails, naming the tests."""
    home = empty_home(tmp_path / "home")
    add_submission(home, GOOD, COVER, PORTFOLIO, PRODUCTS)
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    bands = project / "seeds" / "rating_bands.csv"
    lines = bands.read_text().splitlines()
    bands.write_text("\n".join([*lines, lines[1]]) + "\n")  # band A twice
    monkeypatch.setattr(warehouse_module, "DBT_PROJECT_DIR", project)
    with pytest.raises(BuildFailed) as failed:
        build_warehouse(Settings.from_env(home))
    message = str(failed.value)
    assert "node(s) failed" in message and "rating_bands" in message, message
    assert "previously published warehouse was kept" in message


def test_reports_are_written_whatever_characters_an_institution_name_holds(built, tmp_path):
    from openpyxl import load_workbook
    from smartdd.reports.build import write_reports

    _, result = built
    written = write_reports(result.build_file, tmp_path / "reports")
    assert {p.suffix for p in written} >= {".html", ".pdf", ".xlsx"}
    for path in written:
        data = path.read_bytes()
        if path.suffix == ".html":
            assert b"\x1b" not in data and b"\x01" not in data and b"\x00" not in data, path
    excel = next(p for p in written if p.suffix == ".xlsx")
    names = [c.value for row in load_workbook(excel).worksheets[0].iter_rows() for c in row if isinstance(c.value, str) and "Micro" in c.value]
    assert names and all("\x1b" not in n and "\x01" not in n for n in names)
