"""Quality score per dataset and per field on five named dimensions, each 0–100.

The formulas are documented in ``docs/quality.md`` (keep both in step):

* completeness = 100 × (1 − missing cells / cells), missing = a missing value or a missing cell;
* validity     = 100 × (1 − invalid cells / cells), invalid = type, constraint (other than
  ``required``, already counted as incompleteness), unique or missing-cell errors;
* uniqueness   = 100 × (1 − repeated rows / rows), repeated = a row equal to an earlier row in
  every field, or repeating an earlier primary key; per field only for fields declared unique,
  in the primary key or under a uniqueness expectation: 100 × distinct / non-missing values;
* consistency  = mean over the expectations of their pass share: 100 × (1 − unexpected_percent/100)
  for column-map expectations, 100 or 0 for aggregate/table ones (warnings count too);
  per field: over the expectations naming that field;
* timeliness   = 100 when the data's age (now − extracted_at) is within one update period,
  falling linearly to 0 at three periods; ``None`` for ``irregular`` or unknown age.

Overall = weighted mean of the available dimensions (weights ``WEIGHTS``, renormalized); a field's
score = plain mean of its available dimensions. ``None`` means "not applicable", never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from quality.dup import duplicated
from quality.expectations import ExpectationResult
from quality.schema_check import SchemaOutcome

SCORE_VERSION = "kaifang.quality-score/1"

#: weight of each dimension in the overall score
WEIGHTS = {"completeness": 0.20, "validity": 0.30, "uniqueness": 0.15, "consistency": 0.25, "timeliness": 0.10}

#: update period per ``update_frequency`` (days)
PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 31, "quarterly": 92, "semiannual": 183, "yearly": 366}

_UNIQUE_TYPES = {"expect_column_values_to_be_unique"}


@dataclass
class Score:
    """Overall score, dimension scores and per-field scores (all 0–100 or None)."""

    overall: float
    dimensions: dict[str, float | None]
    fields: dict[str, dict[str, float | None]] = field(default_factory=dict)
    age_days: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"version": SCORE_VERSION, "overall": self.overall, "dimensions": self.dimensions, "weights": WEIGHTS, "fields": self.fields, "ageDays": self.age_days}


def _r(x: float | None) -> float | None:
    return None if x is None else round(max(0.0, min(100.0, x)), 2)


def _pass_share(r: ExpectationResult) -> float:
    if r.unexpected_percent is not None and r.exception is None:
        return 100.0 - float(r.unexpected_percent)
    return 100.0 if r.success else 0.0


def as_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    """A datetime from a datetime or ISO-8601 text (lineage stores text); naive = UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def timeliness(update_frequency: str | None, extracted_at: dt.datetime | str | None, now: dt.datetime | None = None) -> tuple[float | None, float | None]:
    """(score, age in days); score None when the frequency is irregular/unknown or age unknown."""
    extracted_at = as_datetime(extracted_at)
    if extracted_at is None:
        return None, None
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    age = max(0.0, (now - extracted_at).total_seconds() / 86400.0)
    period = PERIOD_DAYS.get(update_frequency or "")
    if period is None:
        return None, round(age, 3)
    if age <= period:
        return 100.0, round(age, 3)
    return _r(100.0 * (1.0 - (age - period) / (2.0 * period))), round(age, 3)


def score(
    outcome: SchemaOutcome,
    results: list[ExpectationResult],
    schema: dict,
    *,
    update_frequency: str | None = None,
    extracted_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Score:
    """Score one validated table (schema outcome + expectation results)."""
    fields = [f["name"] for f in schema.get("fields", [])]
    n = outcome.rows
    frame = outcome.frame
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    unique_fields = {f["name"] for f in schema.get("fields", []) if (f.get("constraints") or {}).get("unique")} | set(pk)
    unique_fields |= {r.kwargs.get("column") for r in results if r.type in _UNIQUE_TYPES and r.kwargs.get("column")}

    per_field: dict[str, dict[str, float | None]] = {}
    missing_total = invalid_total = 0
    for name in fields:
        miss = outcome.missing.get(name)
        bad = outcome.invalid.get(name)
        m = int(miss.sum()) if miss is not None else 0
        b = int(bad.sum()) if bad is not None else 0
        missing_total += m
        invalid_total += b
        comp = 100.0 * (1 - m / n) if n else None
        val = 100.0 * (1 - b / n) if n else None
        uniq = None
        if name in unique_fields and name in frame.columns and n:
            col = frame.get_column(name)
            nonnull = int(col.is_not_null().sum())
            repeats = int((duplicated(col, later_only=True) & col.is_not_null()).sum())
            uniq = 100.0 * (nonnull - repeats) / nonnull if nonnull else None
        touching = [r for r in results if name in r.columns]
        cons = sum(_pass_share(r) for r in touching) / len(touching) if touching else None
        dims = {"completeness": _r(comp), "validity": _r(val), "uniqueness": _r(uniq), "consistency": _r(cons)}
        avail = [v for v in dims.values() if v is not None]
        dims["score"] = _r(sum(avail) / len(avail)) if avail else None
        per_field[name] = dims

    cells = n * len(fields)
    completeness = 100.0 * (1 - missing_total / cells) if cells else None
    validity = 100.0 * (1 - invalid_total / cells) if cells else None
    uniqueness = None
    if n and fields:
        repeated = duplicated(frame, later_only=True)
        if pk and all(k in frame.columns for k in pk):
            key = frame.select(pk)
            all_null = key.select(pl.all_horizontal(pl.all().is_null())).to_series()
            repeated = repeated | duplicated(key, later_only=True) | all_null
        uniqueness = 100.0 * (1 - int(repeated.sum()) / n)
    consistency = sum(_pass_share(r) for r in results) / len(results) if results else None
    timely, age = timeliness(update_frequency, extracted_at, now)
    dims = {"completeness": _r(completeness), "validity": _r(validity), "uniqueness": _r(uniqueness), "consistency": _r(consistency), "timeliness": _r(timely)}
    weight = sum(WEIGHTS[k] for k, v in dims.items() if v is not None)
    overall = sum(WEIGHTS[k] * v for k, v in dims.items() if v is not None) / weight if weight else 0.0
    return Score(overall=round(overall, 2), dimensions=dims, fields=per_field, age_days=age)
