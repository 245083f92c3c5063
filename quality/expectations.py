"""Great Expectations 1.x suites: a native polars fast path, and GX itself for everything else.

``run_suite(frame, suite, schema) -> list[ExpectationResult]`` evaluates every expectation of a
GX 1.x suite dict (``{"name", "expectations": [{"type", "kwargs", "meta"}]}``) on the *typed*
frame. Common expectation types (``NATIVE``) run as polars expressions with GX's own semantics
(nulls — and NaN, as pandas sees it — are "missing" and excluded from map expectations except
``not_be_null``; ``unexpected_percent`` is relative to non-missing values; ``mostly``); any other
type runs through Great Expectations itself on pandas (one ephemeral context per process).
Column-map expectations (``MAP_EXPRS``) are evaluated together in one polars query, in parallel.

Results never carry cell values: GX's ``unexpected_list``/``partial_unexpected_*`` lists are
reduced to row numbers (header = row 1), and observed values of aggregate expectations are kept
only when every column involved is ``public`` in the schema.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import polars as pl

from kaifang.errors import ConfigError
from quality.dup import duplicated

#: how many failing row numbers a result keeps
FIRST_ROWS = 20


@dataclass
class ExpectationResult:
    """Outcome of one expectation, public-safe (row numbers, counts; no cell values)."""

    type: str
    kwargs: dict[str, Any]
    success: bool
    severity: str = "error"
    engine: str = "native"
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None
    missing_percent: float | None = None
    observed_value: Any = None
    unexpected_rows: list[int] = field(default_factory=list)
    exception: str | None = None

    @property
    def columns(self) -> list[str]:
        cols = []
        if "column" in self.kwargs:
            cols.append(self.kwargs["column"])
        for key in ("column_list", "column_A", "column_B"):
            val = self.kwargs.get(key)
            if isinstance(val, list):
                cols.extend(val)
            elif isinstance(val, str):
                cols.append(val)
        return cols

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# native engine
# ---------------------------------------------------------------------------------------------


def _missing(s: pl.Series) -> pl.Series:
    return s.to_frame("s").select(_missing_expr(pl.col("s"), s.dtype)).to_series()


def _missing_expr(c: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Missing as GX sees it on pandas: null, and NaN in float columns."""
    m = c.is_null()
    if dtype in (pl.Float32, pl.Float64):
        m = m | c.is_nan().fill_null(False)
    return m


def _mostly_ok(unexpected: int, denominator: int, mostly: float | None) -> bool:
    if denominator == 0:
        return True
    if mostly is None:
        return unexpected == 0
    return (1 - unexpected / denominator) >= mostly


def _map_result(kw: dict, n: int, unexpected: int, missing_count: int, rows: list[int], *, denominator_all: bool = False) -> dict[str, Any]:
    """GX column-map result from counts (``rows``: first failing row indexes, 0-based)."""
    den = n if denominator_all else n - missing_count
    out: dict[str, Any] = {
        "element_count": n,
        "unexpected_count": unexpected,
        "unexpected_percent": (unexpected / den * 100.0) if den else None,
        "success": _mostly_ok(unexpected, den, kw.get("mostly")),
        "unexpected_rows": [i + 2 for i in rows[:FIRST_ROWS]],
    }
    if not denominator_all:
        out["missing_count"] = missing_count
        out["missing_percent"] = (missing_count / n * 100.0) if n else None
    return out


def _map(kw: dict, s: pl.Series, bad: pl.Series) -> dict[str, Any]:
    """GX column-map result from a mask over the whole column (missing rows excluded here)."""
    missing = _missing(s)
    bad = bad.fill_null(False) & ~missing
    return _map_result(kw, len(s), int(bad.sum()), int(missing.sum()), bad.arg_true()[:FIRST_ROWS].to_list())


def _bound(value: Any, dtype: pl.DataType) -> Any:
    """A bound from the suite in the column's type (dates given as ISO text are parsed)."""
    if value is None:
        return None
    if dtype == pl.Date and isinstance(value, str):
        return pl.Series([value]).str.to_date().item()
    if isinstance(dtype, pl.Datetime) and isinstance(value, str):
        return pl.Series([value]).str.to_datetime(time_unit="us").item()
    return value


