"""Statistical disclosure control: small-count suppression with secondary suppression (aggregates) and
k-anonymity by generalization then local suppression (microdata).

Aggregate tables: every count in ``1..threshold-1`` is suppressed (published as null); then
secondary suppression makes sure no suppressed cell can be recomputed from the margins (row,
column and grand totals are assumed public): in one dimension at least two suppressed cells per
table, in two dimensions no suppressed cell may be a *bridge* of the bipartite row/column graph of
suppressed cells (a bridge is exactly a cell the margin equations determine). Secondary cells are
the smallest non-zero counts available, so the hidden values keep a range of feasible solutions.
Against the previous release (differencing), a cell whose published value would differ from the
previously published value by ``1..threshold-1`` is suppressed too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from kaifang.errors import ConfigError


class DisclosureSettings(BaseModel):
    """The descriptor's ``disclosure`` block: what statistical disclosure control a release gets."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["none", "aggregate", "microdata"] = Field("none", description="Table type: aggregate counts, record-level microdata, or none.")
    threshold: int = Field(10, ge=2, le=1000, description="Aggregates: counts 1..threshold-1 are suppressed (ONS rule: 10).")
    dimensions: list[str] = Field(default_factory=list, description="Aggregates: the columns that classify a cell (1–3 usual).")
    counts: list[str] = Field(default_factory=list, description="Aggregates: the count columns to protect.")
    round_to: int | None = Field(None, ge=1, description="Aggregates: optionally round published counts to this base (ONS 10-5: 5).")
    k: int = Field(5, ge=2, le=1000, description="Microdata: every quasi-identifier combination is shared by at least k records.")
    quasi_identifiers: list[str] | None = Field(None, description="Microdata: override the schema's quasi-identifier fields.")
    max_suppressed_share: float = Field(0.05, ge=0, le=1, description="Microdata: generalize further until at most this share of records needs local suppression.")

    @classmethod
    def parse(cls, value: Any) -> "DisclosureSettings":
        """Accept None, ``"none"``, a dict, or a model instance (e.g. the descriptor's mirror of it)."""
        if value is None or value == "none":
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if not isinstance(value, dict):
            raise ConfigError("disclosure must be an object or \"none\"", key="disclosure",
                              fix="write {kind: aggregate, threshold: 10, dimensions: [...], counts: [...]} or {kind: microdata, k: 5}")
        try:
            return cls.model_validate(value)
        except Exception as exc:  # pydantic ValidationError → one clear line
            first = exc.errors()[0] if hasattr(exc, "errors") else {"loc": (), "msg": str(exc)}
            raise ConfigError(f"invalid disclosure settings: {first['msg']}", key="disclosure." + ".".join(map(str, first["loc"])),
                              fix="see docs/privacy.md, section Disclosure control") from None


# ---------------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------------


