"""Frictionless Table Schema plus Kaifang's sensitivity vocabulary — loading and validation.

Every field carries ``sensitivity`` (GB/T 35273 / GB/T 37964 aligned)::

    public | quasi-identifier | personal | sensitive-personal | direct-identifier

optionally ``pii`` (a detector kind) and, for non-public fields, ``desensitize: {"method": ...}``.
The rules fail closed:

* a field with no ``sensitivity`` is treated as ``personal`` and reported (``missing-sensitivity``);
* a non-public field without ``desensitize`` is dropped and reported (``missing-desensitize``).

Values that are present but wrong (an unknown sensitivity, method or pii kind, ``keep`` on a
direct identifier, a leading-zero code typed as a number …) are configuration errors: the schema is
refused with a ``ConfigError`` naming the file, field and what is allowed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaifang.errors import ConfigError
from kaifang.problems import Problem

SENSITIVITY = ("public", "quasi-identifier", "personal", "sensitive-personal", "direct-identifier")
"""Closed vocabulary, least to most sensitive."""

NON_PUBLIC = SENSITIVITY[1:]

DESENSITIZE_METHODS = ("mask", "pseudonymize", "surrogate", "generalize", "suppress", "drop", "keep")
"""Methods the privacy stage implements (parameters are defined there)."""

GENERALIZE_TO = ("month", "year", "decade", "age_band", "district", "city", "province", "prefix", "range", "round")
"""Targets of ``{"method": "generalize", "to": ...}`` (dates: month/year/decade/age_band; addresses and
region codes: district/city/province; text: prefix; numbers: range/round — see pipelines.privacy.methods)."""

PII_KINDS = (
    "cn_resident_id", "cn_mobile", "cn_landline", "bank_card", "email", "cn_uscc", "passport",
    "ip_address", "licence_plate", "person_name", "address",
)
"""Detector kinds shared by the ``pii`` schema key and the scanner's findings."""

NON_PERSONAL_PII = ("cn_uscc",)
"""Detector kinds that identify organizations, not people: allowed on public fields."""

FIELD_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time", "year", "yearmonth",
               "duration", "geopoint", "object", "array", "any")

#: pii kinds whose values are codes with leading zeros or longer than a float's precision — must be strings
_STRING_ONLY_PII = {"cn_resident_id", "cn_mobile", "cn_landline", "bank_card", "cn_uscc", "passport"}


@dataclass(frozen=True)
class FieldPolicy:
    """The effective privacy policy of one field after fail-closed defaults."""

    name: str
    sensitivity: str
    method: str  # desensitization method; "keep" for public fields
    params: dict[str, Any] = field(default_factory=dict)
    pii: str | None = None
    declared: bool = True  # False when a fail-closed default replaced a missing declaration


