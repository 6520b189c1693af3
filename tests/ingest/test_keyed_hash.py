"""keyed_hash is HMAC-SHA256 of str(value), whatever the key length and the text."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from smartdd.ingest.pseudonymise import keyed_hash

VALUES = ["000123", "AB12345", "", "é€𝄞 ñ", "x" * 200, "12345", None]


@pytest.mark.parametrize("key", [b"sixteen-byte-key", b"k" * 64, b"a-key-longer-than-one-sha256-block-" * 3], ids=["short", "block", "long"])
def test_keyed_hash_is_hmac_sha256(key):
    values = pd.Series(VALUES, dtype="string", index=range(10, 17))
    expected = [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in VALUES]
    got = keyed_hash(key, values)
    assert got.dtype == "string" and got.index.equals(values.index)
    assert [None if v is pd.NA else v for v in got] == expected


def test_keyed_hash_of_non_text_values_hashes_their_str():
    key = b"sixteen-byte-key"
    got = keyed_hash(key, pd.Series([12, 1.5, None], dtype=object))
    assert got.tolist()[:2] == [hmac.new(key, s.encode(), hashlib.sha256).hexdigest() for s in ("12", "1.5")]
    assert got.isna().tolist() == [False, False, True]
