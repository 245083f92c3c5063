"""Field classification: what each column holds (header hint + content) against its declared sensitivity.

Personal data detected in a field declared ``public`` is a *blocking* finding: the flow refuses the
release (``GateBlocked``). Findings carry field, kind, count and row numbers — never values.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pipelines.privacy import detect as D
from pipelines.privacy.kinds import Finding

SAMPLE_ROWS = 20_000
"""Non-public columns whose declared method replaces every value (mask, pseudonymize, surrogate,
suppress, drop, generalize) are classified on this many rows: their output is re-scanned in full
by verification. Public columns (passed through, not scanned again), free text, kept columns and
columns without a declaration are scanned in full."""

_REPLACING = {"mask", "pseudonymize", "surrogate", "suppress", "drop", "generalize"}


def schema_fields(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Field name → field dict."""
    return {f["name"]: f for f in (schema or {}).get("fields", []) if isinstance(f, dict) and "name" in f}


def _full_scan(field: dict[str, Any] | None) -> bool:
    if field is None:
        return True
    sens = field.get("sensitivity")
    des = field.get("desensitize") or {}
    if sens in (None, "public"):
        return True
    if des.get("free_text"):
        return True
    return des.get("method") not in _REPLACING


def classify(frame: pl.DataFrame, schema: dict[str, Any] | None, *, sample_rows: int = SAMPLE_ROWS) -> list[Finding]:
    """Detect identifiers per column and compare with the declared sensitivity.

    ``declared`` is the field's sensitivity (``None`` if missing: treated as personal; columns absent
    from the schema are reported with ``declared=None`` too). ``blocking`` marks personal data in a
    field declared public.
    """
    fields = schema_fields(schema)

    def one(name: str) -> list[Finding]:
        f = fields.get(name)
        col = frame.get_column(name)
        names = "cells" if f is not None and f.get("pii") == "person_name" else "auto"
        note = None
        if not _full_scan(f) and col.len() > sample_rows:
            col = col.head(sample_rows)
            note = f"classified on the first {sample_rows} rows (the declared method replaces every value)"
        found = D.findings_from_hits(name, D.detect_series(col, header=name, names=names))
        for finding in found:
            finding.declared = f.get("sensitivity") if f else None
            finding.note = note
            finding.blocking = finding.personal and finding.declared == "public"
        return found

    columns = [n for n in frame.columns if D.scannable(frame.get_column(n))]
    return [f for fs in D.map_columns(one, columns) for f in fs]


def inferred_kind(findings: list[Finding], field: str) -> str | None:
    """The personal kind detected most often in ``field`` (None if none)."""
    best = [f for f in findings if f.field == field and f.personal]
    return max(best, key=lambda f: f.count).kind if best else None


def blocking(findings: list[Finding]) -> list[Finding]:
    """Findings that block a release (personal data in a field declared public)."""
    return [f for f in findings if f.blocking]
