"""Tests written against the mutants bench/mutate.py found surviving: each pins one limit or rule
exactly at its boundary (a limit doubled, a check dropped, a flag bit misread must fail here).

Fast (no dbt, no GX): safety limits, pseudonymisation, the coercion's plausibility bound, the
reports' screening words.
"""

from __future__ import annotations

import os
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "ingest"))

import hostile_files as hf  # noqa: E402
import messy_files as mf  # noqa: E402
from smartdd.ingest.pseudonymise import KEY_ENV, KEY_FILE_ENV, MissingKey, keyed_hash, load_key, pseudonymise  # noqa: E402
from smartdd.ingest.rejections import R_ENCRYPTED, R_ZIP_PASSWORD  # noqa: E402
from smartdd.ingest.safety import RejectedFile, SafetyLimits, check_workbook_file  # noqa: E402

from smartdd.paths import REPO_ROOT  # noqa: E402
from smartdd.pipeline.workbook import read_typed_workbook  # noqa: E402
from smartdd.spec import load_spec  # noqa: E402


def rejection(path: Path, limits: SafetyLimits) -> str | None:
    try:
        check_workbook_file(path, limits)
    except RejectedFile as rejected:
        return str(rejected)
    return None


# ---- ingest safety: every limit holds exactly at its value ----------------------------------


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return hf.valid_xlsx(tmp_path_factory.mktemp("safety"))


def _infos(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as zf:
        return zf.infolist()


def test_file_size_limit_is_exact(workbook):
    size = workbook.stat().st_size
    assert rejection(workbook, SafetyLimits(max_file_bytes=size)) is None
    assert "too large" in rejection(workbook, SafetyLimits(max_file_bytes=size - 1))


def test_unpacked_total_limit_is_exact(workbook):
    total = sum(i.file_size for i in _infos(workbook))
    assert rejection(workbook, SafetyLimits(max_uncompressed_bytes=total)) is None
    assert "unpacks to" in rejection(workbook, SafetyLimits(max_uncompressed_bytes=total - 1))


def test_one_part_limit_is_exact(workbook):
    largest = max(i.file_size for i in _infos(workbook))
    assert rejection(workbook, SafetyLimits(max_member_bytes=largest)) is None
    assert "for one part" in rejection(workbook, SafetyLimits(max_member_bytes=largest - 1))


def test_member_count_limit_is_exact(workbook):
    count = len(_infos(workbook))
    assert rejection(workbook, SafetyLimits(max_members=count)) is None
    assert "internal parts" in rejection(workbook, SafetyLimits(max_members=count - 1))


def test_dimension_limits_are_exact(tmp_path):
    sheet = hf.huge_dimension(tmp_path, "B2:E100")  # bottom row 100, rightmost column 5 (the other sheets are smaller)
    assert rejection(sheet, SafetyLimits(max_rows=100, max_columns=5)) is None
    assert "100 rows" in rejection(sheet, SafetyLimits(max_rows=99, max_columns=5))
    assert "5 columns" in rejection(sheet, SafetyLimits(max_rows=100, max_columns=4))


def test_a_part_a_few_bytes_longer_than_declared_is_a_lie_not_damage(tmp_path):
    """Ten bytes more than the index declares: caught by the byte counter, with the reason that says so
    (not only afterwards as a length mismatch, "damaged")."""
    path = hf.lying_sizes(tmp_path)
    declared = _inflated_size(path) - 10
    data = bytearray(path.read_bytes())
    entry = hf._central_entry(data, hf.SHEET1)
    struct.pack_into("<I", data, entry + 24, declared)
    local = struct.unpack_from("<I", data, entry + 42)[0]
    struct.pack_into("<I", data, local + 22, declared)
    path.write_bytes(bytes(data))
    reason = rejection(path, SafetyLimits())
    assert reason is not None and f"own index declares ({declared:,} bytes)" in reason


def _inflated_size(path: Path) -> int:
    """The real inflated size of sheet1.xml, whatever its headers claim."""
    data = path.read_bytes()
    entry = hf._central_entry(data, hf.SHEET1)
    compressed = struct.unpack_from("<I", data, entry + 20)[0]
    local = struct.unpack_from("<I", data, entry + 42)[0]
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_len + extra_len
    return len(zlib.decompress(data[start : start + compressed], -zlib.MAX_WBITS))


def test_a_zip_with_the_encryption_bit_is_refused(workbook, tmp_path):
    data = bytearray(workbook.read_bytes())
    entry = hf._central_entry(data, hf.SHEET1)
    struct.pack_into("<H", data, entry + 8, struct.unpack_from("<H", data, entry + 8)[0] | 0x1)  # central directory
    local = struct.unpack_from("<I", data, entry + 42)[0]
    struct.pack_into("<H", data, local + 6, struct.unpack_from("<H", data, local + 6)[0] | 0x1)  # local header
    path = tmp_path / "zip_password.xlsx"
    path.write_bytes(bytes(data))
    assert rejection(path, SafetyLimits()) == R_ZIP_PASSWORD


@pytest.mark.parametrize("streams", [["EncryptionInfo"], ["EncryptedPackage"]])
def test_either_encryption_stream_names_a_password_protected_workbook(streams, tmp_path):
    path = tmp_path / "protected.xlsx"
    path.write_bytes(hf._ole2(["Root Entry", *streams]))
    assert rejection(path, SafetyLimits()) == R_ENCRYPTED


# ---- coercion: the plausibility bound ------------------------------------------------------


def test_numbers_up_to_the_plausibility_bound_are_read_and_larger_ones_are_errors(tmp_path):
    limit = load_spec().plausibility.max_abs_number
    (tmp_path / "at").mkdir()
    (tmp_path / "over").mkdir()
    at = mf.value_in_portfolio(tmp_path / "at", "gross_loan_portfolio", limit)
    over = mf.value_in_portfolio(tmp_path / "over", "gross_loan_portfolio", limit * 1.5)
    sheets, issues = read_typed_workbook(at, max_rows=1000)
    assert sheets["Portfolio"].value("gross_loan_portfolio") == limit
    assert [i for i in issues if i.sheet == "Portfolio"] == []
    sheets, issues = read_typed_workbook(over, max_rows=1000)
    cell = mf.base()["Portfolio"].code_cell("gross_loan_portfolio")
    assert [(i.sheet, i.cell, i.severity) for i in issues if i.sheet == "Portfolio"] == [("Portfolio", cell, "error")]
    assert sheets["Portfolio"].value("gross_loan_portfolio") is None


# ---- pseudonymisation ------------------------------------------------------------------------

KEY = b"sixteen-byte-key"


def _tape(**columns) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(values, dtype="string") for name, values in columns.items()})


