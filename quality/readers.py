"""Vectorized cell readers: one Frictionless field type → a typed polars Series + a type-error mask.

Every reader has a strict *fast path* (an anchored ASCII regex plus a polars cast) that accepts
only cells frictionless-py certainly accepts too. Cells the fast path rejects — rare in good data —
are re-read once per distinct value by frictionless-py's own value reader (the reference
semantics: ``int()`` accepts ``" 7"``, ``strptime`` accepts ``"2024-1-5"``, …). So a cell is a
type error exactly when frictionless-py says so, and the cost stays vectorized for clean data.
Types without a fast path (``duration``, ``geopoint``, ``object``, ``array``, string formats
``email``/``uri``/``uuid``/``binary`` …) go through the per-distinct-value path entirely.

Typed values: integer → Int64, number → Float64, boolean → Boolean, date → Date,
datetime → Datetime(us) (offsets converted to UTC, naive), time → Time, year → Int32,
yearmonth → Utf8 ``YYYY-MM`` (canonical, sorts correctly), everything else → Utf8 as received.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import polars as pl

#: Keys of a field descriptor that change how frictionless-py reads a cell.
_READER_KEYS = (
    "name", "type", "format", "trueValues", "falseValues", "bareNumber", "floatNumber",
    "decimalChar", "groupChar", "itemType", "delimiter", "arrayItem",
)

DTYPES: dict[str, pl.DataType] = {
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us"),
    "time": pl.Time(),
    "year": pl.Int32(),
}

_NUM_RE = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$"
_TIME_RE = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}$"
_YEAR_RE = r"^[0-9]{4}$"
_YEARMONTH_RE = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"


def dtype_of(field: dict) -> pl.DataType:
    """The polars dtype of a field's typed column."""
    return DTYPES.get(field.get("type", "string"), pl.Utf8())


@lru_cache(maxsize=256)
def _frictionless_reader(key: tuple) -> Callable[[Any], Any]:
    from frictionless import Field  # imported lazily: only needed for rare cells

    descriptor = {k: (list(v) if isinstance(v, tuple) else v) for k, v in key}
    descriptor.setdefault("name", "field")
    return Field.from_descriptor(descriptor).create_value_reader()


def reference_reader(field: dict) -> Callable[[Any], Any]:
    """frictionless-py's value reader for this field (``None`` result = type error)."""
    key = tuple((k, _freeze(field[k])) for k in _READER_KEYS if k in field)
    return _frictionless_reader(key)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def to_polars_value(value: Any, field_type: str) -> Any:
    """A frictionless-py typed value → the value stored in our typed column."""
    if value is None:
        return None
    if field_type == "number":
        return float(value)
    if field_type == "integer":
        return value if -(2**63) <= value < 2**63 else None
    if field_type == "yearmonth":
        return f"{value[0]:04d}-{value[1]:02d}"
    if field_type == "datetime":
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if field_type == "time":
        if isinstance(value, dt.time) and value.tzinfo is not None:
            value = value.replace(tzinfo=None)
        return value
    if field_type in DTYPES:
        return value
    return value if isinstance(value, str) else None


@dataclass
class Cast:
    """Result of reading one column: typed values and where the cell is a type error."""

    values: pl.Series
    type_error: pl.Series


