"""Bundle, versioning and changelog without a portal."""

from __future__ import annotations

import json

import polars as pl
import pyarrow.parquet
import pytest
from frictionless import validate

from kaifang.errors import TerminalError
from publish.bundle import PreviousRelease, build, verify
from publish.bundle.csvout import escape_formulas
from publish.bundle.tableschema import dropped_fields, public_schema
from publish.versioning import bump, diff_rows, diff_schema, next_free
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame


def _build(tmp_path, ds, frame, previous=None, **kw):
    return build(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, staging_dir=tmp_path / "staging", previous=previous, **kw)


def _prev(b, frame):
    return PreviousRelease(b.version, b.content_sha256, b.public_schema, pl.read_parquet(b.path(f"{b.dataset_id}.parquet")))


def test_bundle_files_hashes_and_frictionless_validation(tmp_path):
    ds = make_dataset(tmp_path)
    frame = make_frame(30).sample(fraction=1.0, shuffle=True, seed=3)  # order must not matter
    b = _build(tmp_path, ds, frame)
    assert b.version == "1.0.0" and b.level == "initial" and b.rows == 30
    assert sorted(p.name for p in b.dir.iterdir()) == sorted([f.name for f in b.files] + ["bundle.json"])
    report = validate(str(b.path("datapackage.json")))
    assert report.valid, report.flatten(["type", "note"])
    dp = json.loads(b.path("datapackage.json").read_text())
    res = dp["resources"][0]
    assert res["hash"] == f"sha256:{b.file('data-csv').sha256}" and res["bytes"] == b.file("data-csv").bytes
    assert [f["name"] for f in res["schema"]["fields"]] == ["record_id", "district", "month", "contributors", "amount", "note", "person_id"]
    pid = next(f for f in res["schema"]["fields"] if f["name"] == "person_id")
    assert pid["kaifang:desensitized"] == "pseudonymize" and "desensitize" not in pid and "pii" not in pid
    assert {f["path"] for f in dp["kaifang:files"]} >= {"quality-report.json", "deid-record.json", "changelog.md", f"{ds.id}.parquet"}
    # CSV: RFC 4180 CRLF, sorted by primary key, formula cells escaped, typed negative numbers untouched
    raw = b.path(f"{ds.id}.csv").read_bytes()
    assert raw.count(b"\r\n") == 31
    csv = pl.read_csv(b.path(f"{ds.id}.csv"), infer_schema=False)
    assert csv["record_id"].to_list() == [str(i) for i in range(1, 31)]
    assert csv["note"][1] == "'=HYPERLINK(\"http://evil\")" and csv["note"][2] == "'-3 adjustment" and csv["note"][3] == "'@SUM(A1)"
    assert b.changelog["formula_escaped"] == {"note": 3}
    # Parquet keeps the unescaped typed data
    pq = pl.read_parquet(b.path(f"{ds.id}.parquet"))
    assert pq["note"][1].startswith("=") and pq.schema["month"] == pl.Date
    # zstd-compressed columns with statistics (kaifang.frames.PARQUET_WRITE)
    meta = pyarrow.parquet.ParquetFile(b.path(f"{ds.id}.parquet")).metadata.row_group(0)
    assert {meta.column(i).compression for i in range(meta.num_columns)} == {"ZSTD"}
    assert all(meta.column(i).statistics is not None for i in range(meta.num_columns))
    # DCAT
    dcat = json.loads(b.path("dcat.jsonld").read_text())
    assert dcat["@type"] == "dcat:Dataset" and dcat["dcat:version"] == "1.0.0" and dcat["dct:temporal"]["dcat:startDate"]["@value"] == "2024-01-01"
    assert len(dcat["dcat:distribution"]) == 8 and all("spdx:checksum" in d for d in dcat["dcat:distribution"])


def test_identical_content_makes_no_version_and_rebuild_is_reused(tmp_path):
    ds = make_dataset(tmp_path)
    f = make_frame()
    b = _build(tmp_path, ds, f)
    assert _build(tmp_path, ds, f.reverse(), previous=_prev(b, f)) is None
    again = _build(tmp_path, ds, f)  # e.g. a re-run after a crash before the release completed
    assert again.dir == b.dir and [x.sha256 for x in again.files] == [x.sha256 for x in b.files] and again.released_at == b.released_at


