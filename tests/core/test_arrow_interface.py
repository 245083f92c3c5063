"""kaifang._arrow: string columns in and out of compiled code through the Arrow C data interface."""

from __future__ import annotations

import gc
import random

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from kaifang._arrow import StringColumn, formula_starts, string_buffers


def _values(seed: int, n: int = 3000) -> list[str | None]:
    r = random.Random(seed)
    alphabet = "ab=+-@\t\r 1中文字é"
    return [None if r.random() < 0.1 else "".join(r.choice(alphabet) for _ in range(r.choice([0, 1, 5, 12, 13, 40]))) for _ in range(n)]


def _columns(seed: int):
    """The same values as polars (one chunk, several chunks, a slice) and as pyarrow utf8 / large utf8."""
    values = _values(seed)
    whole = pl.Series("v", values)
    chunked = pl.concat([pl.Series("v", values[:1000]), pl.Series("v", values[1000:1001]), pl.Series("v", values[1001:])], rechunk=False)
    assert chunked.n_chunks() == 3
    sliced_values = values[700:2500]
    yield values, whole
    yield values, chunked
    yield sliced_values, whole.slice(700, 1800)
    yield values, pa.chunked_array([pa.array(values, type=pa.string())])
    yield values, pa.chunked_array([pa.array(values[:10], type=pa.large_string()), pa.array(values[10:], type=pa.large_string())])
    yield sliced_values, pa.chunked_array([pa.array(values, type=pa.large_string()).slice(700, 1800)])
    yield sliced_values, pa.chunked_array([pa.array(values, type=pa.string_view()).slice(700, 1800)])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_string_buffers_hold_every_value_and_nulls_read_as_empty(seed):
    for values, column in _columns(seed):
        offsets, data = string_buffers(column)
        assert len(offsets) == len(values) + 1 and offsets[0] == 0
        raw = data.tobytes()
        got = [raw[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(len(values))]
        assert got == [v or "" for v in values]


@pytest.mark.parametrize("seed", [4, 5])
def test_formula_starts_equal_the_regular_expression(seed):
    for values, column in _columns(seed):
        expected = pl.Series(values, dtype=pl.Utf8).str.contains(r"^[=+\-@\t\r]").fill_null(False).to_list()
        assert formula_starts(column).tolist() == expected
        assert any(expected)


def test_string_column_round_trips_and_keeps_its_buffers_alive():
    values = _values(6)
    offsets, data = string_buffers(pl.Series(values))
    valid = np.array([v is not None for v in values])
    series = pl.Series(StringColumn(offsets, data, valid))
    del offsets, data, valid  # the imported array keeps references to the NumPy buffers
    gc.collect()
    assert series.dtype == pl.String and series.to_list() == values
    assert pl.Series(StringColumn(np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint8))).len() == 0
    assert pl.Series(StringColumn(np.array([0, 0, 3]), np.frombuffer(b"abc", dtype=np.uint8))).to_list() == ["", "abc"]


def test_a_column_that_is_not_text_is_refused():
    with pytest.raises(TypeError, match="not a string column"):
        string_buffers(pl.Series([1, 2, 3]))
    with pytest.raises(TypeError, match="not a string column"):
        formula_starts(pl.Series([1.5]))
