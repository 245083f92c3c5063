"""A small dataclass-based stand-in for ``pipelines.descriptor.Dataset`` (duck-typed by publish)."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl


@dataclass
class Department:
    id: str = "hrss"
    name: str = "人力资源和社会保障局"
    name_en: str = "Human Resources and Social Security Bureau"


@dataclass
class Temporal:
    start: str = "2024-01-01"
    end: str = "2024-12-31"


@dataclass
class Descriptor:
    id: str
    title: str = "社保缴费统计"
    title_en: str = "Social insurance contributions"
    description: str = "按区县和月份汇总的社会保险缴费人数。"
    department: Department = field(default_factory=Department)
    theme: str = "social-security"
    keywords: list[str] = field(default_factory=lambda: ["社保", "social insurance"])
    license: str = "cc-by"
    open_condition: str = "unconditional"
    update_frequency: str = "monthly"
    temporal: Temporal = field(default_factory=Temporal)
    spatial: str = "示例市"
    contact: str = "opendata@example.gov.cn"
    schema: dict = field(default_factory=dict)


@dataclass
class Dataset:
    id: str
    dir: Path
    descriptor: Descriptor
    schema: dict
    suite: dict = field(default_factory=dict)


BASE_SCHEMA = {
    "fields": [
        {"name": "record_id", "type": "integer", "title": "记录号", "sensitivity": "public"},
        {"name": "district", "type": "string", "title": "区县", "sensitivity": "public"},
        {"name": "month", "type": "date", "sensitivity": "public"},
        {"name": "contributors", "type": "integer", "sensitivity": "public"},
        {"name": "amount", "type": "number", "sensitivity": "public"},
        {"name": "note", "type": "string", "sensitivity": "public"},
        {"name": "person_id", "type": "string", "sensitivity": "direct-identifier", "pii": "cn_resident_id", "desensitize": {"method": "pseudonymize"}},
        {"name": "phone", "type": "string", "sensitivity": "personal", "desensitize": {"method": "drop"}},
    ],
    "primaryKey": ["record_id"],
}


def make_dataset(tmp_path: Path, *, ds_id: str | None = None, open_condition: str = "unconditional", schema: dict | None = None) -> Dataset:
    ds_id = ds_id or f"kftest-{uuid.uuid4().hex[:10]}"
    schema = copy.deepcopy(schema or BASE_SCHEMA)
    desc = Descriptor(id=ds_id, open_condition=open_condition, schema=schema)
    d = tmp_path / "datasets" / ds_id
    d.mkdir(parents=True, exist_ok=True)
    return Dataset(id=ds_id, dir=d, descriptor=desc, schema=schema)


def make_frame(n: int = 20) -> pl.DataFrame:
    """A desensitized frame: person_id already pseudonymized, phone dropped; one formula-looking note."""
    import datetime as dt

    notes = ["ok"] * n
    notes[1] = "=HYPERLINK(\"http://evil\")"
    notes[2] = "-3 adjustment"
    notes[3] = "@SUM(A1)"
    return pl.DataFrame(
        {
            "record_id": list(range(1, n + 1)),
            "district": [f"区{i % 4}" for i in range(n)],
            "month": [dt.date(2024, 1 + i % 12, 1) for i in range(n)],
            "contributors": [100 + i for i in range(n)],
            "amount": [1000.5 + i for i in range(n)],
            "note": notes,
            "person_id": [f"P{i:08x}" for i in range(n)],
        }
    )


DEID = {"fields": {"person_id": {"method": "pseudonymize"}, "phone": {"method": "drop"}}, "dropped": ["phone"]}
QUALITY = {"shape": "kaifang.report/1", "kind": "quality", "valid": True, "score": 97.5, "dimensions": {"completeness": 1.0, "validity": 0.95}, "errors": [], "warnings": []}
QUALITY_HTML = "<html><body><h1>Quality</h1><p>score 97.5</p></body></html>"
LINEAGE = {"source": "file", "raw_sha256": "ab" * 32, "extracted_at": "2024-12-31T00:00:00Z"}
