"""run_suite reusing the schema check's masks (``known=outcome.facts``) gives exactly the same results."""

from __future__ import annotations

import dataclasses

import polars as pl

from pipelines.synth import social_security_frame
from quality.expectations import run_suite
from quality.schema_check import check_table
from tests.quality.ss_fixture import SCHEMA, SUITE


def _planted() -> pl.DataFrame:
    table = social_security_frame(3000, seed=11).select(pl.all().cast(pl.Utf8))
    bad = pl.int_range(pl.len()) % 97 == 0
    return table.with_columns(
        record_id=pl.when(pl.int_range(pl.len()) % 211 == 0).then(pl.lit("SS2024000001")).otherwise("record_id"),
        mobile=pl.when(bad).then(pl.lit("12345")).otherwise("mobile"),
        status=pl.when(pl.int_range(pl.len()) % 89 == 0).then(pl.lit("未知")).otherwise("status"),
        district_code=pl.when(pl.int_range(pl.len()) % 101 == 0).then(None).otherwise("district_code"),
    )


def test_reusing_schema_facts_changes_no_result():
    outcome = check_table(_planted(), SCHEMA)
    assert outcome.facts, "the schema check recorded no reusable masks"
    plain = run_suite(outcome.frame, SUITE, SCHEMA)
    reused = run_suite(outcome.frame, SUITE, SCHEMA, known=outcome.facts)
    assert [dataclasses.asdict(r) for r in reused] == [dataclasses.asdict(r) for r in plain]
    assert any(not r.success for r in plain)  # the planted errors are seen
