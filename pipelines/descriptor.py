"""Dataset definitions: the typed ``dataset.yaml`` model and the registry of ``datasets/<id>/``.

``DatasetDescriptor`` is the one catalogue standard: its JSON Schema is exported to
``datasets/dataset.schema.json`` (``python -m pipelines.descriptor --write-schema``; a test keeps
them equal). An invalid descriptor raises ``ConfigError`` naming the file, the line, the key and
what is allowed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from publish.datastore.config import DatastoreSettings

from kaifang.errors import ConfigError
from kaifang.problems import Problem
from pipelines.extract.csv_file import CsvOptions
from pipelines.extract.excel import ExcelOptions
from pipelines.extract.http_api import HttpOptions
from pipelines.extract.s3 import S3Options
from pipelines.extract.sql import SqlOptions
from pipelines.tableschema import field_names, field_policies, load_schema

THEMES = ("education", "health", "social-security", "employment", "civil-affairs", "culture-sports", "statistics",
          "transport", "housing", "environment", "public-safety", "agriculture", "market-regulation", "finance", "government")
"""Public-service theme codes (fixed list)."""

UPDATE_FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "semiannual", "yearly", "irregular")

OPEN_CONDITIONS = ("unconditional", "conditional", "closed")

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(_Model):
    """Publishing department → CKAN organization."""

    id: str = Field(..., pattern=SLUG, max_length=100, description="Organization slug, e.g. hrss-bureau.")
    name: str = Field(..., min_length=1, description="Department name in Chinese.")
    name_en: str = Field(..., min_length=1, description="Department name in English.")


class Temporal(_Model):
    """Temporal coverage."""

    start: date = Field(..., description="First day covered (YYYY-MM-DD).")
    end: date | None = Field(None, description="Last day covered; None = ongoing.")

    @model_validator(mode="after")
    def _order(self):
        if self.end is not None and self.end < self.start:
            raise ValueError("temporal.end is before temporal.start")
        return self


class Spatial(_Model):
    """Spatial coverage."""

    name: str = Field(..., description="Area name, e.g. 全市 or 某某区.")
    code: str | None = Field(None, pattern=r"^\d{6}$", description="GB/T 2260 administrative code (6 digits, text).")


class Contact(_Model):
    """Public contact point of the publishing department (a service desk, never a person's private data)."""

    name: str = Field(..., description="Office name, e.g. 数据管理科.")
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Office e-mail.")
    phone: str | None = Field(None, description="Office service line, e.g. 12345.")


class CsvSource(_Model):
    """Delimited text file."""

    connector: Literal["csv"]
    options: CsvOptions


class ExcelSource(_Model):
    """.xlsx workbook."""

    connector: Literal["excel"]
    options: ExcelOptions


class SqlSource(_Model):
    """Database table or query."""

    connector: Literal["sql"]
    options: SqlOptions


class HttpSource(_Model):
    """Paged JSON API."""

    connector: Literal["http"]
    options: HttpOptions


class S3Source(_Model):
    """Object or prefix in an S3-compatible store."""

    connector: Literal["s3"]
    options: S3Options


Source = Annotated[Union[CsvSource, ExcelSource, SqlSource, HttpSource, S3Source], Field(discriminator="connector")]


class MicrodataDisclosure(_Model):
    """Record-level data: quasi-identifiers (tagged in schema.json) must form groups of at least k."""

    kind: Literal["microdata"]
    k: int = Field(5, ge=2, le=1000, description="Every quasi-identifier combination is shared by at least k records.")
    quasi_identifiers: list[str] | None = Field(None, description="Override the schema's quasi-identifier fields (default: fields tagged quasi-identifier).")
    max_suppressed_share: float = Field(0.05, ge=0, le=1, description="Generalize further until at most this share of records needs local suppression.")


class AggregateDisclosure(_Model):
    """Tables of counts: cells below ``threshold`` are suppressed (with secondary suppression)."""

    kind: Literal["aggregate"]
    threshold: int = Field(10, ge=2, le=1000, description="Counts 1..threshold-1 are suppressed (ONS rule: 10).")
    dimensions: list[str] = Field(..., min_length=1, description="Fields that classify a cell (row/column keys).")
    counts: list[str] = Field(..., min_length=1, description="Count fields to protect.")
    round_to: int | None = Field(None, ge=1, description="Round published counts to this base (ONS 10-5: 5); None = no rounding.")


class NoDisclosure(_Model):
    """No record-level or small-count risk (e.g. facility lists)."""

    kind: Literal["none"]


Disclosure = Annotated[Union[MicrodataDisclosure, AggregateDisclosure, NoDisclosure], Field(discriminator="kind")]


class DatasetDescriptor(_Model):
    """One dataset's definition (``datasets/<id>/dataset.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Kaifang dataset descriptor")

    id: str = Field(..., pattern=SLUG, max_length=100, description="Slug; equals the folder name and the CKAN dataset name.")
    title: str = Field(..., min_length=2, description="Title in Chinese.")
    title_en: str = Field(..., min_length=2, description="Title in English.")
    description: str = Field(..., min_length=10, description="What the data is, who collects it, how to read it.")
    department: Department
    theme: Literal[THEMES] = Field(..., description="Public-service theme code.")  # type: ignore[valid-type]
    keywords: list[str] = Field(default_factory=list, description="Search keywords (zh or en).")
    license: str = Field("CC-BY-4.0", description="Licence id, e.g. CC-BY-4.0 or ODC-BY-1.0.")
    open_condition: Literal[OPEN_CONDITIONS] = Field(  # type: ignore[valid-type]
        ..., description="unconditional: public; conditional: published private to its organization (access on application); closed: never leaves the platform.")
    update_frequency: Literal[UPDATE_FREQUENCIES] = Field(..., description="Drives schedules and timeliness.")  # type: ignore[valid-type]
    schedule: str | None = Field(None, pattern=r"^(\S+\s+){4}\S+$", description="Optional cron override (5 fields).")
    temporal: Temporal
    spatial: Spatial
    contact: Contact
    source: Source
    schema_: str = Field("schema.json", alias="schema", description="Path of the Frictionless Table Schema, relative to the folder.")
    expectations: str = Field("expectations.json", description="Path of the Great Expectations suite, relative to the folder.")
    disclosure: Disclosure = Field(..., description="Disclosure-control settings.")
    datastore: DatastoreSettings = Field(
        default_factory=DatastoreSettings, description="How published versions are loaded into the CKAN DataStore (row-level API)."
    )

    @property
    def schema_path(self) -> str:
        return self.schema_

    @property
    def source_kind(self) -> str:
        return self.source.connector


@dataclass
class Dataset:
    """A loaded, validated dataset definition."""

    id: str
    dir: Path
    descriptor: DatasetDescriptor
    schema: dict[str, Any]
    suite: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)  # fail-closed defaults applied to the schema


def export_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``dataset.yaml`` (what ``datasets/dataset.schema.json`` holds)."""
    schema = DatasetDescriptor.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://kaifang.example/dataset.schema.json"
    return schema


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------

def _node_line(root: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the deepest node on ``loc`` in a composed YAML tree."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == part:
                    nxt, line = v, k.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _allowed(err: dict) -> str:
    ctx = err.get("ctx") or {}
    t = err["type"]
    if t == "literal_error":
        return f"one of {ctx.get('expected')}"
    if t == "union_tag_invalid":
        return f"one of {ctx.get('expected_tags')}"
    if t == "extra_forbidden":
        return "remove it (unknown key)"
    if t == "missing":
        return "add this required key"
    if t == "string_pattern_mismatch":
        return f"text matching {ctx.get('pattern')}"
    if t in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "a date YYYY-MM-DD"
    if "greater_than" in t or "less_than" in t:
        return err["msg"].lower()
    return err["msg"]


def parse_descriptor(path: str | Path) -> DatasetDescriptor:
    """Read and validate one ``dataset.yaml``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("dataset.yaml not found", fix="create it (see datasets/dataset.schema.json)", file=path) from None
    except UnicodeDecodeError:
        raise ConfigError("dataset.yaml is not UTF-8", fix="save it as UTF-8", file=path) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"dataset.yaml is not valid YAML: {getattr(exc, 'problem', exc)}", fix="fix the YAML syntax (indentation, colons, quotes)",
                          file=path, line=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise ConfigError("dataset.yaml must be a mapping of keys", fix="see datasets/dataset.schema.json", file=path, line=1)
    try:
        return DatasetDescriptor.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        # drop union-member tags pydantic inserts (e.g. 'csv' in source.csv.options)
        clean = _clean_loc(data, loc)
        key = ".".join(str(p) for p in clean) or "(top level)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"invalid dataset.yaml: {key}: {err['msg']}{more}", fix=f"allowed: {_allowed(err)}",
                          file=path, line=_node_line(root, clean), key=key) from None


def _clean_loc(data: Any, loc: tuple) -> tuple:
    out, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            out.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            out.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part not in node and (
                node.get("connector") == part or node.get("kind") == part or part in ("csv", "excel", "sql", "http", "s3", "microdata", "aggregate", "none")):
            continue  # discriminator tag
        else:
            out.append(part)
            node = None
    return tuple(out)


def load_dataset(folder: str | Path) -> Dataset:
    """Load one dataset folder: descriptor, schema (vocabulary-checked) and suite, cross-checked."""
    folder = Path(folder)
    desc = parse_descriptor(folder / "dataset.yaml")
    if desc.id != folder.name:
        raise ConfigError("descriptor id differs from its folder name", fix=f"set id: {folder.name} or rename the folder",
                          file=folder / "dataset.yaml", key="id", line=1)
    schema = load_schema(folder / desc.schema_path)
    suite_path = folder / desc.expectations
    try:
        suite = json.loads(suite_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("expectation suite not found", fix="create expectations.json (a Great Expectations 1.x suite)", file=suite_path) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"expectation suite is not valid JSON: {exc.msg}", fix="fix the JSON syntax", file=suite_path,
                          line=exc.lineno, column=exc.colno) from None
    _check_suite(suite, suite_path, set(field_names(schema)))
    _check_disclosure(desc, schema, folder / "dataset.yaml")
    _, problems = field_policies(schema)
    return Dataset(id=desc.id, dir=folder, descriptor=desc, schema=schema, suite=suite, problems=problems)


def _check_suite(suite: Any, path: Path, fields: set[str]) -> None:
    if not isinstance(suite, dict) or not isinstance(suite.get("expectations"), list):
        raise ConfigError("expectation suite needs an `expectations` list", fix='write {"name": ..., "expectations": [...]}', file=path)
    for i, e in enumerate(suite["expectations"]):
        if not isinstance(e, dict) or not str(e.get("type", "")).startswith("expect_") or not isinstance(e.get("kwargs", {}), dict):
            raise ConfigError("expectation needs `type: expect_...` and `kwargs`", fix="see the Great Expectations 1.x suite format", file=path,
                              key=f"expectations[{i}]")
        kw = e.get("kwargs", {})
        cols = [kw["column"]] if "column" in kw else list(kw.get("column_list", []))
        for c in cols:
            if c not in fields:
                raise ConfigError(f"expectation names unknown column {c!r}", fix="use a field name from schema.json", file=path, key=f"expectations[{i}]")
        sev = (e.get("meta") or {}).get("severity", "error")
        if sev not in ("error", "warning"):
            raise ConfigError(f"unknown severity {sev!r}", fix="use error or warning", file=path, key=f"expectations[{i}].meta.severity")


def _check_disclosure(desc: DatasetDescriptor, schema: dict, path: Path) -> None:
    names = set(field_names(schema))
    d = desc.disclosure
    if isinstance(d, MicrodataDisclosure):
        for f in d.quasi_identifiers or []:
            if f not in names:
                raise ConfigError(f"disclosure.quasi_identifiers names unknown field {f!r}", fix="use field names from schema.json", file=path,
                                  key="disclosure.quasi_identifiers")
    if isinstance(d, AggregateDisclosure):
        for key in ("dimensions", "counts"):
            for f in getattr(d, key):
                if f not in names:
                    raise ConfigError(f"disclosure.{key} names unknown field {f!r}", fix="use field names from schema.json", file=path, key=f"disclosure.{key}")


def load_registry(datasets_dir: str | Path) -> dict[str, Dataset]:
    """Every ``<datasets_dir>/<id>/dataset.yaml``, validated; the first invalid one raises ``ConfigError``."""
    root = Path(datasets_dir)
    if not root.is_dir():
        raise ConfigError("datasets folder not found", fix="set KAIFANG_DATASETS_DIR or --datasets-dir", datasets_dir=root)
    out: dict[str, Dataset] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "dataset.yaml").exists()):
        ds = load_dataset(folder)
        out[ds.id] = ds
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m pipelines.descriptor --write-schema [PATH]`` exports the JSON Schema."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--write-schema"]:
        target = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "datasets" / "dataset.schema.json"
        target.write_text(json.dumps(export_json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(target)
        return 0
    print(json.dumps(export_json_schema(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
