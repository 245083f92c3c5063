"""Conformance: our polars validator reports the same (type, rowNumber, fieldName) set as frictionless-py."""

from __future__ import annotations

import polars as pl
import pytest
from frictionless import Package, Resource, Schema

from quality.schema_check import check_file, check_package, check_table, validate_file, validate_table

from . import corpus


def oracle(path, schema) -> set[tuple]:
    resource = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(schema))
    report = resource.validate(limit_errors=100_000)
    return {tuple(e) for e in report.flatten(["type", "rowNumber", "fieldName"])}


def ours(problems) -> set[tuple]:
    return {(p.type, p.rowNumber, p.fieldName) for p in problems}


@pytest.mark.parametrize("name", sorted(corpus.CASES))
def test_file_matches_frictionless(name, tmp_path):
    path = corpus.write(name, tmp_path)
    schema = corpus.CASES[name][1]
    expected = oracle(path, schema)
    got = ours(check_file(path, schema).problems)
    assert got == expected
    if name != "all_valid":
        assert expected, "every planted-error case must make frictionless-py report something"


def test_corpus_covers_every_error_type(tmp_path):
    seen = set()
    for name, (_, schema) in corpus.CASES.items():
        seen |= {t for t, _, _ in ours(check_file(corpus.write(name, tmp_path), schema).problems)}
    assert seen >= {
        "type-error", "constraint-error", "unique-error", "primary-key", "foreign-key", "missing-cell",
        "extra-cell", "blank-row", "missing-label", "extra-label", "duplicate-label", "incorrect-label", "blank-label",
    }


@pytest.mark.parametrize("name", ["constraints", "types_boolean_year_yearmonth", "types_date_datetime_time", "primary_key_composite", "foreign_key_self", "missing_values", "header_incorrect_extra"])
def test_frame_input_matches_file_input(name, tmp_path):
    """A frame read as text with every record complete gives the same problems as the file."""
    path = corpus.write(name, tmp_path)
    schema = corpus.CASES[name][1]
    frame = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)
    if name == "header_incorrect_extra":  # ragged rows cannot live in a frame: compare on the full rows only
        frame = frame.head(1)
        path.write_text("id,Name,age,extra\n1,a,3,z\n")
    typed, problems = validate_table(frame, schema)
    assert ours(problems) == oracle(path, schema)
    assert typed.columns == [f["name"] for f in schema["fields"]]


def test_package_foreign_keys_match_frictionless(tmp_path):
    resources, descriptors = {}, []
    for name, (text, schema) in corpus.PACKAGE.items():
        (tmp_path / f"{name}.csv").write_text(text)
        resources[name] = (tmp_path / f"{name}.csv", schema)
        descriptors.append({"name": name, "path": f"{name}.csv", "schema": schema})
    package = Package.from_descriptor({"resources": descriptors}, basepath=str(tmp_path))
    report = package.validate()
    expected = {(t.name, *e) for t in report.tasks for e in [(x.type, getattr(x, "row_number", None), getattr(x, "field_name", None)) for x in t.errors]}
    outcomes = check_package(resources)
    got = {(name, p.type, p.rowNumber, p.fieldName) for name, o in outcomes.items() for p in o.problems}
    assert got == expected
    assert ("people", "foreign-key", 3, None) in got


def test_typed_frame_dtypes_and_values(tmp_path):
    frame = pl.DataFrame({"i": ["1", " 7 ", "x"], "n": ["1.5", "NaN", ""], "d": ["2024-01-05", "2024-1-5", "2024-02-30"], "ym": ["2024-01", "2024-1", "2024-13"], "b": ["true", "0", "yes"]})
    schema = {"fields": [{"name": "i", "type": "integer"}, {"name": "n", "type": "number"}, {"name": "d", "type": "date"}, {"name": "ym", "type": "yearmonth"}, {"name": "b", "type": "boolean"}]}
    typed, problems = validate_table(frame, schema)
    assert typed.schema == {"i": pl.Int64, "n": pl.Float64, "d": pl.Date, "ym": pl.Utf8, "b": pl.Boolean}
    assert typed["i"].to_list() == [1, 7, None]
    assert typed["d"].to_list()[1].isoformat() == "2024-01-05"
    assert typed["ym"].to_list() == ["2024-01", "2024-01", None]
    assert typed["b"].to_list() == [True, False, None]
    assert ours(problems) == {("type-error", 4, "i"), ("type-error", 4, "d"), ("type-error", 4, "ym"), ("type-error", 4, "b")}


def test_validate_file_report_shape_has_no_cell_values(tmp_path):
    path = corpus.write("constraints", tmp_path)
    report = validate_file(path, corpus.CASES["constraints"][1]).to_dict()
    assert report["valid"] is False and report["stats"]["rows"] == 6
    assert {"type", "rowNumber", "fieldNumber", "fieldName", "message"} <= set(report["errors"][0])
    text = str(report)
    for value in ("张三", "王五六七八九十", "1000000.01", "a3", "2030-01-01"):
        assert value not in text


def test_bad_schema_and_missing_file_are_typed_errors(tmp_path):
    from kaifang.errors import ConfigError, SourceError

    with pytest.raises(ConfigError):
        check_table(pl.DataFrame({"a": ["1"]}), {"fields": [{"type": "integer"}]})
    with pytest.raises(SourceError) as info:
        validate_file(tmp_path / "nope.csv", {"fields": [{"name": "a"}]})
    assert "nope.csv" in str(info.value)


