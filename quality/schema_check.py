"""Frictionless Table Schema → vectorized polars checks, with frictionless-py's error semantics.

Entry points:

* ``validate_table(table, schema) -> (typed_frame, problems)`` — an all-Utf8 frame whose column
  names are the header as received (nulls count as empty cells);
* ``validate_file(path, schema) -> Report`` — a CSV file, including ragged rows (missing/extra
  cells) and blank lines, numbered the way frictionless-py numbers them;
* ``check(...) -> SchemaOutcome`` — the full outcome (typed frame, capped problem list, exact
  counts per (type, field), per-field masks) used by the quality score and the gate.

Semantics mirrored from frictionless-py 5 (``fieldsMatch: exact``): header labels are paired with
fields by position (``extra-label``, ``missing-label``, ``blank-label``, ``duplicate-label``,
``incorrect-label``); per row: ``type-error`` / ``constraint-error`` (constraints only when the cell
read), ``extra-cell``, ``missing-cell``; a row whose cells are all missing values is a single
``blank-row``; then ``unique-error`` (later duplicates of typed values), ``primary-key`` (later
duplicates, or all key cells missing), ``foreign-key`` (self-reference or another resource of the
package given in ``package``). Row numbers: header = 1, first data row = 2.

Problems never carry cell values: only positions, field names and the schema's own rules.
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from kaifang._bytes import csv_counts
from kaifang.errors import ConfigError, SourceError
from kaifang.problems import Problem, Report
from quality.dup import duplicated
from quality.readers import dtype_of, fast_typed, finish_column, read_constraint

#: Constraints this validator evaluates (frictionless-py's supported set for tabular data).
CONSTRAINTS = ("required", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "enum", "unique")
#: Problems kept per (type, field) in the list (counts stay exact); frictionless-py stops at 1000 total.
DEFAULT_MAX_PER_KEY = 1000

_ORDER = {"type-error": 0, "constraint-error": 0, "extra-cell": 1, "missing-cell": 2, "blank-row": 3, "unique-error": 4, "primary-key": 5, "foreign-key": 6}


@dataclass
class SchemaOutcome:
    """Everything the schema check learned about one table."""

    frame: pl.DataFrame
    problems: list[Problem]
    counts: dict[tuple[str, str | None], int]
    rows: int
    labels: list[str]
    #: per schema field name: boolean Series, True where the cell is invalid (type/constraint/unique/missing-cell)
    invalid: dict[str, pl.Series] = dc_field(default_factory=dict)
    #: per schema field name: boolean Series, True where the cell is a missing value
    missing: dict[str, pl.Series] = dc_field(default_factory=dict)
    blank_rows: pl.Series | None = None
    #: what the check learned that an expectation suite on ``frame`` can reuse
    #: (``quality.expectations.run_suite(..., known=facts)``): ``"rows"``; (field, "pattern", P) →
    #: cells the Rust regex ``^(?:^P$)`` rejects (before the Python re-check); (field, "enum",
    #: frozenset(members)) → cells outside the set (text fields); (field, "distinct") → no value repeats
    facts: dict[Any, Any] = dc_field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.counts.values())

    @property
    def valid(self) -> bool:
        return self.error_count == 0


def _fields(schema: dict) -> list[dict]:
    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) and f.get("name") for f in fields):
        raise ConfigError("table schema has no valid 'fields' list", fix="give every field a 'name' (and a 'type')")
    return fields


def _pk(schema: dict) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def _fk_list(schema: dict) -> list[dict]:
    out = []
    for fk in schema.get("foreignKeys") or []:
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk.get("reference", {})
        rfields = ref.get("fields", [])
        rfields = rfields if isinstance(rfields, list) else [rfields]
        out.append({"fields": fields, "resource": ref.get("resource", "") or "", "ref_fields": rfields})
    return out


# ---------------------------------------------------------------------------------------------
# header
# ---------------------------------------------------------------------------------------------


def header_problems(labels: list[str], fields: list[dict]) -> list[Problem]:
    """Label problems, frictionless-py ``fieldsMatch: exact`` (positional)."""
    out: list[Problem] = []
    if not labels:
        return [Problem("blank-header", "the header is blank", rowNumber=None)]
    for number in range(len(fields) + 1, len(labels) + 1):
        out.append(Problem("extra-label", f"extra label in column {number} (not in the schema)", fieldNumber=number, fieldName=""))
    for offset, fld in enumerate(fields[len(labels):]):
        number = len(labels) + offset + 1
        out.append(Problem("missing-label", f"the header has no label for field '{fld['name']}' (column {number})", fieldNumber=number, fieldName=fld["name"]))
    for i, (fld, label) in enumerate(zip(fields, labels)):
        number = i + 1
        if not label:
            out.append(Problem("blank-label", f"blank label in column {number} (field '{fld['name']}')", fieldNumber=number, fieldName=fld["name"]))
            continue
        earlier = [j + 1 for j, seen in enumerate(labels[:i]) if seen == label]
        if earlier:
            out.append(Problem("duplicate-label", f"label of column {number} repeats column {', '.join(map(str, earlier))} (field '{fld['name']}')", fieldNumber=number, fieldName=fld["name"]))
            continue
        if label != fld["name"]:
            out.append(Problem("incorrect-label", f"label of column {number} does not match field '{fld['name']}'", fieldNumber=number, fieldName=fld["name"]))
    return out


# ---------------------------------------------------------------------------------------------
# rows
# ---------------------------------------------------------------------------------------------


def _missing_values(schema: dict, fld: dict) -> list[str]:
    mv = fld.get("missingValues", schema.get("missingValues", [""]))
    return [m["value"] if isinstance(m, dict) else m for m in mv]


def _constraint_exprs(v: pl.Expr, dtype: pl.DataType, fld: dict) -> tuple[dict[str, pl.Expr], list[str]]:
    """name → expression of cells violating that constraint, over the typed column ``v``.

    Second value: constraints evaluated in Python afterwards (patterns Rust regex cannot compile).
    """
    cons = fld.get("constraints") or {}
    ftype = fld.get("type", "string")
    out: dict[str, pl.Expr] = {}
    later: list[str] = []
    nn = v.is_not_null()
    if cons.get("required"):
        out["required"] = ~nn
    if dtype == pl.Utf8 and ftype in ("string", "array", "list"):
        if "minLength" in cons:
            out["minLength"] = (v.str.len_chars() < int(cons["minLength"])).fill_null(False)
        if "maxLength" in cons:
            out["maxLength"] = (v.str.len_chars() > int(cons["maxLength"])).fill_null(False)
    if ftype == "string" and "pattern" in cons:
        try:
            re.compile(f"^{cons['pattern']}$")
        except re.error as exc:
            raise ConfigError(f"constraint 'pattern' of field '{fld['name']}' is not a valid regular expression ({exc.msg})",
                              fix="write a Python-compatible regular expression", field=fld["name"]) from None
        rust = _rust_pattern(cons["pattern"])
        if rust is None:
            later.append("pattern")
        else:
            out["pattern"] = nn & ~v.str.contains(rust).fill_null(False)
    if ftype in ("integer", "number", "date", "datetime", "time", "year", "yearmonth"):
        for name, op in (("minimum", "__lt__"), ("maximum", "__gt__"), ("exclusiveMinimum", "__le__"), ("exclusiveMaximum", "__ge__")):
            if name not in cons:
                continue
            bound = read_constraint(cons[name], fld)
            if bound is None:
                raise ConfigError(f"constraint '{name}' of field '{fld['name']}' does not read as {ftype}", fix="write the bound in the field's type and format", field=fld["name"])
            expr = getattr(v, op)(pl.lit(bound, dtype=dtype))
            if dtype == pl.Float64:
                expr = expr | v.is_nan()
            out[name] = expr.fill_null(False)
    if "enum" in cons:
        members = _enum_members(fld)
        allowed = pl.Series(members, dtype=dtype) if members else pl.Series([], dtype=dtype)
        out["enum"] = nn & ~v.is_in(allowed.implode())
    return out, later


def _cell_exprs(pos: int, fld: dict, v: pl.Expr, te: pl.Expr) -> tuple[list[pl.Expr], list[str]]:
    """Constraint masks ``c{pos}:{name}`` of a schema field over typed values ``v`` (type errors ``te`` excluded)."""
    cexprs, later = _constraint_exprs(v, dtype_of(fld), fld)
    return [(e & ~te).alias(f"c{pos}:{cname}") for cname, e in cexprs.items()], later


def _enum_members(fld: dict) -> list[Any]:
    """The enum constraint's members read as the field's typed values (unreadable ones dropped)."""
    return [m for m in (read_constraint(x, fld) for x in fld["constraints"]["enum"]) if m is not None]


def _rust_pattern(pattern: str) -> str | None:
    """frictionless: ``re.compile('^{p}$').match(cell)`` → the same anchoring for Rust regex, or None."""
    rust = f"^(?:^{pattern}$)"
    try:
        pl.select(pl.lit("").str.contains(rust))
    except Exception:  # look-around, back-references …
        return None
    return rust


def _pattern_recheck(values: pl.Series, bad: pl.Series | None, pattern: str) -> pl.Series:
    """Python's verdict for cells Rust rejected (Python's $ also matches before a final newline)."""
    py = re.compile(f"^{pattern}$")
    nn = values.is_not_null()
    if bad is None:
        bad = nn
    if not bad.any():
        return bad
    good = [c for c in values.filter(bad).unique().to_list() if py.match(c)]
    return bad & ~values.is_in(good) if good else bad


def _constraint_note(name: str, fld: dict) -> str:
    value = (fld.get("constraints") or {}).get(name)
    if name == "required":
        value = True
    return f'constraint "{name}" is "{value}"'


def check(
    cells: pl.DataFrame,
    labels: list[str],
    schema: dict,
    *,
    cell_counts: pl.Series | None = None,
    package: dict[str, pl.DataFrame] | None = None,
    resource_name: str = "",
    max_per_key: int = DEFAULT_MAX_PER_KEY,
) -> SchemaOutcome:
    """Validate positional string columns against ``schema``.

    ``cells``: Utf8 columns by position (column i holds the cells under label i; further columns
    hold extra cells); nulls are empty cells unless ``cell_counts`` (cells per record, for ragged
    CSV rows) says the cell is absent. ``package``: typed frames of other resources for foreign keys.

    One lazy polars query over all columns (parallel across columns): missing values, fast casts,
    then constraints, blank rows and missing/extra cells from the typed columns. Cells the fast
    casts reject (rare) are re-read by frictionless-py's own reader afterwards, and that column's
    masks computed again; unique and primary-key repeats use hash-first exact duplicate detection
    (``quality.dup``); foreign keys a join.
    """
    fields = _fields(schema)
    n = cells.height
    problems: list[Problem] = header_problems(labels, fields)
    counts: dict[tuple[str, str | None], int] = {}
    for p in problems:
        counts[(p.type, p.fieldName)] = counts.get((p.type, p.fieldName), 0) + 1
    masks: list[tuple[str, str | None, int | None, pl.Series, str]] = []  # (type, fieldName, fieldNumber, mask, note)

    handlers: list[tuple[int, dict, bool]] = []  # (position, field, is_schema_field)
    for i in range(len(labels)):
        if i < len(fields):
            handlers.append((i, fields[i], True))
        else:
            handlers.append((i, {"name": labels[i] or f"field{i + 1}", "type": "any"}, False))

    # ---- one lazy query over all columns (parallel): missing values, fast casts, constraints,
    # blank rows, missing/extra cells; stages: (1) cells with missing values as null, (2) fast casts,
    # (3) every mask computed from the typed columns, each typed column computed once
    cols = cells.columns
    base = cells.select([pl.col(c).cast(pl.Utf8) for c in cols]) if cols else pl.DataFrame()
    if cell_counts is not None:
        base = base.with_columns(cell_counts.alias("__n"))
    srcs: dict[int, pl.Expr] = {}
    stage_src: list[pl.Expr] = []
    stage_typed: list[pl.Expr] = []
    for pos, fld, _ in handlers:
        col = pl.col(cols[pos]) if pos < len(cols) else pl.lit(None, dtype=pl.Utf8)
        mv = _missing_values(schema, fld)
        missing = col.is_null()
        if len(mv) == 1:
            missing = missing | (col == mv[0])
        elif mv:
            missing = missing | col.is_in(pl.Series(mv, dtype=pl.Utf8).implode())
        if cell_counts is not None:
            missing = missing | (pl.col("__n") <= pos)
        src = pl.when(missing).then(pl.lit(None, dtype=pl.Utf8)).otherwise(col)
        srcs[pos] = src
        stage_src += [src.alias(f"s{pos}"), missing.alias(f"m{pos}")]
        typed = fast_typed(pl.col(f"s{pos}"), fld)
        dtype = dtype_of(fld)
        stage_typed.append((pl.lit(None, dtype=dtype) if typed is None else typed.cast(dtype, strict=False)).alias(f"t{pos}"))
    outputs: list[pl.Expr] = []
    later: list[tuple[int, dict, str]] = []
    for pos, fld, is_schema in handlers:
        t, m = pl.col(f"t{pos}"), pl.col(f"m{pos}")
        rest = ~m & t.is_null()  # a present cell the fast path left null is not yet known to be valid
        outputs += [t, m, rest.alias(f"r{pos}")]
        if is_schema:
            cexprs, cl = _cell_exprs(pos, fld, t, rest)
            outputs += cexprs
            later += [(pos, fld, c) for c in cl]
            if cell_counts is not None:
                outputs.append((pl.col("__n") <= pos).alias(f"a{pos}"))
    if handlers:
        # a row is blank when every cell is a missing value (cells the fast casts left are re-checked below)
        outputs.append(pl.all_horizontal([pl.col(f"m{p}") for p, _, _ in handlers]).alias("__blank"))
    if cell_counts is not None:
        for pos in range(len(labels), len(cols)):
            outputs.append((pl.col("__n") > pos).alias(f"x{pos}"))
    res = base.lazy().with_columns(stage_src).with_columns(stage_typed).select(outputs).collect() if outputs else pl.DataFrame()
    out: dict[str, pl.Series] = {c: res.get_column(c) for c in res.columns}
    del res
    if "__blank" not in out:
        out["__blank"] = pl.repeat(False, n, dtype=pl.Boolean, eager=True)

    # cells the fast casts rejected: frictionless-py's reader decides (rare), then that column's masks again
    typed_cols: dict[str, pl.Series] = {}
    te_cols: dict[str, pl.Series] = {}
    reread = False
    for pos, fld, is_schema in handlers:
        t, r = out.pop(f"t{pos}"), out.pop(f"r{pos}")
        if r.any():
            cast = finish_column(base.select(srcs[pos].alias("s")).get_column("s"), t, r, fld)
            t, r = cast.values.alias(f"t{pos}"), cast.type_error.alias(f"e{pos}")
            redo = pl.DataFrame([t, r])
            exprs = [(pl.col(f"t{pos}").is_null() & ~pl.col(f"e{pos}")).alias(f"m{pos}")]
            if is_schema:
                exprs += _cell_exprs(pos, fld, pl.col(f"t{pos}"), pl.col(f"e{pos}"))[0]
            out.update({c.name: c for c in redo.select(exprs)})
            reread = True
        typed_cols[f"t{pos}"] = t.alias(f"t{pos}")
        te_cols[f"e{pos}"] = r.alias(f"e{pos}")
    if reread:
        out["__blank"] = pl.DataFrame([out[f"m{p}"] for p, _, _ in handlers]).select(pl.all_horizontal(pl.all())).to_series().alias("__blank")
    name_pos = {fld["name"]: pos for pos, fld, is_s in handlers if is_s}
    pk = _pk(schema)
    has_pk = bool(pk) and set(pk) <= set(name_pos)

    invalid: dict[str, pl.Series] = {}
    missing_masks: dict[str, pl.Series] = {}
    later_dups: dict[tuple[int, ...], pl.Series] = {}  # shared by unique and a one-field primary key
    facts: dict[Any, Any] = {"rows": n}
    for pos, fld, is_schema in handlers:
        name = fld["name"]
        te = te_cols[f"e{pos}"]
        bad = te
        if te.any():
            masks.append(("type-error", name, pos + 1, te, f'type is "{fld.get("type", "string")}/{fld.get("format", "default")}"'))
        if is_schema:
            cons_cols = [c for c in out if c.startswith(f"c{pos}:")]
            for c in cons_cols:
                cname = c.split(":", 1)[1]
                cmask = out[c]
                if cname == "pattern" or (cname == "enum" and typed_cols[f"t{pos}"].dtype == pl.Utf8):
                    facts[(name, cname, fld["constraints"][cname] if cname == "pattern" else frozenset(_enum_members(fld)))] = cmask
                if cname == "pattern" and cmask.any():
                    cmask = _pattern_recheck(typed_cols[f"t{pos}"], cmask, fld["constraints"]["pattern"])
                if cmask.any():
                    masks.append(("constraint-error", name, pos + 1, cmask, _constraint_note(cname, fld)))
                    if cname != "required":  # a missing required value counts against completeness
                        bad = bad | cmask
            for p2, f2, cname in later:
                if p2 == pos:
                    cmask = _pattern_recheck(typed_cols[f"t{pos}"], None, f2["constraints"]["pattern"]) & ~te
                    if cmask.any():
                        masks.append(("constraint-error", name, pos + 1, cmask, _constraint_note(cname, fld)))
                        bad = bad | cmask
            if f"a{pos}" in out:
                absent = out[f"a{pos}"]
                if absent.any():
                    masks.append(("missing-cell", name, pos + 1, absent, ""))
                    bad = bad | absent
            if (fld.get("constraints") or {}).get("unique"):
                v = typed_cols[f"t{pos}"]
                later_dups[(pos,)] = duplicated(v, later_only=True)
                facts[(name, "distinct")] = not later_dups[(pos,)].any()
                dup = later_dups[(pos,)] & v.is_not_null()
                if dup.any():
                    masks.append(("unique-error", name, pos + 1, dup, "the same as in an earlier row"))
                    bad = bad | dup
            invalid[name] = bad
            missing_masks[name] = out[f"m{pos}"]
        elif cell_counts is not None:
            absent = cell_counts <= pos
            if absent.any():
                masks.append(("missing-cell", name, pos + 1, absent, ""))
    for fld in fields[len(labels):]:
        typed_cols[fld["name"]] = pl.repeat(None, n, dtype=dtype_of(fld), eager=True).alias(fld["name"])
        missing_masks[fld["name"]] = pl.repeat(True, n, dtype=pl.Boolean, eager=True)
        invalid[fld["name"]] = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    for c in out:
        if c.startswith("x"):
            extra = out[c]
            if extra.any():
                masks.append(("extra-cell", "", int(c[1:]) + 1, extra, ""))

    blank_row = out["__blank"] if n else pl.Series([], dtype=pl.Boolean)
    if blank_row.any():
        masks = [(t, f, num, m & ~blank_row, note) for t, f, num, m, note in masks]
        masks.append(("blank-row", None, None, blank_row, ""))
    # primary-key comes after the blank-row rule (frictionless appends it to the row's errors later)
    if has_pk:
        key_pos = tuple(name_pos[k] for k in pk)
        key = pl.DataFrame([typed_cols[f"t{p}"] for p in key_pos])
        all_null = key.select(pl.all_horizontal(pl.all().is_null())).to_series()
        repeats = later_dups[key_pos] if key_pos in later_dups else duplicated(key, later_only=True)
        pk_bad = all_null | repeats
        if pk_bad.any():
            masks.append(("primary-key", None, None, pk_bad, "primary key missing or repeated"))

    typed_by_name = {fld["name"]: typed_cols[f"t{pos}"] for pos, fld, is_s in handlers if is_s}
    for fk in _fk_list(schema):
        if not set(fk["fields"]) <= set(typed_by_name):
            continue
        fk_bad = _foreign_key_mask(fk, typed_by_name, package, resource_name)
        if fk_bad is not None and fk_bad.any():
            masks.append(("foreign-key", None, None, fk_bad, f"values of {', '.join(fk['fields'])} not found in {fk['resource'] or 'this resource'} ({', '.join(fk['ref_fields'])})"))

    for ptype, fname, fnum, mask, note in masks:
        total = int(mask.sum())
        if not total:
            continue
        counts[(ptype, fname)] = counts.get((ptype, fname), 0) + total
        for i in mask.arg_true()[:max_per_key].to_list():
            problems.append(_row_problem(ptype, i + 2, fnum, fname, note))
    problems.sort(key=lambda p: (p.rowNumber or 0, _ORDER.get(p.type, 9), p.fieldNumber or 0))

    frame = pl.DataFrame([(typed_by_name.get(f["name"]) if f["name"] in typed_by_name else typed_cols[f["name"]]).alias(f["name"]) for f in fields]) if fields else pl.DataFrame()
    return SchemaOutcome(frame=frame, problems=problems, counts=counts, rows=n, labels=labels, invalid=invalid, missing=missing_masks, blank_rows=blank_row, facts=facts)


def _foreign_key_mask(fk: dict, typed: dict[str, pl.Series], package: dict[str, pl.DataFrame] | None, resource_name: str) -> pl.Series | None:
    if fk["resource"] in ("", resource_name):
        source = pl.DataFrame({f"k{i}": typed[src] for i, src in enumerate(fk["ref_fields"])})
    else:
        if not package or fk["resource"] not in package:
            raise ConfigError(
                f"foreign key refers to resource '{fk['resource']}' which is not in the package",
                fix="validate the resources together (pass package={name: typed frame})",
                field=",".join(fk["fields"]),
            )
        ref = package[fk["resource"]]
        source = pl.DataFrame({f"k{i}": ref.get_column(src) for i, src in enumerate(fk["ref_fields"])})
    target = pl.DataFrame({f"k{i}": typed[t] for i, t in enumerate(fk["fields"])})
    for c in target.columns:
        if source.schema[c] != target.schema[c]:
            # values of different types never compare equal in Python: tag them apart
            source = source.with_columns(pl.concat_str([pl.lit(f"{source.schema[c]}:"), pl.col(c).cast(pl.Utf8)]).alias(c))
            target = target.with_columns(pl.concat_str([pl.lit(f"{target.schema[c]}:"), pl.col(c).cast(pl.Utf8)]).alias(c))
    source = source.filter(~pl.all_horizontal(pl.all().is_null())).unique()
    tall_null = target.select(pl.all_horizontal(pl.all().is_null())).to_series()
    found = (
        target.with_row_index("_i")
        .join(source.with_columns(pl.lit(True).alias("_f")), on=list(target.columns), how="left", nulls_equal=True)
        .sort("_i")["_f"]
        .is_not_null()
    )
    return ~tall_null & ~found


def _row_problem(ptype: str, row: int, fnum: int | None, fname: str | None, note: str) -> Problem:
    where = f"row {row}" + (f", field '{fname}' (column {fnum})" if fname else (f", column {fnum}" if fnum else ""))
    text = {
        "type-error": f"type error at {where}: {note}",
        "constraint-error": f"constraint error at {where}: {note}",
        "missing-cell": f"missing cell at {where}",
        "extra-cell": f"extra cell at {where}",
        "blank-row": f"row {row} is completely blank",
        "unique-error": f"duplicate value at {where} (unique constraint)",
        "primary-key": f"primary key at row {row} is missing or repeats an earlier row",
        "foreign-key": f"foreign key at row {row}: {note}",
    }.get(ptype, f"{ptype} at {where}")
    return Problem(ptype, text, rowNumber=row, fieldNumber=fnum if ptype not in ("blank-row", "primary-key", "foreign-key") else None, fieldName=fname, note=note or None)


# ---------------------------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------------------------


def check_table(table: pl.DataFrame, schema: dict, **kw: Any) -> SchemaOutcome:
    """Schema check of an all-Utf8 frame whose column names are the labels as received."""
    labels = list(table.columns)
    cells = table.rename({c: f"c{i}" for i, c in enumerate(labels)}) if labels else table
    cells = cells.with_columns(pl.all().cast(pl.Utf8)) if labels else cells
    return check(cells, labels, schema, **kw)


def validate_table(table: pl.DataFrame, schema: dict) -> tuple[pl.DataFrame, list[Problem]]:
    """Typed frame (cast per the schema; invalid cells null) and the problems, row 1 = header."""
    out = check_table(table, schema)
    return out.frame, out.problems


@dataclass
class CsvCells:
    """A CSV file split into labels and positional Utf8 columns (plus cell counts when ragged)."""

    labels: list[str]
    cells: pl.DataFrame
    cell_counts: pl.Series | None


def read_csv_cells(path: Path, *, encoding: str = "utf-8", delimiter: str = ",") -> CsvCells:
    """Read a CSV as text exactly as frictionless-py sees it.

    Fast path: polars reads the body as Utf8 (multi-threaded); then two byte counts prove every
    record had exactly as many cells as the header and no line was blank — the file's delimiters
    must equal ``rows × (width − 1)`` plus the delimiters inside values, and its line breaks
    ``rows`` plus those inside values. Otherwise (ragged rows, blank lines, odd quoting) a Python
    ``csv`` pass keeps every record with its cell count, so row numbers and missing/extra cells
    stay exact. A UTF-8 file without a byte-order mark is not loaded into Python at all: polars
    reads the path and the byte counts stream the file in blocks.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceError("file not found", fix="check the path", file=str(path))
    enc = encoding.lower().replace("_", "-")
    utf8 = enc in ("utf-8", "utf8", "utf-8-sig")  # UTF-8 itself is checked by polars
    if utf8:
        with open(path, "rb") as fh:
            first = fh.readline()
        if not first.startswith(b"\xef\xbb\xbf"):
            return _read_csv_fast(path, first, path.stat().st_size, delimiter, path)
    raw = path.read_bytes()
    try:
        if not utf8:
            raw = raw.decode(enc).encode("utf-8")
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError("file is not valid text in the expected encoding", fix=f"convert it to UTF-8 or pass the right encoding (tried {encoding})", file=str(path)) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    cut = raw.find(b"\n")
    return _read_csv_fast(raw, raw if cut < 0 else raw[:cut + 1], len(raw), delimiter, path)