def _between(x: Any, dtype: pl.DataType, kw: dict, none: Any) -> Any:
    """Cells of ``x`` (a Series, or an expression of ``dtype``) outside the bounds; ``none``: all False.

    Series compare with Python values by their own casting rules; expressions only take the values
    ``_plain_values`` accepts, for which both agree.
    """
    lo, hi = _bound(kw.get("min_value"), dtype), _bound(kw.get("max_value"), dtype)
    if lo is None and hi is None:
        raise ConfigError("expect_..._between needs min_value or max_value", fix="set at least one bound")
    bad = none
    if lo is not None:
        bad = bad | ((x <= lo) if kw.get("strict_min") else (x < lo)).fill_null(False)
    if hi is not None:
        bad = bad | ((x >= hi) if kw.get("strict_max") else (x > hi)).fill_null(False)
    return bad


def _between_mask(s: pl.Series, kw: dict) -> pl.Series:
    return _between(s, s.dtype, kw, pl.repeat(False, len(s), dtype=pl.Boolean, eager=True))


def _lengths(x: Any) -> Any:
    return x.cast(pl.Utf8).str.len_chars()


def _plain_values(values: list[Any], dtype: pl.DataType) -> bool:
    """Values an expression compares with cells of ``dtype`` exactly as a Series does (numbers with
    numbers that fit, dates with dates); other pairs take the eager path with the Series' own rules."""
    for v in values:
        if isinstance(v, bool):
            return False
        if isinstance(v, float) and (dtype == pl.Float64 or dtype.is_integer()):
            continue
        if isinstance(v, int) and (dtype == pl.Float64 or (dtype.is_integer() and _fits(v, dtype))):
            continue
        if dtype == pl.Date and (isinstance(v, str) or (isinstance(v, dt.date) and not isinstance(v, dt.datetime))):
            continue
        if dtype == pl.Datetime("us") and (isinstance(v, str) or (isinstance(v, dt.datetime) and v.tzinfo is None)):
            continue
        return False
    return True


def _fits(value: int, dtype: pl.DataType) -> bool:
    return -(2**63) <= value < 2**63 and pl.Series([value]).cast(dtype, strict=False).item() == value


def _observed_between(value: Any, kw: dict, dtype: pl.DataType | None = None) -> bool:
    if value is None:
        return False
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if dtype is not None:
        lo, hi = _bound(lo, dtype), _bound(hi, dtype)
    if lo is not None and (value <= lo if kw.get("strict_min") else value < lo):
        return False
    if hi is not None and (value >= hi if kw.get("strict_max") else value > hi):
        return False
    return True


def _regex_search(c: pl.Expr, regex: str) -> pl.Expr:
    re.compile(regex)  # Python must accept it too (GX uses Python's re)
    return c.cast(pl.Utf8).str.contains(regex)


def _col(frame: pl.DataFrame, kw: dict) -> pl.Series:
    name = kw.get("column")
    if name not in frame.columns:
        raise KeyError(name)
    return frame.get_column(name)


def _set_series(values: list, dtype: pl.DataType) -> pl.Series:
    if dtype == pl.Utf8 and not all(isinstance(v, str) for v in values):
        raise TypeError("value_set types differ from the column")
    return pl.Series(values).cast(dtype, strict=True)


