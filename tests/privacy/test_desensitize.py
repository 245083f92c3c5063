"""The desensitize stage end to end: fail-closed policies, gates, record, verification."""

from __future__ import annotations

import json

import polars as pl
import pytest

from kaifang.errors import ConfigError, GateBlocked
from pipelines.privacy import classify as C
from pipelines.privacy import desensitize as DS
from pipelines.privacy.disclosure import DisclosureSettings

KEY = b"flow-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    from pipelines import synth

    return synth.social_security_frame(3000, 11)


def schema(**override) -> dict:
    """The generated table's policy with two tags removed: street_code has no method, status no
    sensitivity (both must fail closed)."""
    from pipelines import synth

    return synth.social_security_privacy_schema(**{"street_code": {"desensitize": None},
                                                   "status": {"sensitivity": None}, **override})


def test_apply_microdata_end_to_end(frame):
    out, record = DS.apply(frame, schema(), {"kind": "microdata", "k": 5}, key=KEY)
    rec = record.to_dict()
    # fail closed: no sensitivity → personal without a method → dropped; non-public without method → dropped
    assert "status" not in out.columns and "street_code" not in out.columns
    assert {p["type"] for p in rec["problems"]} >= {"missing-sensitivity", "missing-desensitize"}
    assert rec["k_achieved"] >= 5 and rec["steps"]["5_verification"]["passed"]
    assert out.group_by(["sex", "birth_date", "district_code"]).len().get_column("len").min() >= 5
    # nothing personal left: every original ID, mobile and card string is absent from the published CSV
    text = out.write_csv() + json.dumps(rec, ensure_ascii=False)
    for col in ("person_id", "mobile", "bank_card"):
        leaked = [v for v in frame.get_column(col).to_list() if v in text]
        assert leaked == [], col
    assert KEY.decode() not in text
    methods = {a["field"]: (a["method"], a["params"]) for a in rec["steps"]["3_deidentification"]}
    assert methods["birth_date"] == ("generalize", {"to": "year"}) and methods["status"][0] == "drop"
    assert rec["steps"]["2_identifiers"] and all("values" not in f for f in rec["steps"]["2_identifiers"])


def test_public_field_with_personal_data_blocks_without_values(frame):
    s = schema(record_id={"name": "record_id"}, amount={})
    leaky = frame.with_columns(amount=pl.col("mobile"))
    with pytest.raises(GateBlocked) as exc:
        DS.apply(leaky, s, None, key=KEY)
    msg = exc.value.render()
    assert "amount" in msg and "cn_mobile" in msg
    assert not any(v in msg for v in frame.get_column("mobile").head(50).to_list())
    assert exc.value.record["steps"]["5_verification"]["passed"] is False


def test_findings_mark_blocking_only_for_public_fields(frame):
    findings = C.classify(frame.head(200).with_columns(amount=pl.col("person_id")), schema())
    block = C.blocking(findings)
    assert [(f.field, f.kind) for f in block] == [("amount", "cn_resident_id")]
    assert block[0].rows[:3] == [2, 3, 4]