def _read_csv_fast(source: bytes | Path, first: bytes, size: int, delimiter: str, path: Path) -> CsvCells:
    """``source``: the UTF-8 text, in memory or a file; ``first``: its first line (with its line break)."""
    fast = fast_cells(source, first, size, delimiter)
    if fast is not None:
        return fast
    return _read_csv_python(source if isinstance(source, bytes) else source.read_bytes(), delimiter, path)


def fast_cells(source: bytes | Path, first: bytes, size: int, delimiter: str) -> CsvCells | None:
    """The polars fast path of ``read_csv_cells`` (cells as text, empty strings kept), or None when
    the byte counts cannot prove every record complete (ragged rows, blank lines, odd quoting, a
    quoted header, a multi-byte delimiter, a single column, text polars refuses)."""
    sep = delimiter.encode()
    header = first[:-1] if first.endswith(b"\n") else first
    if not header.strip() or b'"' in header or len(sep) != 1:  # polars splits on one byte only
        return None
    try:
        labels = next(csv.reader([header.decode("utf-8").rstrip("\r")], delimiter=delimiter))
    except UnicodeDecodeError:
        return None
    width = len(labels)
    if width == 1:  # one column: a blank line and an empty value have the same byte counts
        return None
    names = [f"c{i}" for i in range(width)]
    if not first.endswith(b"\n") or len(first) >= size:
        return CsvCells(labels=labels, cells=pl.DataFrame(schema={c: pl.Utf8 for c in names}), cell_counts=None)
    # the byte counts run in a thread while polars parses (both release the GIL)
    with ThreadPoolExecutor(max_workers=1) as pool:
        counted = pool.submit(_byte_counts, source, sep)
        try:
            frame = pl.read_csv(source, has_header=False, skip_rows=1, separator=delimiter, infer_schema=False, empty_string_is_null=False,
                                new_columns=names, truncate_ragged_lines=False, raise_if_empty=False, glob=False)
        except pl.exceptions.PolarsError:
            frame = None
        delims, breaks, in_quotes, last = counted.result()
    if frame is None or frame.width != width:
        return None
    # every record complete and no blank line ⇔ the body's delimiters and line breaks are exactly
    # those between cells and records plus those inside quoted values (a short record or a blank
    # line leaves a deficit; a long record already failed above)
    n = frame.height
    delims -= header.count(sep)
    breaks -= 1
    if delims != n * (width - 1) + in_quotes[0] or breaks != n + in_quotes[1] - (0 if last == b"\n" else 1):
        return None
    return CsvCells(labels=labels, cells=frame, cell_counts=None)


