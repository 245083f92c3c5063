"""The compiled cell scanner (``_scan.pyx``): one pass over a column's Arrow buffers gives, per cell,
the pre-filter flags of every detector and the number kinds of a cell whose only number candidate is
the whole cell or its single digit run. ``detect`` then runs its exact regular expressions only on
the flagged cells, and the polars token path only on cells flagged ``F_TOKEN``.
"""

from __future__ import annotations

import datetime as _dt
from functools import cache

import numpy as np
import polars as pl

from pipelines.privacy import checksums as CK

try:
    from pipelines.privacy import _scan
except ImportError as exc:  # pragma: no cover — a source checkout without the build step
    raise ImportError("pipelines.privacy._scan is not built: run `make venv` (pip install -e .) to compile it") from exc

F_MAY_HOLD, F_TOKEN, F_AT, F_DOTS, F_V6, F_RUNS = 1, 2, 4, 8, 16, 32
F_HAN, F_PLATE, F_ADDR, F_NAMECTX, F_PERMIT = 64, 128, 256, 512, 1024
"""Cell flags (see ``_scan.pyx``): every one is a superset of the cells its detector can match."""

KIND_BITS = {"cn_resident_id": 1, "bank_card": 2, "cn_uscc": 4, "cn_mobile": 8, "cn_landline": 16}
"""Number kinds of a cell's only candidate, as bits of the kinds array."""

HAN_RANGES = ((0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B), (0x3400, 0x4DBF),
              (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x16FE2, 0x16FF6), (0x20000, 0x323AF))
"""Code-point ranges covering the Han script (a superset of ``\\p{Han}``: a test checks every code point)."""


@cache
def class_table(plate_chars: str, address_marks: str, name_starts: str, permit_starts: str) -> np.ndarray:
    """Code point → class bits: 1 Han, 2 plate province, 4 address mark, 8 name-context start, 16 permit start."""
    table = np.zeros(0x110000, dtype=np.uint8)
    for lo, hi in HAN_RANGES:
        table[lo:hi + 1] |= 1
    for bit, chars in ((2, plate_chars), (4, address_marks), (8, name_starts), (16, permit_starts)):
        table[[ord(c) for c in set(chars)]] |= bit
    return table


@cache
def _provinces(prefixes: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(100, dtype=np.uint8)
    out[[int(p) for p in prefixes]] = 1
    return out


def _today() -> int:
    d = _dt.date.today()
    return d.year * 10000 + d.month * 100 + d.day


SLICE_ROWS = 250_000
"""Cells are copied out of polars and scanned this many at a time (bounded working memory)."""


def scan(series: pl.Series, table: np.ndarray, provinces: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(flags uint16, number kinds uint8) per cell of ``series``."""
    prov, today = _provinces(provinces), _today()
    parts = [_scan.scan_cells(*CK.buffers(series.slice(start, SLICE_ROWS)), table, prov, today)
             for start in range(0, max(series.len(), 1), SLICE_ROWS)]
    if len(parts) == 1:
        return parts[0]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
