"""CSV output: UTF-8, RFC 4180 (CRLF, quotes where needed), formula injection escaped (OWASP).

Text cells starting with ``= + - @``, tab or CR get a leading apostrophe so spreadsheets show them
as text. Only text columns are escaped: typed numbers such as -3 stay numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from kaifang._arrow import formula_starts
from .written import Written, write_checked

FORMULA_START = r"^[=+\-@\t\r]"


def escape_formulas(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """Return the escaped frame and, per text field, how many cells were escaped."""
    text = [c for c, t in frame.schema.items() if t in (pl.Utf8, pl.Categorical) or isinstance(t, pl.Enum)]
    if not text:
        return frame, {}
    hits = {c: formula_cells(frame.get_column(c)) for c in text}
    counts = {c: int(h.sum()) for c, h in hits.items() if h.any()}
    if not counts:
        return frame, {}
    escaped = frame.with_columns(
        [pl.when(pl.Series(hits[c])).then(pl.lit("'") + pl.col(c).cast(pl.Utf8)).otherwise(pl.col(c).cast(pl.Utf8)).alias(c) for c in counts]
    )
    return escaped, counts


def formula_cells(series: pl.Series) -> np.ndarray:
    """Booleans: the cell starts with a ``FORMULA_START`` character. Read off the Arrow string views
    (the length and first byte of each view) by a compiled pass, without touching the strings — the
    same cells as ``str.contains(FORMULA_START)``."""
    return formula_starts(series.cast(pl.Utf8))


def write_csv(frame: pl.DataFrame, path: Path) -> tuple[dict[str, int], Written]:
    """Write the release CSV (hashed as written, checked on disk); return the formula-escape counts
    per field and the written file's sha256, size, record count and header."""
    escaped, counts = escape_formulas(frame)
    written = write_checked(path, lambda sink: escaped.write_csv(
        sink,
        include_header=True,
        line_terminator="\r\n",
        quote_style="necessary",
        null_value="",
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%dT%H:%M:%S",
        time_format="%H:%M:%S",
    ), csv_records=True)
    return counts, written