_BLOCK = 1 << 22  # bytes read per counting step (the file is never held whole)


def _byte_counts(source: bytes | Path, sep: bytes) -> tuple[int, int, tuple[int, int], bytes]:
    """Delimiters (``sep``: one byte), line breaks, both inside quoted spans, and the last byte.

    Quotes pair up in order (``"…"`` spans, an escaped quote splits a span in two; a last lone
    quote opens nothing). One compiled pass (``kaifang._bytes.csv_counts``) that releases the GIL.
    """
    state = np.zeros(7, dtype=np.int64)
    if isinstance(source, bytes):
        if source:
            csv_counts(source, sep[0], state)
        last = source[-1:]
    else:
        buf = bytearray(_BLOCK)
        view = memoryview(buf)
        last = b""
        with open(source, "rb", buffering=0) as fh:
            while size := fh.readinto(buf):
                csv_counts(view[:size], sep[0], state)
                last = bytes(buf[size - 1:size])
    return int(state[0]), int(state[1]), (int(state[2]), int(state[3])), last


def _read_csv_python(raw: bytes, delimiter: str, path: Path) -> CsvCells:
    try:
        records = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=delimiter))
    except UnicodeDecodeError as exc:
        raise SourceError("file is not valid UTF-8 text", fix="convert it to UTF-8 or pass the right encoding", file=str(path)) from exc
    except csv.Error as exc:
        raise SourceError(f"cannot parse the CSV: {exc}", fix="check quoting", file=str(path)) from exc
    labels = records[0] if records else []
    body = records[1:]
    width = max([len(labels)] + [len(r) for r in body])
    cols = {f"c{i}": [r[i] if i < len(r) else None for r in body] for i in range(width)}
    frame = pl.DataFrame(cols, schema={c: pl.Utf8 for c in cols})
    counts = pl.Series("n", [len(r) for r in body], dtype=pl.Int64)
    return CsvCells(labels=labels, cells=frame, cell_counts=counts)