def test_regular_files_take_the_fast_reader_and_ragged_ones_the_exact_one(tmp_path):
    from quality.schema_check import read_csv_cells

    regular = read_csv_cells(corpus.write("structure_quoted_regular_crlf", tmp_path))
    assert regular.cell_counts is None and regular.cells.height == 4
    assert regular.cells["c1"].to_list() == ["a, b", "line\nbreak", 'say "hi"', "plain"]
    for ragged in ("structure_ragged_quoted_bom", "fl_invalid", "fl_blank_rows", "header_missing"):
        assert read_csv_cells(corpus.write(ragged, tmp_path)).cell_counts is not None, ragged
    # one column: a blank line (no cell) must not read as an empty value — the exact reader decides
    single = tmp_path / "single.csv"
    single.write_bytes(b'a\n""\n\nx\n')
    assert read_csv_cells(single).cell_counts.to_list() == [1, 0, 1]


def test_encodings(tmp_path):
    from kaifang.errors import SourceError

    schema = {"fields": [{"name": "名称", "type": "string"}, {"name": "n", "type": "integer"}]}
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("名称,n\n养老,1\n医疗,x\n".encode("gbk"))
    report = validate_file(gbk, schema, encoding="gbk").to_dict()
    assert [(e["type"], e["rowNumber"], e["fieldName"]) for e in report["errors"]] == [("type-error", 3, "n")]
    with pytest.raises(SourceError) as info:
        validate_file(gbk, schema)  # not UTF-8
    assert "gbk.csv" in str(info.value) and "encoding" in str(info.value)


def test_fast_casts_never_accept_what_python_rejects():
    """The regex-free fast casts (integer, number) accept a subset of int()/Decimal(), same values."""
    import random
    from decimal import Decimal

    from quality.readers import cast_exprs

    rnd = random.Random(4)
    cells = ["".join(rnd.choice("0123456789.eE+-_ xn") for _ in range(rnd.randint(1, 7))) for _ in range(20000)]
    cells += ["1e400", "NaN", "nan", "inf", "-Infinity", "+5", "-0", "1_0", "٣", " 1", "0x1"]
    frame = pl.DataFrame({"c": cells})
    for ftype, ref in (("integer", lambda c: int(c.strip())), ("number", lambda c: float(Decimal(c.strip())))):
        typed, rest = cast_exprs(pl.col("c"), {"name": "c", "type": ftype})
        out = frame.select(typed.alias("t"), rest.alias("r"))
        for cell, value, rejected in zip(cells, out["t"].to_list(), out["r"].to_list()):
            if rejected:
                continue
            expected = ref(cell)
            assert value == expected or (value != value and expected != expected), (ftype, cell)


def _bundled_sources():
    import csv as _csv
    import io

    root = __import__("pathlib").Path(__file__).resolve().parents[2] / "datasets"
    for schema_path in sorted(root.glob("*/schema.json")):
        for data in sorted((schema_path.parent / "data").glob("*.[ct]sv")):
            raw = data.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            rows = list(_csv.reader(io.StringIO(text, newline=""), delimiter="\t" if data.suffix == ".tsv" else ","))
            yield pytest.param(schema_path, rows[:80], id=f"{schema_path.parent.name}/{data.name}")


@pytest.mark.parametrize("schema_path,rows", list(_bundled_sources()))
def test_bundled_schemas_with_planted_errors_match_frictionless(schema_path, rows, tmp_path):
    """Every bundled schema (its real types, formats, trueValues, patterns, enums, keys) on its own
    sample data with one planted bad cell per field, a repeated first row and a blank required cell."""
    import csv as _csv
    import json as _json

    schema = _json.loads(schema_path.read_text())
    header, body = rows[0], [list(r) for r in rows[1:]]
    for i in range(min(len(header), len(schema["fields"]))):
        r = body[(3 * i + 1) % len(body)]
        r[i] = "??bad" if i % 2 else ""
    body.append(list(body[0]))
    path = tmp_path / "sample.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        _csv.writer(fh).writerows([header, *body])
    expected = oracle(path, schema)
    assert expected
    assert ours(check_file(path, schema).problems) == expected


def test_read_column_single_series():
    from quality.readers import read_column

    cast = read_column(pl.Series("y", ["2024", " 202", "24", None]), {"name": "y", "type": "year"})
    assert cast.values.to_list() == [2024, 202, None, None]  # " 202" has 4 characters: int() accepts it
    assert cast.type_error.to_list() == [False, False, True, False]


def test_invalid_pattern_and_bound_are_config_errors():
    from kaifang.errors import ConfigError

    frame = pl.DataFrame({"a": ["x"]})
    with pytest.raises(ConfigError) as info:
        validate_table(frame, {"fields": [{"name": "a", "constraints": {"pattern": "([a-z"}}]})
    assert "field 'a'" in str(info.value)
    with pytest.raises(ConfigError):
        validate_table(frame, {"fields": [{"name": "a", "type": "date", "constraints": {"minimum": "yesterday"}}]})


def test_lookaround_patterns_fall_back_to_python():
    frame = pl.DataFrame({"a": ["ab", "ac", "b"]})
    _, problems = validate_table(frame, {"fields": [{"name": "a", "constraints": {"pattern": "a(?=b)b"}}]})
    assert ours(problems) == {("constraint-error", 3, "a"), ("constraint-error", 4, "a")}
