"""Computed versions: semver from a public-schema diff plus a row diff by primary key.

* MAJOR — the public schema breaks: a field removed (or renamed: removed + added), a type changed,
  or the primary key changed.
* MINOR — fields added, or new rows (new keys / periods) appear.
* PATCH — only existing rows changed (or rows were withdrawn).
Identical content (same content hash of data + public schema) makes no version at all.

The changelog carries counts, field names and a few primary keys — only when every key field is
public — never other values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

SAMPLE_KEYS = 5


@dataclass
class SchemaDiff:
    """How the public schema changed between two releases."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    type_changed: list[dict[str, str]] = field(default_factory=list)
    primary_key_changed: bool = False
    old_primary_key: list[str] = field(default_factory=list)
    new_primary_key: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return bool(self.removed or self.type_changed or self.primary_key_changed)

    @property
    def empty(self) -> bool:
        return not (self.added or self.breaking)


@dataclass
class RowDiff:
    """Row-level differences by primary key (or by whole row when there is no key)."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    changed_fields: dict[str, int] = field(default_factory=dict)
    sample_keys: dict[str, list[Any]] = field(default_factory=dict)
    by: str = "primary-key"


def canonical_json(obj: Any) -> bytes:
    """Stable JSON bytes for hashing."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def content_hash(data_sha256: str, public_schema: dict) -> str:
    """The release identity: sha256 over the data file's sha256 and the canonical public schema."""
    h = hashlib.sha256()
    h.update(data_sha256.encode())
    h.update(b"\n")
    h.update(canonical_json(public_schema))
    return h.hexdigest()


def _fields(schema: dict) -> dict[str, dict]:
    return {f["name"]: f for f in schema.get("fields", [])}


def _pk(schema: dict) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def diff_schema(old: dict | None, new: dict) -> SchemaDiff:
    """Compare two public Table Schemas by field name and type."""
    if old is None:
        return SchemaDiff(added=[f["name"] for f in new.get("fields", [])], new_primary_key=_pk(new))
    of, nf = _fields(old), _fields(new)
    d = SchemaDiff(old_primary_key=_pk(old), new_primary_key=_pk(new))
    d.added = [n for n in nf if n not in of]
    d.removed = [n for n in of if n not in nf]
    for n in nf:
        if n in of and of[n].get("type", "any") != nf[n].get("type", "any"):
            d.type_changed.append({"field": n, "from": of[n].get("type", "any"), "to": nf[n].get("type", "any")})
    d.primary_key_changed = d.old_primary_key != d.new_primary_key
    return d


def _public_key_fields(schema: dict, pk: list[str]) -> bool:
    fields = _fields(schema)
    return bool(pk) and all(fields.get(k, {}).get("sensitivity", "personal") == "public" for k in pk)


def diff_rows(old: pl.DataFrame | None, new: pl.DataFrame, *, old_schema: dict | None, new_schema: dict) -> RowDiff:
    """Row diff by primary key over the fields both releases share (compared as text)."""
    if old is None:
        return RowDiff(added=new.height, by="initial")
    pk = _pk(new_schema)
    common = [c for c in new.columns if c in old.columns]
    same_key = pk and pk == _pk(old_schema or {}) and all(k in common for k in pk)
    if not same_key:
        # no usable key: compare whole rows over common fields as a multiset
        def counts(df: pl.DataFrame) -> pl.DataFrame:
            return df.select([pl.col(c).cast(pl.Utf8) for c in common]).group_by(common).len().with_columns(pl.col("len").cast(pl.Int64))

        j = counts(old).join(counts(new), on=common, how="full", coalesce=True, nulls_equal=True).fill_null(0)
        delta = j.select((pl.col("len_right") - pl.col("len")).alias("d"))["d"]
        added = int(delta.clip(lower_bound=0).sum())
        removed = int((-delta).clip(lower_bound=0).sum())
        return RowDiff(added=added, removed=removed, unchanged=new.height - added, by="whole-row")
    values = [c for c in common if c not in pk]
    o = old.select(pk + values).with_columns([pl.col(c).cast(pl.Utf8) for c in values]).rename({c: f"{c}__old" for c in values})
    n = new.select(pk + values).with_columns([pl.col(c).cast(pl.Utf8) for c in values])
    o = o.with_columns(pl.lit(True).alias("__in_old"))
    n = n.with_columns(pl.lit(True).alias("__in_new"))
    j = o.join(n, on=pk, how="full", coalesce=True, nulls_equal=True)
    in_old, in_new = pl.col("__in_old").fill_null(False), pl.col("__in_new").fill_null(False)
    both = j.filter(in_old & in_new)
    flags = both.select([pl.col(c).ne_missing(pl.col(f"{c}__old")).alias(c) for c in values]) if values else pl.DataFrame()
    any_changed = flags.select(pl.any_horizontal(pl.all())).to_series() if values else pl.Series([False] * both.height)
    changed_fields = {c: int(flags[c].sum()) for c in values if int(flags[c].sum())} if values else {}
    rd = RowDiff(
        added=int(j.filter(in_new & ~in_old).height),
        removed=int(j.filter(in_old & ~in_new).height),
        changed=int(any_changed.sum()),
        changed_fields=changed_fields,
    )
    rd.unchanged = both.height - rd.changed
    if _public_key_fields(new_schema, pk):
        def keys(df: pl.DataFrame) -> list[Any]:
            rows = df.select(pk).head(SAMPLE_KEYS).rows()
            return [r[0] if len(pk) == 1 else list(r) for r in rows]

        rd.sample_keys = {
            "added": keys(j.filter(in_new & ~in_old)),
            "removed": keys(j.filter(in_old & ~in_new)),
            "changed": keys(both.filter(any_changed)) if rd.changed else [],
        }
    return rd


