"""Property: any table written by a standard CSV writer comes back cell-for-cell (UTF-8 and GBK)."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.extract.csv_file import CsvParseOptions, parse_csv_bytes

# no character whose GBK bytes are also valid UTF-8 (路 is C2 B7, "·" in UTF-8): such a file is
# ambiguous, and a reader must (and does) take it as UTF-8
ALPHABET = "abcXYZ019 ,;\t|\"'\n-_.张王李娜区县街号（）：，"
cell = st.text(alphabet=ALPHABET, max_size=12)
labels = st.lists(st.text(alphabet="abcdefgh张王李区", min_size=1, max_size=6), min_size=1, max_size=6, unique=True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=labels, data=st.data(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
       delimiter=st.sampled_from([",", "\t", ";", "|"]), crlf=st.booleans())
def test_roundtrip(header, data, encoding, delimiter, crlf):
    rows = data.draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), min_size=1, max_size=8))
    # a row of only empty cells is a blank line: readers skip it (and a body of nothing but
    # whitespace is reported as "no data rows")
    rows = [r for r in rows if any(c.strip() for c in r)] or [["x"] * len(header)]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    raw = buf.getvalue().encode(encoding)
    frame, details = parse_csv_bytes(raw, CsvParseOptions(delimiter=delimiter), source="prop.csv")
    assert frame.columns == header
    got = [tuple(r) for r in frame.iter_rows()]
    assert got == [tuple(c if c != "" else None for c in r) for r in rows]


MESS = [None, "blank-line", "short-row", "long-row", "cr-only", "quoted-header", "bad-utf8", "no-final-newline"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(header=labels, data=st.data(), delimiter=st.sampled_from([",", "\t", ";", "|"]), crlf=st.booleans(),
       mess=st.sampled_from(MESS))
def test_file_fast_path_equals_the_arrow_path(tmp_path, header, data, delimiter, crlf, mess):
    """A file takes the polars fast path when byte counts prove it well formed; the result (frame or
    error code) is always the arrow path's on the same bytes."""
    from kaifang.errors import SourceError
    from pipelines.extract.csv_file import parse_csv_file

    rows = data.draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), min_size=1, max_size=8))
    buf = io.StringIO()
    nl = "\r\n" if crlf else "\n"
    w = csv.writer(buf, delimiter=delimiter, lineterminator=nl, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue()
    if mess == "blank-line":
        text += nl + "x" * len(header) + nl
    elif mess == "short-row":
        text += delimiter.join(["s"] * max(1, len(header) - 1)) + nl
    elif mess == "long-row":
        text += delimiter.join(["l"] * (len(header) + 1)) + nl
    elif mess == "cr-only":
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    elif mess == "quoted-header":
        text = '"' + header[0] + '"' + text[len(header[0]):]
    elif mess == "no-final-newline":
        text = text.rstrip("\r\n")
    raw = text.encode("utf-8") + (b"\xff\xfe" + nl.encode() if mess == "bad-utf8" else b"")
    path = tmp_path / "t.csv"
    path.write_bytes(raw)

    def outcome(parse, src):
        try:
            frame, details = parse(src, CsvParseOptions(delimiter=delimiter), source="t.csv")
            return frame.columns, [tuple(r) for r in frame.iter_rows()], details
        except SourceError as exc:
            return "error", exc.code

    assert outcome(parse_csv_file, path) == outcome(parse_csv_bytes, raw)


def test_a_plain_file_takes_the_polars_fast_path(tmp_path):
    from pipelines.extract import csv_file

    path = tmp_path / "t.csv"
    path.write_bytes('id,name,note\r\n1,张三,"a,b"\r\n2,,""\r\n3,"x\r\ny",z\r\n'.encode())
    fast = csv_file._polars_body(path, ["id", "name", "note"], ",")
    assert fast is not None and fast.height == 3
    frame, _ = csv_file.parse_csv_file(path, CsvParseOptions(), source="t.csv")
    assert frame.rows() == [("1", "张三", "a,b"), ("2", None, None), ("3", "x\r\ny", "z")]
    assert frame.equals(csv_file.parse_csv_bytes(path.read_bytes(), CsvParseOptions(), source="t.csv")[0])