def fast_typed(src: pl.Expr, field: dict) -> pl.Expr | None:
    """The strict fast path: typed value, or null where it cannot vouch for the cell.

    ``None`` when the type has no fast path. A present cell left null here is re-read by
    ``finish_column``. Each expression evaluates the parse once (no self-reference).
    """
    ftype = field.get("type", "string")
    fmt = field.get("format", "default") or "default"
    if ftype == "any" or (ftype == "string" and fmt == "default"):
        return src
    if ftype == "integer" and field.get("bareNumber", True) is not False:
        # polars' cast accepts a subset of what int() accepts (fuzzed in tests): no regex needed
        return src.cast(pl.Int64, strict=False)
    if ftype == "number" and _plain_number(field):
        # likewise a subset of Decimal(); "NaN"/"inf" spellings match too
        return src.cast(pl.Float64, strict=False)
    if ftype == "boolean":
        mapping = {v: True for v in field.get("trueValues", ["true", "True", "TRUE", "1"])}
        mapping.update({v: False for v in field.get("falseValues", ["false", "False", "FALSE", "0"])})
        return src.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    if ftype == "date" and fmt != "any":
        if fmt == "default":
            # polars alone is laxer than strptime (" 2024-1-05", "99-01-05", year 0): anchor first
            ok = src.str.contains(_DATE_RE) & ~src.str.starts_with("0000")
            return pl.when(ok).then(src.str.to_date("%Y-%m-%d", strict=False, cache=False))
        return src.str.to_date(fmt, strict=False, cache=False)
    if ftype == "datetime" and fmt == "default":
        ok = src.str.contains(_DATETIME_RE) & ~src.str.starts_with("0000")
        return pl.when(ok).then(src.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us", cache=False))
    if ftype == "time" and fmt == "default":
        return pl.when(src.str.contains(_TIME_RE)).then(src.str.to_time("%H:%M:%S", strict=False, cache=False))
    if ftype == "year":
        return pl.when(src.str.contains(_YEAR_RE)).then(src.cast(pl.Int32, strict=False))
    if ftype == "yearmonth":
        return pl.when(src.str.contains(_YEARMONTH_RE)).then(src)
    return None


def _plain_number(field: dict) -> bool:
    """Number read as plain decimal text (defaults, even when spelled out)."""
    return field.get("bareNumber", True) is not False and field.get("decimalChar", ".") == "." and field.get("groupChar", "") == ""


def cast_exprs(src: pl.Expr, field: dict) -> tuple[pl.Expr, pl.Expr]:
    """Vectorized fast path as expressions over a Utf8 column (nulls = missing values).

    Returns (typed value or null, ``rest``: present cells the fast path could not accept); the
    ``rest`` cells go through ``finish_column`` (frictionless-py's reader, once per distinct value).
    """
    dtype = dtype_of(field)
    typed = fast_typed(src, field)
    if typed is None:
        return pl.lit(None, dtype=dtype), src.is_not_null()
    typed = typed.cast(dtype, strict=False)
    return typed, src.is_not_null() & typed.is_null()


def finish_column(raw: pl.Series, typed: pl.Series, rest: pl.Series, field: dict) -> Cast:
    """Re-read the ``rest`` cells with frictionless-py's reader; return values and type errors."""
    if not rest.any():
        return Cast(values=typed, type_error=rest)
    ftype = field.get("type", "string")
    dtype = dtype_of(field)
    reader = reference_reader(field)
    good: dict[str, Any] = {}
    for cell in raw.filter(rest).unique().to_list():
        value = reader(cell)
        if value is not None:
            good[cell] = to_polars_value(value, ftype)
    if not good:
        return Cast(values=typed, type_error=rest)
    slow_ok = raw.is_in(list(good)) & rest
    slow_vals = raw.replace_strict(good, default=None, return_dtype=dtype)
    values = pl.select(pl.when(slow_ok).then(slow_vals).otherwise(typed)).to_series().alias(typed.name)
    return Cast(values=values.cast(dtype), type_error=(rest & ~slow_ok).alias(rest.name))


def read_column(raw: pl.Series, field: dict) -> Cast:
    """Read one Utf8 column (nulls = missing values) as ``field`` says: typed values + type errors."""
    frame = raw.cast(pl.Utf8).to_frame("s")
    typed, rest = cast_exprs(pl.col("s"), field)
    out = frame.select(typed.alias("t"), rest.alias("r"))
    return finish_column(frame.get_column("s"), out.get_column("t").alias(raw.name), out.get_column("r").alias(raw.name), field)


def _native_reader(field: dict) -> Callable[[Any], Any] | None:
    """Pure-Python readers for constraint values of common types (avoids importing frictionless)."""
    ftype = field.get("type", "string")
    fmt = field.get("format", "default") or "default"
    if ftype == "string" and fmt == "default":
        return lambda v: v if isinstance(v, str) else None
    if ftype == "integer" and field.get("bareNumber", True) is not False:
        def read_int(v: Any) -> Any:
            if isinstance(v, bool):
                return None
            if isinstance(v, int):
                return v
            if isinstance(v, float) and v.is_integer():
                return int(v)
            try:
                return int(v.strip()) if isinstance(v, str) else None
            except ValueError:
                return None
        return read_int
    if ftype == "number" and _plain_number(field):
        def read_num(v: Any) -> Any:
            if isinstance(v, bool):
                return None
            if isinstance(v, (int, float)):
                return float(v)
            try:
                return float(v.strip()) if isinstance(v, str) and re.fullmatch(_NUM_RE, v.strip()) else None
            except ValueError:
                return None
        return read_num
    if ftype == "date" and fmt != "any":
        pattern = "%Y-%m-%d" if fmt == "default" else fmt
        def read_date(v: Any) -> Any:
            try:
                return dt.datetime.strptime(v, pattern).date() if isinstance(v, str) else None
            except ValueError:
                return None
        return read_date
    if ftype == "year":
        def read_year(v: Any) -> Any:
            if isinstance(v, int) and not isinstance(v, bool):
                return v if 0 <= v <= 9999 else None
            if isinstance(v, str) and len(v) == 4:
                try:
                    y = int(v)
                except ValueError:
                    return None
                return y if 0 <= y <= 9999 else None
            return None
        return read_year
    if ftype == "yearmonth":
        def read_ym(v: Any) -> Any:
            try:
                if isinstance(v, (list, tuple)) and len(v) == 2:
                    y, m = int(v[0]), int(v[1])
                elif isinstance(v, str):
                    ys, ms = v.split("-")
                    y, m = int(ys), int(ms)
                else:
                    return None
            except ValueError:
                return None
            return (y, m) if 1 <= m <= 12 else None
        return read_ym
    return None


def read_constraint(value: Any, field: dict) -> Any:
    """A constraint bound/enum member read the way frictionless-py reads it, as our typed value."""
    reader = _native_reader(field) or reference_reader(field)
    return to_polars_value(reader(value), field.get("type", "string"))
