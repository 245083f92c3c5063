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
                      name_columns: set[str] = frozenset(), skip: set[str] = frozenset()) -> list[Finding]:
    """Personal findings left in ``output`` (every row, every column but ``skip``), minus exempted (field, kind).

    ``skip`` is for columns proven clean already: public columns passed through unchanged, whose
    input was scanned in full by classification (a personal finding there blocks the release)."""
    def one(name: str) -> list[Finding]:
        return column_findings(output.get_column(name), name, exempt={kind for field, kind in exempt if field == name},
                               names_in_cells=name in name_columns)

    columns = [n for n in output.columns if n not in skip and D.scannable(output.get_column(n))]
    return [f for fs in D.map_columns(one, columns) for f in fs]


def column_findings(column: pl.Series, name: str, *, exempt: set[str] = frozenset(),
                    names_in_cells: bool = False) -> list[Finding]:
    """Personal findings in one output column (every row), minus the ``exempt`` kinds."""
    if not D.scannable(column):
        return []
    hits = D.detect_series(column, header=name, names="cells" if names_in_cells else "auto", skip=set(exempt))
    return [f for f in D.findings_from_hits(name, hits) if f.personal]


def surviving_originals(original: pl.Series, published: pl.Series, kind: str | None) -> pl.Series:
    """Per published row: does it equal some original value of the column (canonical form)."""
    return M.in_set(M.canonical(published, kind), M.canonical(original, kind))


def originals_survive(original: pl.Series, published: pl.Series, kind: str | None) -> int:
    """How many published values equal an original value of the column (canonical form)."""
    return int(surviving_originals(original, published, kind).sum())
