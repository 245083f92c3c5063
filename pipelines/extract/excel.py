"""``excel`` connector: an .xlsx workbook with title rows, merged header cells and notes below.

Safety first: the archive is checked before any XML is parsed (must be a zip; bounded entry count,
uncompressed size and compression ratio — zip bombs are refused from the central directory), and
openpyxl parses with defusedxml (entity declarations — billion laughs — are refused) in read-only
mode. Values become text: integral floats lose ``.0``, dates become ISO strings.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
from pydantic import Field

from kaifang.errors import SourceError
from pipelines.extract.common import Options, RawPart, Received, check_header, read_local_file, frame_from_columns, text_value

FOOTER_PREFIXES = ("注", "备注", "说明", "数据来源", "资料来源", "制表", "填报", "审核", "Note", "Source")


class ExcelParseOptions(Options):
    """How to read a sheet (shared by the excel and s3 connectors)."""

    sheet: str | int = Field(0, description="Sheet name, or 0-based index.")
    header_row: int = Field(1, ge=1, description="1-based row of the (first) header row; rows above are titles.")
    header_rows: int = Field(1, ge=1, le=5, description="How many header rows (merged group headers above column names).")
    header_joiner: str = Field("_", description="Joins multi-row header parts, e.g. 在校生人数_男.")
    footer_prefixes: list[str] = Field(default_factory=lambda: list(FOOTER_PREFIXES),
                                       description="Rows after the data whose only text starts with one of these are notes, not data.")
    allow_empty: bool = Field(False, description="Accept a sheet with headers and no data rows.")
    max_columns: int = Field(2000, ge=1, description="Refuse sheets wider than this.")
    max_rows: int = Field(2_000_000, ge=1, description="Refuse sheets longer than this.")
    max_bytes: int = Field(200 * 1024**2, ge=1, description="Refuse workbook files larger than this.")
    max_uncompressed_bytes: int = Field(1024**3, ge=1, description="Refuse archives that expand beyond this (zip bombs).")
    max_ratio: int = Field(200, ge=1, description="Refuse archive entries compressed more than this ratio (zip bombs).")
    max_entries: int = Field(10_000, ge=1, description="Refuse archives with more entries than this.")


class ExcelOptions(ExcelParseOptions):
    """Options of the ``excel`` connector."""

    path: str = Field(..., description="Workbook path relative to the dataset folder; ${VAR} placeholders allowed.")


def read(options: ExcelOptions, *, dataset_dir: Path, dataset: str, state_dir: Path | None = None) -> Received:
    shown, data = read_local_file(options.path, options.max_bytes, dataset_dir=dataset_dir, dataset=dataset, state_dir=state_dir,
                                  what="source workbook", fix_size="raise source.options.max_bytes")
    table, details = parse_xlsx_bytes(data, options, source=shown)
    return Received(table=table, parts=[RawPart(shown, data)], locator=f"file:{shown}", details=details)


def check_archive(data: bytes, options: ExcelParseOptions, *, source: str) -> zipfile.ZipFile:
    """Open the archive after bounding it from its central directory."""
    if not data:
        raise SourceError("workbook file is empty (0 bytes)", fix="re-export the workbook", source=source, code="empty-file")
    if len(data) > options.max_bytes:
        raise SourceError(f"workbook is larger than max_bytes={options.max_bytes}", fix="raise source.options.max_bytes",
                          source=source, bytes=len(data))
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        raise SourceError("not an .xlsx workbook (the file is not a zip archive)",
                          fix="save it as Excel Workbook (.xlsx); legacy .xls or CSV files renamed to .xlsx are not accepted — use the csv connector for CSV",
                          source=source, code="format-error")
    try:
        zf = zipfile.ZipFile(buf)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SourceError("workbook archive is damaged", fix="re-export the workbook", source=source, code="format-error") from None
    if len(infos) > options.max_entries:
        raise SourceError(f"workbook archive has more than max_entries={options.max_entries} entries",
                          fix="re-export the workbook; this does not look like an Excel file", source=source, entries=len(infos), code="archive-limit")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > options.max_ratio:
            raise SourceError(f"workbook entry expands {ratio:.0f}× (limit {options.max_ratio}×): refused as a possible zip bomb",
                              fix="re-export the workbook from Excel; if genuine, raise source.options.max_ratio",
                              source=source, entry=info.filename, code="archive-limit")
        if total > options.max_uncompressed_bytes:
            raise SourceError(f"workbook expands beyond max_uncompressed_bytes={options.max_uncompressed_bytes}: refused as a possible zip bomb",
                              fix="split the workbook or raise source.options.max_uncompressed_bytes", source=source, code="archive-limit")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise SourceError("zip archive is not an .xlsx workbook (no xl/ part)", fix="save it as Excel Workbook (.xlsx)",
                          source=source, code="format-error")
    return zf


def _merged_ranges(zf: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col) of every merged range, parsed with defusedxml."""
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import range_boundaries

    out = []
    with zf.open(sheet_path.lstrip("/")) as fh:
        for _event, el in iterparse(fh, events=("end",)):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                c1, r1, c2, r2 = range_boundaries(el.get("ref"))
                out.append((r1, c1, r2, c2))
            elif tag == "row":
                el.clear()
    return out


def _cell_text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat()
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return text_value(v)


