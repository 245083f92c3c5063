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
    # a row of only empty cells is a blank line: readers skip it
    rows = [r for r in rows if any(r)] or [["x"] * len(header)]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    raw = buf.getvalue().encode(encoding)
    frame, details = parse_csv_bytes(raw, CsvParseOptions(delimiter=delimiter), source="prop.csv")
    assert frame.columns == header
    got = [tuple(r) for r in frame.iter_rows()]
    assert got == [tuple(c if c != "" else None for c in r) for r in rows]
