"""The quality gate: schema check + expectation suite + score → pass, or block with quarantine.

``run_quality(dataset, table, *, extracted_at=None, quarantine_dir=None) -> QualityResult``

* errors (schema problems, failed expectations without ``meta.severity: warning``) block:
  the report (JSON + HTML) and a raw snapshot of the table as received are written to
  ``<quarantine_dir>/<dataset id>/<run id>/`` and ``GateBlocked`` is raised with a short summary
  of the worst problems (kinds, fields and counts — never values);
* failed ``warning`` expectations pass with notes in ``report["warnings"]``.

``dataset`` is duck-typed: ``id``, ``schema``, ``suite``, ``descriptor.update_frequency``
(optional ``problems``: fail-closed notes from loading the schema, reported as warnings).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from kaifang.errors import GateBlocked
from kaifang.problems import Problem
from kaifang.settings import Settings
from quality.expectations import ExpectationResult, run_suite
from quality.report import build_report, render_html
from quality.schema_check import SchemaOutcome, check_table
from quality.score import Score, as_datetime, score


@dataclass
class QualityResult:
    """What the gate hands downstream."""

    frame: pl.DataFrame
    report: dict[str, Any]
    html: str
    score: float
    dimensions: dict[str, float | None]
    valid: bool
    fields: dict[str, dict[str, float | None]] = field(default_factory=dict)
    expectations: list[ExpectationResult] = field(default_factory=list)
    quarantine: Path | None = None


def _frequency(dataset: Any) -> str | None:
    desc = getattr(dataset, "descriptor", None)
    return getattr(desc, "update_frequency", None) if desc is not None else None


def evaluate(dataset: Any, table: pl.DataFrame, *, extracted_at: dt.datetime | str | None = None, now: dt.datetime | None = None) -> tuple[QualityResult, SchemaOutcome]:
    """Run every check and build the reports, without gating."""
    schema, suite = dataset.schema, dataset.suite
    extracted_at = as_datetime(extracted_at)
    outcome = check_table(table, schema)
    results = run_suite(outcome.frame, suite, schema, known=outcome.facts) if suite else []
    sc: Score = score(outcome, results, schema, update_frequency=_frequency(dataset), extracted_at=extracted_at, now=now)
    notes = [p if isinstance(p, Problem) else Problem("schema-note", str(p), severity="warning") for p in (getattr(dataset, "problems", None) or [])]
    notes = [Problem(p.type, p.message, p.rowNumber, p.fieldNumber, p.fieldName, "warning", p.note) for p in notes]
    report = build_report(dataset.id, schema, outcome, results, sc, extracted_at=extracted_at, notes=notes).to_dict()
    html = render_html(report, outcome.counts)
    result = QualityResult(
        frame=outcome.frame, report=report, html=html, score=sc.overall, dimensions=sc.dimensions,
        valid=bool(report["valid"]), fields=sc.fields, expectations=results,
    )
    return result, outcome


def summary(report: dict[str, Any], limit: int = 3) -> str:
    """The worst problems in one line: the largest (kind, field) groups with counts."""
    groups: Counter[tuple[str, str]] = Counter()
    for e in report["errors"]:
        groups[(e["type"], e.get("fieldName") or "")] += 1
    by_type = report["stats"].get("errorsByType", {})
    parts = []
    for (ptype, fname), c in groups.most_common(limit):
        parts.append(f"{ptype}" + (f" in '{fname}'" if fname else "") + f" ×{c}")
    more = len(groups) - len(parts)
    total = report["stats"].get("errors", sum(by_type.values()))
    return f"{total} error(s): " + "; ".join(parts) + (f"; and {more} more kind(s)" if more > 0 else "")


def quarantine(dataset_id: str, report: dict[str, Any], html: str, table: pl.DataFrame, root: Path, raw_path: Path | None = None) -> Path:
    """Keep the blocked run: report.json, report.html and the raw table as received (raw.csv)."""
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = Path(root) / dataset_id / run_id
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # raw snapshots hold personal data
    (target / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    (target / "report.html").write_text(html, encoding="utf-8")
    table.write_csv(target / "raw.csv")
    if raw_path is not None and Path(raw_path).exists():
        shutil.copyfile(raw_path, target / f"source{Path(raw_path).suffix or '.bin'}")
    return target


def run_quality(
    dataset: Any,
    table: pl.DataFrame,
    *,
    extracted_at: dt.datetime | str | None = None,
    quarantine_dir: Path | None = None,
    raw_path: Path | None = None,
    now: dt.datetime | None = None,
) -> QualityResult:
    """Validate ``table`` (all Utf8, header as received) for ``dataset``; block on errors.

    Returns the typed frame, report dict, HTML and scores; raises ``GateBlocked`` after writing
    the report and a raw snapshot under ``quarantine_dir`` (default ``<state_dir>/quarantine``).
    """
    result, _ = evaluate(dataset, table, extracted_at=extracted_at, now=now)
    if result.valid:
        return result
    root = Path(quarantine_dir) if quarantine_dir is not None else Settings().state_dir / "quarantine"
    where = quarantine(dataset.id, result.report, result.html, table, root, raw_path)
    result.quarantine = where
    err = GateBlocked(
        f"quality gate blocked {dataset.id}: {summary(result.report)}",
        fix=f"fix the source data (see {where / 'report.html'}) or mark tolerable expectations meta.severity: warning",
        code="quality-gate-blocked",
        dataset=dataset.id,
        quarantine=str(where),
    )
    err.result = result  # type: ignore[attr-defined]  # for the CLI; not pickled
    raise err
