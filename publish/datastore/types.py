"""Frictionless field → DataStore column type and data-dictionary entry, right by construction.

Codes stay text (leading zeros survive); a field whose published values are no longer of the
schema type (masked, pseudonymized, generalized) is text too.
"""

from __future__ import annotations

from typing import Any

import polars as pl

_TYPES = {
    "string": "text",
    "integer": "int8",
    "number": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "time": "time",
    "year": "int4",
    "yearmonth": "text",
    "duration": "text",
    "geopoint": "text",
    "geojson": "json",
    "object": "json",
    "array": "json",
    "any": "text",
}

# polars dtypes that can hold each DataStore type; anything else falls back to text
_COMPATIBLE = {
    "int8": (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32),
    "int4": (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16),
    "numeric": (pl.Float32, pl.Float64, pl.Decimal, pl.Int8, pl.Int16, pl.Int32, pl.Int64),
    "bool": (pl.Boolean,),
    "date": (pl.Date,),
    "timestamp": (pl.Datetime,),
    "time": (pl.Time,),
}


def column_type(field: dict[str, Any], dtype: pl.DataType | None) -> str:
    """DataStore type for one schema field given the published column's dtype."""
    want = _TYPES.get(field.get("type", "string"), "text")
    if want in _COMPATIBLE and dtype is not None:
        if not any(dtype == c or isinstance(dtype, c) for c in _COMPATIBLE[want]):
            return "text"
    return want


def datastore_fields(schema: dict[str, Any], frame: pl.DataFrame) -> list[dict[str, Any]]:
    """`fields` for datastore_create: one per published column, in frame order, with a data dictionary."""
    by_name = {f["name"]: f for f in schema.get("fields", [])}
    out = []
    for name, dtype in frame.schema.items():
        field = by_name.get(name, {"name": name, "type": "string"})
        info = {
            "label": field.get("title", name),
            "notes": field.get("description", ""),
        }
        if field.get("title_en"):
            info["label_en"] = field["title_en"]
        if field.get("unit"):
            info["unit"] = field["unit"]
        out.append({"id": name, "type": column_type(field, dtype), "info": info})
    return out
