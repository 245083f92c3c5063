"""The gate on generated social-security data: pass, warn, block with quarantine, never leak values."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from kaifang.errors import GateBlocked
from pipelines.synth import social_security_frame
from quality.gate import run_quality

from .ss_fixture import NOW, SCHEMA, FakeDataset

NON_PUBLIC = [f["name"] for f in SCHEMA["fields"] if f["sensitivity"] != "public"]


@pytest.fixture(scope="module")
def clean() -> pl.DataFrame:
    return social_security_frame(300, seed=7)


def test_clean_data_passes_with_typed_frame(clean, tmp_path):
    result = run_quality(FakeDataset(), clean, extracted_at=NOW - dt.timedelta(days=3), quarantine_dir=tmp_path, now=NOW)
    assert result.valid and result.report["valid"] is True
    assert result.frame.schema["amount"] == pl.Float64 and result.frame.schema["paid_date"] == pl.Date
    assert result.frame.height == 300
    assert result.dimensions["timeliness"] == 100.0
    assert 95 <= result.score <= 100
    assert not any(tmp_path.iterdir())  # nothing quarantined
    assert "<h2>Summary</h2>" in result.html and result.html.index("Summary") < result.html.index("Fields") < result.html.index("Errors by code")


def plant(frame: pl.DataFrame) -> pl.DataFrame:
    """Bad ID numbers and mobiles, a duplicate key, a bad amount, an unknown status."""
    rows = frame.to_dicts()
    rows[4]["person_id"] = "11010119900307999"          # 17 chars: pattern + length
    rows[9]["mobile"] = "2381234567"                      # not a mobile
    rows[11]["mobile"] = "13812345678x"
    rows[15]["record_id"] = rows[14]["record_id"]         # duplicate key
    rows[20]["amount"] = "12,5"                           # type error
    rows[21]["amount"] = "-3"                             # below minimum
    rows[30]["status"] = "已删除"                          # enum + expectation
    rows[40]["birth_date"] = "1985-02-30"                 # impossible date
    rows[41]["person_id"] = None                          # required
    return pl.DataFrame(rows, schema=frame.schema)


def test_planted_errors_block_and_quarantine_without_leaking(clean, tmp_path):
    bad = plant(clean)
    with pytest.raises(GateBlocked) as info:
        run_quality(FakeDataset(), bad, extracted_at=NOW, quarantine_dir=tmp_path, now=NOW)
    err = info.value
    runs = list((tmp_path / "social-security-pension").iterdir())
    assert len(runs) == 1
    folder = runs[0]
    assert {p.name for p in folder.iterdir()} == {"report.json", "report.html", "raw.csv"}
    report = json.loads((folder / "report.json").read_text())
    assert report["valid"] is False
    got = {(e["type"], e["rowNumber"], e["fieldName"]) for e in report["errors"] if e["type"] != "expectation-failed"}
    assert got == {
        ("constraint-error", 6, "person_id"), ("constraint-error", 11, "mobile"), ("constraint-error", 13, "mobile"),
        ("unique-error", 17, "record_id"), ("primary-key", 17, None), ("type-error", 22, "amount"),
        ("constraint-error", 23, "amount"), ("constraint-error", 32, "status"), ("type-error", 42, "birth_date"),
        ("constraint-error", 43, "person_id"),
    }
    failed = {e["fieldName"] for e in report["errors"] if e["type"] == "expectation-failed"}
    assert {"person_id", "mobile", "status", "amount"} <= failed
    # raw snapshot keeps the data as received
    assert pl.read_csv(folder / "raw.csv", infer_schema=False).height == 300
    # no value of a non-public field appears anywhere a steward or log could see it
    texts = [(folder / "report.json").read_text(), (folder / "report.html").read_text(), str(err), json.dumps(err.to_dict(), ensure_ascii=False)]
    planted = ["11010119900307999", "2381234567", "13812345678x", "12,5", "已删除", "1985-02-30"]
    values = set(planted)
    for col in NON_PUBLIC:
        values |= {v for v in bad[col].drop_nulls().to_list() if len(v) >= 4}
    for text in texts:
        leaked = [v for v in values if v in text]
        assert not leaked, leaked[:3]
    assert "error(s)" in err.message and "mobile" in err.message


def test_warning_expectation_passes_with_notes(clean, tmp_path):
    frame = clean.with_columns(pl.when(pl.int_range(pl.len()) < 60).then(None).otherwise(pl.col("paid_date")).alias("paid_date"))
    result = run_quality(FakeDataset(), frame, extracted_at=NOW, quarantine_dir=tmp_path, now=NOW)
    assert result.valid
    assert [w["note"] for w in result.report["warnings"]] == ["expect_column_values_to_not_be_null"]
    assert result.report["warnings"][0]["severity"] == "warning"
    assert result.dimensions["completeness"] < 100


def test_fail_closed_schema_notes_are_reported(clean, tmp_path):
    from kaifang.problems import Problem

    ds = FakeDataset(problems=[Problem("personal-data", "field 'remarks' has no sensitivity: treated as personal", fieldName="remarks")])
    result = run_quality(ds, clean, extracted_at=NOW, quarantine_dir=tmp_path, now=NOW)
    assert result.report["warnings"][0]["fieldName"] == "remarks"
    assert result.report["warnings"][0]["severity"] == "warning"
