"""Per-dataset DataStore settings (descriptor key ``datastore``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DatastoreSettings(BaseModel):
    """How a dataset's published versions are loaded into the CKAN DataStore."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Load each published version into the DataStore.")
    max_rows: int = Field(2_000_000, ge=0, description="Skip the DataStore above this many rows (the reason goes in the resource description).")
    index_fields: list[str] = Field(default_factory=list, description="Fields researchers filter on; each gets an index.")
    keep_versions: int = Field(3, ge=1, description="Retention: how many versions keep a queryable table (older ones are deleted).")
    batch_rows: int = Field(10_000, ge=100, description="Rows per datastore_upsert call (bounds client memory).")
    parallel_requests: int = Field(2, ge=1, le=8, description="datastore_upsert calls in flight at once (match the portal's worker count).")
