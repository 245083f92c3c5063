"""``csv`` connector: a delimited text file as a department hands it over.

Encoding is detected among UTF-8, UTF-8 with BOM and GB18030 (a superset of GBK/GB2312); the
delimiter is sniffed among ``, ; tab |``; the header may sit below title lines (``header_row``).
Parsing is pyarrow's multi-threaded CSV reader with every column read as text. Ragged rows, empty
or duplicate labels, empty files, header-only files and absurd widths are refused with a
``SourceError`` naming the file, line and fix — never a cell value.
"""

from __future__ import annotations

import csv
import ctypes
import io
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Literal

import polars as pl
from pydantic import Field

from kaifang.errors import SourceError
from pipelines.extract.common import Options, RawPart, Received, StoredRaw, check_header, check_size, local_file
from pipelines.extract.lineage import staged_raw_copy

Encoding = Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"]
_DELIMS = (",", "\t", ";", "|")


class CsvParseOptions(Options):
    """How to parse delimited text (shared by the csv and s3 connectors)."""

    encoding: Encoding = Field("auto", description="Text encoding; auto detects UTF-8 (with/without BOM) or GB18030/GBK.")
    delimiter: str | None = Field(None, min_length=1, max_length=1, description="Field delimiter; None sniffs among , ; tab |.")
    header_row: int = Field(1, ge=1, description="1-based line number of the header (lines above it are titles).")
    allow_empty: bool = Field(False, description="Accept a header-only file as an empty table instead of refusing it.")
    max_columns: int = Field(2000, ge=1, description="Refuse files with more columns than this (bounded memory).")
    max_bytes: int = Field(4 * 1024**3, ge=1, description="Refuse files larger than this many bytes.")


class CsvOptions(CsvParseOptions):
    """Options of the ``csv`` connector."""

    path: str = Field(..., description="File path, relative to the dataset folder; ${VAR} placeholders allowed.")


def read(options: CsvOptions, *, dataset_dir: Path, dataset: str, state_dir: Path | None = None) -> Received:
    """Read the file named by ``options.path`` and parse it.

    With a state dir the file is first copied into ``raw/`` (hashed in the background) and that copy is
    parsed, so the snapshot is exactly what was read and no copy of the bytes lives in memory."""
    shown, path = local_file(options.path, options.max_bytes, dataset_dir=dataset_dir, dataset=dataset, state_dir=state_dir)
    if state_dir is None:
        data = path.read_bytes()
        table, details = parse_csv_bytes(data, options, source=shown)
        return Received(table=table, parts=[RawPart(shown, data)], locator=f"file:{shown}", details=details)
    with staged_raw_copy(state_dir, path) as staged:
        check_size(staged.path.stat().st_size, options.max_bytes, shown)  # the file may have grown since it was checked
        table, details = parse_csv_file(staged.path, options, source=shown)
        sha, size, raw = staged.commit()
    return Received(table=table, parts=[RawPart(shown, snapshot=StoredRaw(sha, size, raw))], locator=f"file:{shown}", details=details)


def _line_at(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def decode(data: bytes, encoding: Encoding, *, source: str) -> tuple[str, str]:
    """Decode to text, returning (text, encoding used). Undecodable bytes raise with their line."""
    if encoding == "auto":
        if data.startswith(b"\xef\xbb\xbf"):
            return _decode_strict(data[3:], "utf-8", source=source, offset=3), "utf-8-sig"
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            # valid multi-byte UTF-8 before the bad byte: a damaged UTF-8 file, not GBK
            if any(b >= 0x80 for b in data[: exc.start]):
                raise _undecodable(data, exc.start, "utf-8", source) from None
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc.start, "utf-8 or gb18030", source) from None
    codec = {"gbk": "gb18030", "utf-8-sig": "utf-8-sig"}.get(encoding, encoding)
    return _decode_strict(data, codec, source=source), encoding


def _decode_strict(data: bytes, codec: str, *, source: str, offset: int = 0) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc.start, codec, source, offset) from None


