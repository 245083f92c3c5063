"""Release bundle builder: everything one dataset version publishes, built and verified in staging.

``build(dataset, frame, quality=…, quality_html=…, deid=…, lineage=…, staging_dir=…, previous=…)``
writes, under ``staging_dir``: ``<id>.csv`` (formula-escaped, RFC 4180), ``<id>.parquet``,
``datapackage.json``, ``quality-report.json`` / ``.html``, ``deid-record.json``, ``changelog.md`` /
``.json``, ``dcat.jsonld`` and ``bundle.json`` (the manifest of the bundle). It returns None when the
content hash (data + public schema) equals the previous release's: "up to date".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import polars as pl

from kaifang.errors import TerminalError
from kaifang.frames import PARQUET_WRITE, project
from publish import versioning
from publish.storage.base import sha256_file

from .csvout import write_csv
from .dcat import render_dcat
from .model import BUNDLE_FILE, Bundle, BundleFile
from .tableschema import public_schema
from .written import Written, csv_header, write_checked

__all__ = ["Bundle", "BundleFile", "PreviousRelease", "build", "render_datapackage", "render_dcat", "file_specs"]


@dataclass
class PreviousRelease:
    """The current published release, as needed to diff against."""

    version: str
    content_sha256: str
    public_schema: dict
    frame: pl.DataFrame | None


def file_specs(dataset_id: str) -> list[BundleFile]:
    """The files of a release, in portal order."""
    return [
        BundleFile(f"{dataset_id}.csv", "data-csv", "CSV", "text/csv", "Data, CSV (UTF-8, RFC 4180; text cells starting with = + - @ are prefixed with ')"),
        BundleFile(f"{dataset_id}.parquet", "data-parquet", "Parquet", "application/vnd.apache.parquet", "Data, Apache Parquet (typed, unescaped)"),
        BundleFile("datapackage.json", "datapackage", "JSON", "application/json", "Data dictionary: Frictionless Data Package with the public schema, sizes and sha256"),
        BundleFile("quality-report.json", "quality-json", "JSON", "application/json", "Quality report (JSON)"),
        BundleFile("quality-report.html", "quality-html", "HTML", "text/html", "Quality report (HTML)"),
        BundleFile("deid-record.json", "deid", "JSON", "application/json", "De-identification record: methods applied per field"),
        BundleFile("changelog.md", "changelog-md", "Markdown", "text/markdown", "Changelog of this version"),
        BundleFile("changelog.json", "changelog-json", "JSON", "application/json", "Changelog of this version (JSON)"),
        BundleFile("dcat.jsonld", "dcat", "JSON-LD", "application/ld+json", "DCAT metadata (JSON-LD)"),
    ]


_ORDERED_TYPES = (pl.String, pl.Date, pl.Datetime, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _strictly_increasing(frame: pl.DataFrame, pk: list[str]) -> bool:
    """True when the key columns have no nulls and every row's key is greater than the previous row's
    (lexicographically): the frame is then sorted by key and the key is unique. Other key types answer False."""
    if not all(isinstance(frame.schema[k], _ORDERED_TYPES) for k in pk):
        return False
    greater = None
    for k in reversed(pk):
        col, prev = pl.col(k), pl.col(k).shift(1)
        greater = col > prev if greater is None else (col > prev) | ((col == prev) & greater)
    assert greater is not None
    checks = [pl.col(k).null_count() == 0 for k in pk] + [greater.slice(1).fill_null(False).all()]
    return bool(project(frame, pk).select(pl.all_horizontal(checks)).item())


def _in_key_order(frame: pl.DataFrame, pk: list[str], ds_id: str) -> pl.DataFrame:
    """The frame sorted by primary key (nulls last, ties in input order); a duplicate key is refused.
    Data usually arrives in key order: one pass proving it (strictly increasing key) replaces both the
    duplicate search and the sort (which would copy the whole frame)."""
    if not pk or frame.height < 2 or _strictly_increasing(frame, pk):
        return frame
    dup = project(frame, pk).select(pl.struct(pk).is_duplicated().arg_true().first()).item()
    if dup is not None:
        raise TerminalError("primary key is not unique in the release data", dataset=ds_id, field=",".join(pk), row=int(dup) + 2,
                            fix="deduplicate the source or fix primaryKey in schema.json (the quality gate's unique-error)")
    return frame.sort(pk, nulls_last=True, maintain_order=True)


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _quality_summary(quality: dict) -> tuple[float | None, dict]:
    score = quality.get("score")
    if score is None:
        score = (quality.get("stats") or {}).get("score")
    if isinstance(score, dict):
        dims = score.get("dimensions") or {}
        score = score.get("total", score.get("score"))
    else:
        dims = quality.get("dimensions") or (quality.get("stats") or {}).get("dimensions") or {}
    return (float(score) if isinstance(score, (int, float)) else None), dims


def render_datapackage(bundle: Bundle, descriptor: Any, url_for: Callable[[str], str] | None = None) -> dict:
    """The Data Package for a bundle; ``url_for(name)`` gives absolute URLs (published copy), else relative paths."""
    where = url_for or (lambda name: name)
    res, others = [], []
    for f in bundle.files:
        if f.role in ("datapackage", "dcat"):
            continue
        r: dict[str, Any] = {
            "name": f.name.lower().replace(".", "-").replace("_", "-"),
            "path": where(f.name),
            "format": f.name.rsplit(".", 1)[-1],
            "mediatype": f.media_type,
            "bytes": f.bytes,
            "hash": f"sha256:{f.sha256}",
            "description": f.description,
        }
        if f.role == "data-csv":
            r.update(profile="tabular-data-resource", encoding="utf-8", schema=bundle.public_schema, dialect={"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True})
            res.append(r)
        else:
            # other release files are listed with size and hash, outside ``resources`` so generic
            # clients (frictionless) do not try to read JSON reports as descriptors
            others.append(r)
    dept = getattr(descriptor, "department", None)
    return {
        "name": bundle.dataset_id.lower().replace("_", "-"),
        "title": getattr(descriptor, "title", bundle.dataset_id),
        "description": getattr(descriptor, "description", ""),
        "version": bundle.version,
        "created": bundle.released_at,
        "licenses": [{"name": getattr(descriptor, "license", "other")}],
        "keywords": list(getattr(descriptor, "keywords", []) or []),
        "contributors": [{"title": getattr(dept, "name", ""), "role": "publisher"}] if dept else [],
        "kaifang": {"content_sha256": bundle.content_sha256, "lineage_sha256": bundle.lineage_sha256, "level": bundle.level, "previous": bundle.previous_version},
        "resources": res,
        "kaifang:files": others,
    }


def build(
    dataset: Any,
    frame: pl.DataFrame,
    *,
    quality: dict,
    quality_html: str,
    deid: dict,
    lineage: dict,
    staging_dir: Path,
    previous: PreviousRelease | None = None,
    released_at: str | None = None,
    taken: set[str] | frozenset[str] = frozenset(),
) -> Bundle | None:
    """Build and verify a release bundle in ``staging_dir/<dataset>/<content hash>/``; None when up to date."""
    ds_id = dataset.id
    schema = getattr(dataset, "schema", None) or getattr(dataset.descriptor, "schema", {}) or {}
    pschema = public_schema(schema, frame, deid)
    frame = _in_key_order(project(frame, [f["name"] for f in pschema["fields"]]), pschema.get("primaryKey") or [], ds_id)
    specs = file_specs(ds_id)
    root = Path(staging_dir) / ds_id
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".build-{dt.datetime.now().strftime('%H%M%S%f')}"
    tmp.mkdir()
    # The Parquet file is written in a second thread (polars releases the GIL): at once with the CSV
    # when there is no previous release to be up to date with, else with the row diff.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kaifang-parquet")
    try:
        parquet = pool.submit(_write_parquet, frame, tmp / specs[1].name) if previous is None else None
        escaped, csv_file = write_csv(frame, tmp / specs[0].name)
        _check_csv(csv_file, frame, specs[0].name)
        chash = versioning.content_hash(csv_file.sha256, pschema)
        if previous is not None and previous.content_sha256 == chash:
            return None
        final = root / chash[:16]
        if (final / BUNDLE_FILE).exists():
            existing = Bundle.load(final)
            if existing.content_sha256 == chash and existing.previous_version == (previous.version if previous else None) and existing.version not in taken:
                verify(existing)
                return existing  # a re-run (e.g. after a crash) reuses the staged bundle byte for byte
        if final.exists():
            shutil.rmtree(final)  # a half-renamed or stale build
        if parquet is None:
            parquet = pool.submit(_write_parquet, frame, tmp / specs[1].name)
        sd = versioning.diff_schema(previous.public_schema if previous else None, pschema)
        rd = versioning.diff_rows(previous.frame if previous else None, frame, old_schema=previous.public_schema if previous else None, new_schema=pschema)
        version, level = versioning.bump(previous.version if previous else None, sd, rd)
        version = versioning.next_free(version, level, taken)  # a retracted number is never reused
        released_at = released_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        cl = versioning.changelog(version, level, previous.version if previous else None, sd, rd, released_at=released_at, rows=frame.height)
        if escaped:
            cl["formula_escaped"] = escaped  # counts per field, no values

        _dump(tmp / "quality-report.json", quality)
        (tmp / "quality-report.html").write_text(quality_html, encoding="utf-8")
        _dump(tmp / "deid-record.json", deid)
        _dump(tmp / "changelog.json", cl)
        title = getattr(dataset.descriptor, "title", ds_id)
        (tmp / "changelog.md").write_text(versioning.changelog_markdown(cl, title), encoding="utf-8")

        score, dims = _quality_summary(quality)
        bundle = Bundle(
            dataset_id=ds_id, version=version, level=level, previous_version=previous.version if previous else None,
            content_sha256=chash, released_at=released_at, dir=tmp, files=specs, public_schema=pschema, changelog=cl,
            rows=frame.height, quality_score=score, quality_dimensions=dims,
            lineage_sha256=hashlib.sha256(versioning.canonical_json(lineage)).hexdigest(),
        )
        pq_file = parquet.result()
        for f in specs:
            if f.role == "data-csv":
                f.sha256, f.bytes = csv_file.sha256, csv_file.bytes
            elif f.role == "data-parquet":
                f.sha256, f.bytes = pq_file.sha256, pq_file.bytes
            elif f.role not in ("datapackage", "dcat"):
                f.sha256, f.bytes = sha256_file(tmp / f.name)
        bundle.datapackage = render_datapackage(bundle, dataset.descriptor)
        _dump(tmp / "datapackage.json", bundle.datapackage)
        bundle.dcat = render_dcat(dataset.descriptor, bundle)
        _dump(tmp / "dcat.jsonld", bundle.dcat)
        for f in specs:
            if f.role in ("datapackage", "dcat"):
                f.sha256, f.bytes = sha256_file(tmp / f.name)
        bundle.dir = tmp
        bundle.save()
        tmp.rename(final)  # atomic: a staged bundle is complete or absent
        tmp = None
        bundle.dir = final
        bundle.save()
        return bundle
    finally:
        pool.shutdown(wait=True)  # a Parquet write still running finishes before its folder is removed
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp)


def _write_parquet(frame: pl.DataFrame, path: Path) -> Written:
    """Write the release Parquet (hashed as written, checked on disk) and check its footer: rows and typed columns."""
    written = write_checked(path, lambda sink: frame.write_parquet(sink, **PARQUET_WRITE))
    _check_parquet(path, frame.height, frame.columns, dict(frame.schema))
    return written


def _check_parquet(path: Path, rows: int, columns: list[str], dtypes: dict | None = None) -> None:
    """The footer of a complete Parquet file names ``rows`` rows and these columns (and dtypes)."""
    got = pl.read_parquet_schema(path)
    if pl.scan_parquet(path).select(pl.len()).collect().item() != rows or list(got) != columns or (dtypes is not None and dict(got) != dtypes):
        raise TerminalError("Parquet file does not re-read as the release data", file=path.name)


def _check_csv(written: Written, frame: pl.DataFrame, name: str) -> None:
    if written.records != frame.height + 1 or written.header != frame.columns:
        raise TerminalError("CSV file does not re-read as the release data", file=name)


def verify(bundle: Bundle) -> None:
    """Re-hash every file against the bundle's record (the bytes written and checked when it was built)
    and check the data files' structure: Parquet footer rows and columns, CSV header. TerminalError on any mismatch."""
    for f in bundle.files:
        p = bundle.path(f.name)
        if not p.exists():
            raise TerminalError("bundle file missing", file=str(p), fix="rebuild the release bundle")
        sha, size = sha256_file(p)
        if (sha, size) != (f.sha256, f.bytes):
            raise TerminalError("bundle file changed after it was built", file=str(p), fix="rebuild the release bundle")
    columns = [f["name"] for f in bundle.public_schema["fields"]]
    _check_parquet(bundle.path(bundle.file("data-parquet").name), bundle.rows, columns)
    if csv_header(bundle.path(bundle.file("data-csv").name)) != columns:
        raise TerminalError("CSV file does not re-read as the release data", file=bundle.file("data-csv").name)
