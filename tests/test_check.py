"""`smartdd check`: the pipeline's verdict on a workbook, without a key and without storing anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from smartdd.cli import main
from smartdd.sample import write_samples


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> tuple[list[Path], list[Path]]:
    root = tmp_path_factory.mktemp("samples")
    return write_samples(root / "bad", investees=3, quarters=1, loan_tape_rows=20, defects=True), write_samples(
        root / "good", investees=1, quarters=1, loan_tape_rows=20, defects=False
    )


def test_check_rejects_the_planted_defect_and_names_the_cell(samples, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SMARTDD_HMAC_KEY", raising=False)
    monkeypatch.delenv("SMARTDD_HMAC_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    bad, _ = samples
    codes = {path: main(["check", str(path), "-o", str(tmp_path / "out")]) for path in bad}
    out = capsys.readouterr().out
    assert 1 in codes.values()
    assert "[error]" in out and "Portfolio!" in out  # PAR90 above PAR30: a Portfolio cell
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{p.stem}_feedback.xlsx" for p in bad)
    assert list(tmp_path.iterdir()) == [tmp_path / "out"]  # nothing but the feedback


def test_check_accepts_a_valid_workbook_without_a_key(samples, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SMARTDD_HMAC_KEY", raising=False)
    monkeypatch.delenv("SMARTDD_HMAC_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    _, good = samples
    assert main(["check", str(good[0]), "--lang", "fr"]) == 0
    feedback = tmp_path / f"{good[0].stem}_feedback.xlsx"
    assert "accepté" in load_workbook(feedback)["Summary"]["B3"].value


def test_check_rejects_a_file_that_is_not_a_workbook(tmp_path, capsys):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("name,phone\n")
    assert main(["check", str(fake), "-o", str(tmp_path / "out")]) == 1
    assert "[error]" in capsys.readouterr().out
