"""Append-only audit log (监督留痕): one JSON line per release, retraction or refusal.

Each record says who (steward), what (dataset, version, hashes), when (UTC), where (portal, store)
and the outcome. Lines are appended with O_APPEND and fsync; the log is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any


def audit_path(state_dir: Path) -> Path:
    return Path(state_dir) / "audit.jsonl"


def append(state_dir: Path, *, action: str, steward: str, dataset: str, outcome: str, **details: Any) -> dict:
    """Append one record and return it."""
    rec = {
        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "action": action,
        "who": steward,
        "dataset": dataset,
        "outcome": outcome,
        **details,
    }
    p = audit_path(state_dir)
    p.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(rec, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode("utf-8")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return rec


def read(state_dir: Path, dataset: str | None = None) -> list[dict]:
    """All records (optionally for one dataset), oldest first."""
    p = audit_path(state_dir)
    if not p.exists():
        return []
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            if dataset is None or rec.get("dataset") == dataset:
                out.append(rec)
    return out