def _undecodable(data: bytes, pos: int, codec: str, source: str, offset: int = 0) -> SourceError:
    return SourceError(
        f"bytes are not valid {codec}",
        fix="re-export the file as UTF-8 (or GBK/GB18030) and check it is not truncated or mixed; or set source.options.encoding",
        source=source, line=_line_at(data, pos), byte=pos + offset, code="encoding-error",
    )


def _split_lines_from(text: str, header_row: int, *, source: str) -> int:
    """Character offset where line ``header_row`` starts."""
    pos = 0
    for line in range(1, header_row):
        nl = text.find("\n", pos)
        if nl < 0:
            raise SourceError("file has fewer lines than header_row", fix="lower source.options.header_row",
                              source=source, header_row=header_row, lines=line)
        pos = nl + 1
    return pos


def _header_end(text: str, start: int) -> int:
    """End offset (after newline) of the CSV record starting at ``start`` (handles quoted newlines)."""
    pos = start
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        if text.count('"', start, nl) % 2 == 0:
            return nl + 1
        pos = nl + 1


def sniff_delimiter(sample: str) -> str:
    """Pick the delimiter giving the same (>1) number of fields on the first lines of ``sample``."""
    lines = [ln for ln in sample.splitlines()[:30] if ln.strip()]
    best, best_score = ",", (-1, -1)
    for d in _DELIMS:
        counts = [len(r) for r in csv.reader(lines, delimiter=d)] if lines else []
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = d, score
    return best


_NON_SPACE = re.compile(r"\S")
_HEAD_BYTES = 8 << 20  # header detection looks at the first 8 MB only


def _utf8_prefix(data: bytes, offset: int) -> str | None:
    """Decode the first bytes as UTF-8 (a multi-byte char cut at the end is fine); None if not UTF-8."""
    chunk = data[offset: offset + _HEAD_BYTES]
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(chunk) == _HEAD_BYTES and exc.start >= len(chunk) - 3:
            return chunk[: exc.start].decode("utf-8")
        return None


def parse_csv_bytes(data: bytes, options: CsvParseOptions, *, source: str) -> tuple[pl.DataFrame, dict]:
    """Parse delimited bytes into an all-Utf8 frame with the header as received.

    Fast path (UTF-8): only the first 8 MB are decoded in Python to find the header; the body bytes
    go straight to pyarrow, which validates UTF-8 itself. Anything else (GB18030, or an error) takes
    the full-decode path, which also finds the line of undecodable bytes.
    """
    return _parse_any(_Bytes(data), options, source=source)


def parse_csv_file(path: Path, options: CsvParseOptions, *, source: str) -> tuple[pl.DataFrame, dict]:
    """``parse_csv_bytes`` of a file's content; the UTF-8 fast path streams the body from the file."""
    return _parse_any(_File(Path(path)), options, source=source)


class _Bytes:
    """The raw input held in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def head(self, n: int) -> bytes:
        return self.data[:n]

    def all(self) -> bytes:
        return self.data

    def stream(self, offset: int):
        import pyarrow as pa

        return pa.BufferReader(pa.py_buffer(self.data)[offset:])

    def blank_from(self, offset: int) -> bool:
        return _NON_SPACE_BYTES.search(self.data, offset) is None


class _File:
    """The raw input as a file, read in blocks (never held whole in memory on the fast path)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __len__(self) -> int:
        return self.path.stat().st_size

    def head(self, n: int) -> bytes:
        with open(self.path, "rb") as fh:
            return fh.read(n)

    def all(self) -> bytes:
        return self.path.read_bytes()

    def stream(self, offset: int):
        import pyarrow as pa

        f = pa.OSFile(str(self.path))
        f.seek(offset)
        return f

    def blank_from(self, offset: int) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            while chunk := fh.read(1 << 20):
                if _NON_SPACE_BYTES.search(chunk):
                    return False
        return True


_NON_SPACE_BYTES = re.compile(rb"\S")


