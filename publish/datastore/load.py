"""Load one published version's rows into the CKAN DataStore over the Action API.

``call(action, **data)`` is any Action API caller (``publish.ckan`` client with retries, or a bare
``ckanapi.RemoteCKAN.call_action`` wrapper). Rows go in batches of ``batch_rows`` so client
memory stays bounded whatever the table size.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Protocol

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
        else:
            exprs.append(col)
    return batch.select(exprs)


def skip_reason(frame: pl.DataFrame, settings: DatastoreSettings) -> str | None:
    """Why this version gets no DataStore table, or None when it does."""
    if not settings.enabled:
        return "DataStore loading is disabled for this dataset; download the CSV or Parquet file."
    if frame.height > settings.max_rows:
        return (
            f"Not loaded into the DataStore: {frame.height:,} rows exceed this dataset's limit of "
            f"{settings.max_rows:,}; download the CSV or Parquet file."
        )
    return None


def load_table(
    call: ActionCaller,
    resource_id: str,
    frame: pl.DataFrame,
    schema: dict[str, Any],
    settings: DatastoreSettings | None = None,
) -> LoadResult:
    """Create the typed table (fields, primary key, indexes, data dictionary) and insert every row."""
    settings = settings or DatastoreSettings()
    reason = skip_reason(frame, settings)
    if reason:
        return LoadResult(resource_id=resource_id, loaded=False, reason=reason)
    t0 = time.perf_counter()
    fields = datastore_fields(schema, frame)
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else list(pk)
    pk = [k for k in pk if k in frame.columns]
    indexes = [f for f in settings.index_fields if f in frame.columns and f not in pk]
    create: dict[str, Any] = {"resource_id": resource_id, "force": True, "fields": fields, "records": []}
    if pk:
        create["primary_key"] = pk
    if indexes:
        create["indexes"] = indexes
    call("datastore_create", **create)
    batches = 0
    for batch in frame.iter_slices(n_rows=settings.batch_rows):
        call("datastore_upsert", resource_id=resource_id, force=True, method="insert", records=_json_ready(batch).to_dicts())
        batches += 1
    return LoadResult(
        resource_id=resource_id, loaded=True, rows=frame.height, batches=batches, seconds=time.perf_counter() - t0
    )


def delete_table(call: ActionCaller, resource_id: str) -> bool:
    """Drop a version's table (retraction, retention). True when a table was deleted."""
    from ckanapi import NotFound

    try:
        call("datastore_delete", resource_id=resource_id, force=True)
    except NotFound:
        return False
    return True
