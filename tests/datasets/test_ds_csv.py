"""csv connector: encodings, delimiters, header offset, and every bad input the issue lists."""

from __future__ import annotations

import pytest

from kaifang.errors import SourceError
from pipelines.extract import extract

SECRET_ID = "11010519491231002X"  # a personal value that must never appear in an error


def csv_source(**opts):
    return {"connector": "csv", "options": {"path": "data/in.csv", **opts}}


def run(make_dataset, state_dir, data: bytes, **opts):
    ds = make_dataset(csv_source(**opts), files={"data/in.csv": data})
    return extract(ds, state_dir)


TEXT = "编号,姓名,区县代码\n1,张三,010101\n2,李四,420102\n"


@pytest.mark.parametrize("encoded,expected", [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gbk"), "gb18030"),
    (TEXT.encode("gb18030"), "gb18030"),
])
def test_encodings_detected_and_text_preserved(make_dataset, state_dir, encoded, expected):
    ex = run(make_dataset, state_dir, encoded)
    assert ex.lineage.details["encoding"] == expected
    assert ex.table.columns == ["编号", "姓名", "区县代码"]
    assert ex.table["姓名"].to_list() == ["张三", "李四"]
    assert ex.table["区县代码"].to_list() == ["010101", "420102"]  # leading zeros kept: all Utf8
    assert all(str(t) == "String" for t in ex.table.dtypes)


@pytest.mark.parametrize("delim", [",", "\t", ";", "|"])
def test_delimiter_sniffed(make_dataset, state_dir, delim):
    data = TEXT.replace(",", delim).encode()
    ex = run(make_dataset, state_dir, data)
    assert ex.lineage.details["delimiter"] == delim
    assert ex.table.shape == (2, 3)


def test_header_row_offset_skips_title_lines(make_dataset, state_dir):
    data = ("2024年某某统计表\n单位：人\n" + TEXT).encode("gbk")
    ex = run(make_dataset, state_dir, data, header_row=3)
    assert ex.table.columns == ["编号", "姓名", "区县代码"]
    assert ex.table.height == 2


def test_quoted_delimiters_and_newlines_and_crlf(make_dataset, state_dir):
    data = b'a,b\r\n"x, y","line1\r\nline2"\r\n3,\r\n'
    ex = run(make_dataset, state_dir, data)
    assert ex.table["a"].to_list() == ["x, y", "3"]
    assert ex.table["b"].to_list() == ["line1\r\nline2", None]  # values as received


def test_undecodable_bytes_named_by_line(make_dataset, state_dir):
    data = "a,b\n1,2\n3,4\n".encode() + b"5,\xff\xfe\xfa\n"
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, data)
    e = ei.value
    assert e.context["line"] == 4 and e.code == "encoding-error"
    assert "in.csv" in str(e.context["source"]) and "UTF-8" in e.fix


def test_damaged_utf8_is_not_misread_as_gbk(make_dataset, state_dir):
    data = "姓名\n张三\n".encode() + b"\xe5\xbc\n"  # truncated UTF-8 sequence on line 3
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, data)
    assert ei.value.context["line"] == 3


def test_ragged_row_too_many_fields(make_dataset, state_dir):
    data = f"id,name\n1,a\n2,b\n3,c,{SECRET_ID}\n4,d\n".encode()
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, data)
    e = ei.value
    assert e.context["line"] == 4 and e.context["expected_fields"] == 2 and e.context["actual_fields"] == 3
    assert e.code == "extra-cell"
    assert SECRET_ID not in e.render() and SECRET_ID not in str(e.to_dict())


def test_ragged_row_too_few_fields_after_quoted_newline(make_dataset, state_dir):
    data = b'id,name,code\n1,"two\nlines",x\n2,b\n'
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, data)
    assert ei.value.context["line"] == 4 and ei.value.code == "missing-cell"


def test_duplicate_header(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, b"id,name,name\n1,a,b\n")
    assert ei.value.code == "duplicate-label" and ei.value.context["column"] == 3 and ei.value.context["same_as_column"] == 2


def test_empty_header_label(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, b"id,,name\n1,a,b\n")
    assert ei.value.code == "blank-label" and ei.value.context["column"] == 2


def test_lone_carriage_return_in_header_is_a_source_error(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, b"id,na\rme\n1,a\n")
    assert ei.value.code == "bad-header" and ei.value.context["line"] == 1 and "header line" in ei.value.fix


def test_zero_byte_file(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, b"")
    assert ei.value.code == "empty-file" and "0 bytes" in ei.value.message


def test_header_only_file(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, b"id,name\n")
    assert ei.value.code == "no-data-rows" and ei.value.context["line"] == 2 and "allow_empty" in ei.value.fix


def test_header_only_allowed_when_declared(make_dataset, state_dir):
    ex = run(make_dataset, state_dir, b"id,name\n", allow_empty=True)
    assert ex.table.shape == (0, 2)


@pytest.mark.timeout(60)  # a hang guard, not a speed goal
def test_hundred_thousand_columns_refused(make_dataset, state_dir):
    header = ",".join(f"c{i}" for i in range(100_000))
    data = (header + "\n" + ",".join("1" for _ in range(100_000)) + "\n").encode()
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, data)
    assert ei.value.code == "too-many-columns" and ei.value.context["columns"] == 100_000


def test_missing_file(make_dataset, state_dir, tmp_path):
    ds = make_dataset({"connector": "csv", "options": {"path": "data/absent.csv"}})
    with pytest.raises(SourceError) as ei:
        extract(ds, state_dir)
    assert "not found" in ei.value.message


def test_ascii_header_then_gbk_body_falls_back_to_gb18030(make_dataset, state_dir):
    data = b"id,name\n" + "1,王芳\n2,李娜\n".encode("gbk")
    ex = run(make_dataset, state_dir, data)
    assert ex.lineage.details["encoding"] == "gb18030" and ex.table["name"].to_list() == ["王芳", "李娜"]


def test_declared_encoding_used(make_dataset, state_dir):
    ex = run(make_dataset, state_dir, TEXT.encode("gbk"), encoding="gbk")
    assert ex.table["姓名"].to_list() == ["张三", "李四"] and ex.lineage.details["encoding"] == "gbk"
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, TEXT.encode("gbk"), encoding="utf-8")
    assert ei.value.context["line"] == 1