def test_semver_levels_and_changelog(tmp_path):
    ds = make_dataset(tmp_path)
    f1 = make_frame(10)
    b1 = _build(tmp_path, ds, f1)
    # PATCH: one value changed
    f2 = f1.with_columns(pl.when(pl.col("record_id") == 3).then(pl.lit("changed")).otherwise(pl.col("district")).alias("district"))
    b2 = _build(tmp_path, ds, f2, previous=_prev(b1, f1))
    assert (b2.version, b2.level) == ("1.0.1", "patch")
    assert (b2.changelog["rows"]["added"], b2.changelog["rows"]["removed"], b2.changelog["rows"]["changed"]) == (0, 0, 1) and b2.changelog["rows"]["changed_fields"] == {"district": 1}
    assert b2.changelog["rows"]["sample_keys"]["changed"] == [3]
    # MINOR: new rows
    extra = make_frame(12).filter(pl.col("record_id") > 10)
    f3 = pl.concat([f2, extra])
    b3 = _build(tmp_path, ds, f3, previous=_prev(b2, f2))
    assert (b3.version, b3.level) == ("1.1.0", "minor") and b3.changelog["rows"]["added"] == 2 and b3.changelog["rows"]["sample_keys"]["added"] == [11, 12]
    # MAJOR: type change
    f4 = f3.with_columns(pl.col("contributors").cast(pl.Utf8))
    b4 = _build(tmp_path, ds, f4, previous=_prev(b3, f3))
    assert (b4.version, b4.level) == ("2.0.0", "major") and b4.changelog["schema"]["type_changed"] == [{"field": "contributors", "from": "integer", "to": "string"}]
    md = b4.path("changelog.md").read_text()
    assert "2.0.0" in md and "contributors integer→string" in md


def test_changelog_never_names_non_public_keys(tmp_path):
    schema = {"fields": [{"name": "pid", "type": "string", "sensitivity": "direct-identifier", "desensitize": {"method": "pseudonymize"}},
                         {"name": "v", "type": "integer", "sensitivity": "public"}], "primaryKey": ["pid"]}
    ds = make_dataset(tmp_path, schema=schema)
    f1 = pl.DataFrame({"pid": ["h-secret-1", "h-secret-2"], "v": [1, 2]})
    b1 = _build(tmp_path, ds, f1)
    f2 = pl.DataFrame({"pid": ["h-secret-1", "h-secret-3"], "v": [5, 2]})
    b2 = _build(tmp_path, ds, f2, previous=_prev(b1, f1))
    text = b2.path("changelog.json").read_text() + b2.path("changelog.md").read_text()
    assert "h-secret" not in text and b2.changelog["rows"]["sample_keys"] == {}
    assert (b2.changelog["rows"]["added"], b2.changelog["rows"]["removed"], b2.changelog["rows"]["changed"]) == (1, 1, 1)


def test_public_schema_drops_fields_and_constraints():
    schema = {"fields": [{"name": "a", "type": "integer", "sensitivity": "public", "constraints": {"minimum": 0, "required": True}},
                         {"name": "b", "type": "date", "sensitivity": "quasi-identifier", "desensitize": {"method": "generalize"}, "constraints": {"minimum": "2000-01-01"}},
                         {"name": "c", "type": "string", "sensitivity": "personal", "desensitize": {"method": "drop"}}], "primaryKey": ["c"]}
    frame = pl.DataFrame({"a": [1], "b": ["2024"]})
    ps = public_schema(schema, frame, {"fields": {"c": {"method": "drop"}}})
    assert [f["name"] for f in ps["fields"]] == ["a", "b"]
    assert ps["fields"][0]["constraints"] == {"minimum": 0, "required": True}
    assert ps["fields"][1]["type"] == "string" and "constraints" not in ps["fields"][1]
    assert "primaryKey" not in ps  # the key field was dropped
    assert dropped_fields({"fields": [{"name": "x", "method": "drop"}], "dropped": ["y"]}) == {"x", "y"}


