"""The bundled catalogue: every folder complete and valid, schema vocabulary, JSON Schema in sync,
invalid descriptors rejected with file, line, key and what is allowed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from kaifang.errors import ConfigError
from pipelines.descriptor import export_json_schema, load_dataset, load_registry, parse_descriptor
from pipelines.tableschema import DESENSITIZE_METHODS, PII_KINDS, SENSITIVITY

from .conftest import DATASETS, write_dataset

FOLDERS = sorted(p for p in DATASETS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def test_at_least_seven_datasets_one_per_department():
    reg = load_registry(DATASETS)
    assert len(reg) >= 7
    themes = {d.descriptor.theme for d in reg.values()}
    assert {"education", "health", "social-security", "employment", "civil-affairs", "culture-sports", "statistics"} <= themes
    assert len({d.descriptor.department.id for d in reg.values()}) >= 7


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_folder_is_complete_and_valid(folder):
    for name in ("dataset.yaml", "schema.json", "expectations.json"):
        assert (folder / name).is_file(), f"{folder.name} lacks {name}"
    ds = load_dataset(folder)
    assert ds.problems == []  # no fail-closed defaults needed: every field is tagged
    for f in ds.schema["fields"]:
        assert f.get("sensitivity") in SENSITIVITY, f"{folder.name}.{f['name']} has no sensitivity"
        if f["sensitivity"] != "public":
            assert f["desensitize"]["method"] in DESENSITIZE_METHODS
        if f.get("pii"):
            assert f["pii"] in PII_KINDS
    assert ds.suite["expectations"], "suite must not be empty"
    d = ds.descriptor
    if d.disclosure.kind == "microdata":
        assert any(f["sensitivity"] == "quasi-identifier" for f in ds.schema["fields"])
    # source data committed next to the definition
    assert any((folder / "data").iterdir())


def test_required_variety_of_sources_and_conditions():
    reg = load_registry(DATASETS)
    kinds = {d.descriptor.source.connector for d in reg.values()}
    assert {"csv", "excel", "sql", "http", "s3"} <= kinds
    conds = [d.descriptor.open_condition for d in reg.values()]
    assert "conditional" in conds and "closed" in conds
    assert any(d.descriptor.disclosure.kind == "aggregate" for d in reg.values())
    ss = reg["social-security-pension"]
    raw = (ss.dir / ss.descriptor.source.options.path).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the GBK CSV really is GBK
    raw.decode("gbk")
    assert any(f.get("desensitize", {}).get("free_text") for f in ss.schema["fields"])
    suites = [e for d in reg.values() for e in d.suite["expectations"]]
    assert any(e.get("meta", {}).get("severity") == "warning" for e in suites)
    types = {e["type"] for e in suites}
    assert {"expect_column_values_to_not_be_null", "expect_column_values_to_be_unique", "expect_column_values_to_be_in_set",
            "expect_column_values_to_be_between", "expect_column_values_to_match_regex", "expect_table_row_count_to_be_between",
            "expect_compound_columns_to_be_unique", "expect_column_mean_to_be_between"} <= types
    ftypes = {f["type"] for d in reg.values() for f in d.schema["fields"]}
    assert {"string", "integer", "number", "boolean", "date", "datetime", "year", "yearmonth"} <= ftypes


def test_small_counts_present_in_aggregate_dataset():
    from pipelines.extract import extract

    reg = load_registry(DATASETS)
    agg = next(d for d in reg.values() if d.descriptor.disclosure.kind == "aggregate")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        t = extract(agg, tmp).table
    counts = t[agg.descriptor.disclosure.counts[0]].cast(int)
    assert ((counts > 0) & (counts < agg.descriptor.disclosure.threshold)).sum() >= 5


def test_suites_load_in_great_expectations():
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    for d in load_registry(DATASETS).values():
        suite = gx.ExpectationSuite(name=d.suite["name"])
        for e in d.suite["expectations"]:
            suite.add_expectation_configuration(ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta")))
        assert len(suite.expectations) == len(d.suite["expectations"])


def test_exported_json_schema_in_sync():
    committed = json.loads((DATASETS / "dataset.schema.json").read_text(encoding="utf-8"))
    assert committed == export_json_schema(), "run: python -m pipelines.descriptor --write-schema"


def test_committed_data_small():
    total = sum(p.stat().st_size for p in DATASETS.rglob("*") if p.is_file())
    assert total <= 5 * 1024 * 1024


def test_generator_is_deterministic(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("kaifang_datasets_generate", DATASETS / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.generate(tmp_path, definitions=True)
    for folder in FOLDERS:
        for f in (tmp_path / folder.name).rglob("*"):
            if f.is_file():
                rel = f.relative_to(tmp_path)
                assert f.read_bytes() == (DATASETS / rel).read_bytes(), f"{rel} differs: re-run python datasets/generate.py"


# ------------------------------------------------------------------ invalid descriptors

def _broken(tmp_path, mutate) -> Path:
    folder = tmp_path / "ds" / "social-security-pension"
    shutil.copytree(DATASETS / "social-security-pension", folder)
    text = (folder / "dataset.yaml").read_text(encoding="utf-8")
    (folder / "dataset.yaml").write_text(mutate(text), encoding="utf-8")
    return folder


def test_invalid_theme_names_file_line_key_and_allowed(tmp_path):
    folder = _broken(tmp_path, lambda t: t.replace("theme: social-security", "theme: pensions"))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    e = ei.value
    line = next(i for i, ln in enumerate((folder / "dataset.yaml").read_text().splitlines(), 1) if ln.startswith("theme:"))
    assert e.context["file"] == folder / "dataset.yaml" and e.context["line"] == line and e.context["key"] == "theme"
    assert "social-security" in e.fix and "education" in e.fix


def test_unknown_nested_key(tmp_path):
    folder = _broken(tmp_path, lambda t: t.replace("  encoding: auto", "  encodng: auto"))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    e = ei.value
    assert e.context["key"] == "source.options.encodng" and "unknown key" in e.fix
    assert (folder / "dataset.yaml").read_text().splitlines()[e.context["line"] - 1].strip().startswith("encodng")


def test_bad_connector_lists_allowed(tmp_path):
    folder = _broken(tmp_path, lambda t: t.replace("connector: csv", "connector: ftp"))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert ei.value.context["key"].startswith("source") and "csv" in ei.value.fix and "s3" in ei.value.fix


def test_missing_required_key(tmp_path):
    folder = _broken(tmp_path, lambda t: t.replace("open_condition: conditional\n", ""))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert ei.value.context["key"] == "open_condition" and "required" in ei.value.fix


def test_yaml_syntax_error_has_line(tmp_path):
    folder = _broken(tmp_path, lambda t: t.replace("title_en:", "title_en: [unclosed", 1))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert ei.value.context["line"] >= 2 and "YAML" in ei.value.message


def test_id_must_match_folder(tmp_path):
    folder = _broken(tmp_path, lambda t: t.replace("id: social-security-pension", "id: other-name", 1))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert ei.value.context["key"] == "id"


def test_suite_column_must_exist(tmp_path):
    folder = _broken(tmp_path, lambda t: t)
    suite = json.loads((folder / "expectations.json").read_text())
    suite["expectations"].append({"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "nope"}})
    (folder / "expectations.json").write_text(json.dumps(suite))
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert "nope" in ei.value.message


def test_aggregate_disclosure_fields_must_exist(tmp_path):
    folder = write_dataset(tmp_path, {"connector": "csv", "options": {"path": "data/x.csv"}},
                           extra={"disclosure": {"kind": "aggregate", "threshold": 10, "dimensions": ["id"], "counts": ["n"]}})
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert "disclosure.counts" in ei.value.message


def test_invalid_yaml_never_echoes_values(tmp_path):
    # a value typed into the wrong key is reported by key, not by value
    folder = write_dataset(tmp_path, {"connector": "csv", "options": {"path": "data/x.csv"}}, extra={"spatial": {"name": "x", "code": "11010519491231002X"}})
    with pytest.raises(ConfigError) as ei:
        load_dataset(folder)
    assert ei.value.context["key"] == "spatial.code"
    assert "11010519491231002X" not in ei.value.render() and "11010519491231002X" not in str(ei.value.to_dict())
