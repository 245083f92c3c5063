"""The compiled byte counts behind quality's fast CSV reader, against a plain reference."""

from __future__ import annotations

import random

import pytest

from quality import schema_check as S


def reference_counts(data: bytes, sep: bytes) -> tuple[int, int, tuple[int, int], bytes]:
    quotes = [i for i, b in enumerate(data) if b == 0x22]
    inside_d = inside_b = 0
    for o, c in zip(quotes[0::2], quotes[1::2]):  # in order; a last lone quote opens nothing
        inside_d += data[o + 1:c].count(sep)
        inside_b += data[o + 1:c].count(b"\n")
    return data.count(sep), data.count(b"\n"), (inside_d, inside_b), data[-1:]


@pytest.mark.parametrize("sep", [b",", b"\t", b";"])
def test_counts_from_bytes_and_from_a_file_read_in_small_blocks_equal_the_reference(tmp_path, monkeypatch, sep):
    r = random.Random(sep[0])
    monkeypatch.setattr(S, "_BLOCK", 5)  # spans and escaped quotes cross block boundaries
    for trial in range(300):
        data = bytes(r.choice(b'ab"\n\r,;\t ') for _ in range(r.randint(0, 60)))
        path = tmp_path / "f.csv"
        path.write_bytes(data)
        expected = reference_counts(data, sep)
        assert S._byte_counts(data, sep) == expected
        assert S._byte_counts(path, sep) == expected
