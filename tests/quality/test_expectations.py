"""Native expectation engine vs Great Expectations itself on the same data."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from kaifang.errors import ConfigError
from quality.expectations import NATIVE, run_suite

N = 400


def frame() -> pl.DataFrame:
    i = pl.Series(range(N))
    return pl.DataFrame(
        {
            "id": (i % 350).cast(pl.Int64),  # 50 values repeated
            "code": pl.Series([f"A{k % 7}" if k % 11 else None for k in range(N)]),
            "phone": pl.Series([("1380013800" + str(k % 10)) if k % 13 else "12345" for k in range(N)]),
            "amount": pl.Series([float(k % 97) - 3.5 if k % 17 else (None if k % 2 else float("nan")) for k in range(N)]),
            "month": pl.Series([f"2024-{1 + k % 14:02d}" for k in range(N)]),
            "day": pl.Series([dt.date(2024, 1, 1) + dt.timedelta(days=k % 400) for k in range(N)]),
            "sex": pl.Series(["1", "2", "9", None][k % 4] for k in range(N)),
        }
    )


SUITE = {
    "name": "compare",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "code"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "amount", "mostly": 0.9}},
        {"type": "expect_column_values_to_be_null", "kwargs": {"column": "sex"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "sex", "value_set": ["1", "2"]}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "sex", "value_set": ["1", "2"], "mostly": 0.6}},
        {"type": "expect_column_values_to_not_be_in_set", "kwargs": {"column": "code", "value_set": ["A0"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": 0, "max_value": 80}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": 0, "strict_min": True}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "id", "max_value": 300, "strict_max": True}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "phone", "regex": r"^1[3-9]\d{9}$"}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "code", "regex": "[0-3]"}},
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "phone", "regex": "5$"}},
        {"type": "expect_column_value_lengths_to_be_between", "kwargs": {"column": "phone", "min_value": 11, "max_value": 11}},
        {"type": "expect_column_value_lengths_to_equal", "kwargs": {"column": "code", "value": 2}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["id", "sex"]}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["code", "sex"]}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 1000}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 500}},
        {"type": "expect_table_row_count_to_equal", "kwargs": {"value": N}},
        {"type": "expect_column_min_to_be_between", "kwargs": {"column": "amount", "min_value": -5, "max_value": 0}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "id", "min_value": 400}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "amount", "min_value": 40, "max_value": 50}},
        {"type": "expect_column_median_to_be_between", "kwargs": {"column": "amount", "min_value": 40, "max_value": 50}},
        {"type": "expect_column_sum_to_be_between", "kwargs": {"column": "id", "min_value": 0}},
        {"type": "expect_column_stdev_to_be_between", "kwargs": {"column": "amount", "min_value": 20, "max_value": 30}},
        {"type": "expect_column_unique_value_count_to_be_between", "kwargs": {"column": "code", "min_value": 1, "max_value": 7}},
        {"type": "expect_column_proportion_of_unique_values_to_be_between", "kwargs": {"column": "id", "min_value": 0.9}},
        {"type": "expect_column_to_exist", "kwargs": {"column": "sex"}},
        {"type": "expect_table_column_count_to_equal", "kwargs": {"value": 7}},
    ],
}
KEYS = ("success", "element_count", "unexpected_count", "unexpected_percent", "missing_count")


@pytest.fixture(scope="module")
def both():
    f = frame()
    return run_suite(f, SUITE, engine="native"), run_suite(f, SUITE, engine="gx")


def test_suite_covers_every_native_type():
    assert {e["type"] for e in SUITE["expectations"]} >= set(NATIVE) - {"expect_table_columns_to_match_ordered_list"}


@pytest.mark.parametrize("i", range(len(SUITE["expectations"])))
def test_native_equals_gx(both, i):
    native, gx = both[0][i], both[1][i]
    assert native.engine == "native" and gx.engine == "gx"
    assert gx.exception is None, gx.exception
    for key in KEYS:
        a, b = getattr(native, key), getattr(gx, key)
        if isinstance(b, float):
            assert a == pytest.approx(b), key
        else:
            assert a == b, (key, a, b)
    if gx.observed_value is not None or native.observed_value is not None:
        assert native.observed_value == pytest.approx(gx.observed_value)
    assert native.unexpected_rows == gx.unexpected_rows


def test_outcomes_are_not_trivial(both):
    native = both[0]
    assert any(r.success for r in native) and any(not r.success for r in native)
    assert any((r.unexpected_count or 0) > 0 for r in native)


def test_unknown_types_run_through_gx_and_leak_no_values():
    f = frame()
    suite = {"expectations": [
        {"type": "expect_column_pair_values_a_to_be_greater_than_b", "kwargs": {"column_A": "id", "column_B": "amount"}},
        {"type": "expect_column_values_to_be_increasing", "kwargs": {"column": "phone"}},
    ]}
    results = run_suite(f, suite)
    assert [r.engine for r in results] == ["gx", "gx"]
    assert results[0].unexpected_count and results[0].unexpected_count > 0
    text = str([r.to_dict() for r in results])
    assert "13800138" not in text


def test_warning_severity_and_observed_values_of_non_public_columns_are_dropped():
    f = frame()
    schema = {"fields": [{"name": "amount", "sensitivity": "public"}, {"name": "day", "sensitivity": "personal"}]}
    suite = {"expectations": [
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "day", "max_value": "2025-12-31"}, "meta": {"severity": "warning"}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "amount", "max_value": 100}},
    ]}
    day, amount = run_suite(f, suite, schema)
    assert day.severity == "warning" and day.success is True and day.observed_value is None
    assert amount.observed_value == 92.5  # 96 - 3.5


def test_bad_suite_is_a_config_error():
    with pytest.raises(ConfigError):
        run_suite(frame(), {"name": "x"})
    with pytest.raises(ConfigError):
        run_suite(frame(), {"expectations": [{"type": "expect_this_does_not_exist", "kwargs": {}}]})
