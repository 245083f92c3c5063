"""Release manifests: the idempotent steps of one release, recorded on disk so a re-run resumes.

``<state_dir>/manifests/<dataset>/<version>.json`` holds the bundle dir and content hash, the steps
done (in order) with their outputs, and ``complete``. Every write is atomic (temp file + rename), so
a SIGKILL leaves either the previous or the new manifest. Also: the per-dataset publish lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from kaifang.errors import PublishConflict

STEPS = ("plan", "portal-package", "objects-written", "objects-verified", "hooks", "portal-switch", "after-switch-hooks", "portal-visible", "history", "audit")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Manifest:
    """One release's progress."""

    def __init__(self, path: Path, data: dict):
        self.path = path
        self.data = data

    @classmethod
    def open(cls, state_dir: Path, dataset: str, version: str, *, content_sha256: str, bundle_dir: str) -> "Manifest":
        path = Path(state_dir) / "manifests" / dataset / f"{version}.json"
        if path.exists():
            m = cls(path, json.loads(path.read_text()))
            if m.data.get("abandoned"):
                raise PublishConflict("this version was abandoned and is never reused", dataset=dataset, version=version,
                                      fix="rebuild the bundle with build_release (it skips abandoned version numbers)")
            if m.data["content_sha256"] != content_sha256:
                if m.done("portal-switch") or m.data.get("complete"):
                    raise PublishConflict(
                        "this version was already released with different content",
                        dataset=dataset, version=version,
                        fix="rebuild the bundle against the current release (the version will be recomputed)",
                    )
                raise PublishConflict(
                    "an unfinished release of this version with different content exists",
                    dataset=dataset, version=version, manifest=str(path),
                    fix="re-run with the original data to finish it, or run `kaifang retract DATASET VERSION --reason ...` to abandon it",
                )
            return m
        m = cls(path, {"dataset": dataset, "version": version, "content_sha256": content_sha256, "bundle_dir": bundle_dir, "started_at": _now(), "steps": {}, "complete": False})
        m.save()
        return m

    @staticmethod
    def load(state_dir: Path, dataset: str, version: str) -> "Manifest | None":
        path = Path(state_dir) / "manifests" / dataset / f"{version}.json"
        return Manifest(path, json.loads(path.read_text())) if path.exists() else None

    @staticmethod
    def unfinished(state_dir: Path, dataset: str) -> list["Manifest"]:
        d = Path(state_dir) / "manifests" / dataset
        out = []
        for p in sorted(d.glob("*.json")) if d.exists() else []:
            m = Manifest(p, json.loads(p.read_text()))
            if not m.data.get("complete") and not m.data.get("abandoned"):
                out.append(m)
        return out

    def done(self, step: str) -> bool:
        return step in self.data["steps"]

    def output(self, step: str) -> dict:
        return self.data["steps"].get(step, {}).get("output", {})

    def mark(self, step: str, **output: Any) -> None:
        """Record a finished step (atomically)."""
        self.data["steps"][step] = {"at": _now(), "output": output}
        if step == STEPS[-1]:
            self.data["complete"] = True
        self.save()
        self.after_mark(step)

    def after_mark(self, step: str) -> None:
        """Hook called after each recorded step (fault-injection tests kill the process here)."""

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            json.dump(self.data, fh, ensure_ascii=False, indent=2, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


@contextmanager
def dataset_lock(state_dir: Path, dataset: str) -> Iterator[Path]:
    """Exclusive, non-blocking per-dataset lock; a second publisher gets PublishConflict at once.

    ``flock`` is released by the kernel when the holder dies (SIGKILL included), so a crash never
    leaves a stale lock behind.
    """
    path = Path(state_dir) / "locks" / f"{dataset}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            try:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            except OSError:
                pass
            raise PublishConflict(
                "another publish or retraction of this dataset is running",
                dataset=dataset, holder=holder or None, lock=str(path),
                fix="wait for it to finish, then re-run (an unchanged dataset will report 'up to date')",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid={os.getpid()} since={_now()}".encode(), 0)
        yield path
    finally:
        os.close(fd)
