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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import polars as pl

from kaifang.errors import TerminalError
from publish import versioning
from publish.storage.base import sha256_file

from .csvout import write_csv
from .dcat import render_dcat
from .model import BUNDLE_FILE, Bundle, BundleFile
from .tableschema import public_schema

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


def _sorted(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    pk = schema.get("primaryKey") or []
    if pk:
        return frame.sort(pk, nulls_last=True, maintain_order=True)
    return frame


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
    pk = pschema.get("primaryKey") or []
    if pk:
        dup = frame.select(pl.struct(pk).is_duplicated().arg_true().first()).item()
        if dup is not None:
            raise TerminalError("primary key is not unique in the release data", dataset=ds_id, field=",".join(pk), row=int(dup) + 2,
                                fix="deduplicate the source or fix primaryKey in schema.json (the quality gate's unique-error)")
    frame = _sorted(frame.select([f["name"] for f in pschema["fields"]]), pschema)
    specs = file_specs(ds_id)
    root = Path(staging_dir) / ds_id
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".build-{dt.datetime.now().strftime('%H%M%S%f')}"
    tmp.mkdir()
    try:
        csv_path = tmp / specs[0].name
        escaped = write_csv(frame, csv_path)
        data_sha, _ = sha256_file(csv_path)
        chash = versioning.content_hash(data_sha, pschema)
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
        sd = versioning.diff_schema(previous.public_schema if previous else None, pschema)
        rd = versioning.diff_rows(previous.frame if previous else None, frame, old_schema=previous.public_schema if previous else None, new_schema=pschema)
        version, level = versioning.bump(previous.version if previous else None, sd, rd)
        version = versioning.next_free(version, level, taken)  # a retracted number is never reused
        released_at = released_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        cl = versioning.changelog(version, level, previous.version if previous else None, sd, rd, released_at=released_at, rows=frame.height)
        if escaped:
            cl["formula_escaped"] = escaped  # counts per field, no values

        frame.write_parquet(tmp / specs[1].name, compression="zstd", statistics=True)
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
        for f in specs:
            if f.role not in ("datapackage", "dcat"):
                f.sha256, f.bytes = sha256_file(tmp / f.name)
        bundle.datapackage = render_datapackage(bundle, dataset.descriptor)
        _dump(tmp / "datapackage.json", bundle.datapackage)
        bundle.dcat = render_dcat(dataset.descriptor, bundle)
        _dump(tmp / "dcat.jsonld", bundle.dcat)
        for f in specs:
            if f.role in ("datapackage", "dcat"):
                f.sha256, f.bytes = sha256_file(tmp / f.name)
        verify(bundle, expected=frame)
        bundle.dir = tmp
        bundle.save()
        tmp.rename(final)  # atomic: a staged bundle is complete or absent
        tmp = None
        bundle.dir = final
        bundle.save()
        return bundle
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp)


def verify(bundle: Bundle, expected: pl.DataFrame | None = None) -> None:
    """Re-hash every file and re-read the data files; raise TerminalError on any mismatch."""
    for f in bundle.files:
        p = bundle.path(f.name)
        if not p.exists():
            raise TerminalError("bundle file missing", file=str(p), fix="rebuild the release bundle")
        sha, size = sha256_file(p)
        if (sha, size) != (f.sha256, f.bytes):
            raise TerminalError("bundle file changed after it was built", file=str(p), fix="rebuild the release bundle")
    pq = pl.read_parquet(bundle.path(bundle.file("data-parquet").name))
    if pq.height != bundle.rows or pq.columns != [f["name"] for f in bundle.public_schema["fields"]]:
        raise TerminalError("Parquet file does not re-read as the release data", file=bundle.file("data-parquet").name)
    if expected is not None and not pq.equals(expected):
        raise TerminalError("Parquet file does not round-trip the release data", file=bundle.file("data-parquet").name)
    csv = pl.read_csv(bundle.path(bundle.file("data-csv").name), infer_schema=False)
    if csv.height != bundle.rows or csv.columns != pq.columns:
        raise TerminalError("CSV file does not re-read as the release data", file=bundle.file("data-csv").name)
