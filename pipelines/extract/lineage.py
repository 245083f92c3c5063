"""Content-addressed raw snapshots and lineage records (来源可溯).

Raw bytes go to ``<state_dir>/raw/<sha256>`` (written once, never overwritten); each extraction
appends a JSON lineage record under ``<state_dir>/lineage/<dataset>/<extracted_at>-<sha12>.json``.
Locators never carry secrets (URLs lose userinfo and query strings; SQL URLs lose passwords).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from kaifang import __version__
from kaifang.settings import REPO_ROOT

LINEAGE_SHAPE = "kaifang.lineage/1"


@dataclass
class Lineage:
    """Where a received table came from, exactly."""

    dataset: str
    connector: str
    locator: str  # source without secrets
    bytes: int  # raw bytes received (sum over parts)
    rows: int  # data rows in the table as received
    columns: int
    sha256: str  # of the raw snapshot (single part) or of the parts manifest (several parts)
    extracted_at: str  # ISO 8601 UTC
    code_version: str
    parts: list[dict[str, Any]] = field(default_factory=list)  # [{locator, bytes, sha256}]
    details: dict[str, Any] = field(default_factory=dict)  # encoding, delimiter, sheet, pages …

    def to_dict(self) -> dict[str, Any]:
        return {"shape": LINEAGE_SHAPE, **asdict(self)}


def code_version() -> str:
    """Package version plus the git commit of the working tree when known (read from .git, no subprocess)."""
    head = REPO_ROOT / ".git" / "HEAD"
    commit = None
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_path = REPO_ROOT / ".git" / ref[5:]
            if ref_path.exists():
                commit = ref_path.read_text().strip()
            else:
                packed = (REPO_ROOT / ".git" / "packed-refs").read_text()
                commit = next((ln.split()[0] for ln in packed.splitlines() if ln.endswith(ref[5:])), None)
        else:
            commit = ref
    except OSError:
        pass
    return f"kaifang {__version__}" + (f"+g{commit[:12]}" if commit else "")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_raw(state_dir: str | Path, data: bytes, sha: str | None = None) -> Path:
    """Write ``data`` to ``raw/<sha256>`` atomically unless already there; return the path."""
    sha = sha or sha256_bytes(data)
    raw_dir = Path(state_dir) / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    path = raw_dir / sha
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=raw_dir, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o440)
        os.replace(tmp, path)
    return path


class StagedRaw:
    """A private copy of a source file in ``raw/``, hashed in a background thread while it is parsed."""

    def __init__(self, raw_dir: Path, tmp: Path) -> None:
        self.raw_dir, self.path = raw_dir, tmp
        self._digest: tuple[str, int] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._hash, name="kaifang-raw-sha256", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        try:
            h, size = hashlib.sha256(), 0
            with open(self.path, "rb") as fh:
                while chunk := fh.read(8 << 20):  # hashlib releases the GIL on large updates
                    h.update(chunk)
                    size += len(chunk)
            self._digest = (h.hexdigest(), size)
        except BaseException as exc:  # noqa: BLE001 — re-raised by commit()
            self._error = exc

    def join(self) -> None:
        """Wait for the hash to finish."""
        self._thread.join()

    def digest(self) -> tuple[str, int]:
        """(sha256, size) of the staged copy (waits for the hash)."""
        self.join()
        if self._error is not None:
            raise self._error
        assert self._digest is not None
        return self._digest

    def commit(self) -> tuple[str, int, Path]:
        """Name the copy ``raw/<sha256>`` (write-once: an existing snapshot is kept); (sha256, size, path)."""
        sha, size = self.digest()
        path = self.raw_dir / sha
        if path.exists():
            self.path.unlink()
        else:
            os.replace(self.path, path)
        self.path = path
        return sha, size, path


@contextmanager
def staged_raw_copy(state_dir: str | Path, src: str | Path) -> Iterator[StagedRaw]:
    """Copy ``src`` into ``<state_dir>/raw/`` (kernel-side copy, no bytes in Python) and hash the copy
    in the background. Parse ``staged.path`` — the exact bytes being hashed, immune to later changes of
    the source — then ``staged.commit()``; without a commit (an error) the copy is removed."""
    raw_dir = Path(state_dir) / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=raw_dir, prefix=".tmp-")
    os.close(fd)
    staged = None
    try:
        shutil.copyfile(src, tmp)  # sendfile(2) on Linux
        os.chmod(tmp, 0o440)
        staged = StagedRaw(raw_dir, Path(tmp))
        yield staged
    finally:
        if staged is not None:
            staged.join()
        if os.path.exists(tmp):
            os.unlink(tmp)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def save_lineage(state_dir: str | Path, lineage: Lineage) -> Path:
    """Write the lineage record as JSON; return its path."""
    folder = Path(state_dir) / "lineage" / lineage.dataset
    folder.mkdir(parents=True, exist_ok=True)
    stamp = lineage.extracted_at.replace(":", "").replace("-", "").replace(".", "")
    path = folder / f"{stamp}-{lineage.sha256[:12]}.json"
    path.write_text(json.dumps(lineage.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def latest_lineage(state_dir: str | Path, dataset: str) -> dict[str, Any] | None:
    """The most recent lineage record of ``dataset``, or None."""
    folder = Path(state_dir) / "lineage" / dataset
    files = sorted(folder.glob("*.json")) if folder.exists() else []
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else None
