"""Sensitivity vocabulary: closed values refused, missing tags fail closed and are reported."""

from __future__ import annotations

import json

import pytest

from kaifang.errors import ConfigError
from pipelines.tableschema import field_policies, load_schema, quasi_identifiers, validate_schema


def schema(*fields, **extra):
    return {"fields": list(fields), **extra}


@pytest.mark.parametrize("field,key", [
    ({"name": "a", "type": "string", "sensitivity": "secret"}, "sensitivity"),
    ({"name": "a", "type": "string", "sensitivity": "personal", "desensitize": {"method": "encrypt"}}, "desensitize.method"),
    ({"name": "a", "type": "string", "sensitivity": "direct-identifier", "desensitize": {"method": "keep"}}, "desensitize.method"),
    ({"name": "a", "type": "string", "sensitivity": "personal", "pii": "dna"}, "pii"),
    ({"name": "a", "type": "integer", "sensitivity": "direct-identifier", "pii": "cn_resident_id", "desensitize": {"method": "mask"}}, "type"),
    ({"name": "a", "type": "string", "sensitivity": "public", "pii": "cn_mobile"}, "sensitivity"),
    ({"name": "a", "type": "string", "sensitivity": "public", "desensitize": {"method": "mask"}}, "desensitize"),
    ({"name": "a", "type": "date", "sensitivity": "quasi-identifier", "desensitize": {"method": "generalize"}}, "desensitize.to"),
    ({"name": "a", "type": "text", "sensitivity": "public"}, "type"),
])
def test_wrong_vocabulary_refused_with_allowed_values(field, key):
    with pytest.raises(ConfigError) as ei:
        validate_schema(schema(field), source="s.json")
    assert ei.value.context["key"] == key and ei.value.context["field"] == "a" and ei.value.fix


def test_missing_tags_fail_closed():
    policies, problems = field_policies(schema(
        {"name": "a", "type": "string"},
        {"name": "b", "type": "string", "sensitivity": "personal"},
        {"name": "c", "type": "string", "sensitivity": "quasi-identifier", "desensitize": {"method": "keep"}},
        {"name": "d", "type": "string", "sensitivity": "public"},
    ))
    by = {p.name: p for p in policies}
    assert by["a"].sensitivity == "personal" and by["a"].method == "drop" and not by["a"].declared
    assert by["b"].method == "drop"
    assert by["c"].method == "keep" and by["d"].method == "keep"
    assert [(p.type, p.fieldName) for p in problems] == [("missing-sensitivity", "a"), ("missing-desensitize", "a"), ("missing-desensitize", "b")]
    assert quasi_identifiers(schema({"name": "c", "sensitivity": "quasi-identifier"})) == ["c"]


def test_load_schema_reports_json_line(tmp_path):
    p = tmp_path / "schema.json"
    p.write_text('{"fields": [\n  {"name": "a",}\n]}')
    with pytest.raises(ConfigError) as ei:
        load_schema(p)
    assert ei.value.context["line"] == 2


def test_load_schema_line_of_bad_field(tmp_path):
    p = tmp_path / "schema.json"
    p.write_text(json.dumps({"fields": [{"name": "ok", "type": "string", "sensitivity": "public"},
                                        {"name": "bad", "type": "string", "sensitivity": "semi"}]}, indent=2))
    with pytest.raises(ConfigError) as ei:
        load_schema(p)
    line = next(i for i, ln in enumerate(p.read_text().splitlines(), 1) if '"bad"' in ln)
    assert ei.value.context["line"] == line and "public" in ei.value.fix


def test_primary_key_must_name_a_field():
    with pytest.raises(ConfigError):
        validate_schema(schema({"name": "a", "type": "string", "sensitivity": "public"}, primaryKey=["b"]))


def test_duplicate_field_names_refused():
    with pytest.raises(ConfigError):
        validate_schema(schema({"name": "a", "sensitivity": "public"}, {"name": "a", "sensitivity": "public"}))


def test_frictionless_acceptance_is_remembered_refusals_are_not(tmp_path, monkeypatch):
    from pipelines.tableschema import schema_check_cache

    monkeypatch.setenv("KAIFANG_CACHE_DIR", str(tmp_path))
    good = {"fields": [{"name": "a", "type": "string", "sensitivity": "public"}]}
    validate_schema(good)
    assert schema_check_cache({"fields": [{"name": "a", "type": "string"}]}).exists()
    bad = {"fields": [{"name": "a", "type": "string", "sensitivity": "public", "constraints": {"minLength": "x"}}]}
    for _ in range(2):  # refused every time: only acceptances are remembered
        with pytest.raises(ConfigError, match="Frictionless"):
            validate_schema(bad)
    assert len(list((tmp_path / "schema-checks").iterdir())) == 1
