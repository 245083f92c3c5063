"""A social-security-pension schema and GX suite shaped like the bundled dataset's (for tests/bench)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def F(name, type="string", sensitivity="public", **kw):
    return {"name": name, "type": type, "sensitivity": sensitivity, **kw}


SCHEMA: dict[str, Any] = {
    "fields": [
        F("record_id", constraints={"required": True, "unique": True, "pattern": r"SS\d{10}"}),
        F("person_id", sensitivity="direct-identifier", pii="cn_resident_id", constraints={"required": True, "pattern": r"\d{17}[\dXx]"}),
        F("name", sensitivity="direct-identifier", constraints={"required": True, "maxLength": 10}),
        F("sex", sensitivity="quasi-identifier", constraints={"enum": ["男", "女"]}),
        F("birth_date", "date", sensitivity="quasi-identifier", constraints={"required": True, "minimum": "1900-01-01"}),
        F("mobile", sensitivity="direct-identifier", pii="cn_mobile", constraints={"pattern": r"1[3-9]\d{9}"}),
        F("bank_card", sensitivity="sensitive-personal", pii="bank_card", constraints={"pattern": r"\d{13,19}"}),
        F("address", sensitivity="personal"),
        F("district_code", sensitivity="quasi-identifier", constraints={"required": True, "pattern": r"\d{6}"}),
        F("street_code", sensitivity="quasi-identifier", constraints={"pattern": r"\d{6}"}),
        F("insurance_type", constraints={"required": True, "enum": ["城乡居民基本养老保险", "城镇职工基本养老保险", "机关事业单位养老保险"]}),
        F("benefit_month", "yearmonth", constraints={"required": True, "minimum": "2000-01"}),
        F("amount", "number", constraints={"required": True, "minimum": 0, "maximum": 100000}),
        F("paid_date", "date"),
        F("status", constraints={"required": True, "enum": ["已发放", "已终止", "待审核", "暂停发放"]}),
        F("remarks", sensitivity="personal"),
    ],
    "primaryKey": ["record_id"],
}

SUITE: dict[str, Any] = {
    "name": "social-security-pension",
    "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "person_id"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "record_id"}},
        {"type": "expect_column_value_lengths_to_equal", "kwargs": {"column": "person_id", "value": 18}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "mobile", "regex": r"^1[3-9]\d{9}$"}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "bank_card", "regex": r"^62\d{14}(\d{3})?$", "mostly": 0.99}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "sex", "value_set": ["男", "女"]}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": ["已发放", "已终止", "待审核", "暂停发放"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": 0, "max_value": 20000}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["person_id", "benefit_month"]}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "amount", "min_value": 100, "max_value": 10000}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "paid_date", "mostly": 0.9}, "meta": {"severity": "warning"}},
    ],
}


@dataclass
class Descriptor:
    update_frequency: str = "monthly"
    open_condition: str = "unconditional"


@dataclass
class FakeDataset:
    """Duck-typed stand-in for pipelines.descriptor.Dataset (only the attributes the gate uses)."""

    id: str = "social-security-pension"
    dir: Path = Path(".")
    descriptor: Descriptor = field(default_factory=Descriptor)
    schema: dict = field(default_factory=lambda: SCHEMA)
    suite: dict = field(default_factory=lambda: SUITE)
    problems: list = field(default_factory=list)


NOW = dt.datetime(2025, 1, 10, tzinfo=dt.timezone.utc)