def _parse_any(src: "_Bytes | _File", options: CsvParseOptions, *, source: str) -> tuple[pl.DataFrame, dict]:
    if not len(src):
        raise SourceError("file is empty (0 bytes)", fix="re-export the source; an export must contain at least the header row",
                          source=source, code="empty-file")
    if options.encoding in ("auto", "utf-8", "utf-8-sig"):
        first = src.head(_HEAD_BYTES + 3)
        bom = 3 if first.startswith(b"\xef\xbb\xbf") else 0
        head = _utf8_prefix(first, bom)
        if head is not None:
            encoding = "utf-8-sig" if bom else "utf-8"
            try:
                return _parse(head, src, bom, encoding, options, source=source, body_is_bytes=True)
            except _NotUtf8:
                pass  # fall through: full decode names the line, or finds GB18030
    data = src.all()
    text, encoding = decode(data, options.encoding, source=source)
    return _parse(text, _Bytes(data), 0, encoding, options, source=source, body_is_bytes=False)


class _NotUtf8(Exception):
    pass


def _parse(text: str, src: "_Bytes | _File", bom: int, encoding: str, options: CsvParseOptions, *, source: str,
           body_is_bytes: bool) -> tuple[pl.DataFrame, dict]:
    """``body_is_bytes``: ``text`` is only a decoded head and the body is parsed from ``src`` (UTF-8);
    else ``text`` is the whole decoded input (re-encoded to UTF-8 for the parser)."""
    start = _split_lines_from(text, options.header_row, source=source)
    first_nl = text.find("\n", start)
    first_line = text[start: first_nl if first_nl >= 0 else len(text)].rstrip("\r")
    if not first_line.strip():
        raise SourceError("header line is blank", fix="set source.options.header_row to the line holding the column names",
                          source=source, line=options.header_row, code="blank-header")
    delimiter = options.delimiter or sniff_delimiter(text[start: start + 65536])
    if first_line.count(delimiter) + 1 > options.max_columns:
        raise SourceError(f"header has more than max_columns={options.max_columns} columns",
                          fix="check the delimiter and header_row, or raise source.options.max_columns",
                          source=source, line=options.header_row, columns=first_line.count(delimiter) + 1, code="too-many-columns")
    end = _header_end(text, start)
    header_lines = text.count("\n", start, end) or 1
    try:
        header = next(csv.reader([text[start:end].rstrip("\r\n")], delimiter=delimiter))
    except csv.Error:  # e.g. a lone carriage return inside the header line
        raise SourceError("header line cannot be parsed (a stray line break or carriage return inside it?)",
                          fix="re-export the file with one header line ending in LF or CRLF",
                          source=source, line=options.header_row, code="bad-header") from None
    labels = check_header(header, source=source, line=options.header_row)
    body_first_line = options.header_row + header_lines
    details = {"encoding": encoding, "delimiter": delimiter, "header_row": options.header_row}
    if body_is_bytes:
        offset = bom + len(text[:end].encode("utf-8"))
        body = src
        empty = src.blank_from(offset)
    else:
        offset = 0
        body = _Bytes(text[end:].encode("utf-8"))
        empty = _NON_SPACE.search(text, end) is None
    if empty:
        if options.allow_empty:
            return pl.DataFrame({h: pl.Series(h, [], dtype=pl.Utf8) for h in labels}), details
        raise SourceError("file has a header but no data rows", fix="check the export is complete, or set source.options.allow_empty: true",
                          source=source, line=body_first_line, code="no-data-rows")
    if body_is_bytes and isinstance(src, _File) and bom == 0 and start == 0 and header_lines == 1:
        fast = _polars_body(src.path, header, delimiter)
        if fast is not None:
            return fast.rename(dict(zip(fast.columns, labels))), details
    # the arrow path: imported here, as the polars path (most UTF-8 files) needs no pyarrow
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(labels))]
    bad: list[tuple[int, int]] = []

    def on_invalid(row) -> str:
        bad.append((row.expected_columns, row.actual_columns))
        return "skip"

    try:
        with body.stream(offset) as stream, _system_allocator():  # and again for the conversion, below
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid),
                # values as bytes: polars validates the UTF-8 when casting them to text (cheaper than arrow's check)
                convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names}, strings_can_be_null=True,
                                                      null_values=[""], quoted_strings_can_be_null=True),
            )
    except pa.ArrowInvalid as exc:
        if body_is_bytes and "utf8" in str(exc).lower().replace("-", ""):
            raise _NotUtf8() from None
        raise SourceError("file could not be parsed as delimited text", fix="check quoting (unbalanced \") and the delimiter",
                          source=source, delimiter=repr(delimiter), code="parse-error") from None
    if bad:
        if body_is_bytes:
            try:
                body_text = body.all()[offset:].decode("utf-8")
            except UnicodeDecodeError:  # not UTF-8 after all: GB18030 multi-byte chars may hold delimiter bytes
                raise _NotUtf8() from None
        else:
            body_text = text[end:]
        line, expected, actual = _first_ragged(body_text, delimiter, len(labels), body_first_line)
        raise SourceError(
            f"ragged rows: {len(bad)} row(s) do not have {len(labels)} fields",
            fix="re-export with one value per column (quote values containing the delimiter); the first bad line is named",
            source=source, line=line, expected_fields=expected, actual_fields=actual, bad_rows=len(bad),
            code="extra-cell" if actual > expected else "missing-cell",
        )
    handed = [table]
    del table
    try:
        with _system_allocator():
            return _to_polars(handed, labels), details
    except pl.exceptions.ComputeError:  # a value is not valid UTF-8
        if body_is_bytes:
            raise _NotUtf8() from None
        raise


