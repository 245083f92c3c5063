"""Extraction: read a department source as received, snapshot the raw bytes, record lineage.

``extract(dataset, state_dir) -> Extraction`` dispatches on ``dataset.descriptor.source.connector``
(``csv``, ``excel``, ``sql``, ``http``, ``s3``). The table is all Utf8 with the header as received;
raw bytes are stored content-addressed under ``<state_dir>/raw/`` and a lineage record under
``<state_dir>/lineage/<dataset>/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import polars as pl

from pipelines.extract.common import Received
from pipelines.extract.lineage import Lineage, code_version, now_utc, save_lineage, sha256_bytes, store_raw


@dataclass
class Extraction:
    """The table as received, its lineage and where the raw snapshot lives."""

    table: pl.DataFrame
    lineage: Lineage
    raw_path: Path
    lineage_path: Path | None = None


def _connector(name: str) -> Callable[..., Received]:
    if name == "csv":
        from pipelines.extract.csv_file import read
    elif name == "excel":
        from pipelines.extract.excel import read
    elif name == "sql":
        from pipelines.extract.sql import read
    elif name == "http":
        from pipelines.extract.http_api import read
    elif name == "s3":
        from pipelines.extract.s3 import read
    else:  # the descriptor model makes this unreachable
        from kaifang.errors import ConfigError

        raise ConfigError(f"unknown connector {name!r}", fix="use csv, excel, sql, http or s3")
    return read


def extract(dataset: Any, state_dir: str | Path) -> Extraction:
    """Run the dataset's connector; store raw bytes and lineage under ``state_dir``."""
    state_dir = Path(state_dir)
    source = dataset.descriptor.source
    extracted_at = now_utc()
    received = _connector(source.connector)(source.options, dataset_dir=Path(dataset.dir), dataset=dataset.id, state_dir=state_dir)
    parts = []
    for part in received.parts:
        if part.snapshot is not None:  # the connector stored it already (csv: the copy it parsed)
            sha, size = part.snapshot.sha256, part.snapshot.bytes
        else:
            sha, size = sha256_bytes(part.data), len(part.data)
            store_raw(state_dir, part.data, sha)
        parts.append({"locator": part.locator, "bytes": size, "sha256": sha, **({"details": part.extra} if part.extra else {})})
    if len(parts) == 1:
        sha = parts[0]["sha256"]
        raw_path = state_dir / "raw" / sha
    else:  # several pages/objects: the snapshot is a manifest of the parts, itself content-addressed
        manifest = json.dumps({"shape": "kaifang.raw-manifest/1", "parts": parts}, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sha = sha256_bytes(manifest)
        raw_path = store_raw(state_dir, manifest, sha)
    lineage = Lineage(
        dataset=dataset.id,
        connector=source.connector,
        locator=received.locator,
        bytes=sum(p["bytes"] for p in parts),
        rows=received.table.height,
        columns=received.table.width,
        sha256=sha,
        extracted_at=extracted_at,
        code_version=code_version(),
        parts=parts,
        details=received.details,
    )
    path = save_lineage(state_dir, lineage)
    return Extraction(table=received.table, lineage=lineage, raw_path=raw_path, lineage_path=path)


__all__ = ["Extraction", "Lineage", "extract"]
