"""The object-store interface: write-once keys ``<dataset>/<version>/<file>`` each with its sha256.

A key, once written, is never overwritten: ``put`` of identical bytes is a no-op (``created=False``,
which makes release steps idempotent); ``put`` of different bytes raises ``PublishConflict``.
Mutable keys (the per-dataset release index) go through ``put_mutable``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from kaifang.errors import PublishConflict

CHUNK = 1 << 20


def sha256_chunks(chunks: Iterable[bytes]) -> tuple[str, int]:
    """Return (hex sha256, size in bytes) of a stream of byte chunks."""
    h = hashlib.sha256()
    size = 0
    for chunk in chunks:
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def sha256_file(path: Path) -> tuple[str, int]:
    """Return (hex sha256, size in bytes) of a file, streamed in 1 MiB chunks."""
    with open(path, "rb") as fh:
        return sha256_chunks(iter(lambda: fh.read(CHUNK), b""))


@dataclass(frozen=True)
class StoredObject:
    """One object in the store."""

    key: str
    """Store key, ``<dataset>/<version>/<file>``."""
    sha256: str
    """Hex sha256 of the bytes."""
    bytes: int
    """Size in bytes."""
    url: str
    """Where an outside client can fetch it (public base URL, S3 endpoint URL or file:// URI)."""
    created: bool = False
    """True when this call wrote the object; False when it already existed with the same content."""


class ObjectStore(ABC):
    """One interface for the local filesystem store and S3-compatible stores."""

    #: short name used in audit records and messages
    kind: str = "store"

    def _same_or_conflict(self, existing: StoredObject, sha: str, size: int) -> StoredObject:
        """The existing object when it holds the same bytes (idempotent put); else PublishConflict."""
        if existing.sha256 == sha and existing.bytes == size:
            return existing
        raise PublishConflict(
            "object already exists with different content; release keys are write-once",
            key=existing.key,
            fix="a version number is never reused: retract or finish the earlier release instead of overwriting it",
        )

    @abstractmethod
    def put(self, key: str, path: Path, *, sha256: str | None = None) -> StoredObject:
        """Write ``path`` under ``key`` once. Same bytes already there → ``created=False``; other bytes → PublishConflict."""

    @abstractmethod
    def head(self, key: str) -> StoredObject | None:
        """The stored object's sha256 and size, or None when the key does not exist."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Read a whole object (release index, small files, verification)."""

    @abstractmethod
    def read_sha256(self, key: str) -> tuple[str, int]:
        """(sha256, size) of the bytes an object reads back as, streamed (a whole data file is never held in memory)."""

    @abstractmethod
    def download(self, key: str, dest: Path) -> Path:
        """Copy an object to ``dest`` and return it."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove an object (retraction only). True when something was removed."""

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, sorted."""

    @abstractmethod
    def put_mutable(self, key: str, data: bytes) -> StoredObject:
        """Overwrite a mutable key atomically (the per-dataset ``versions.json`` index)."""

    @abstractmethod
    def url(self, key: str) -> str:
        """Public URL of a key."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where this store lives (for audit records); never includes credentials."""

    def exists(self, key: str) -> bool:
        """True when the key exists."""
        return self.head(key) is not None


def check_key(key: str) -> str:
    """Refuse keys that could escape the store root or carry empty parts."""
    from kaifang.errors import ConfigError

    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ConfigError("invalid object key", key=key, fix="use <dataset>/<version>/<file> with no empty, '.' or '..' parts")
    return key
