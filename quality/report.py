"""The quality report: one versioned JSON shape and a steward-readable HTML page (jinja2).

JSON (``kaifang.report/1`` envelope, ``kind: "quality"``) adds::

    quality:      {version, overall, dimensions, weights, fields, ageDays}   (see quality.score)
    expectations: [{type, kwargs, success, severity, engine, element_count, unexpected_count,
                    unexpected_percent, missing_count, missing_percent, observed_value,
                    unexpected_rows, exception}]
    fields:       [{name, type, sensitivity, errors}]
    generatedAt, extractedAt, reportVersion ("kaifang.quality-report/1")

No cell values anywhere: problems carry positions, field names and the schema's own rules;
expectation results carry counts and row numbers; observed aggregate values only for public fields.
The shape is locked by ``tests/quality/test_report.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from jinja2 import Environment, select_autoescape

from kaifang.problems import Problem, Report
from quality.expectations import ExpectationResult
from quality.schema_check import SchemaOutcome
from quality.score import Score

QUALITY_REPORT_VERSION = "kaifang.quality-report/1"


def expectation_problem(r: ExpectationResult, field_numbers: dict[str, int]) -> Problem:
    """A failed expectation as a Problem (``expectation-failed``), without values."""
    cols = r.columns
    col = cols[0] if len(cols) == 1 else None
    if r.exception:
        detail = r.exception
    elif r.unexpected_count is not None:
        pct = f"{r.unexpected_percent:.2f}%" if r.unexpected_percent is not None else "n/a"
        detail = f"{r.unexpected_count} of {r.element_count} values unexpected ({pct})"
        if r.unexpected_rows:
            detail += f"; first rows {', '.join(map(str, r.unexpected_rows[:5]))}"
    else:
        detail = "the aggregate is outside the expected range" if r.observed_value is None else f"observed {r.observed_value}"
    where = f" on field '{col}'" if col else (f" on fields {', '.join(cols)}" if cols else " on the table")
    return Problem(
        type="expectation-failed",
        message=f"expectation {r.type}{where} failed: {detail}",
        rowNumber=r.unexpected_rows[0] if r.unexpected_rows else None,
        fieldNumber=field_numbers.get(col) if col else None,
        fieldName=col,
        severity=r.severity,  # type: ignore[arg-type]
        note=r.type,
    )


def build_report(
    subject: str,
    schema: dict,
    outcome: SchemaOutcome,
    results: list[ExpectationResult],
    sc: Score,
    *,
    extracted_at: dt.datetime | None = None,
    notes: list[Problem] | None = None,
) -> Report:
    """The quality report envelope. Errors: schema problems + failed error-severity expectations."""
    field_numbers = {f["name"]: i + 1 for i, f in enumerate(schema.get("fields", []))}
    errors = list(outcome.problems)
    warnings = list(notes or [])
    failed = [r for r in results if not r.success]
    for r in failed:
        (errors if r.severity == "error" else warnings).append(expectation_problem(r, field_numbers))
    by_type: dict[str, int] = defaultdict(int)
    per_field: dict[str, int] = defaultdict(int)
    for (ptype, fname), c in outcome.counts.items():
        by_type[ptype] += c
        if fname:
            per_field[fname] += c
    n_exp_err = sum(1 for r in failed if r.severity == "error")
    by_type_all = dict(by_type)
    if n_exp_err:
        by_type_all["expectation-failed"] = n_exp_err
    stats = {
        "rows": outcome.rows,
        "fields": len(field_numbers),
        "errors": outcome.error_count + n_exp_err,
        "warnings": len(warnings),
        "errorsByType": dict(sorted(by_type_all.items())),
        "expectations": {"evaluated": len(results), "failed": n_exp_err, "warned": sum(1 for r in failed if r.severity == "warning"),
                         "native": sum(1 for r in results if r.engine == "native"), "gx": sum(1 for r in results if r.engine == "gx")},
        "listedErrors": len(errors),
    }
    fields = [
        {"name": f["name"], "type": f.get("type", "string"), "sensitivity": f.get("sensitivity", "personal"), "errors": per_field.get(f["name"], 0)}
        for f in schema.get("fields", [])
    ]
    extra = {
        "reportVersion": QUALITY_REPORT_VERSION,
        "generatedAt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "extractedAt": extracted_at.isoformat(timespec="seconds") if extracted_at else None,
        "quality": sc.to_dict(),
        "fields": fields,
        "expectations": [r.to_dict() for r in results],
    }
    valid = stats["errors"] == 0
    return Report(kind="quality", subject=subject, valid=valid, stats=stats, errors=errors, warnings=warnings, extra=extra)


_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>Quality report — {{ r.subject }}</title>
<style>
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC",sans-serif;margin:2rem;max-width:70rem;color:#222}
h1{margin-bottom:.2rem} .ok{color:#1a7f37} .bad{color:#b42318} .warn{color:#9a6700}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem} th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.92rem}
th{background:#f5f5f5} .bar{background:#eee;width:10rem;height:.7rem;display:inline-block;vertical-align:middle}
.bar span{display:block;height:100%;background:#2f81f7} .num{text-align:right} small{color:#666}
</style></head><body>
<h1>Quality report: {{ r.subject }}</h1>
<p><small>generated {{ r.generatedAt }}{% if r.extractedAt %} · extracted {{ r.extractedAt }}{% endif %} · {{ r.reportVersion }}</small></p>

<h2>Summary</h2>
<p class="{{ 'ok' if r.valid else 'bad' }}"><strong>{{ 'PASSED — may be published' if r.valid else 'BLOCKED — errors must be fixed before publishing' }}</strong></p>
<table>
<tr><th>Overall quality score</th><td class="num"><strong>{{ '%.1f'|format(q.overall) }}</strong> / 100</td></tr>
<tr><th>Rows</th><td class="num">{{ r.stats.rows }}</td></tr>
<tr><th>Errors</th><td class="num {{ 'bad' if r.stats.errors else '' }}">{{ r.stats.errors }}</td></tr>
<tr><th>Warnings (pass with notes)</th><td class="num {{ 'warn' if r.stats.warnings else '' }}">{{ r.stats.warnings }}</td></tr>
<tr><th>Expectations</th><td class="num">{{ r.stats.expectations.evaluated }} evaluated, {{ r.stats.expectations.failed }} failed, {{ r.stats.expectations.warned }} warned</td></tr>
</table>
<table><tr><th>Dimension</th><th>Score</th><th></th><th>Weight</th></tr>
{% for name, value in q.dimensions.items() %}
<tr><td>{{ name }}</td><td class="num">{{ 'n/a' if value is none else '%.1f'|format(value) }}</td>
<td>{% if value is not none %}<span class="bar"><span style="width:{{ value }}%"></span></span>{% endif %}</td><td class="num">{{ q.weights[name] }}</td></tr>
{% endfor %}</table>

<h2>Fields</h2>
<table><tr><th>#</th><th>Field</th><th>Type</th><th>Sensitivity</th><th>Errors</th><th>Completeness</th><th>Validity</th><th>Uniqueness</th><th>Consistency</th><th>Score</th></tr>
{% for f in r.fields %}{% set s = q.fields.get(f.name, {}) %}
<tr><td class="num">{{ loop.index }}</td><td>{{ f.name }}</td><td>{{ f.type }}</td><td>{{ f.sensitivity }}</td><td class="num {{ 'bad' if f.errors else '' }}">{{ f.errors }}</td>
{% for d in ['completeness','validity','uniqueness','consistency','score'] %}<td class="num">{{ 'n/a' if s.get(d) is none else '%.1f'|format(s.get(d)) }}</td>{% endfor %}</tr>
{% endfor %}</table>

<h2>Errors by code</h2>
{% if not groups %}<p class="ok">No errors.</p>{% endif %}
{% for g in groups %}
<h3 class="bad">{{ g.type }} <small>({{ g.count }})</small></h3>
<table><tr><th>Field</th><th>Count</th><th>First rows</th><th>Example message</th></tr>
{% for f in g.fields %}<tr><td>{{ f.field or '—' }}</td><td class="num">{{ f.count }}</td><td>{{ f.rows|join(', ') or '—' }}</td><td>{{ f.message }}</td></tr>{% endfor %}
</table>
{% endfor %}

<h2>Warnings</h2>
{% if not r.warnings %}<p>None.</p>{% endif %}
<ul>{% for w in r.warnings %}<li class="warn">{{ w.message }}</li>{% endfor %}</ul>

<h2>Expectations</h2>
<table><tr><th>Expectation</th><th>Columns</th><th>Severity</th><th>Result</th><th>Unexpected</th><th>Engine</th></tr>
{% for e in r.expectations %}
<tr><td>{{ e.type }}</td><td>{{ (e.kwargs.column or (e.kwargs.column_list or [])|join(', ')) or 'table' }}</td><td>{{ e.severity }}</td>
<td class="{{ 'ok' if e.success else ('warn' if e.severity == 'warning' else 'bad') }}">{{ 'pass' if e.success else 'fail' }}</td>
<td class="num">{% if e.unexpected_count is not none %}{{ e.unexpected_count }} ({{ '%.2f'|format(e.unexpected_percent or 0) }}%){% else %}{{ e.observed_value if e.observed_value is not none else '' }}{% endif %}</td><td>{{ e.engine }}</td></tr>
{% endfor %}</table>
<p><small>Cell values are never shown: rows are numbered as in the source file (header = row 1). Score formulas: docs/quality.md.</small></p>
</body></html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _groups(report: dict[str, Any], counts: dict[tuple[str, str | None], int] | None) -> list[dict[str, Any]]:
    groups: dict[str, dict[str | None, dict[str, Any]]] = defaultdict(dict)
    for e in report["errors"]:
        slot = groups[e["type"]].setdefault(e["fieldName"], {"field": e["fieldName"], "count": 0, "rows": [], "message": e["message"]})
        slot["count"] += 1
        if e["rowNumber"] is not None and len(slot["rows"]) < 10:
            slot["rows"].append(e["rowNumber"])
    if counts:  # exact counts (the listed errors are capped)
        for (ptype, fname), c in counts.items():
            if ptype in groups and fname in groups[ptype]:
                groups[ptype][fname]["count"] = c
    out = []
    for ptype, fields in groups.items():
        rows = sorted(fields.values(), key=lambda f: -f["count"])
        out.append({"type": ptype, "count": sum(f["count"] for f in rows), "fields": rows})
    return sorted(out, key=lambda g: -g["count"])


def render_html(report: dict[str, Any], counts: dict[tuple[str, str | None], int] | None = None) -> str:
    """The steward's HTML page: summary, then fields, then errors by code with counts and first rows."""
    return _ENV.from_string(_TEMPLATE).render(r=report, q=report["quality"], groups=_groups(report, counts))
