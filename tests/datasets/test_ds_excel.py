"""excel connector: title rows, merged two-row headers, notes, sheets — and hostile workbooks."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from kaifang.errors import SourceError
from pipelines.extract import extract


def workbook_bytes(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def titled(wb):
    ws = wb.active
    ws.title = "汇总"
    ws["A1"] = "2024年某区学校情况统计表"
    ws.merge_cells("A1:E1")
    ws["A2"] = "单位：人"
    ws.append(["区县代码", "学校名称", "在校生人数", None, None])
    ws.append([None, None, "合计", "男", "女"])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells("C3:E3")
    ws.append(["010101", "第一小学", 1200, 610, 590])
    ws.append(["420102", "第二中学", 800.0, 400, 400])
    ws.append([None, None, None, None, None])
    ws.append(["注：数据来源于年报", None, None, None, None])
    other = wb.create_sheet("明细")
    other.append(["日期", "时间戳", "比例", "是否"])
    other.append([date(2024, 3, 1), datetime(2024, 3, 1, 8, 30), 0.25, True])


def xlsx_source(**opts):
    return {"connector": "excel", "options": {"path": "data/in.xlsx", **opts}}


def run(make_dataset, state_dir, data, **opts):
    ds = make_dataset(xlsx_source(**opts), files={"data/in.xlsx": data})
    return extract(ds, state_dir)


def test_title_rows_merged_header_and_notes(make_dataset, state_dir):
    ex = run(make_dataset, state_dir, workbook_bytes(titled), sheet="汇总", header_row=3, header_rows=2)
    t = ex.table
    assert t.columns == ["区县代码", "学校名称", "在校生人数_合计", "在校生人数_男", "在校生人数_女"]
    assert t.height == 2  # blank row and the 注 note are not data
    assert t["区县代码"].to_list() == ["010101", "420102"]
    assert t["在校生人数_合计"].to_list() == ["1200", "800"]  # integral floats lose .0
    assert ex.lineage.details["sheet"] == "汇总"


def test_sheet_by_index_and_value_text(make_dataset, state_dir):
    ex = run(make_dataset, state_dir, workbook_bytes(titled), sheet=1)
    assert ex.table.row(0) == ("2024-03-01", "2024-03-01T08:30:00", "0.25", "true")


def test_missing_sheet_lists_available(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, workbook_bytes(titled), sheet="不存在")
    assert "汇总" in ei.value.fix and "明细" in ei.value.fix


def test_not_a_zip(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, "编号,姓名\n1,张三\n".encode())
    assert ei.value.code == "format-error" and "not a zip" in ei.value.message and "csv connector" in ei.value.fix


def test_zip_without_workbook_parts(make_dataset, state_dir):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, buf.getvalue())
    assert ei.value.code == "format-error"


@pytest.mark.timeout(120)
def test_zip_bomb_refused_before_inflating(make_dataset, state_dir):
    good = workbook_bytes(titled)
    src = zipfile.ZipFile(io.BytesIO(good))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with z.open(info.filename, "w", force_zip64=True) as fh:  # 64 MB of one byte → ~64 KB
                    chunk = b" " * (1 << 20)
                    for _ in range(64):
                        fh.write(chunk)
            else:
                z.writestr(info, src.read(info.filename))
    data = buf.getvalue()
    assert len(data) < 1_000_000
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, data)
    assert ei.value.code == "archive-limit" and ei.value.context["entry"] == "xl/worksheets/sheet1.xml"
    assert "zip bomb" in ei.value.message


def test_total_uncompressed_limit(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, workbook_bytes(titled), max_uncompressed_bytes=1000)
    assert ei.value.code == "archive-limit"


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
          + b"]>\n")


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
@pytest.mark.timeout(60)
def test_billion_laughs_refused(make_dataset, state_dir, part):
    good = workbook_bytes(titled)
    src = zipfile.ZipFile(io.BytesIO(good))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
                body = LAUGHS + body.replace(b"</", b"&lol9;</", 1)
            z.writestr(info.filename, body)
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, buf.getvalue(), sheet="汇总", header_row=3, header_rows=2)
    assert ei.value.code == "unsafe-xml"


def test_empty_workbook_file(make_dataset, state_dir):
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, b"")
    assert ei.value.code == "empty-file"


def test_header_only_sheet(make_dataset, state_dir):
    def build(wb):
        wb.active.append(["a", "b"])
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, workbook_bytes(build))
    assert ei.value.code == "no-data-rows" and ei.value.context["row"] == 2


def test_duplicate_header_in_sheet(make_dataset, state_dir):
    def build(wb):
        wb.active.append(["a", "b", "a"])
        wb.active.append([1, 2, 3])
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, workbook_bytes(build))
    assert ei.value.code == "duplicate-label" and ei.value.context["column"] == 3


def test_too_many_columns(make_dataset, state_dir):
    def build(wb):
        wb.active.append([f"c{i}" for i in range(50)])
        wb.active.append(list(range(50)))
    with pytest.raises(SourceError) as ei:
        run(make_dataset, state_dir, workbook_bytes(build), max_columns=20)
    assert ei.value.code == "too-many-columns"