def check_file(path: str | Path, schema: dict, *, encoding: str = "utf-8", **kw: Any) -> SchemaOutcome:
    """Schema check of a CSV file (see ``read_csv_cells``)."""
    data = read_csv_cells(Path(path), encoding=encoding)
    return check(data.cells, data.labels, schema, cell_counts=data.cell_counts, **kw)


def outcome_report(outcome: SchemaOutcome, subject: str, schema: dict) -> Report:
    """The shared report envelope for a schema check (no cell values anywhere)."""
    by_type: dict[str, int] = {}
    for (ptype, _), c in outcome.counts.items():
        by_type[ptype] = by_type.get(ptype, 0) + c
    stats = {"rows": outcome.rows, "fields": len(_fields(schema)), "errors": outcome.error_count, "errorsByType": dict(sorted(by_type.items()))}
    return Report(kind="schema", subject=subject, valid=outcome.valid, stats=stats, errors=outcome.problems)


def validate_file(path: str | Path, schema: dict, *, encoding: str = "utf-8") -> Report:
    """Validate a CSV file against a Table Schema; the report lists problems without cell values."""
    outcome = check_file(path, schema, encoding=encoding)
    return outcome_report(outcome, Path(path).name, schema)


def check_package(resources: dict[str, tuple[str | Path | pl.DataFrame, dict]]) -> dict[str, SchemaOutcome]:
    """Validate several resources together so foreign keys between them resolve.

    ``resources``: name → (CSV path or all-Utf8 frame, Table Schema). Like frictionless-py, a
    referenced resource is read with its own foreign keys ignored.
    """

    def run(source: str | Path | pl.DataFrame, schema: dict, **kw: Any) -> SchemaOutcome:
        if isinstance(source, pl.DataFrame):
            return check_table(source, schema, **kw)
        return check_file(source, schema, **kw)

    typed = {name: run(src, {**schema, "foreignKeys": []}).frame for name, (src, schema) in resources.items()}
    return {name: run(src, schema, package=typed, resource_name=name) for name, (src, schema) in resources.items()}