#: column-map expectations as polars expressions: type → (bad cells of column ``c`` of ``dtype``, missing
#: rows count in the denominator). ``run_suite`` evaluates all of them in one query over the frame.
MAP_EXPRS: dict[str, tuple[Callable[[pl.Expr, pl.DataType, dict], pl.Expr], bool]] = {
    "expect_column_values_to_not_be_null": (lambda c, dtype, kw: _missing_expr(c, dtype), True),
    "expect_column_values_to_be_null": (lambda c, dtype, kw: ~_missing_expr(c, dtype), True),
    "expect_column_values_to_be_in_set": (lambda c, dtype, kw: ~c.is_in(_set_series(list(kw["value_set"]), dtype).implode()), False),
    "expect_column_values_to_not_be_in_set": (lambda c, dtype, kw: c.is_in(_set_series(list(kw["value_set"]), dtype).implode()), False),
    "expect_column_values_to_be_between": (lambda c, dtype, kw: _between(c, dtype, kw, pl.lit(False)), False),
    "expect_column_values_to_match_regex": (lambda c, dtype, kw: ~_regex_search(c, kw["regex"]), False),
    "expect_column_values_to_not_match_regex": (lambda c, dtype, kw: _regex_search(c, kw["regex"]), False),
    "expect_column_value_lengths_to_be_between": (lambda c, dtype, kw: _between(_lengths(c), pl.UInt32, kw, pl.lit(False)), False),
    "expect_column_value_lengths_to_equal": (lambda c, dtype, kw: _lengths(c) != kw["value"], False),
}


def _map_exprs(frame: pl.DataFrame, etype: str, kw: dict, tag: str) -> tuple[pl.Expr, pl.Expr]:
    """(bad mask, missing mask) of one column-map expectation, named ``b{tag}``/``m{tag}``."""
    name = kw.get("column")
    if name not in frame.columns:
        raise KeyError(name)
    build, denominator_all = MAP_EXPRS[etype]
    dtype = frame.schema[name]
    c = pl.col(name)
    missing = _missing_expr(c, dtype)
    bad = build(c, dtype, kw).fill_null(False)
    if not denominator_all:
        bad = bad & ~missing
    return bad.alias(f"b{tag}"), missing.alias(f"m{tag}")


def _eval_maps(frame: pl.DataFrame, items: list[tuple[str, dict, tuple[pl.Expr, pl.Expr]]]) -> list[dict[str, Any]]:
    """Evaluate column-map expectations ``(type, kwargs, _map_exprs(...))`` together: one parallel query."""
    masks = [e for _, _, pair in items for e in pair]
    aggs = []
    for _, _, (bad, missing) in items:
        b, m = bad.meta.output_name(), missing.meta.output_name()
        aggs += [pl.col(b).sum().alias(f"u{b}"), pl.col(m).sum().alias(f"n{m}"), pl.col(b).arg_true().head(FIRST_ROWS).implode().alias(f"r{b}")]
    row = frame.lazy().select(masks).select(aggs).collect().row(0, named=True)
    out = []
    for etype, kw, (bad, missing) in items:
        b, m = bad.meta.output_name(), missing.meta.output_name()
        out.append(_map_result(kw, frame.height, int(row[f"u{b}"]), int(row[f"n{m}"]), list(row[f"r{b}"]), denominator_all=MAP_EXPRS[etype][1]))
    return out


def _one_map(etype: str) -> Callable[[pl.DataFrame, dict], dict[str, Any]]:
    return lambda frame, kw: _eval_maps(frame, [(etype, kw, _map_exprs(frame, etype, kw, "0"))])[0]


#: map types comparing cells with the suite's values: in the query only when ``_plain_values`` holds
_COMPARING = {"expect_column_values_to_be_between", "expect_column_value_lengths_to_be_between", "expect_column_value_lengths_to_equal"}


def _self_anchored(regex: str) -> bool:
    """``regex`` is ``^X$`` with X a plain concatenation, so searching for it equals searching for
    ``^(?:^regex$)`` (the schema check's form of a pattern): no alternation, no inline flags."""
    body = regex[1:-1]
    return (
        regex.startswith("^") and regex.endswith("$") and len(regex) > 1
        and (len(body) - len(body.rstrip("\\"))) % 2 == 0 and "|" not in regex and "(?" not in regex
    )


def _known_mask(frame: pl.DataFrame, etype: str, kw: dict, known: dict | None) -> pl.Series | None:
    """The failing cells of a column-map expectation as the schema check already found them, or None."""
    name = kw.get("column")
    if not known or known.get("rows") != frame.height or name not in frame.columns or frame.schema[name] != pl.Utf8:
        return None
    if etype == "expect_column_values_to_match_regex":
        regex = kw.get("regex")
        if not isinstance(regex, str) or not _self_anchored(regex):
            return None
        try:
            re.compile(regex)
        except re.error:
            return None
        return known.get((name, "pattern", regex))
    if etype == "expect_column_values_to_be_in_set":
        values = kw.get("value_set")
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            return None
        return known.get((name, "enum", frozenset(values)))
    if etype == "expect_column_values_to_be_unique" and known.get((name, "distinct")):
        return pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    return None


