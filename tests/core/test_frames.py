"""kaifang.frames.project: the named columns, as they are (no re-chunking of the table)."""

from __future__ import annotations

import polars as pl

from kaifang.frames import project


def test_project_takes_the_columns_without_aligning_the_frame():
    a = pl.concat([pl.Series("a", range(i * 10, i * 10 + 10)) for i in range(5)], rechunk=False)
    b = pl.Series("b", [str(i) for i in range(50)])
    c = pl.concat([pl.Series("c", [1.0] * 25), pl.Series("c", [2.0] * 25)], rechunk=False)
    frame = pl.DataFrame([a, b, c])
    got = project(frame, ["c", "a"])
    assert got.columns == ["c", "a"] and got.equals(frame.select("c", "a"))
    assert got.n_chunks("all") == [2, 5]  # as they were: DataFrame.select gives every column one layout
    assert frame.select("c", "a").n_chunks("all") != [2, 5]
    assert project(frame, []).shape == (0, 0)
