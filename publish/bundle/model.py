"""The release bundle: files built in staging, each with its sha256, plus what the portal needs."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BUNDLE_FILE = "bundle.json"


@dataclass
class BundleFile:
    """One file of a release."""

    name: str
    """File name, also the last part of the store key ``<dataset>/<version>/<name>``."""
    role: str
    """data-csv, data-parquet, datapackage, quality-json, quality-html, deid, changelog-md, changelog-json, dcat."""
    format: str
    """CKAN resource format (CSV, Parquet, JSON, HTML, Markdown, JSON-LD)."""
    media_type: str
    """IANA media type."""
    description: str
    """One-line description shown on the portal."""
    sha256: str = ""
    """Hex sha256 of the staged bytes."""
    bytes: int = 0
    """Size of the staged file."""


@dataclass
class Bundle:
    """A built, verified, not yet published release of one dataset."""

    dataset_id: str
    version: str
    level: str
    previous_version: str | None
    content_sha256: str
    released_at: str
    dir: Path
    files: list[BundleFile]
    public_schema: dict
    changelog: dict
    rows: int
    quality_score: float | None = None
    quality_dimensions: dict[str, Any] = field(default_factory=dict)
    lineage_sha256: str = ""
    datapackage: dict = field(default_factory=dict)
    dcat: dict = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.dir / name

    def file(self, role: str) -> BundleFile:
        for f in self.files:
            if f.role == role:
                return f
        raise KeyError(role)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["dir"] = str(self.dir)
        return d

    def save(self) -> Path:
        p = self.dir / BUNDLE_FILE
        p.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2))
        return p

    @classmethod
    def load(cls, directory: Path) -> "Bundle":
        d = json.loads((Path(directory) / BUNDLE_FILE).read_text())
        d["dir"] = Path(directory)
        d["files"] = [BundleFile(**f) for f in d["files"]]
        return cls(**d)
