"""Object storage for release files: one interface (``ObjectStore``), two backends.

``open_store(url, settings)``: ``None`` → ``LocalStore(<state_dir>/store)``; ``file:///path`` or a
plain path → ``LocalStore``; ``s3://bucket/prefix?endpoint_url=…&region=…&public_base_url=…`` →
``S3Store`` (credentials from the standard AWS environment/profile; ``AWS_ENDPOINT_URL`` works too).
Extra query options: ``multipart_threshold`` and ``part_size`` (bytes), ``create_bucket=1``,
``acl=public-read`` (canned ACL on every object, for link delivery from buckets that still use ACLs;
with "bucket owner enforced" ownership use a bucket policy instead), ``max_attempts``, ``timeout``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from kaifang.errors import ConfigError

from .base import ObjectStore, StoredObject, sha256_file
from .local import LocalStore

__all__ = ["ObjectStore", "StoredObject", "LocalStore", "S3Store", "open_store", "sha256_file"]


def open_store(url: str | None, settings=None) -> ObjectStore:
    """Open the object store named by ``url`` (default ``settings.store``, then ``<state_dir>/store``)."""
    if url is None and settings is not None:
        url = settings.store
    if not url:
        if settings is None:
            raise ConfigError("no object store configured", fix="pass a store URL or Settings")
        return LocalStore(Path(settings.state_dir) / "store")
    parsed = urlparse(url)
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    if parsed.scheme in ("", "file"):
        path = unquote(parsed.path) if parsed.scheme == "file" else url.split("?")[0]
        return LocalStore(Path(path), public_base_url=query.get("public_base_url"))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ConfigError("S3 store URL has no bucket", store=url.split("?")[0], fix="use s3://bucket/prefix")
        known = {"endpoint_url", "region", "public_base_url", "multipart_threshold", "part_size", "create_bucket", "max_attempts", "timeout", "acl"}
        unknown = set(query) - known
        if unknown:
            raise ConfigError("unknown S3 store option", option=",".join(sorted(unknown)), fix=f"use only {', '.join(sorted(known))}")
        from .s3 import S3Store  # boto3 is imported only for an s3:// store

        try:
            return S3Store(
                parsed.netloc,
                parsed.path.strip("/"),
                endpoint_url=query.get("endpoint_url"),
                region=query.get("region"),
                public_base_url=query.get("public_base_url"),
                multipart_threshold=int(query.get("multipart_threshold", 64 << 20)),
                part_size=int(query.get("part_size", 16 << 20)),
                max_attempts=int(query.get("max_attempts", 4)),
                timeout=float(query.get("timeout", 30)),
                create_bucket=query.get("create_bucket", "0") in ("1", "true", "yes"),
                acl=query.get("acl"),
            )
        except ValueError:
            raise ConfigError("S3 store option is not a number", store=url.split("?")[0], fix="multipart_threshold, part_size, max_attempts and timeout take numbers") from None
    raise ConfigError("unsupported object store URL scheme", scheme=parsed.scheme, fix="use file:///path or s3://bucket/prefix")


def __getattr__(name: str):
    if name == "S3Store":  # lazily: importing boto3 costs a few hundred ms
        from .s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