def _batchable(frame: pl.DataFrame, etype: str, kw: dict) -> bool:
    """Whether ``run_suite`` evaluates this expectation in the one query of column-map expectations."""
    if etype not in _COMPARING:
        return etype in MAP_EXPRS
    dtype = frame.schema.get(kw.get("column"))
    if dtype is None:
        return False
    if etype == "expect_column_value_lengths_to_equal":
        return _plain_values([kw.get("value")], pl.UInt32)
    bounds = [v for v in (kw.get("min_value"), kw.get("max_value")) if v is not None]
    return _plain_values(bounds, dtype if etype == "expect_column_values_to_be_between" else pl.UInt32)


def _agg(fn: Callable[[pl.Series], Any]):
    def run(frame, kw):
        s = _col(frame, kw)
        kept = s.filter(~_missing(s))
        value = fn(kept) if len(kept) else None
        return {"observed_value": value, "success": _observed_between(value, kw, s.dtype)}

    return run


def _compound_unique(frame, kw):
    cols = list(kw["column_list"])
    sub = frame.select(cols)
    # GX ignores rows whose values are all missing; an ignored row can only equal another ignored one
    all_missing = sub.select(pl.all_horizontal([pl.col(c).is_null() for c in cols])).to_series()
    bad = duplicated(sub) & ~all_missing
    return _map_result(kw, sub.height, int(bad.sum()), int(all_missing.sum()), bad.arg_true()[:FIRST_ROWS].to_list())


def _row_count_between(frame, kw):
    return {"observed_value": frame.height, "success": _observed_between(frame.height, kw)}


NATIVE: dict[str, Callable[[pl.DataFrame, dict], dict[str, Any]]] = {
    **{etype: _one_map(etype) for etype in MAP_EXPRS if etype not in _COMPARING},
    "expect_column_values_to_be_between": lambda f, kw: _map(kw, _col(f, kw), _between_mask(_col(f, kw), kw)),
    "expect_column_value_lengths_to_be_between": lambda f, kw: _map(kw, _col(f, kw), _between_mask(_lengths(_col(f, kw)), kw)),
    "expect_column_value_lengths_to_equal": lambda f, kw: _map(kw, _col(f, kw), _lengths(_col(f, kw)) != kw["value"]),
    "expect_column_values_to_be_unique": lambda f, kw: _map(kw, _col(f, kw), _dup_nonmissing(_col(f, kw))),
    "expect_compound_columns_to_be_unique": _compound_unique,
    "expect_table_row_count_to_be_between": _row_count_between,
    "expect_table_row_count_to_equal": lambda f, kw: {"observed_value": f.height, "success": f.height == kw["value"]},
    "expect_table_column_count_to_equal": lambda f, kw: {"observed_value": f.width, "success": f.width == kw["value"]},
    "expect_column_to_exist": lambda f, kw: {"success": kw["column"] in f.columns},
    "expect_table_columns_to_match_ordered_list": lambda f, kw: {"observed_value": f.columns, "success": f.columns == list(kw["column_list"])},
    "expect_column_min_to_be_between": _agg(lambda s: s.min()),
    "expect_column_max_to_be_between": _agg(lambda s: s.max()),
    "expect_column_mean_to_be_between": _agg(lambda s: s.mean()),
    "expect_column_median_to_be_between": _agg(lambda s: s.median()),
    "expect_column_sum_to_be_between": _agg(lambda s: s.sum()),
    "expect_column_stdev_to_be_between": _agg(lambda s: s.std(ddof=1)),
    "expect_column_unique_value_count_to_be_between": _agg(lambda s: s.n_unique()),
    "expect_column_proportion_of_unique_values_to_be_between": _agg(lambda s: s.n_unique() / len(s)),
}


