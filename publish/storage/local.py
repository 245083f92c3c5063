"""Local filesystem object store (default: ``<state_dir>/store``).

Layout: ``<root>/objects/<key>`` holds the bytes; ``<root>/meta/<key>.json`` holds ``{sha256, bytes}``.
Write-once is an exclusive create: bytes go to a temp file in the target folder, then ``os.link``
puts them in place, which fails if the key exists — a reader never sees a partial object.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from kaifang.errors import TerminalError

from .base import ObjectStore, StoredObject, check_key, sha256_file


class LocalStore(ObjectStore):
    """Objects as files under ``root``; ``public_base_url`` (optional) is how outside clients reach them."""

    kind = "local"

    def __init__(self, root: Path, public_base_url: str | None = None):
        self.root = Path(root).resolve()
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        (self.root / "objects").mkdir(parents=True, exist_ok=True)
        (self.root / "meta").mkdir(parents=True, exist_ok=True)

    @property
    def location(self) -> str:
        return self.root.as_uri()

    def _obj(self, key: str) -> Path:
        return self.root / "objects" / check_key(key)

    def _meta(self, key: str) -> Path:
        return self.root / "meta" / (check_key(key) + ".json")

    def url(self, key: str) -> str:
        if self.public_base_url:
            return f"{self.public_base_url}/{key}"
        return self._obj(key).as_uri()

    def _read_meta(self, key: str) -> StoredObject | None:
        obj = self._obj(key)
        if not obj.exists():
            return None
        meta = self._meta(key)
        try:
            info = json.loads(meta.read_text())
            sha, size = info["sha256"], int(info["bytes"])
        except (OSError, ValueError, KeyError):
            # crash between link and meta write: recompute from the (complete) bytes
            sha, size = sha256_file(obj)
            self._write_meta(key, sha, size)
        return StoredObject(key, sha, size, self.url(key))

    def _write_meta(self, key: str, sha: str, size: int) -> None:
        meta = self._meta(key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=meta.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            json.dump({"sha256": sha, "bytes": size}, fh)
        os.replace(tmp, meta)

    def head(self, key: str) -> StoredObject | None:
        return self._read_meta(key)

    def put(self, key: str, path: Path, *, sha256: str | None = None) -> StoredObject:
        target = self._obj(key)
        sha, size = sha256_file(path)
        if sha256 and sha != sha256:
            raise TerminalError("staged file changed after it was hashed", key=key, fix="rebuild the release bundle")
        existing = self._read_meta(key)
        if existing is not None:
            return self._same_or_conflict(existing, sha, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, target)  # exclusive create: fails if the key exists
            except FileExistsError:
                existing = self._read_meta(key)
                assert existing is not None
                return self._same_or_conflict(existing, sha, size)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._write_meta(key, sha, size)
        return StoredObject(key, sha, size, self.url(key), created=True)

    def get_bytes(self, key: str) -> bytes:
        return self._existing(key).read_bytes()

    def read_sha256(self, key: str) -> tuple[str, int]:
        return sha256_file(self._existing(key))

    def _existing(self, key: str) -> Path:
        """The file of an object that must exist (a missing one is terminal)."""
        obj = self._obj(key)
        if not obj.exists():
            raise TerminalError("object not found", key=key, store=self.location)
        return obj

    def download(self, key: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not self._obj(key).exists():
            raise TerminalError("object not found", key=key, store=self.location, fix="the release history lists a file the store no longer has; check the store")
        shutil.copyfile(self._obj(key), dest)
        return dest

    def delete(self, key: str) -> bool:
        obj, meta = self._obj(key), self._meta(key)
        removed = False
        for p in (obj, meta):
            try:
                p.unlink()
                removed = True
            except FileNotFoundError:
                pass
        return removed

    def list(self, prefix: str) -> list[str]:
        base = self.root / "objects"
        start = base / prefix if prefix else base
        if not start.exists():
            return []
        paths = [start] if start.is_file() else start.rglob("*")
        return sorted(str(p.relative_to(base)) for p in paths if p.is_file() and not p.name.startswith(".tmp-"))

    def put_mutable(self, key: str, data: bytes) -> StoredObject:
        import hashlib

        target = self._obj(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        sha = hashlib.sha256(data).hexdigest()
        self._write_meta(key, sha, len(data))
        return StoredObject(key, sha, len(data), self.url(key), created=True)
