"""Verification after desensitization: re-scan the output; nothing personal may survive.

Surrogate columns hold checksum-valid fakes on purpose: findings of the surrogate's own kind there
are expected (they are compared with the originals instead: no original value may appear).
"""

from __future__ import annotations

import polars as pl

from pipelines.privacy import detect as D
from pipelines.privacy import methods as M
from pipelines.privacy.kinds import Finding


def residual_findings(output: pl.DataFrame, *, exempt: set[tuple[str, str]] = frozenset(),
                      name_columns: set[str] = frozenset()) -> list[Finding]:
    """Personal findings left in ``output`` (every row, every column), minus exempted (field, kind)."""
    out: list[Finding] = []
    for name in output.columns:
        col = output.get_column(name)
        if col.dtype in (pl.Boolean, pl.Null) or col.dtype.is_float():
            continue
        hits = D.detect_series(col, header=name, names="cells" if name in name_columns else "auto")
        for f in D.findings_from_hits(name, hits):
            if f.personal and (name, f.kind) not in exempt:
                out.append(f)
    return out


def originals_survive(original: pl.Series, published: pl.Series, kind: str | None) -> int:
    """How many published values equal an original value of the column (canonical form)."""
    a = M.canonical(original, kind).drop_nulls()
    b = M.canonical(published, kind)
    return int(b.is_in(a.implode()).fill_null(False).sum()) if a.len() and b.len() else 0