def _dup_nonmissing(s: pl.Series) -> pl.Series:
    """Values repeated among the non-missing ones (every occurrence, as GX counts them)."""
    return duplicated(s) & ~_missing(s)


# ---------------------------------------------------------------------------------------------
# Great Expectations engine (fallback and comparison)
# ---------------------------------------------------------------------------------------------

_GX_LOCK = threading.Lock()
_GX_CONTEXT: Any = None
_GX_COUNTER = [0]


def _gx_context():
    global _GX_CONTEXT
    if _GX_CONTEXT is None:
        import great_expectations as gx

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        _GX_CONTEXT = gx.get_context(mode="ephemeral")
        try:  # no progress bars on stderr
            from great_expectations.data_context.types.base import ProgressBarsConfig

            _GX_CONTEXT.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        except Exception:  # pragma: no cover - older/newer GX without this knob
            pass
    return _GX_CONTEXT


def run_gx(frame: pl.DataFrame, expectations: list[dict]) -> list[dict[str, Any]]:
    """Run expectations through Great Expectations 1.x on pandas; raw GX result dicts (with values!).

    Callers must pass the output through ``_from_gx`` before it reaches any report.
    """
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    with _GX_LOCK:
        ctx = _gx_context()
        _GX_COUNTER[0] += 1
        tag = f"kf{_GX_COUNTER[0]}"
        ds = ctx.data_sources.add_pandas(tag)
        batch_def = ds.add_dataframe_asset("table").add_batch_definition_whole_dataframe("all")
        suite = ctx.suites.add(gx.ExpectationSuite(name=tag))
        ids: list[str] = []
        for exp in expectations:
            try:
                impl = get_expectation_impl(exp["type"])
            except Exception as exc:
                raise ConfigError(f"unknown expectation type '{exp['type']}'", fix="use a Great Expectations 1.x expectation type") from exc
            try:
                added = suite.add_expectation(impl(**exp.get("kwargs", {})))
                ids.append(str(added.id))
            except Exception as exc:
                raise ConfigError(
                    f"expectation '{exp['type']}' has invalid kwargs", fix="check the kwargs against the Great Expectations 1.x docs", kwargs=",".join(sorted(exp.get("kwargs", {})))
                ) from exc
        vd = gx.ValidationDefinition(data=batch_def, suite=suite, name=tag)
        result = vd.run(batch_parameters={"dataframe": frame.to_pandas()}, result_format="SUMMARY")
        by_id: dict[str, dict[str, Any]] = {}
        for r in result.results:
            d = {"type": r.expectation_config.type, "kwargs": dict(r.expectation_config.kwargs), "success": bool(r.success), "result": dict(r.result or {})}
            info = r.exception_info or {}
            if info.get("raised_exception"):
                # GX messages may quote cell values: keep only that it failed
                d["exception"] = "Great Expectations could not evaluate this expectation (check its kwargs against the column type)"
            by_id[str(r.expectation_config.id)] = d
        try:
            ctx.suites.delete(tag)
            ctx.data_sources.delete(tag)
        except Exception:  # pragma: no cover - cleanup only
            pass
        return [by_id[i] for i in ids]


def _from_gx(raw: dict[str, Any]) -> dict[str, Any]:
    """Keep counts, percentages and row numbers of a GX result; drop every value list."""
    res = raw.get("result", {})
    out = {k: res.get(k) for k in ("element_count", "unexpected_count", "unexpected_percent", "missing_count", "missing_percent") if k in res}
    if "observed_value" in res:
        out["observed_value"] = _plain(res["observed_value"])
    idx = res.get("partial_unexpected_index_list") or []
    out["unexpected_rows"] = [int(i) + 2 for i in idx if isinstance(i, (int,)) or hasattr(i, "__int__")][:FIRST_ROWS]
    out["success"] = raw["success"]
    if raw.get("exception"):
        out["exception"] = raw["exception"]
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        try:
            return value.item()
        except Exception:
            return str(value)
    return value


# ---------------------------------------------------------------------------------------------
# suite runner
# ---------------------------------------------------------------------------------------------


