"""Check characters of identifiers computed with numpy over a byte matrix (one row per value).

Polars has no per-character arithmetic, and 17–19 ``bin.get`` expressions per check cost ~1 s per
million values; the same sums over a ``uint8`` matrix cost a few milliseconds. Callers pass values
already shape-checked (ASCII, at most ``width`` characters): shorter values are padded with ``0``,
which adds nothing to any of the sums below.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from kaifang._arrow import StringColumn, string_buffers

ID_WEIGHTS = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), dtype=np.int64)
_USCC_LUT = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_LUT[ord(_c)] = _i


def byte_matrix(values: pl.Series, width: int) -> np.ndarray:
    """``(n, width)`` uint8 matrix of the values' ASCII bytes, right-padded with ``0`` (nulls → all ``0``)."""
    n = values.len()
    if n == 0:
        return np.zeros((0, width), dtype=np.uint8)
    joined = values.fill_null("").str.pad_end(width, "0").str.slice(0, width).str.join("").item()
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(n, width)


def digit_matrix(values: pl.Series, width: int) -> np.ndarray:
    """Digit values (``X``/``x`` → 10) as a uint8 matrix, right-padded with zeros."""
    return _DIGIT_LUT[byte_matrix(values, width)]


_DIGIT_LUT = np.zeros(256, dtype=np.uint8)
_DIGIT_LUT[48:58] = np.arange(10)
_DIGIT_LUT[[ord("X"), ord("x")]] = 10
_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9, 0], dtype=np.uint8)


def lengths(values: pl.Series) -> np.ndarray:
    """Byte length of each value (0 for null)."""
    return values.str.len_bytes().fill_null(0).to_numpy().astype(np.int64)


def _luhn_sum(digits: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Luhn sum of each row's first ``n`` digits (the rest are zero), the rightmost being the check
    digit: positions ``i`` with ``n - i`` even are doubled, i.e. the even positions when ``n`` is even.
    Sums run over the transposed matrix (one contiguous vector per position: fast in numpy)."""
    cols = np.ascontiguousarray(digits.T)
    doubled = _DOUBLED[cols]
    even, even2 = cols[0::2].sum(axis=0, dtype=np.int32), doubled[0::2].sum(axis=0, dtype=np.int32)
    odd, odd2 = cols[1::2].sum(axis=0, dtype=np.int32), doubled[1::2].sum(axis=0, dtype=np.int32)
    return np.where(n % 2 == 0, even2 + odd, odd2 + even)


def _weighted(digits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ weight × digit over the first ``len(weights)`` positions of each row."""
    cols = np.ascontiguousarray(digits[:, : len(weights)].T).astype(np.int32)
    total = np.zeros(digits.shape[0], dtype=np.int32)
    for w, col in zip(weights, cols):
        total += col * int(w)
    return total


def luhn_valid(values: pl.Series) -> np.ndarray:
    """Luhn check over digit strings of up to 19 digits."""
    return _luhn_sum(digit_matrix(values, 19), lengths(values)) % 10 == 0


def luhn_check_digits(digits: np.ndarray, n: np.ndarray | None = None) -> np.ndarray:
    """Check digits for a digit matrix whose rows hold ``n`` digits, the last (position ``n - 1``) zero.
    Without ``n`` every row is a payload of the matrix's full width (the check digit goes after it)."""
    if n is None:
        digits = np.concatenate([digits, np.zeros((digits.shape[0], 1), dtype=np.uint8)], axis=1)
        n = np.full(digits.shape[0], digits.shape[1])
    return ((10 - _luhn_sum(digits, n) % 10) % 10).astype(np.uint8)


def id18_check_ok(values: pl.Series) -> np.ndarray:
    """GB 11643 MOD 11-2 over 18-character values (17 digits + digit or X)."""
    d = digit_matrix(values, 18)
    return (_weighted(d, ID_WEIGHTS) + d[:, 17]) % 11 == 1


_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def id_check_chars(first17: np.ndarray) -> np.ndarray:
    """GB 11643 (ISO 7064 MOD 11-2) check character, as an ASCII byte, for an (n, 17) digit matrix."""
    return _ID_CHECK[_weighted(first17, ID_WEIGHTS) % 11]


def id18_check_char(first17: pl.Series) -> pl.Series:
    """The GB 11643 check character (``0``–``9`` or ``X``) for 17-digit bodies."""
    return ascii_rows(id_check_chars(digit_matrix(first17, 17))[:, None])


def ascii_rows(mat: np.ndarray, name: str = "") -> pl.Series:
    """(n, width) uint8 matrix of ASCII bytes → Utf8 series, without a Python loop."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, width = mat.shape
    return strings(np.arange(0, (n + 1) * width, width, dtype=np.int64), mat.reshape(-1), name)


def buffers(series: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets, uint8 data) of the column as one Arrow large-string buffer pair (nulls read as
    empty), copied straight off polars' string views through the Arrow C data interface."""
    s = series if series.dtype == pl.Utf8 else series.cast(pl.Utf8)
    return string_buffers(s)


def strings(offsets: np.ndarray, data: np.ndarray, name: str = "", nulls_from: pl.Series | None = None,
            valid: np.ndarray | None = None) -> pl.Series:
    """Utf8 series from Arrow large-string buffers (valid UTF-8); null where ``nulls_from`` is null or
    ``valid`` (booleans) is False."""
    n = len(offsets) - 1
    if n <= 0:
        return pl.Series(name, [], dtype=pl.Utf8)
    if nulls_from is not None and nulls_from.null_count():
        keep = nulls_from.is_not_null().to_numpy()
        valid = keep if valid is None else valid & keep
    return pl.Series(StringColumn(offsets, data, valid)).cast(pl.Utf8).alias(name)


def uscc_check_ok(values: pl.Series) -> np.ndarray:
    """GB 32100 MOD 31 over 18-character values of the USCC alphabet."""
    v = _USCC_LUT[byte_matrix(values, 18)]
    total = _weighted(np.where(v < 0, 0, v), USCC_WEIGHTS)
    return (v.min(axis=1) >= 0) & ((31 - total % 31) % 31 == v[:, 17])
