"""The desensitize stage: classify → apply each field's declared method → disclosure control → verify.

``apply(frame, schema, disclosure, *, key, previous=None)`` returns the publishable frame and its
``DeidRecord``; it raises ``GateBlocked`` when personal data sits in a field declared public or
survives desensitization (messages name fields and kinds, never values), and ``ConfigError`` for a
missing HMAC key or bad method parameters.
"""

from __future__ import annotations

import os
from typing import Any

import polars as pl

from kaifang.errors import ConfigError, GateBlocked, TerminalError
from kaifang.frames import project
from kaifang.problems import Problem
from pipelines.privacy import classify as C
from pipelines.privacy import detect as D
from pipelines.privacy import methods as M
from pipelines.privacy import verify as V
from pipelines.privacy.disclosure import DisclosureSettings, k_anonymize_rows, suppress_aggregate
from pipelines.privacy.kinds import Finding
from pipelines.privacy.record import DeidRecord, FieldAction
from pipelines.tableschema import field_policies

HMAC_KEY_ENV = "KAIFANG_HMAC_KEY"


def key_from_env(env: str = HMAC_KEY_ENV) -> bytes | None:
    """The HMAC key from the environment variable named by settings (None when unset)."""
    value = os.environ.get(env)
    return value.encode("utf-8") if value else None


def _disclosure_of(disclosure: Any) -> tuple[DisclosureSettings, str | None]:
    """Accept DisclosureSettings / dict / None, or a descriptor (object or dict) carrying ``disclosure``."""
    dataset = None
    if disclosure is not None and not isinstance(disclosure, (DisclosureSettings, str)):
        if hasattr(disclosure, "disclosure") and not isinstance(disclosure, dict):
            dataset = getattr(disclosure, "id", None)
            disclosure = getattr(disclosure, "disclosure")
        elif isinstance(disclosure, dict) and "kind" not in disclosure and ("disclosure" in disclosure or "id" in disclosure):
            dataset = disclosure.get("id")
            disclosure = disclosure.get("disclosure")
    return DisclosureSettings.parse(disclosure), dataset


def _summary(findings: list[Finding]) -> dict[str, str]:
    return {"fields": ",".join(sorted({f.field for f in findings})), "kinds": ",".join(sorted({f.kind for f in findings})),
            "rows": ",".join(str(r) for r in sorted({r for f in findings for r in f.rows})[:20])}


