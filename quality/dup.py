"""Exact duplicate detection that hashes first: 64-bit row hashes find candidate rows fast, then
the (usually few) candidates are compared on their real values, so hash collisions never count.

``duplicated(frame, later_only=False)``: True for every row whose values occur more than once
(``later_only``: only the second and later occurrences). Nulls compare equal, as in polars.
"""

from __future__ import annotations

import polars as pl


def duplicated(frame: pl.DataFrame | pl.Series, *, later_only: bool = False) -> pl.Series:
    """Rows repeating another row's values exactly (every occurrence, or only later ones)."""
    df = frame.to_frame() if isinstance(frame, pl.Series) else frame
    n = df.height
    if n == 0:
        return pl.Series([], dtype=pl.Boolean)
    hashes = df.to_series().hash() if df.width == 1 else df.hash_rows()
    # hashes seen more than once: neighbours after a sort (several times cheaper than is_duplicated)
    ordered = hashes.sort()
    repeated = ordered.filter((ordered == ordered.shift(1)).fill_null(False))
    if repeated.is_empty():
        return pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    idx = hashes.is_in(repeated.implode()).arg_true()
    sub = df[idx]
    if later_only:
        key = sub.to_series() if sub.width == 1 else sub.select(pl.struct(pl.all())).to_series()
        exact = ~key.is_first_distinct()
    else:
        exact = sub.is_duplicated()
    return pl.repeat(False, n, dtype=pl.Boolean, eager=True).scatter(idx, exact)