def _bridges(edges: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Bridges of the bipartite graph rows↔columns whose edges are the suppressed cells, in the order
    the search meets them (``edges`` is a list: the result must not depend on a set's order)."""
    adj: dict[Any, list[tuple[Any, int]]] = defaultdict(list)
    for i, (r, c) in enumerate(edges):
        adj[("r", r)].append((("c", c), i))
        adj[("c", c)].append((("r", r), i))
    disc: dict[Any, int] = {}
    low: dict[Any, int] = {}
    out: list[tuple[Any, Any]] = []
    t = 0
    for root in list(adj):
        if root in disc:
            continue
        stack = [(root, -1, iter(adj[root]))]
        disc[root] = low[root] = t
        t += 1
        while stack:
            node, pedge, it = stack[-1]
            advanced = False
            for nxt, ei in it:
                if ei == pedge:
                    continue
                if nxt in disc:
                    low[node] = min(low[node], disc[nxt])
                else:
                    disc[nxt] = low[nxt] = t
                    t += 1
                    stack.append((nxt, ei, iter(adj[nxt])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        out.append(edges[pedge])
    return out


def _secondary_2d(cells: dict[tuple[Any, Any], int], hidden: set[tuple[Any, Any]]) -> set[tuple[Any, Any]]:
    """Add cells to ``hidden`` until no hidden cell is a bridge (recoverable from row/column totals)."""
    hidden = set(hidden)
    rows: dict[Any, list[Any]] = defaultdict(list)
    cols: dict[Any, list[Any]] = defaultdict(list)
    for r, c in cells:
        rows[r].append(c)
        cols[c].append(r)

    def cost(cell: tuple[Any, Any]) -> tuple[int, int]:
        if cell in hidden:
            return (0, 0)
        v = cells[cell]
        return (1 if v == 0 else 0, v)  # prefer non-zero, then small

    for _ in range(10 * len(cells) + 10):
        # in the table's order: a set's iteration order changes with Python's per-process string hash
        # seed, and which bridge is closed first decides which cells are suppressed
        bridges = _bridges([cell for cell in cells if cell in hidden] + sorted((x for x in hidden if x not in cells), key=repr))
        if not bridges:
            return hidden
        r, c = bridges[0]
        best = None
        for c2 in rows[r]:
            if c2 == c:
                continue
            for r2 in cols[c]:
                if r2 == r or (r2, c2) not in cells:
                    continue
                quad = [(r, c2), (r2, c), (r2, c2)]
                score = tuple(map(sum, zip(*(cost(q) for q in quad))))
                if best is None or score < best[0]:
                    best = (score, quad)
        if best is None:  # no rectangle available: hide the whole row and column of the bridge
            hidden.update((r, x) for x in rows[r])
            hidden.update((x, c) for x in cols[c])
        else:
            hidden.update(best[1])
    return hidden


def _secondary_1d(cells: dict[Any, int], hidden: set[Any]) -> set[Any]:
    hidden = set(hidden)
    if len(hidden) == 1 and len(cells) > 1:
        rest = sorted((k for k in cells if k not in hidden), key=lambda k: (cells[k] == 0, cells[k]))
        hidden.add(rest[0])
    return hidden


def suppress_aggregate(frame: pl.DataFrame, settings: DisclosureSettings, previous: pl.DataFrame | None = None
                       ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Primary, differencing and secondary suppression of ``settings.counts`` over ``settings.dimensions``.
    Suppressed cells become null. Returns the frame and per-column statistics (cell counts only)."""
    dims, counts, thr = settings.dimensions, settings.counts, settings.threshold
    missing = [c for c in dims + counts if c not in frame.columns]
    if missing or not counts or not dims:
        raise ConfigError("aggregate disclosure needs existing dimension and count columns", key="disclosure",
                          missing=",".join(missing) or None, fix="list the table's dimension columns and count columns")
    if frame.select(dims).is_duplicated().any():
        raise ConfigError("aggregate table has several rows for one combination of dimensions", key="disclosure.dimensions",
                          fix="list every classifying column in `dimensions` (each cell must be one row)")
    out = frame.clone()
    stats: dict[str, Any] = {"threshold": thr, "columns": {}}
    keys = [tuple(r) for r in frame.select(dims).iter_rows()]
    for col in counts:
        vals = frame.get_column(col).cast(pl.Int64, strict=False)
        if vals.null_count() > frame.get_column(col).null_count():
            raise ConfigError("count column holds non-integer values", field=col, key="disclosure.counts",
                              fix="aggregate tables must hold integer counts")
        v = vals.to_list()
        primary = {i for i, x in enumerate(v) if x is not None and 1 <= x < thr}
        diff: set[int] = set()
        if previous is not None and col in previous.columns and all(d in previous.columns for d in dims):
            prev = {tuple(r[:-1]): r[-1] for r in previous.select(dims + [col]).iter_rows()}
            for i, key in enumerate(keys):
                p = prev.get(key)
                x = v[i]
                if x is not None and settings.round_to:  # compare what users see: published (rounded) values
                    x = (int(x) + settings.round_to // 2) // settings.round_to * settings.round_to
                if i not in primary and p is not None and x is not None and 0 < abs(int(x) - int(p)) < thr:
                    diff.add(i)
        hidden_idx = primary | diff
        if len(dims) == 1:
            cells = {i: (v[i] or 0) for i in range(len(v))}
            hidden_idx = _secondary_1d(cells, hidden_idx)
        else:
            # every dimension against the combination of the others (exact for two dimensions)
            changed = True
            while changed:
                changed = False
                for j in range(len(dims)):
                    cells = {(k[j], k[:j] + k[j + 1:]): (v[i] or 0) for i, k in enumerate(keys)}
                    index = {(k[j], k[:j] + k[j + 1:]): i for i, k in enumerate(keys)}
                    hid = {(keys[i][j], keys[i][:j] + keys[i][j + 1:]) for i in hidden_idx}
                    new = {index[c] for c in _secondary_2d(cells, hid)}
                    if new - hidden_idx:
                        hidden_idx |= new
                        changed = True
        mask = pl.Series([i in hidden_idx for i in range(len(v))])
        published = pl.select(pl.when(pl.lit(mask)).then(None).otherwise(pl.lit(vals))).to_series()
        if settings.round_to:
            b = settings.round_to
            published = pl.select(((pl.lit(published) + b // 2) // b * b)).to_series()
        out = out.with_columns(published.alias(col))
        stats["columns"][col] = {"primary": len(primary), "differencing": len(diff),
                                 "secondary": len(hidden_idx) - len(primary) - len(diff), "suppressed": len(hidden_idx)}
    stats["cells_suppressed"] = sum(c["suppressed"] for c in stats["columns"].values())
    return out, stats


# ---------------------------------------------------------------------------------------------
# Microdata: k-anonymity
# ---------------------------------------------------------------------------------------------


def next_level(series: pl.Series) -> tuple[pl.Series, str] | None:
    """One step up a value's generalization hierarchy (global recoding), or None at the top.
    Dates → month → year → decade; age bands widen ×2; 12/9-digit street codes → district; 6-digit
    region codes → city → province."""
    s = series.cast(pl.Utf8)
    nn = s.drop_nulls()
    if nn.len() == 0:
        return None

    def share(pattern: str) -> float:
        return float(nn.str.contains(pattern).mean() or 0.0)

    f = s.to_frame("s")
    c = pl.col("s")
    if share(r"^\d{4}-\d{2}-\d{2}") > 0.9:
        return f.select(c.str.slice(0, 7)).to_series(), "month"
    if share(r"^\d{4}-\d{2}$") > 0.9:
        return f.select(c.str.slice(0, 4)).to_series(), "year"
    if share(r"^(?:19|20)\d{2}$") > 0.9:
        return f.select(pl.concat_str([c.str.slice(0, 3), pl.lit("0s")])).to_series(), "decade"
    if share(r"^\d+-\d+$") > 0.9:
        lo = c.str.extract(r"^(\d+)-", 1).cast(pl.Int64)
        hi = c.str.extract(r"-(\d+)$", 1).cast(pl.Int64)
        width = int(f.select((hi - lo + 1).max()).item() or 1) * 2
        if width > 200:
            return None
        nlo = lo // width * width
        return f.select(pl.concat_str([nlo.cast(pl.Utf8), pl.lit("-"), (nlo + width - 1).cast(pl.Utf8)])).to_series(), f"band{width}"
    if share(r"^\d{12}$|^\d{9}$") > 0.9:
        return f.select(c.str.slice(0, 6)).to_series(), "district"
    if share(r"^\d{6}$") > 0.9:
        if not nn.str.ends_with("00").all():
            return f.select(c.str.slice(0, 4) + "00").to_series(), "city"
        if not nn.str.ends_with("0000").all():
            return f.select(c.str.slice(0, 2) + "0000").to_series(), "province"
    return None


def k_anonymize(frame: pl.DataFrame, qis: list[str], k: int = 5, max_suppressed_share: float = 0.05
                ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``k_anonymize_rows`` without the mask of removed rows."""
    out, stats, _ = k_anonymize_rows(frame, qis, k, max_suppressed_share)
    return out, stats


def k_anonymize_rows(frame: pl.DataFrame, qis: list[str], k: int = 5, max_suppressed_share: float = 0.05
                     ) -> tuple[pl.DataFrame, dict[str, Any], pl.Series | None]:
    """Generalize quasi-identifiers (most distinct values first) until at most ``max_suppressed_share`` of
    records sit in classes smaller than k, then suppress those records' quasi-identifiers (null); if the
    suppressed records themselves form a class smaller than k, they are removed. Returns stats with the
    achieved k and the records touched, and the mask of the input rows removed (None when none were)."""
    missing = [q for q in qis if q not in frame.columns]
    if missing:
        raise ConfigError("quasi-identifier columns missing from the table", key="disclosure.quasi_identifiers",
                          missing=",".join(missing), fix="tag existing fields quasi-identifier or fix the list")
    stats: dict[str, Any] = {"k": k, "quasi_identifiers": list(qis), "generalized": [], "records_suppressed": 0,
                             "records_removed": 0, "k_achieved": None}
    if not qis or frame.height == 0:
        stats["k_achieved"] = frame.height or None
        return frame, stats, None
    # the work is on the quasi-identifier columns alone: an operation on the whole frame would first
    # give every column the same chunks (a copy of the table when the columns came from different
    # methods); the other columns are put back untouched at the end
    out = pl.DataFrame([frame.get_column(q).cast(pl.Utf8) for q in qis]).rechunk()  # three small columns
    exhausted: set[str] = set()

    def sizes() -> pl.Series:  # per record, the size of its quasi-identifier class
        return out.select(pl.len().over(qis)).to_series()

    while True:
        size = sizes()  # of the current ``out``: reused below once the loop ends
        bad = size < k
        if float(bad.mean() or 0.0) <= max_suppressed_share:
            break
        cands = [q for q in qis if q not in exhausted]
        if not cands:
            break
        q = max(cands, key=lambda x: out.get_column(x).n_unique())
        step = next_level(out.get_column(q))
        if step is None:
            exhausted.add(q)
            continue
        new, level = step
        out = out.with_columns(new.alias(q))
        stats["generalized"].append({"field": q, "to": level})
    n_bad = int(bad.sum())
    removed = None
    if n_bad:
        out = out.with_columns([pl.when(pl.lit(bad)).then(None).otherwise(pl.col(q)).alias(q) for q in qis])
        stats["records_suppressed"] = n_bad
        size = sizes()
        still = size < k
        if still.any():
            stats["records_removed"] = int(still.sum())
            removed = still
            size = size.filter(~still)
    stats["k_achieved"] = int(size.min()) if size.len() else None  # the smallest class of the table as released
    stats["records_touched"] = stats["records_suppressed"]
    cols = [out.get_column(name) if name in qis else frame.get_column(name) for name in frame.columns]
    if removed is not None:
        cols = [c.filter(~removed) for c in cols]
    out = pl.DataFrame(cols)
    return out, stats, removed