def test_row_diff_without_primary_key_and_schema_diff():
    old = pl.DataFrame({"a": [1, 2, 2], "b": ["x", "y", "y"]})
    new = pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    s = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]}
    rd = diff_rows(old, new, old_schema=s, new_schema=s)
    assert (rd.added, rd.removed, rd.by) == (1, 1, "whole-row")
    sd = diff_schema(s, {"fields": [{"name": "a", "type": "integer"}, {"name": "c", "type": "string"}], "primaryKey": ["a"]})
    assert sd.added == ["c"] and sd.removed == ["b"] and sd.primary_key_changed and sd.breaking
    assert bump("1.4.2", sd, rd) == ("2.0.0", "major")
    assert next_free("1.0.1", "patch", {"1.0.1", "1.0.2"}) == "1.0.3" and next_free("2.0.0", "major", {"2.0.0"}) == "3.0.0"


def test_formula_escape_only_text_columns():
    f = pl.DataFrame({"n": [-3, 5], "s": ["+1", "\tx"], "t": ["ok", None]})
    out, counts = escape_formulas(f)
    assert out["n"].to_list() == [-3, 5] and out["s"].to_list() == ["'+1", "'\tx"] and out["t"].to_list() == ["ok", None] and counts == {"s": 2}


def test_formula_cells_from_string_views_equal_the_regular_expression():
    import random

    from publish.bundle.csvout import FORMULA_START, formula_cells

    r = random.Random(3)
    alphabet = "=+-@\t\rab1 中'"
    values = [None if r.random() < 0.1 else "".join(r.choice(alphabet) for _ in range(r.randint(0, 20))) for _ in range(3000)]
    series = pl.Series("s", values)
    chunked = pl.concat([series.slice(0, 1000), series.slice(1000)], rechunk=False)
    for s in (series, series.slice(7, 2500), chunked, pl.Series("e", [], dtype=pl.Utf8)):
        expected = s.str.contains(FORMULA_START).fill_null(False).to_list()
        assert formula_cells(s).tolist() == expected
    assert sum(formula_cells(series)) > 500


def test_verify_detects_tampering(tmp_path):
    ds = make_dataset(tmp_path)
    b = _build(tmp_path, ds, make_frame())
    verify(b)
    b.path("changelog.md").write_text("tampered")
    with pytest.raises(TerminalError, match="changed after it was built"):
        verify(b)


def test_duplicate_primary_key_is_a_clear_error(tmp_path):
    ds = make_dataset(tmp_path)
    f = make_frame(5)
    f = pl.concat([f, f.slice(3, 1)])
    with pytest.raises(TerminalError) as e:
        _build(tmp_path, ds, f)
    assert e.value.context["field"] == "record_id" and e.value.context["row"] == 5 and e.value.fix


