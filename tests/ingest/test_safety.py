"""Tests for ingest.safety: every hostile file is refused with a plain reason; isolation holds."""

from __future__ import annotations

import base64
import os
import pickle
import random
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import hostile_files as hf  # noqa: E402
from smartdd.ingest.isolation import run_isolated  # noqa: E402
from smartdd.ingest.safety import RejectedFile, SafetyLimits, check_workbook_file  # noqa: E402


def rejection(path: Path, limits: SafetyLimits | None = None) -> str:
    with pytest.raises(RejectedFile) as info:
        check_workbook_file(path, limits or SafetyLimits())
    assert info.value.reason == str(info.value)
    return info.value.reason


# ------------------------------------------------------------------ check_workbook_file


def test_valid_workbook_passes(tmp_path):
    check_workbook_file(hf.valid_xlsx(tmp_path))
    check_workbook_file(str(hf.valid_xlsx(tmp_path)))  # str paths too


@pytest.mark.parametrize(
    ("builder", "keywords"),
    [
        (hf.empty, ["empty", "0 bytes"]),
        (hf.not_a_zip, ["not an Excel workbook"]),
        (hf.csv_renamed, ["This is a text/CSV file, not an Excel workbook", "Save As"]),
        (hf.html_renamed, ["web page (HTML)", "Save As"]),
        (hf.pdf_renamed, ["PDF"]),
        (hf.legacy_xls, ["old-format Excel file (.xls", "Excel Workbook (.xlsx)"]),
        (hf.encrypted_xlsx, ["password-protected", "File > Info > Protect Workbook"]),
        (hf.truncated_zip, ["damaged or incomplete"]),
        (hf.bad_crc, ["damaged or incomplete"]),
        (hf.docx_renamed, ["Word document"]),
        (hf.ods_renamed, ["OpenDocument"]),
        (hf.xlsb_renamed, ["Excel Binary Workbook"]),
        (hf.plain_zip, ["zip archive, not an Excel workbook"]),
        (hf.zip_bomb_sheet, ['The sheet "Cover"', "times its packed size", "zip bomb"]),
        (hf.lying_sizes, ['The sheet "Cover"', "more data than the file's own index declares"]),
        (hf.entity_bomb, ["XML entity definitions, which Excel never writes"]),
        (hf.huge_dimension, ['Sheet "Cover"', "1,048,576 rows", "A1:XFD1048576", "delete them"]),
        (hf.too_many_members, ["10,0", "internal parts"]),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_hostile_file_is_rejected(tmp_path, builder, keywords):
    reason = rejection(builder(tmp_path))
    for keyword in keywords:
        assert keyword in reason
    assert reason.endswith(".")


def test_entity_declaration_after_padding_is_found(tmp_path):
    assert "XML entity definitions" in rejection(hf.entity_bomb(tmp_path, padding=200_000))


def test_zip_bomb_declared_total_and_member_limits(tmp_path):
    bomb = hf.zip_bomb_sheet(tmp_path, inflated_bytes=8 * 2**20)
    assert "unpacks to 8.0 MB of data, more than the 4.0 MB" in rejection(bomb, SafetyLimits(max_uncompressed_bytes=4 * 2**20))
    assert 'The sheet "Cover" unpacks to 8.0 MB, more than the 2.0 MB we accept for one part' in rejection(bomb, SafetyLimits(max_member_bytes=2 * 2**20))


def test_lying_size_is_caught_while_streaming_not_after(tmp_path, monkeypatch):
    # Declared 1000 bytes, real ~5 MB: the counter must stop at the first chunk past 1000.
    # Counted in bytes inflated, not in seconds: a busy machine must not decide this test.
    from smartdd.ingest import safety

    inflated: list[int] = []
    real = safety._decompress

    def counting(chunks, method):
        for out in real(chunks, method):
            inflated.append(len(out))
            yield out

    monkeypatch.setattr(safety, "_decompress", counting)
    assert "own index declares (1,000 bytes)" in rejection(hf.lying_sizes(tmp_path))
    assert sum(inflated) < 2 * 2**20  # the other parts and one 1 MiB chunk of the lying one, not its ~5 MB


@pytest.mark.parametrize(
    ("ref", "keywords"),
    [
        ("A1:C5000000", ["5,000,000 rows", "below your data"]),
        ("A1:ZZ10", ["702 columns", "right of your data"]),
        ("$A$1:$XFD$20", ["16,384 columns"]),
    ],
)
def test_absurd_dimensions_are_rejected(tmp_path, ref, keywords):
    reason = rejection(hf.huge_dimension(tmp_path, ref))
    for keyword in keywords:
        assert keyword in reason


@pytest.mark.parametrize("ref", ["A1", "A1:GR1000000", "B2:D10"])
def test_reasonable_dimensions_pass(tmp_path, ref):
    check_workbook_file(hf.huge_dimension(tmp_path, ref))  # GR = column 200


def test_file_size_and_member_count_limits(tmp_path):
    valid = hf.valid_xlsx(tmp_path)
    assert "too large" in rejection(valid, SafetyLimits(max_file_bytes=1000))
    assert "internal parts" in rejection(valid, SafetyLimits(max_members=5))


def test_rejected_file_survives_pickling():
    error = pickle.loads(pickle.dumps(RejectedFile("why")))
    assert isinstance(error, RejectedFile) and error.reason == "why"


# ------------------------------------------------------------------ run_isolated
# Workers must be module-level functions: the child imports them from this module.


def add(a, b, *, scale=1):
    return (a + b) * scale


def fail_with_value_error():
    raise ValueError("bad cell B7")


def sleep_forever():
    time.sleep(60)


def abort():
    os.abort()


def allocate(n_bytes):
    return len(bytearray(n_bytes))


def exit_the_interpreter():
    sys.exit(3)


class Unpicklable(Exception):
    def __init__(self, a, b):  # pickle re-creates exceptions as cls(*args): this one cannot be
        super().__init__(f"{a}/{b}")


def fail_unpicklably():
    raise Unpicklable(1, 2)


def test_run_isolated_returns_the_value():
    assert run_isolated(add, 2, 3, scale=10) == 50


def test_run_isolated_reraises_the_child_exception():
    with pytest.raises(ValueError, match="bad cell B7") as info:
        run_isolated(fail_with_value_error)
    assert any("fail_with_value_error" in note for note in info.value.__notes__)


def test_run_isolated_reraises_rejected_file(tmp_path):
    with pytest.raises(RejectedFile, match="password-protected"):
        run_isolated(check_workbook_file, hf.encrypted_xlsx(tmp_path))


def test_run_isolated_timeout_becomes_rejected_file():
    started = time.perf_counter()
    with pytest.raises(RejectedFile, match=r"took longer than 1 seconds"):
        run_isolated(sleep_forever, timeout_s=1)
    assert time.perf_counter() - started < 30  # killed at its 1 s timeout, long before its 60 s sleep ends (generous: a busy machine)


def test_run_isolated_abort_becomes_rejected_file():
    with pytest.raises(RejectedFile) as info:
        run_isolated(abort)
    assert "needed more memory than the limit" in info.value.reason
    assert "aborted itself" in info.value.reason and "SIGABRT" in info.value.reason


def test_run_isolated_memory_limit_becomes_rejected_file():
    with pytest.raises(RejectedFile, match=r"needed more memory than the limit of 512 MB"):
        run_isolated(allocate, 2 * 2**30, memory_bytes=512 * 2**20)
    assert run_isolated(allocate, 50 * 2**20, memory_bytes=512 * 2**20) == 50 * 2**20


def test_run_isolated_does_not_let_the_child_exit_the_parent():
    with pytest.raises(RuntimeError, match="SystemExit: 3"):
        run_isolated(exit_the_interpreter)


def test_run_isolated_unpicklable_exception_becomes_runtime_error():
    with pytest.raises(RuntimeError, match="Unpicklable: 1/2"):
        run_isolated(fail_unpicklably)


def test_run_isolated_rejects_unpicklable_function_in_the_parent():
    with pytest.raises((pickle.PicklingError, AttributeError)):
        run_isolated(lambda: 1)


@pytest.mark.parametrize("split", [1, 4, 8])
def test_entity_declaration_across_an_inflate_chunk_boundary_is_found(tmp_path, split):
    """The scan inflates 1 MiB at a time: a '<!DOCTYPE' cut in two by a chunk boundary must still be seen."""
    prolog = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!--'
    filler = base64.b64encode(random.Random(split).randbytes(2**20))  # incompressible: no zip-bomb ratio
    start = 2**20 - split  # where the DOCTYPE begins in the inflated member
    comment = filler[: start - len(prolog) - len(b"-->")]
    sheet = (
        prolog
        + comment
        + b"-->"
        + b'<!DOCTYPE worksheet SYSTEM "http://example.invalid/x.dtd"><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    )
    assert sheet.index(b"<!DOCTYPE") == start
    path = hf._copy_xlsx(hf.valid_xlsx(tmp_path, "base.xlsx"), tmp_path / "straddling.xlsx", replace={hf.SHEET1: sheet})
    assert "XML entity definitions" in rejection(path)