def _polars_body(path: Path, header: list[str], delimiter: str) -> pl.DataFrame | None:
    """A UTF-8 file with its header on line 1, parsed by polars (multi-threaded, from the file) when
    byte counts prove every record has exactly the header's fields and no line is blank
    (``quality.schema_check.fast_cells``); empty cells become null as on the arrow path. None:
    take the arrow path (which names ragged lines and undecodable bytes)."""
    from quality.schema_check import fast_cells

    with open(path, "rb") as fh:
        first = fh.readline()
    cells = fast_cells(path, first, path.stat().st_size, delimiter)
    if cells is None or cells.labels != header:
        return None
    frame = cells.cells
    # only the columns holding an empty cell are rewritten (each rewrite is a new column next to the old)
    empty = frame.select((pl.col(c).str.len_bytes() == 0).any() for c in frame.columns).row(0)
    with_empty = [c for c, has in zip(frame.columns, empty) if has]
    return frame.with_columns(pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)) for c in with_empty) if with_empty else frame


@contextmanager
def _system_allocator() -> Iterator[None]:
    """Let arrow allocate through malloc, and give malloc's free memory back to the system afterwards.
    Arrow's default mimalloc pool keeps freed parser blocks resident for the rest of the run and pays
    more for fresh pages. The default pool is process-wide: a concurrent parse switching it back only
    changes which pool serves later allocations (each buffer keeps its own pool)."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        _malloc_trim()


def _malloc_trim() -> None:
    """glibc keeps freed memory in its arenas (~0.6 GB per GB of CSV after a parse); trim returns it."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _to_polars(handed: list["pa.Table"], labels: list[str]) -> pl.DataFrame:
    """The arrow table (handed over in a list, so no caller keeps it) as a polars frame, one column at
    a time: each arrow column is released once converted, so the whole table never exists twice."""
    table = handed.pop()
    columns = []
    for label in labels:
        columns.append(pl.from_arrow(table.column(0)).cast(pl.String).alias(label))
        table = table.remove_column(0)
    del table
    return pl.DataFrame(columns)


def _first_ragged(body: str, delimiter: str, width: int, first_line: int) -> tuple[int, int, int]:
    """Error path only: physical line and field count of the first ragged record."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    prev = 0
    for rec in reader:
        if rec and len(rec) != width:
            return first_line + prev, width, len(rec)
        prev = reader.line_num
    return first_line, width, -1
