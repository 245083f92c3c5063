"""Hash-first duplicate detection equals polars' exact answer, including on forced hash collisions."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from quality.dup import duplicated

values = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "身份证", ""])), max_size=40)


@settings(max_examples=60, deadline=None)
@given(values, values)
def test_matches_polars(xs, ys):
    n = min(len(xs), len(ys))
    df = pl.DataFrame({"x": xs[:n], "y": ys[:n]}, schema={"x": pl.Utf8, "y": pl.Utf8})
    assert duplicated(df).to_list() == df.is_duplicated().to_list()
    assert duplicated(df, later_only=True).to_list() == (~df.select(pl.struct(pl.all()).is_first_distinct()).to_series()).to_list()
    s = df["x"]
    assert duplicated(s).to_list() == s.is_duplicated().to_list()


def test_collisions_are_resolved_exactly(monkeypatch):
    s = pl.Series("x", ["a", "b", "c", "a"])
    monkeypatch.setattr(pl.Series, "hash", lambda self, *a, **k: pl.Series([7] * len(self), dtype=pl.UInt64))
    assert duplicated(s).to_list() == [True, False, False, True]
    assert duplicated(s, later_only=True).to_list() == [False, False, False, True]
