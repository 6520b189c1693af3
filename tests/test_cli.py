"""The `smartdd` command's contract: key handling, template and sample output."""

from __future__ import annotations

import pytest
from smartdd.ingest.pseudonymise import KEY_ENV, KEY_FILE_ENV, MissingKey, load_key

from smartdd.cli import main


def test_run_without_a_key_stops_at_once_with_a_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(KEY_ENV)
    landing = tmp_path / "in"
    landing.mkdir()
    (landing / "x.xlsx").write_bytes(b"")
    assert main(["run", "--landing", str(landing), "--home", str(tmp_path / "home")]) == 2
    err = capsys.readouterr().err
    assert "SMARTDD_HMAC_KEY" in err and "No pseudonymisation key" in err
    assert not (tmp_path / "home" / "archive").exists() or not any((tmp_path / "home" / "archive").iterdir())


def test_key_file_inside_the_home_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    key = tmp_path / "home" / "key"
    key.parent.mkdir()
    key.write_text("x" * 40)
    monkeypatch.setenv(KEY_FILE_ENV, str(key))
    with pytest.raises(MissingKey, match="outside"):
        load_key(tmp_path / "home")


def test_key_file_outside_home_and_repo_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    key = tmp_path / "secrets" / "key"
    key.parent.mkdir()
    key.write_text("k" * 40 + "\n")
    key.chmod(0o600)
    monkeypatch.setenv(KEY_FILE_ENV, str(key))
    assert load_key(tmp_path / "home") == b"k" * 40


def test_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    key = tmp_path / "secrets" / "key"
    key.parent.mkdir()
    key.write_text("k" * 40)
    for mode in (0o644, 0o640, 0o606):
        key.chmod(mode)
        monkeypatch.setenv(KEY_FILE_ENV, str(key))
        with pytest.raises(MissingKey, match="chmod 600"):
            load_key(tmp_path / "home")


def test_key_file_inside_the_repository_is_refused(monkeypatch):
    from smartdd.paths import REPO_ROOT

    monkeypatch.delenv(KEY_ENV)
    key = REPO_ROOT / ".work-test-key"
    key.write_text("k" * 40)
    key.chmod(0o600)
    try:
        monkeypatch.setenv(KEY_FILE_ENV, str(key))
        with pytest.raises(MissingKey, match="inside"):
            load_key()
    finally:
        key.unlink()


def test_short_key_is_refused(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(MissingKey, match="shorter"):
        load_key()


def test_template_and_sample_commands_write_workbooks(tmp_path, capsys):
    assert main(["template", "-o", str(tmp_path / "t.xlsx"), "--lang", "fr"]) == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    assert main(["sample", "-o", str(tmp_path / "s"), "--investees", "2", "--quarters", "1", "--loan-tape-rows", "5", "--seed", "1"]) == 0
    assert len(list((tmp_path / "s").glob("*.xlsx"))) == 2


def test_a_corrected_file_under_the_same_name_replaces_the_landed_copy(tmp_path):
    from smartdd.cli import _bring_to_landing

    source, landing = tmp_path / "upload", tmp_path / "landing"
    (source / "sub").mkdir(parents=True)
    landing.mkdir()
    (source / "MFI-A_2026Q3.xlsx").write_bytes(b"first version")
    (source / "sub" / "other.xlsx").write_bytes(b"x")
    assert _bring_to_landing(source, landing) == 2
    assert _bring_to_landing(source, landing) == 0  # unchanged: nothing copied
    (source / "MFI-A_2026Q3.xlsx").write_bytes(b"corrected version")
    assert _bring_to_landing(source, landing) == 1
    assert (landing / "MFI-A_2026Q3.xlsx").read_bytes() == b"corrected version"
    assert (landing / "sub" / "other.xlsx").exists()