def test_names_and_phones_are_dropped_and_ids_hashed():
    sheet = load_spec().sheet("Loan_Tape")
    frame = _tape(client_id=["C1"], national_id=["4500007 LP"], client_name=["Ana Mamani"], phone=["+591 7000001"], branch=["El Alto"])
    out = pseudonymise(frame, sheet, KEY)
    assert list(out.columns) == ["client_id", "national_id", "branch"]
    assert out["client_id"][0] == keyed_hash(KEY, pd.Series(["C1"]))[0]
    assert out["branch"][0] == "El Alto"


def test_national_ids_are_normalised_before_hashing_and_client_ids_are_not():
    sheet = load_spec().sheet("Loan_Tape")
    frame = _tape(client_id=["ab-1", "AB1"], national_id=["ab-123 45", "AB12345"])
    out = pseudonymise(frame, sheet, KEY)
    assert out["national_id"][0] == out["national_id"][1] == keyed_hash(KEY, pd.Series(["AB12345"]))[0]
    assert out["client_id"][0] != out["client_id"][1]


@pytest.fixture
def no_key_in_env(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    return monkeypatch


def test_a_key_needs_16_characters(no_key_in_env):
    no_key_in_env.setenv(KEY_ENV, "x" * 15)
    with pytest.raises(MissingKey):
        load_key()
    no_key_in_env.setenv(KEY_ENV, "x" * 16)
    assert load_key() == b"x" * 16


def _key_file(path: Path, mode: int) -> Path:
    path.write_bytes(b"a-secret-of-more-than-16-characters\n")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_a_key_file_others_can_read_or_write_is_refused(no_key_in_env, tmp_path, mode):
    no_key_in_env.setenv(KEY_FILE_ENV, str(_key_file(tmp_path / "key", mode)))
    with pytest.raises(MissingKey, match="owner-only"):
        load_key()


def test_an_owner_only_key_file_is_read(no_key_in_env, tmp_path):
    no_key_in_env.setenv(KEY_FILE_ENV, str(_key_file(tmp_path / "key", 0o600)))
    assert load_key() == b"a-secret-of-more-than-16-characters"


def test_a_key_file_inside_the_home_or_the_repository_is_refused(no_key_in_env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    no_key_in_env.setenv(KEY_FILE_ENV, str(_key_file(home / "key", 0o600)))
    with pytest.raises(MissingKey, match="inside"):
        load_key(home=home)
    no_key_in_env.setenv(KEY_FILE_ENV, str(REPO_ROOT / "pyproject.toml"))  # any file of the repository: refused before it is read
    with pytest.raises(MissingKey, match="inside"):
        load_key()