def _run_methods(method, todo: list, box: list[pl.DataFrame], kept: set[str]) -> tuple[list, pl.DataFrame]:
    """Run ``method(item, column)`` over ``todo`` in threads (largest columns first; polars releases
    the GIL); as each finishes, drop its input column from the frame taken out of ``box`` unless it is
    ``kept``. Returns the outputs in ``todo`` order and the frame left."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    frame = box.pop()
    order = sorted(range(len(todo)), key=lambda i: -frame.get_column(todo[i][0]).estimated_size())
    outputs: list = [None] * len(todo)
    with ThreadPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 1))) as pool:
        running = {pool.submit(method, todo[i], frame.get_column(todo[i][0])): i for i in order}
        for done in as_completed(running):
            i = running.pop(done)
            outputs[i] = done.result()
            if todo[i][0] not in kept:
                frame = frame.drop(todo[i][0])
    return outputs, frame


def apply(frame: pl.DataFrame | list[pl.DataFrame], schema: dict[str, Any], disclosure: Any = None, *, key: bytes | None,
          previous: pl.DataFrame | None = None, findings: list | None = None) -> tuple[pl.DataFrame, DeidRecord]:
    """Desensitize ``frame`` per ``schema`` and ``disclosure``; verify; return (frame, record).

    ``frame`` may be handed over in a one-element list (emptied here): each input column a method
    replaces is then released as soon as its output exists, so the input and the output never both
    exist whole (peak memory on big tables). Surrogate and public columns stay for verification."""
    handed = isinstance(frame, list)
    if handed:
        if not frame:
            raise TerminalError("no table was handed to desensitization", fix="pass the frame, or a list holding it")
        frame = frame.pop()
    settings, dataset = _disclosure_of(disclosure)
    record = DeidRecord(dataset=dataset, disclosure=settings.model_dump(exclude_none=True), rows_in=frame.height)

    # step 2: identify identifiers
    if findings is None:  # the pipeline's classify stage passes its findings (one scan, not two)
        findings = C.classify(frame, schema)
    record.identifiers = findings
    blocked = C.blocking(findings)
    if blocked:
        record.residual = blocked
        exc = GateBlocked("personal data found in fields declared public", code="personal-data-in-public-field",
                          fix="tag these fields non-public with a desensitize method, or remove the values at the source",
                          **_summary(blocked))
        exc.record = record.to_dict()
        raise exc

    # step 3: apply the declared methods
    policies, problems = field_policies(schema)
    record.problems.extend(problems)
    by_name = {p.name: p for p in policies}
    exempt: set[tuple[str, str]] = set()
    surrogates: list[tuple[str, str | None]] = []
    name_columns: set[str] = set()
    todo: list[tuple[str, Any, str | None]] = []
    for i, name in enumerate(frame.columns, start=1):
        p = by_name.get(name)
        if p is None:
            record.problems.append(Problem(type="personal-data", message=f"column {name!r} is not in the schema; dropped",
                                           fieldNumber=i, fieldName=name, severity="warning",
                                           note="add the field to schema.json with a sensitivity tag"))
            record.actions.append(FieldAction(name, "personal", "drop", {}, None, declared=False))
            continue
        if p.method == "keep" and p.sensitivity not in ("public", "quasi-identifier"):
            raise ConfigError("`keep` is allowed only for quasi-identifiers", field=name, key="desensitize.method",
                              fix="choose mask, pseudonymize, surrogate, generalize, suppress or drop")
        kind = p.pii or C.inferred_kind(findings, name)
        if kind == "person_name":
            name_columns.add(name)
        record.actions.append(FieldAction(name, p.sensitivity, p.method, dict(p.params), kind, p.declared,
                                          keyed=p.method == "pseudonymize"))
        if p.method == "surrogate":
            exempt.add((name, kind))
            surrogates.append((name, kind))
        todo.append((name, p, kind))
    # columns are independent: the methods run in threads, and each output column is verified in the
    # same task right after its method (step 5 for every column disclosure control cannot change; the
    # threads stay busy instead of waiting at a barrier between the two steps). A handed-over frame
    # loses each replaced input column as its output arrives; only the inputs whose check must wait
    # for disclosure control stay. This function's reference goes into the box, so the runner holds
    # the only one.
    qis: list[str] = []
    if settings.kind == "microdata":
        qis = settings.quasi_identifiers
        if qis is None:
            qis = [p.name for p in policies if p.sensitivity == "quasi-identifier"]
    # aggregate suppression rewrites counts across the table: everything is checked after it
    late = {name for name, _, _ in todo} if settings.kind == "aggregate" else set(qis)
    surrogate_kind = dict(surrogates)

    def method(t: tuple[str, Any, str | None], column: pl.Series) -> tuple[pl.Series | None, tuple | None]:
        name, p, kind = t
        new = M.apply_method(column, p.method, p.params, kind=kind, key=key, field=name)
        if new is None or name in late:
            return new, None
        return new, _verify_column(name, p, column, new.alias(name), surrogate_kind, name_columns)

    kept = {name for name, _ in surrogates} | {name for name, p, _ in todo if p.sensitivity == "public"}
    box = [frame]
    del frame
    results, frame = _run_methods(method, todo, box, (kept & late) if handed else {name for name, _, _ in todo})
    out_cols = [new.alias(name) for (name, _, _), (new, _) in zip(todo, results) if new is not None]
    out = pl.DataFrame(out_cols) if out_cols else pl.DataFrame()
    early = {name: checked for (name, _, _), (new, checked) in zip(todo, results) if new is not None and checked is not None}
    del results, out_cols

    # step 4: disclosure control
    control: dict[str, Any] = {"kind": settings.kind, "cells_suppressed": 0}
    removed = None
    if settings.kind == "aggregate":
        out, stats = suppress_aggregate(out, settings, previous)
        control.update(stats)
    elif settings.kind == "microdata":
        out, stats, removed = k_anonymize_rows(out, [q for q in qis if q in out.columns] if settings.quasi_identifiers is None
                                               else qis, settings.k, settings.max_suppressed_share)
        control.update(stats)
    record.control = control

    # step 5: verification of the columns disclosure control may have changed — re-scan every output row
    # of every column that could hold personal data: public columns passed through unchanged were scanned
    # in full in step 2 (and block if personal)
    pending = [n for n in out.columns if n not in early]
    unchanged_public = {n for n in pending if n in by_name and n in frame.columns
                        and _unchanged_public(by_name[n], frame.get_column(n), out.get_column(n))}
    checks = [lambda: V.residual_findings(project(out, pending), exempt=exempt, name_columns=name_columns, skip=unchanged_public)]
    checks += [lambda name=name, kind=kind: _surrogate_findings(name, kind, V.originals_survive(frame.get_column(name), out.get_column(name), kind))
               for name, kind in surrogates if name in pending]
    residual = [f for found in D.map_columns(lambda check: check(), checks) for f in found]
    # the early checks hold for the released rows; when disclosure control removed records, the row
    # numbers and counts of their findings are taken again over the rows kept
    for name in out.columns:
        if name in early:
            residual.extend(_kept_rows(early[name], out.get_column(name), removed, surrogate_kind, name_columns))
    order = {n: i for i, n in enumerate(out.columns)}
    residual.sort(key=lambda f: order.get(f.field, len(order)))
    record.residual = residual
    record.rows_out = out.height
    record.columns_out = list(out.columns)
    if residual:
        exc = GateBlocked("personal data survived desensitization", code="personal-data-survived",
                          fix="declare a desensitize method for these fields (mask with free_text for remarks)",
                          **_summary(residual))
        exc.record = record.to_dict()
        raise exc
    return out, record


def _verify_column(name: str, policy: Any, original: pl.Series, new: pl.Series, surrogate_kind: dict[str, str | None],
                   name_columns: set[str]) -> tuple[list[Finding], pl.Series | None]:
    """Step 5 for one column: its residual findings, and for a surrogate the rows equal to an original
    value. A public column passed through unchanged was scanned in full in step 2 and is not scanned again."""
    if _unchanged_public(policy, original, new):
        return [], None
    exempt = {surrogate_kind[name]} if name in surrogate_kind else set()
    found = V.column_findings(new, name, exempt=exempt, names_in_cells=name in name_columns)
    same = None
    if name in surrogate_kind:
        same = V.surviving_originals(original, new, surrogate_kind[name])
        if not same.any():
            same = None
    return found, same


def _kept_rows(checked: tuple[list[Finding], pl.Series | None], column: pl.Series, removed: pl.Series | None,
               surrogate_kind: dict[str, str | None], name_columns: set[str]) -> list[Finding]:
    """An early check's findings for the rows released (``removed``: input rows disclosure control took out)."""
    found, same = checked
    name = column.name
    kind = surrogate_kind.get(name)
    if removed is not None and found:  # only removal can change a finding: take it again on the kept rows
        found = V.column_findings(column, name, exempt={kind} if name in surrogate_kind else set(), names_in_cells=name in name_columns)
    if same is not None and removed is not None:
        same = same.filter(~removed)
    return list(found) + _surrogate_findings(name, kind, int(same.sum()) if same is not None else 0)


def _unchanged_public(policy: Any, original: pl.Series, new: pl.Series) -> bool:
    """A public column passed through as it was: scanned in full in step 2, not again in step 5."""
    return policy.sensitivity == "public" and new.dtype == original.dtype and new.equals(original)


def _surrogate_findings(name: str, kind: str | None, n_same: int) -> list[Finding]:
    """The finding for ``n_same`` published surrogates equal to an original value (none when 0)."""
    return [Finding(name, kind or "surrogate", n_same, [], note="surrogate equals an original value")] if n_same else []