def _public_columns(schema: dict | None) -> set[str]:
    if not schema:
        return set()
    return {f["name"] for f in schema.get("fields", []) if f.get("sensitivity") == "public"}


def run_suite(frame: pl.DataFrame, suite: dict, schema: dict | None = None, *, engine: str = "auto", known: dict | None = None) -> list[ExpectationResult]:
    """Evaluate a GX 1.x suite dict on a typed frame.

    ``engine``: ``auto`` (native where available, GX otherwise), ``native`` (error on unsupported
    types) or ``gx`` (everything through Great Expectations — for comparisons). ``known``: the
    ``facts`` of the schema check that produced ``frame`` (``SchemaOutcome.facts``); masks it
    already computed are reused where they provably equal the expectation's own.
    """
    expectations = suite.get("expectations") if isinstance(suite, dict) else None
    if not isinstance(expectations, list):
        raise ConfigError("expectation suite has no 'expectations' list", fix="write a GX 1.x suite: {name, expectations: [{type, kwargs}]}")
    public = _public_columns(schema)
    results: list[ExpectationResult | None] = [None] * len(expectations)
    via_gx: list[int] = []
    maps: list[tuple[int, tuple[str, dict, tuple[pl.Expr, pl.Expr]]]] = []  # column-map expectations: one query

    def evaluate(i: int, fn: Callable[[pl.DataFrame, dict], dict[str, Any]], kw: dict) -> None:
        try:
            data = fn(frame, kw)
        except KeyError as exc:
            data = {"success": False, "exception": f"column {exc} not in the table"}
        except (TypeError, pl.exceptions.PolarsError, re.error, ValueError):
            if engine == "native":
                raise
            via_gx.append(i)
            return
        results[i] = _result(expectations[i], data, "native", public)

    for i, exp in enumerate(expectations):
        etype, kw = exp.get("type"), dict(exp.get("kwargs") or {})
        if not etype:
            raise ConfigError(f"expectation {i + 1} has no 'type'", fix="name a GX expectation type")
        fn = NATIVE.get(etype) if engine != "gx" else None
        if fn is None:
            if engine == "native":
                raise ConfigError(f"expectation type '{etype}' has no native implementation", fix="use engine='auto'")
            via_gx.append(i)
        elif engine != "gx" and (bad := _known_mask(frame, etype, kw, known)) is not None:
            results[i] = _result(exp, _map(kw, frame.get_column(kw["column"]), bad), "native", public)
        elif _batchable(frame, etype, kw):
            try:
                maps.append((i, (etype, kw, _map_exprs(frame, etype, kw, str(i)))))
            except Exception:  # raised again, and handled, when it runs alone
                evaluate(i, fn, kw)
        else:
            evaluate(i, fn, kw)
    if maps:
        try:
            for (i, _), data in zip(maps, _eval_maps(frame, [item for _, item in maps])):
                results[i] = _result(expectations[i], data, "native", public)
        except (TypeError, pl.exceptions.PolarsError, re.error, ValueError):
            for i, (etype, kw, _) in maps:  # one at a time: only the failing ones leave the native path
                evaluate(i, NATIVE[etype], kw)
    if via_gx:
        via_gx.sort()
        raw = run_gx(frame, [expectations[i] for i in via_gx])
        for i, r in zip(via_gx, raw):
            results[i] = _result(expectations[i], _from_gx(r), "gx", public)
    return [r for r in results if r is not None]


def _result(exp: dict, data: dict[str, Any], engine: str, public: set[str]) -> ExpectationResult:
    meta = exp.get("meta") or {}
    severity = "warning" if meta.get("severity") == "warning" else "error"
    r = ExpectationResult(type=exp["type"], kwargs=dict(exp.get("kwargs") or {}), success=bool(data.get("success")), severity=severity, engine=engine)
    for key in ("element_count", "unexpected_count", "unexpected_percent", "missing_count", "missing_percent", "unexpected_rows", "exception"):
        if key in data and data[key] is not None:
            setattr(r, key, data[key])
    if "observed_value" in data:
        cols = r.columns
        if not cols or all(c in public for c in cols):
            r.observed_value = _jsonable(data["observed_value"])
    return r


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return str(value)