def test_classification_samples_only_columns_verified_in_full_afterwards(frame):
    # mobiles hidden in rows past the sample: a generalized quasi-identifier is classified on the
    # sample (its output is re-scanned in full), a kept quasi-identifier and a public column in full
    n = C.SAMPLE_ROWS + 500
    big = pl.concat([frame] * (n // frame.height + 1)).head(n)
    late = pl.Series(["x"] * C.SAMPLE_ROWS + big.get_column("mobile").tail(500).to_list())
    leaky = big.with_columns(birth_date=late, district_code=late, insurance_type=late)
    found = {f.field: f for f in C.classify(leaky, schema()) if f.kind == "cn_mobile"}
    assert "birth_date" not in found  # generalize (year): sampled
    assert found["district_code"].count == 500 and found["insurance_type"].count == 500  # keep, public: in full
    assert found["district_code"].rows[0] == C.SAMPLE_ROWS + 2
    # the sampled column's mobiles cannot get through: its output is scanned in full (here: generalize
    # to year makes them null) and a kept one blocks
    with pytest.raises(GateBlocked) as exc:
        DS.apply(leaky.with_columns(insurance_type=big.get_column("insurance_type")), schema(), None, key=KEY)
    assert exc.value.context["fields"] == "district_code"


def test_surviving_personal_value_blocks_release(frame):
    # a quasi-identifier kept as is that actually holds mobiles survives desensitization → blocked
    leaky = frame.head(300).with_columns(district_code=pl.col("mobile"))
    with pytest.raises(GateBlocked, match="survived") as exc:
        DS.apply(leaky, schema(), None, key=KEY)
    assert exc.value.context["fields"] == "district_code"


def test_missing_key_for_pseudonymize_is_terminal(frame):
    with pytest.raises(ConfigError, match="KAIFANG_HMAC_KEY"):
        DS.apply(frame.head(10), schema(), None, key=None)


def test_extra_columns_are_dropped_and_reported(frame):
    out, record = DS.apply(frame.head(50).with_columns(secret=pl.lit("x")), schema(), None, key=KEY)
    assert "secret" not in out.columns
    assert any(p.fieldName == "secret" for p in record.problems)


def test_typed_frame_after_quality_casting(frame):
    typed = frame.head(500).with_columns(pl.col("birth_date").str.to_date(), pl.col("amount").cast(pl.Float64),
                                          pl.col("paid_date").str.to_date())
    s = schema(birth_date={"type": "date"}, amount={"type": "number"}, paid_date={"type": "date"})
    out, record = DS.apply(typed, s, None, key=KEY)
    assert out.get_column("birth_date").dtype == pl.Utf8 and out.get_column("birth_date").str.len_chars().max() == 4
    assert out.get_column("amount").dtype == pl.Float64


def test_aggregate_release_with_previous(frame):
    agg = (frame.group_by("district_code", "insurance_type").agg(n=pl.len()).sort("district_code", "insurance_type"))
    s = {"fields": [{"name": "district_code", "type": "string", "sensitivity": "public"},
                    {"name": "insurance_type", "type": "string", "sensitivity": "public"},
                    {"name": "n", "type": "integer", "sensitivity": "public"}]}
    settings = DisclosureSettings(kind="aggregate", threshold=10, dimensions=["district_code", "insurance_type"], counts=["n"])
    out, record = DS.apply(agg, s, settings, key=None)
    assert not any(v is not None and 1 <= v <= 9 for v in out.get_column("n").to_list())
    assert record.to_dict()["cells_suppressed"] == out.get_column("n").null_count()
    out2, rec2 = DS.apply(agg.with_columns(n=pl.col("n") + 2), s, {"id": "ds", "disclosure": settings.model_dump()},
                          key=None, previous=out)
    assert rec2.dataset == "ds" and rec2.control["columns"]["n"]["differencing"] > 0


def test_verification_counts_published_values_equal_to_any_original():
    from pipelines.privacy import verify as V

    orig = pl.Series(["13800138000", "13900139000", "13700137000"])
    shuffled = pl.Series(["139 0013 9000", "13611112222", "+86 13800138000"])
    assert V.originals_survive(orig, shuffled, "cn_mobile") == 2


def test_a_handed_over_frame_gives_the_same_release_and_is_taken(frame):
    """Handing the frame over in a list (run_pipeline does, to release replaced input columns early)
    changes nothing in the output or the record; the list is emptied; an empty list is refused."""
    from kaifang.errors import TerminalError

    plain, rec_plain = DS.apply(frame, schema(), {"kind": "microdata", "k": 5}, key=KEY)
    box = [frame.clone()]
    handed, rec_handed = DS.apply(box, schema(), {"kind": "microdata", "k": 5}, key=KEY)
    assert box == [] and handed.equals(plain)
    a, b = rec_plain.to_dict(), rec_handed.to_dict()
    a.pop("created", None), b.pop("created", None)
    assert a == b
    with pytest.raises(TerminalError):
        DS.apply(box, schema(), None, key=KEY)


def test_records_removed_by_k_anonymity_are_verified_on_the_final_table(frame):
    """Verification scans the table as published: after k-anonymity removed records, what they held
    is not a finding (and what the published rows hold is)."""
    small = frame.head(12)
    leaky = schema(mobile={"sensitivity": "quasi-identifier", "desensitize": {"method": "keep"}})
    disclosure = {"kind": "microdata", "quasi_identifiers": ["sex", "birth_date", "district_code"], "max_suppressed_share": 1.0}
    with pytest.raises(GateBlocked) as caught:  # kept mobiles are published: blocked
        DS.apply(small, leaky, None, key=KEY)
    found = caught.value.record["steps"]["5_verification"]["residual_findings"]
    assert [(f["field"], f["kind"], f["count"]) for f in found] == [("mobile", "cn_mobile", 12)]
    out, rec = DS.apply(small, leaky, {**disclosure, "k": 50}, key=KEY)  # every record removed: nothing published
    steps = rec.to_dict()["steps"]
    assert out.height == 0 and steps["4_disclosure_control"]["records_removed"] == 12
    assert steps["5_verification"]["passed"] and steps["5_verification"]["residual_findings"] == []


def test_columns_verified_before_k_anonymity_report_the_rows_published(frame):
    """Columns k-anonymity cannot change are verified as soon as their method ran; when k-anonymity
    then removes records, their findings are counted and numbered over the published rows only —
    the same as a scan of the final table."""
    from pipelines.privacy import verify as V

    n = 40
    unique = pl.int_range(0, n, eager=True).is_in([0, 5])
    small = frame.head(n).with_columns(
        sex=pl.when(pl.lit(unique)).then(pl.lit("女")).otherwise(pl.lit("男")),
        birth_date=pl.when(pl.lit(unique)).then(pl.format("19{}-01-01", pl.int_range(10, 10 + n))).otherwise(pl.lit("1980-06-01")),
        district_code=pl.when(pl.lit(unique)).then(pl.format("1101{}", pl.int_range(10, 10 + n))).otherwise(pl.lit("110101")))
    leaky = schema(mobile={"sensitivity": "quasi-identifier", "desensitize": {"method": "keep"}})
    disclosure = {"kind": "microdata", "k": 5, "max_suppressed_share": 0.1,
                  "quasi_identifiers": ["sex", "birth_date", "district_code"]}
    with pytest.raises(GateBlocked) as caught:
        DS.apply(small, leaky, disclosure, key=KEY)
    steps = caught.value.record["steps"]
    assert steps["4_disclosure_control"]["records_removed"] == 2
    found = steps["5_verification"]["residual_findings"]
    published = small.filter(~pl.lit(unique))
    expected = V.residual_findings(published.select("mobile"))
    assert [(f["field"], f["kind"], f["count"], f["rows"]) for f in found] == [
        (f.field, f.kind, f.count, f.rows) for f in expected]
    assert found[0]["count"] == n - 2 and found[0]["rows"][:3] == [2, 3, 4]


def test_surrogate_rows_equal_to_originals_are_counted_over_the_rows_kept():
    same = pl.Series([True, False, True, True])
    removed = pl.Series([False, False, True, False])
    column = pl.Series("card", ["6222020000000000000"] * 4)
    found = DS._kept_rows(([], same), column, removed, {"card": "bank_card"}, set())
    assert [(f.field, f.kind, f.count) for f in found] == [("card", "bank_card", 2)]
    assert DS._kept_rows(([], same), column, None, {"card": "bank_card"}, set())[0].count == 3
    assert DS._kept_rows(([], None), column, removed, {"card": "bank_card"}, set()) == []