def _caused_by(exc: BaseException, kind: type) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def parse_xlsx_bytes(data: bytes, options: ExcelParseOptions, *, source: str) -> tuple[pl.DataFrame, dict]:
    """Parse one sheet of an .xlsx into an all-Utf8 frame (header as received, merged cells filled)."""
    import openpyxl
    from defusedxml import DefusedXmlException

    zf = check_archive(data, options, source=source)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except DefusedXmlException:
        raise SourceError("workbook XML declares entities or a DTD (billion-laughs style); refused",
                          fix="re-save the workbook from Excel; workbooks never need XML entity declarations",
                          source=source, code="unsafe-xml") from None
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for damaged files
        if _caused_by(exc, DefusedXmlException):
            raise SourceError("workbook XML declares entities or a DTD (billion-laughs style); refused",
                              fix="re-save the workbook from Excel; workbooks never need XML entity declarations",
                              source=source, code="unsafe-xml") from None
        raise SourceError(f"workbook could not be opened ({type(exc).__name__})", fix="re-export it from Excel as .xlsx",
                          source=source, code="format-error") from None
    try:
        sheetnames = wb.sheetnames
        if isinstance(options.sheet, int):
            if not 0 <= options.sheet < len(sheetnames):
                raise SourceError(f"sheet index {options.sheet} out of range", fix=f"use 0..{len(sheetnames) - 1} or a name: {', '.join(sheetnames)}",
                                  source=source)
            sheet = sheetnames[options.sheet]
        else:
            if options.sheet not in sheetnames:
                raise SourceError(f"sheet {options.sheet!r} not found", fix=f"use one of: {', '.join(sheetnames)}", source=source)
            sheet = options.sheet
        ws = wb[sheet]
        try:
            merges = _merged_ranges(zf, ws._worksheet_path)
            rows = _read_rows(ws, options, source, sheet)
        except DefusedXmlException:
            raise SourceError("worksheet XML declares entities or a DTD (billion-laughs style); refused",
                              fix="re-save the workbook from Excel", source=source, sheet=sheet, code="unsafe-xml") from None
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001
            if _caused_by(exc, DefusedXmlException):
                raise SourceError("worksheet XML declares entities or a DTD (billion-laughs style); refused",
                                  fix="re-save the workbook from Excel", source=source, sheet=sheet, code="unsafe-xml") from None
            raise SourceError(f"worksheet could not be read ({type(exc).__name__})", fix="re-export it from Excel as .xlsx",
                              source=source, sheet=sheet, code="format-error") from None
    finally:
        wb.close()
    return _to_frame(rows, merges, options, source, sheet), {"sheet": sheet, "header_row": options.header_row, "header_rows": options.header_rows}


def _read_rows(ws, options: ExcelParseOptions, source: str, sheet: str) -> list[tuple[int, list[str | None]]]:
    out: list[tuple[int, list[str | None]]] = []
    for r, row in enumerate(ws.iter_rows(min_row=options.header_row, max_col=options.max_columns + 1, values_only=True),
                            start=options.header_row):
        if len(row) > options.max_columns and row[options.max_columns] is not None:
            raise SourceError(f"sheet has more than max_columns={options.max_columns} columns", fix="raise source.options.max_columns",
                              source=source, sheet=sheet, row=r, code="too-many-columns")
        if r - options.header_row > options.max_rows:
            raise SourceError(f"sheet has more than max_rows={options.max_rows} rows", fix="raise source.options.max_rows",
                              source=source, sheet=sheet, row=r)
        out.append((r, [_cell_text(v) for v in row[: options.max_columns]]))
    return out


def _to_frame(rows, merges, options: ExcelParseOptions, source: str, sheet: str) -> pl.DataFrame:
    h0, hn = options.header_row, options.header_rows
    header_rows = [cells for r, cells in rows if h0 <= r < h0 + hn]
    if len(header_rows) < hn:
        raise SourceError("sheet has no header row at header_row", fix="set source.options.header_row to the row holding column names",
                          source=source, sheet=sheet, row=h0, code="blank-header")
    width = max((len(c) for c in header_rows), default=0)
    grid = [list(c) + [None] * (width - len(c)) for c in header_rows]
    # merged header cells: copy the top-left value over the whole range (within the header block)
    for r1, c1, r2, c2 in merges:
        if r2 < h0 or r1 >= h0 + hn:
            continue
        top = grid[r1 - h0][c1 - 1] if r1 >= h0 and c1 - 1 < width else None
        for r in range(max(r1, h0), min(r2, h0 + hn - 1) + 1):
            for c in range(c1, min(c2, width) + 1):
                grid[r - h0][c - 1] = top
    labels: list[str] = []
    for c in range(width):
        parts: list[str] = []
        for r in range(hn):
            v = grid[r][c]
            if v and (not parts or parts[-1] != v):
                parts.append(v)
        labels.append(options.header_joiner.join(parts))
    while labels and not labels[-1]:  # trailing unused columns
        labels.pop()
    width = len(labels)
    labels = check_header(labels, source=source, line=h0, sheet=sheet)
    body = [(r, cells[:width] + [None] * (width - len(cells))) for r, cells in rows if r >= h0 + hn]
    # drop notes/blank rows at the end
    while body:
        _r, cells = body[-1]
        texts = [c for c in cells if c is not None]
        if not texts or (len(texts) == 1 and texts[0].startswith(tuple(options.footer_prefixes))):
            body.pop()
        else:
            break
    body = [(r, cells) for r, cells in body if any(c is not None for c in cells)]
    if not body and not options.allow_empty:
        raise SourceError("sheet has a header but no data rows", fix="check the export, or set source.options.allow_empty: true",
                          source=source, sheet=sheet, row=h0 + hn, code="no-data-rows")
    columns = [[cells[i] for _r, cells in body] for i in range(width)]
    return frame_from_columns(labels, columns)
