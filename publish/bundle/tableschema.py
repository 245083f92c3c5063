"""The public Table Schema of a release: the frame's columns with their original field definitions.

Dropped fields are absent. A desensitized field loses its value constraints (the method changes the
values) and takes its type from the frame (string where the method changed the format). Internal
keys (``desensitize`` parameters, ``pii``) are not published; ``sensitivity`` and the method name are.
"""

from __future__ import annotations

import copy

import polars as pl

_TEXT_TYPES = ("yearmonth", "year", "duration", "geopoint", "geojson", "any")
_VALUE_CONSTRAINTS = ("pattern", "enum", "minimum", "maximum", "minLength", "maxLength", "exclusiveMinimum", "exclusiveMaximum")


def frictionless_type(dtype: pl.DataType) -> str:
    """Table Schema type for a polars dtype."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or isinstance(dtype, pl.Decimal):
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Time:
        return "time"
    return "string"


def field_methods(deid: dict | None) -> dict[str, str]:
    """Field → desensitization method from a de-identification record (several record shapes accepted:
    ``pipelines.privacy.record`` ``steps.3_deidentification``, ``fields`` as a dict or list)."""
    if not deid:
        return {}
    out: dict[str, str] = {}
    actions = (deid.get("steps") or {}).get("3_deidentification") or []
    fields = deid.get("fields")
    if isinstance(fields, dict):
        actions = actions + [dict(v, field=n) for n, v in fields.items() if isinstance(v, dict)]
    elif isinstance(fields, list):
        actions = actions + [f for f in fields if isinstance(f, dict)]
    for a in actions:
        name = a.get("field") or a.get("name")
        if name and a.get("method"):
            out[name] = a["method"]
    return out


def dropped_fields(deid: dict | None) -> set[str]:
    """Field names the de-identification record lists as dropped."""
    if not deid:
        return set()
    out = set(deid.get("dropped") or [])
    out |= {n for n, m in field_methods(deid).items() if m == "drop"}
    return {n for n in out if n}


def public_schema(schema: dict, frame: pl.DataFrame, deid: dict | None = None) -> dict:
    """Build the public schema from the frame's columns and the original schema's field definitions."""
    original = {f["name"]: f for f in schema.get("fields", [])}
    dropped = dropped_fields(deid)
    methods = field_methods(deid)
    fields = []
    for name, dtype in frame.schema.items():
        if name in dropped:
            continue
        f = copy.deepcopy(original.get(name, {"name": name, "sensitivity": "public"}))
        method = methods.get(name) or (f.pop("desensitize", None) or {}).get("method")
        f.pop("desensitize", None)
        f.pop("pii", None)
        f["type"] = frictionless_type(dtype)
        orig_type = original.get(name, {}).get("type", "string")
        if f["type"] == "string" and orig_type in _TEXT_TYPES and (not method or method == "keep"):
            f["type"] = orig_type  # e.g. yearmonth "2024-01" is text in the frame and valid as its own type
        if f["type"] in ("string",) and original.get(name, {}).get("type", "string") != "string":
            f.pop("format", None)
        if f.get("format") and f["type"] in ("date", "datetime", "time"):
            f.pop("format")  # the CSV writer emits ISO formats
        if method and method != "keep":
            f["kaifang:desensitized"] = method
            cons = f.get("constraints") or {}
            for c in _VALUE_CONSTRAINTS:
                cons.pop(c, None)
            if cons:
                f["constraints"] = cons
            else:
                f.pop("constraints", None)
        f.setdefault("sensitivity", "personal")
        fields.append(f)
    out: dict = {"fields": fields}
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    if pk and all(k in frame.columns and k not in dropped for k in pk):
        out["primaryKey"] = pk
    for key in ("missingValues",):
        if key in schema:
            out[key] = schema[key]
    return out
