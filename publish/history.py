"""The release history of one dataset (``versions.json``): every version with date, changelog summary
and files ``[{name, url, sha256, bytes, key}]``. Kept at ``<dataset>/versions.json`` in the object store
(the system of record) and published to the portal as the release-history resource.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from kaifang.errors import TerminalError
from publish.versioning import version_key

SHAPE = "kaifang.versions/1"


def index_key(dataset_id: str) -> str:
    return f"{dataset_id}/versions.json"


@dataclass
class History:
    dataset: str
    versions: list[dict[str, Any]] = field(default_factory=list)
    package: str | None = None

    def current(self) -> dict | None:
        live = [v for v in self.versions if not v.get("retracted")]
        return max(live, key=lambda v: version_key(v["version"])) if live else None

    def find(self, version: str) -> dict | None:
        return next((v for v in self.versions if v["version"] == version), None)

    def with_entry(self, entry: dict) -> "History":
        others = [v for v in self.versions if v["version"] != entry["version"]]
        return History(self.dataset, sorted(others + [entry], key=lambda v: version_key(v["version"])), self.package)

    def to_dict(self) -> dict:
        cur = self.current()
        return {
            "shape": SHAPE,
            "dataset": self.dataset,
            "package": self.package,
            "current": cur["version"] if cur else None,
            "versions": self.versions,
        }

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        if d.get("shape") != SHAPE:
            raise TerminalError("not a Kaifang release history", shape=d.get("shape"), fix="the versions.json file was not written by Kaifang")
        return cls(d["dataset"], list(d.get("versions") or []), d.get("package"))


def load(store, dataset_id: str) -> History:
    """The dataset's history from the store (empty when never released)."""
    key = index_key(dataset_id)
    if store.head(key) is None:
        return History(dataset_id)
    return History.from_dict(json.loads(store.get_bytes(key)))


def save(store, history: History) -> None:
    store.put_mutable(index_key(history.dataset), history.to_bytes())


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