def load_schema(path: str | Path) -> dict[str, Any]:
    """Read and validate ``schema.json``; raise ``ConfigError`` (file, line, field, allowed) if invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("table schema not found", fix="create schema.json next to dataset.yaml or fix the `schema` path",
                          file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError("table schema is not UTF-8", fix="save schema.json as UTF-8", file=path,
                          byte=exc.start) from None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"table schema is not valid JSON: {exc.msg}", fix="fix the JSON syntax", file=path,
                          line=exc.lineno, column=exc.colno) from None
    validate_schema(schema, source=path, text=text)
    return schema


def _line_of(text: str | None, needle: str) -> int | None:
    if not text:
        return None
    pos = text.find(needle)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else None


def validate_schema(schema: Any, *, source: str | Path = "<schema>", text: str | None = None) -> None:
    """Refuse a structurally wrong schema or wrong vocabulary; missing tags are left to ``field_policies``."""

    def fail(msg: str, fix: str, fname: str | None = None, key: str | None = None) -> None:
        line = _line_of(text, f'"name": "{fname}"') if fname else None
        raise ConfigError(msg, fix=fix, file=source, line=line, field=fname, key=key)

    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        fail("table schema needs a non-empty `fields` list", "write {\"fields\": [{\"name\": ..., \"type\": ..., \"sensitivity\": ...}]}")
    names: set[str] = set()
    for i, f in enumerate(schema["fields"], start=1):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"].strip():
            fail(f"field #{i} has no name", "give every field a non-empty `name`", key=f"fields[{i - 1}].name")
        name = f["name"]
        if name in names:
            fail("duplicate field name", "field names must be unique", name, "name")
        names.add(name)
        ftype = f.get("type", "any")
        if ftype not in FIELD_TYPES:
            fail(f"unknown field type {ftype!r}", f"use one of: {', '.join(FIELD_TYPES)}", name, "type")
        sens = f.get("sensitivity")
        if sens is not None and sens not in SENSITIVITY:
            fail(f"unknown sensitivity {sens!r}", f"use one of: {', '.join(SENSITIVITY)}", name, "sensitivity")
        pii = f.get("pii")
        if pii is not None and pii not in PII_KINDS:
            fail(f"unknown pii kind {pii!r}", f"use one of: {', '.join(PII_KINDS)}", name, "pii")
        if pii in _STRING_ONLY_PII and ftype != "string":
            fail(f"{pii} values must be typed string (leading zeros, `X`, > 15 digits)", "set \"type\": \"string\"", name, "type")
        if sens == "public" and pii is not None and pii not in NON_PERSONAL_PII:
            fail(f"field tagged pii={pii} cannot be public", "tag it personal, sensitive-personal or direct-identifier", name, "sensitivity")
        des = f.get("desensitize")
        if des is not None:
            if not isinstance(des, dict) or des.get("method") not in DESENSITIZE_METHODS:
                got = des.get("method") if isinstance(des, dict) else des
                fail(f"unknown desensitize method {got!r}", f"use {{\"method\": one of {', '.join(DESENSITIZE_METHODS)}}}", name, "desensitize.method")
            if sens == "public":
                fail("a public field has a desensitize rule", "remove `desensitize` or tag the field non-public", name, "desensitize")
            if des["method"] == "keep" and sens not in (None, "quasi-identifier"):
                fail("`keep` is allowed only for quasi-identifiers (k-anonymity protects them)",
                     "choose mask, pseudonymize, surrogate, generalize, suppress or drop", name, "desensitize.method")
            if des["method"] == "generalize" and des.get("to") not in GENERALIZE_TO:
                fail(f"generalize needs `to` in {', '.join(GENERALIZE_TO)}", "add e.g. \"to\": \"year\"", name, "desensitize.to")
    pk = schema.get("primaryKey")
    if pk is not None:
        keys = [pk] if isinstance(pk, str) else pk
        for k in keys:
            if k not in names:
                fail(f"primaryKey names unknown field {k!r}", f"use one of the field names", key="primaryKey")
    for i, fk in enumerate(schema.get("foreignKeys") or []):
        if not isinstance(fk, dict) or "fields" not in fk or "reference" not in fk:
            fail("foreignKeys entries need `fields` and `reference`", "see the Frictionless Table Schema spec", key=f"foreignKeys[{i}]")
    _frictionless_check(schema, source)


def _frictionless_check(schema: dict, source: str | Path) -> None:
    """Let frictionless validate the standard part (constraints, formats) of the descriptor.

    A descriptor frictionless accepted once is remembered (``schema_check_cache``), so a run does not
    pay frictionless's import and first validation (~0.4 s) again for an unchanged schema."""
    plain = {**schema, "fields": [{k: v for k, v in f.items() if k not in ("sensitivity", "pii", "desensitize")}
                                  for f in schema["fields"]]}
    passed = schema_check_cache(plain)
    if passed is not None and passed.exists():
        return
    from frictionless import Schema

    try:
        report = Schema.validate_descriptor(plain)
    except Exception as exc:  # noqa: BLE001 — frictionless raises for grossly wrong descriptors
        raise ConfigError(f"not a valid Frictionless Table Schema: {type(exc).__name__}",
                          fix="check field types and constraints against the Table Schema spec", file=source) from None
    if not report.valid:
        err = report.flatten(["note"])[0][0] if report.flatten(["note"]) else "invalid"
        raise ConfigError(f"not a valid Frictionless Table Schema: {err}",
                          fix="check field types and constraints against the Table Schema spec", file=source)
    if passed is not None:
        try:
            passed.parent.mkdir(parents=True, exist_ok=True)
            passed.touch()
        except OSError:
            pass  # a read-only cache only costs the next run the check


def schema_check_cache(plain: dict) -> Path | None:
    """Marker file whose existence records that this frictionless version accepted this exact descriptor:
    ``$KAIFANG_CACHE_DIR`` (default ``$XDG_CACHE_HOME/kaifang`` or ``~/.cache/kaifang``) ``/schema-checks/<sha256>``.
    Only acceptances are recorded; None when the frictionless version cannot be read."""
    import hashlib
    import os
    from importlib.metadata import PackageNotFoundError, version

    try:
        tag = f"kaifang.schema-check/1 frictionless {version('frictionless')}\n"
    except PackageNotFoundError:
        return None
    key = hashlib.sha256(tag.encode() + json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()
    root = os.environ.get("KAIFANG_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kaifang"
    return Path(root) / "schema-checks" / key


def field_policies(schema: dict[str, Any]) -> tuple[list[FieldPolicy], list[Problem]]:
    """Effective policy per field with fail-closed defaults, and the problems the defaults caused."""
    policies: list[FieldPolicy] = []
    problems: list[Problem] = []
    for i, f in enumerate(schema.get("fields", []), start=1):
        name = f["name"]
        sens = f.get("sensitivity")
        declared = True
        if sens is None:
            sens, declared = "personal", False
            problems.append(Problem(
                type="missing-sensitivity", message=f"field {name!r} has no sensitivity tag; treated as personal",
                fieldNumber=i, fieldName=name, severity="warning",
                note=f"add \"sensitivity\": one of {', '.join(SENSITIVITY)}"))
        if sens == "public":
            policies.append(FieldPolicy(name, sens, "keep", {}, f.get("pii"), declared))
            continue
        des = f.get("desensitize")
        if des is None:
            problems.append(Problem(
                type="missing-desensitize", message=f"non-public field {name!r} has no desensitize rule; it will be dropped",
                fieldNumber=i, fieldName=name, severity="warning",
                note="add \"desensitize\": {\"method\": ...} to publish a protected form of it"))
            policies.append(FieldPolicy(name, sens, "drop", {}, f.get("pii"), False))
            continue
        params = {k: v for k, v in des.items() if k != "method"}
        policies.append(FieldPolicy(name, sens, des["method"], params, f.get("pii"), declared))
    return policies, problems


def quasi_identifiers(schema: dict[str, Any]) -> list[str]:
    """Names of fields tagged ``quasi-identifier`` (the k-anonymity key)."""
    return [f["name"] for f in schema.get("fields", []) if f.get("sensitivity") == "quasi-identifier"]


def field_names(schema: dict[str, Any]) -> list[str]:
    """Field names in schema order."""
    return [f["name"] for f in schema.get("fields", [])]
