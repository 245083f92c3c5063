"""The versioned JSON report shape (locked), the HTML page, and the score formulas."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from quality.expectations import ExpectationResult
from quality.gate import evaluate
from quality.schema_check import check_table
from quality.score import score, timeliness

from .ss_fixture import NOW, FakeDataset

TOP_KEYS = {"shape", "kind", "subject", "valid", "stats", "errors", "warnings", "reportVersion", "generatedAt", "extractedAt", "quality", "fields", "expectations"}
STATS_KEYS = {"rows", "fields", "errors", "warnings", "errorsByType", "expectations", "listedErrors"}
PROBLEM_KEYS = {"type", "message", "rowNumber", "fieldNumber", "fieldName", "severity", "note"}
QUALITY_KEYS = {"version", "overall", "dimensions", "weights", "fields", "ageDays"}
DIMENSIONS = {"completeness", "validity", "uniqueness", "consistency", "timeliness"}
FIELD_SCORE_KEYS = {"completeness", "validity", "uniqueness", "consistency", "score"}
EXPECTATION_KEYS = {"type", "kwargs", "success", "severity", "engine", "element_count", "unexpected_count", "unexpected_percent", "missing_count", "missing_percent", "observed_value", "unexpected_rows", "exception"}


def test_report_shape_is_locked():
    from pipelines.synth import social_security_frame

    frame = social_security_frame(50, seed=3).with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("x")).otherwise(pl.col("amount")).alias("amount"))
    result, _ = evaluate(FakeDataset(), frame, extracted_at=NOW, now=NOW)
    r = result.report
    assert set(r) == TOP_KEYS
    assert r["shape"] == "kaifang.report/1" and r["kind"] == "quality" and r["reportVersion"] == "kaifang.quality-report/1"
    assert set(r["stats"]) == STATS_KEYS
    assert set(r["stats"]["expectations"]) == {"evaluated", "failed", "warned", "native", "gx"}
    assert r["errors"] and all(set(e) == PROBLEM_KEYS for e in r["errors"])
    assert set(r["quality"]) == QUALITY_KEYS and r["quality"]["version"] == "kaifang.quality-score/1"
    assert set(r["quality"]["dimensions"]) == DIMENSIONS
    assert all(set(v) == FIELD_SCORE_KEYS for v in r["quality"]["fields"].values())
    assert all(set(e) == EXPECTATION_KEYS for e in r["expectations"])
    assert [f["name"] for f in r["fields"]][:2] == ["record_id", "person_id"] and set(r["fields"][0]) == {"name", "type", "sensitivity", "errors"}
    assert ("type-error", 4, "amount") in {(e["type"], e["rowNumber"], e["fieldName"]) for e in r["errors"]}


def test_html_lists_errors_by_code_with_counts_and_first_rows():
    frame = pl.DataFrame({"id": ["1", "2", "x", "y", "5"], "v": ["a", "b", "c", "d", "e"]})
    ds = FakeDataset(schema={"fields": [{"name": "id", "type": "integer", "sensitivity": "public"}, {"name": "v", "sensitivity": "personal"}]}, suite={"expectations": []})
    result, _ = evaluate(ds, frame)
    html = result.html
    assert "type-error" in html and "4, 5" in html  # rows of the two bad cells
    assert "BLOCKED" in html
    for v in ("a", "b", "c", "d"):
        assert f">{v}<" not in html


def test_score_formulas_on_a_known_table():
    # 4 rows × 2 fields; one missing value, one type error, one repeated key
    frame = pl.DataFrame({"id": ["1", "2", "2", "3"], "n": ["1", "", "x", "4"]})
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "n", "type": "integer"}], "primaryKey": ["id"]}
    outcome = check_table(frame, schema)
    results = [
        ExpectationResult(type="expect_column_values_to_be_between", kwargs={"column": "n"}, success=False, element_count=4, unexpected_count=1, unexpected_percent=50.0),
        ExpectationResult(type="expect_table_row_count_to_equal", kwargs={"value": 4}, success=True),
    ]
    sc = score(outcome, results, schema, update_frequency="monthly", extracted_at=NOW - dt.timedelta(days=62), now=NOW)
    d = sc.dimensions
    assert d["completeness"] == pytest.approx(100 * (1 - 1 / 8))  # the "" in n
    assert d["validity"] == pytest.approx(100 * (1 - 1 / 8))  # the "x" in n (the repeated key is not a cell error: no unique constraint)
    assert d["uniqueness"] == pytest.approx(75.0)  # row 3 repeats the primary key of row 2
    assert d["consistency"] == pytest.approx((50 + 100) / 2)
    assert d["timeliness"] == pytest.approx(50.0)  # 62 days, monthly: (62-31)/(2*31) past due
    w = {"completeness": 0.2, "validity": 0.3, "uniqueness": 0.15, "consistency": 0.25, "timeliness": 0.1}
    assert sc.overall == pytest.approx(sum(w[k] * d[k] for k in w), abs=0.01)
    assert sc.fields["n"]["completeness"] == 75.0 and sc.fields["n"]["validity"] == 75.0 and sc.fields["n"]["consistency"] == 50.0
    assert sc.fields["id"]["uniqueness"] == pytest.approx(100 * 3 / 4)


@pytest.mark.parametrize(
    "freq,days,expected",
    [("daily", 0.5, 100.0), ("weekly", 7, 100.0), ("weekly", 14, 50.0), ("monthly", 93, 0.0), ("yearly", 200, 100.0), ("irregular", 5, None)],
)
def test_timeliness(freq, days, expected):
    value, age = timeliness(freq, NOW - dt.timedelta(days=days), NOW)
    assert value == expected and age == pytest.approx(days)


def test_timeliness_unknown_age_is_not_scored():
    assert timeliness("monthly", None) == (None, None)