def bump(previous: str | None, sd: SchemaDiff, rd: RowDiff) -> tuple[str, str]:
    """Next version and its level ('initial', 'major', 'minor', 'patch')."""
    if previous is None:
        return "1.0.0", "initial"
    major, minor, patch = (int(x) for x in previous.split("."))
    if sd.breaking:
        return f"{major + 1}.0.0", "major"
    if sd.added or rd.added:
        return f"{major}.{minor + 1}.0", "minor"
    return f"{major}.{minor}.{patch + 1}", "patch"


def next_free(version: str, level: str, taken: set[str] | frozenset[str]) -> str:
    """Bump ``version`` at its level until it is not in ``taken`` (retracted versions stay taken)."""
    while version in taken:
        a, b, c = version_key(version)
        version = f"{a + 1}.0.0" if level in ("major", "initial") else f"{a}.{b + 1}.0" if level == "minor" else f"{a}.{b}.{c + 1}"
    return version


def version_key(v: str) -> tuple[int, int, int]:
    """Sort key for semver strings."""
    a, b, c = (int(x) for x in v.split("."))
    return a, b, c


def changelog(version: str, level: str, previous: str | None, sd: SchemaDiff, rd: RowDiff, *, released_at: str, rows: int) -> dict:
    """The changelog as JSON (also rendered to Markdown)."""
    parts = []
    if level == "initial":
        parts.append(f"first release, {rows} rows, {len(sd.added)} fields")
    else:
        if sd.removed:
            parts.append("fields removed: " + ", ".join(sd.removed))
        if sd.type_changed:
            parts.append("types changed: " + ", ".join(f"{t['field']} {t['from']}→{t['to']}" for t in sd.type_changed))
        if sd.primary_key_changed:
            parts.append(f"primary key {sd.old_primary_key}→{sd.new_primary_key}")
        if sd.added:
            parts.append("fields added: " + ", ".join(sd.added))
        if rd.added or rd.removed or rd.changed:
            parts.append(f"rows +{rd.added} -{rd.removed} ~{rd.changed}")
    return {
        "version": version,
        "previous": previous,
        "level": level,
        "released_at": released_at,
        "summary": "; ".join(parts) or "no data changes",
        "schema": asdict(sd),
        "rows": asdict(rd) | {"total": rows},
    }


def changelog_markdown(cl: dict, title: str) -> str:
    """Render the changelog JSON to Markdown."""
    s, r = cl["schema"], cl["rows"]
    lines = [f"# {title} — {cl['version']}", "", f"- Released: {cl['released_at']}", f"- Level: {cl['level']}", f"- Previous: {cl['previous'] or '—'}", f"- Summary: {cl['summary']}", "", "## Schema", ""]
    lines += [f"- Added fields: {', '.join(s['added']) or '—'}", f"- Removed fields: {', '.join(s['removed']) or '—'}"]
    lines += [f"- Type changes: {', '.join(t['field'] + ' ' + t['from'] + '→' + t['to'] for t in s['type_changed']) or '—'}"]
    lines += [f"- Primary key changed: {'yes' if s['primary_key_changed'] else 'no'}", "", "## Rows", ""]
    lines += [f"- Total: {r['total']}", f"- Added: {r['added']}", f"- Removed: {r['removed']}", f"- Changed: {r['changed']}"]
    if r["changed_fields"]:
        lines.append("- Changed fields: " + ", ".join(f"{k} ({v})" for k, v in r["changed_fields"].items()))
    for kind, keys in (r.get("sample_keys") or {}).items():
        if keys:
            lines.append(f"- Sample {kind} keys: " + ", ".join(str(k) for k in keys))
    return "\n".join(lines) + "\n"
