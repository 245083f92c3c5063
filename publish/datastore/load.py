"""Load one published version's rows into the CKAN DataStore over the Action API.

``call(action, **data)`` is any Action API caller (``publish.ckan`` client with retries via
``portal_caller``, or a bare ``ckanapi.RemoteCKAN.call_action`` wrapper). Rows go in batches of
``batch_rows`` so client memory stays bounded whatever the table size: ``load_parquet`` streams the
published Parquet file batch by batch and never holds the whole table.

What enters the table is exactly the published CSV's content: the Parquet file's typed values with
the CSV writer's formula escaping applied to text cells (``publish.bundle.csvout.escape_formulas``),
so a DataStore dump opened in a spreadsheet is as safe as the CSV and nothing differs from it.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

import polars as pl

from publish.datastore.config import DatastoreSettings
from publish.datastore.types import datastore_fields


class ActionCaller(Protocol):
    def __call__(self, action: str, **data: Any) -> Any: ...


@dataclass
class LoadResult:
    """What happened to one resource's DataStore table."""

    resource_id: str
    loaded: bool
    rows: int = 0
    batches: int = 0
    seconds: float = 0.0
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def portal_caller(portal: Any) -> ActionCaller:
    """Adapt ``publish.ckan.client.Portal.call(action, data)`` (retries, typed errors) to ``call(action, **data)``."""
    return lambda action, **data: portal.call(action, data)


def _json_ready(batch: pl.DataFrame) -> pl.DataFrame:
    """Dates, datetimes, decimals and times as ISO/decimal text; the DataStore casts them to its column types."""
    exprs = []
    for name, dtype in batch.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            exprs.append(col.dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(col.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        elif isinstance(dtype, pl.Decimal) or dtype == pl.Time:
            exprs.append(col.cast(pl.Utf8))
        elif dtype.is_float():
            exprs.append(pl.when(col.is_nan()).then(None).otherwise(col).alias(name))  # JSON has no NaN
        else:
            exprs.append(col)
    return batch.select(exprs)


def skip_reason(frame: pl.DataFrame | int, settings: DatastoreSettings) -> str | None:
    """Why this version gets no DataStore table, or None when it does (``frame`` or its row count)."""
    rows = frame if isinstance(frame, int) else frame.height
    if not settings.enabled:
        return "DataStore loading is disabled for this dataset; download the CSV or Parquet file."
    if rows > settings.max_rows:
        return (
            f"Not loaded into the DataStore: {rows:,} rows exceed this dataset's limit of "
            f"{settings.max_rows:,}; download the CSV or Parquet file."
        )
    return None


def create_table(call: ActionCaller, resource_id: str, template: pl.DataFrame, schema: dict[str, Any], settings: DatastoreSettings) -> None:
    """``datastore_create``: typed fields with data dictionary, primary key, indexes; no rows yet."""
    fields = datastore_fields(schema, template)
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    pk = [k for k in pk if k in template.columns]
    indexes = [f for f in settings.index_fields if f in template.columns and f not in pk]
    create: dict[str, Any] = {"resource_id": resource_id, "force": True, "fields": fields, "records": []}
    if pk:
        create["primary_key"] = pk
    if indexes:
        create["indexes"] = indexes
    call("datastore_create", **create)


def load_batches(
    call: ActionCaller,
    resource_id: str,
    template: pl.DataFrame,
    batches: Iterable[pl.DataFrame],
    rows: int,
    schema: dict[str, Any],
    settings: DatastoreSettings,
) -> LoadResult:
    """Create the table from ``template``'s dtypes, then insert each batch (one ``datastore_upsert`` per batch)."""
    reason = skip_reason(rows, settings)
    if reason:
        return LoadResult(resource_id=resource_id, loaded=False, rows=rows, reason=reason)
    t0 = time.perf_counter()
    create_table(call, resource_id, template, schema, settings)
    n_batches = sent = 0

    def send(records: list[dict]) -> None:
        call("datastore_upsert", resource_id=resource_id, force=True, method="insert", records=records, calculate_record_count=False)

    # up to ``parallel_requests`` batches in flight (the portal's workers insert them concurrently);
    # at most one more is being prepared, so client memory stays bounded by a few batches
    with ThreadPoolExecutor(max_workers=settings.parallel_requests) as pool:
        pending: list[Future] = []
        for batch in batches:
            if batch.height == 0:
                continue
            while len(pending) >= settings.parallel_requests:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    pending.remove(fut)
                    fut.result()  # the first failure stops the load
            pending.append(pool.submit(send, _json_ready(batch).to_dicts()))
            n_batches += 1
            sent += batch.height
        for fut in pending:
            fut.result()
    call("datastore_upsert", resource_id=resource_id, force=True, method="insert", records=[], calculate_record_count=True)
    return LoadResult(resource_id=resource_id, loaded=True, rows=sent, batches=n_batches, seconds=time.perf_counter() - t0)


def load_table(
    call: ActionCaller,
    resource_id: str,
    frame: pl.DataFrame,
    schema: dict[str, Any],
    settings: DatastoreSettings | None = None,
) -> LoadResult:
    """Create the typed table (fields, primary key, indexes, data dictionary) and insert every row of an in-memory frame."""
    settings = settings or DatastoreSettings()
    return load_batches(call, resource_id, frame.head(0), frame.iter_slices(n_rows=settings.batch_rows), frame.height, schema, settings)


def published_batches(path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The published Parquet file in batches of ``batch_rows``, formula-escaped exactly as the published CSV."""
    import pyarrow.parquet as pq

    from publish.bundle.csvout import escape_formulas

    pf = pq.ParquetFile(path)
    for rb in pf.iter_batches(batch_size=batch_rows):
        batch = pl.from_arrow(rb)
        assert isinstance(batch, pl.DataFrame)
        yield escape_formulas(batch)[0]


def parquet_template(path: Path) -> tuple[pl.DataFrame, int]:
    """An empty frame with the Parquet file's columns and dtypes, and its row count (metadata only)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    template = pl.from_arrow(pf.schema_arrow.empty_table())
    assert isinstance(template, pl.DataFrame)
    return template, pf.metadata.num_rows


def load_parquet(call: ActionCaller, resource_id: str, path: Path, schema: dict[str, Any], settings: DatastoreSettings | None = None) -> LoadResult:
    """Stream a published Parquet file into a new DataStore table (bounded memory: one batch at a time)."""
    settings = settings or DatastoreSettings()
    template, rows = parquet_template(Path(path))
    return load_batches(call, resource_id, template, published_batches(Path(path), settings.batch_rows), rows, schema, settings)


_MISSING = object()


def _unless_missing(call: ActionCaller, action: str, **kw: Any) -> Any:
    """Run a DataStore action; ``_MISSING`` when the resource has no table (ckanapi's NotFound, or the
    client's terminal ``not-found``)."""
    from ckanapi import NotFound

    from kaifang.errors import TerminalError

    try:
        return call(action, **kw)
    except NotFound:
        return _MISSING
    except TerminalError as exc:
        if getattr(exc, "code", None) == "not-found":
            return _MISSING
        raise


def table_rows(call: ActionCaller, resource_id: str) -> int | None:
    """Rows in a resource's table, or None when it has no table."""
    found = _unless_missing(call, "datastore_search", resource_id=resource_id, limit=0, include_total=True)
    return None if found is _MISSING else int(found["total"])


def delete_table(call: ActionCaller, resource_id: str) -> bool:
    """Drop a version's table (retraction, retention). True when a table was deleted."""
    return _unless_missing(call, "datastore_delete", resource_id=resource_id, force=True) is not _MISSING