def test_real_descriptor_and_privacy_record_shape(tmp_path):
    """The real ``pipelines.descriptor`` dataset model and the privacy record shape (steps.3_deidentification)."""
    import datetime as dt
    from pathlib import Path

    from pipelines.descriptor import load_dataset

    ds = load_dataset(Path(__file__).resolve().parents[2] / "datasets" / "social-security-pension")
    n = 6
    frame = pl.DataFrame({
        "record_id": [f"SS{i:010d}" for i in range(n)], "person_id": [f"h{i:030d}" for i in range(n)], "name": ["张*"] * n,
        "sex": ["男", "女"] * 3, "birth_date": ["1950s"] * n, "bank_card": ["6222********1234"] * n, "address": ["武汉市江汉区"] * n,
        "district_code": ["420103"] * n, "street_code": ["420103"] * n, "insurance_type": ["城镇职工基本养老保险"] * n,
        "benefit_month": ["2024-01"] * n, "amount": [3000.5] * n, "paid_date": [dt.date(2024, 1, 15)] * n, "status": ["已发放"] * n, "remarks": [None] * n,
    })
    deid = {"shape": "kaifang.deid/1", "steps": {"3_deidentification": [
        {"field": "person_id", "method": "pseudonymize"}, {"field": "name", "method": "mask"}, {"field": "birth_date", "method": "generalize"},
        {"field": "mobile", "method": "drop"}, {"field": "bank_card", "method": "mask"}, {"field": "address", "method": "generalize"},
        {"field": "remarks", "method": "mask"}, {"field": "sex", "method": "keep"}]}}
    b = build(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=deid, lineage=LINEAGE, staging_dir=tmp_path / "staging")
    fields = {f["name"]: f for f in b.public_schema["fields"]}
    assert "mobile" not in fields and fields["benefit_month"]["type"] == "yearmonth" and fields["birth_date"]["type"] == "string"
    assert fields["birth_date"]["kaifang:desensitized"] == "generalize" and "kaifang:desensitized" not in fields["sex"]
    report = validate(str(b.path("datapackage.json")))
    assert report.valid, report.flatten(["type", "note"])
    dcat = json.loads(b.path("dcat.jsonld").read_text())
    assert dcat["dct:spatial"]["dct:identifier"] == "420100" and dcat["dcat:contactPoint"]["vcard:hasEmail"]["@id"].startswith("mailto:")
    from publish.ckan.package import package_metadata

    meta = package_metadata(ds, {"version": "1.0.0", "released_at": b.released_at, "content_sha256": b.content_sha256}, "theme-social-security")
    extras = {e["key"]: e["value"] for e in meta["extras"]}
    assert extras["spatial_coverage"] == "武汉市 (420100)" and extras["temporal_coverage"] == "2024-01-01/2024-12-31" and extras["open_condition"] == "conditional"
    assert meta["maintainer_email"].endswith(".cn") and meta["license_id"] == "CC-BY-4.0"


def test_written_csv_records_count_quoted_line_breaks_across_chunks(tmp_path):
    from publish.bundle.written import write_checked

    body = b'a,b\r\n"x\r\ny",1\r\n"say ""hi""\r\n",2\r\nplain,3\r\n'
    for size in (1, 2, 3, 7, len(body)):  # chunk boundaries anywhere, also between CR and LF
        w = write_checked(tmp_path / "t.csv", lambda sink: [sink.write(body[i:i + size]) for i in range(0, len(body), size)], csv_records=True)
        assert (w.records, w.header, w.bytes) == (4, ["a", "b"], len(body))


def test_bad_write_is_refused(tmp_path):
    from publish.bundle.written import write_checked

    def write_then_damage(sink):
        sink.write(b"a,b\r\n1,2\r\n")
        sink.flush()
        with open(tmp_path / "t.csv", "r+b") as fh:  # the disk no longer holds what the writer produced
            fh.write(b"X")

    with pytest.raises(TerminalError, match="differs from the bytes written"):
        write_checked(tmp_path / "t.csv", write_then_damage, csv_records=True)


def test_unsorted_input_is_released_in_key_order_and_sorted_input_as_is(tmp_path):
    ds = make_dataset(tmp_path)
    f = make_frame(12)
    a = _build(tmp_path / "a", ds, f)
    b = _build(tmp_path / "b", ds, f.reverse())
    assert a.content_sha256 == b.content_sha256
    assert pl.read_parquet(b.path(f"{ds.id}.parquet"))["record_id"].to_list() == list(range(1, 13))
    with pytest.raises(TerminalError, match="not unique"):
        _build(tmp_path / "c", ds, pl.concat([f.head(3), f.slice(2, 1), f.tail(9)]))  # sorted, one key twice


def test_compiled_record_count_equals_the_csv_module_on_random_files(tmp_path):
    import csv as csvmod
    import io
    import random

    from publish.bundle.written import write_checked

    r = random.Random(11)
    for trial in range(60):
        rows = [["".join(r.choice('ab,"\r\n 中') for _ in range(r.randint(0, 6))) for _ in range(3)] for _ in range(r.randint(1, 40))]
        buf = io.StringIO()
        csvmod.writer(buf, lineterminator="\r\n").writerows(rows)
        body = buf.getvalue().encode("utf-8")
        size = r.randint(1, 50)
        w = write_checked(tmp_path / "t.csv", lambda sink: [sink.write(body[i:i + size]) for i in range(0, len(body), size)], csv_records=True)
        assert w.records == len(list(csvmod.reader(io.StringIO(body.decode("utf-8"), newline=""))))
