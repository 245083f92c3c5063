"""Shared pieces of the connectors: placeholder expansion, typed option base, raw parts, text conversion."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl
from pydantic import BaseModel, ConfigDict

from kaifang.errors import ConfigError

_PLACEHOLDER = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}")

DEMO_ENV_FILE = Path("demo_sources") / "env.json"
"""Relative to the state dir: values of the ``KAIFANG_DEMO_*`` placeholders written by demo_sources."""


class Options(BaseModel):
    """Base of every connector's typed options: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class RawPart:
    """Bytes received from one object/page/query, before parsing.

    A connector that already stored the part's raw snapshot itself (the csv connector copies the file
    into ``raw/`` and parses that copy) passes ``snapshot`` instead of ``data``."""

    locator: str
    data: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)
    snapshot: "StoredRaw | None" = None


@dataclass(frozen=True)
class StoredRaw:
    """A raw snapshot already in ``<state_dir>/raw/<sha256>``."""

    sha256: str
    bytes: int
    path: Path


@dataclass
class Received:
    """What a connector hands back: the table as received and the raw parts it was parsed from."""

    table: pl.DataFrame
    parts: list[RawPart]
    locator: str
    details: dict[str, Any] = field(default_factory=dict)


def demo_env(state_dir: str | Path | None) -> dict[str, str]:
    """Values published by ``demo_sources up`` (non-secret endpoints of local demo servers)."""
    if state_dir is None:
        return {}
    path = Path(state_dir) / DEMO_ENV_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def expand(value: str, state_dir: str | Path | None = None, *, dataset: str | None = None, key: str | None = None) -> str:
    """Replace ``${VAR}`` / ``${VAR:-default}`` from the environment, then the demo sources' env file."""
    if "${" not in value:
        return value
    extra = demo_env(state_dir)

    def sub(m: re.Match) -> str:
        name, default = m.group(1), m.group(2)
        got = os.environ.get(name) or extra.get(name)
        if got is None:
            if default is not None:
                return default
            raise ConfigError(
                f"source option refers to unset environment variable {name}",
                fix=f"export {name}=... (for KAIFANG_DEMO_* run `python -m pipelines.extract.demo_sources up` or `make demo`)",
                dataset=dataset, key=key, variable=name,
            )
        return got

    return _PLACEHOLDER.sub(sub, value)


def redact_url(url: str) -> str:
    """Drop userinfo and query string from a URL so a locator never carries secrets."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def text_value(v: Any) -> str | None:
    """One received value as text (None stays null)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def frame_from_columns(header: list[str], columns: list[list[str | None]]) -> pl.DataFrame:
    """Build an all-Utf8 frame keeping header order."""
    return pl.DataFrame({h: pl.Series(h, col, dtype=pl.Utf8) for h, col in zip(header, columns)})


def check_header(header: list[str], *, source: str, line: int | None = None, sheet: str | None = None) -> list[str]:
    """Refuse empty or duplicate header labels (named by column number), return labels stripped."""
    from kaifang.errors import SourceError

    labels = [("" if h is None else str(h)).strip() for h in header]
    for i, h in enumerate(labels, start=1):
        if not h:
            raise SourceError("empty header label", fix="name every column in the header row, or set options.header_row to the real header line",
                              source=source, sheet=sheet, line=line, column=i, code="blank-label")
    seen: dict[str, int] = {}
    for i, h in enumerate(labels, start=1):
        if h in seen:
            raise SourceError("duplicate header label", fix="give each column a unique name in the export",
                              source=source, sheet=sheet, line=line, column=i, same_as_column=seen[h], code="duplicate-label")
        seen[h] = i
    return labels


def local_file(path_option: str, max_bytes: int, *, dataset_dir: Path, dataset: str, state_dir: Path | None,
               what: str = "source file", fix_size: str = "raise source.options.max_bytes or split the export") -> tuple[str, Path]:
    """A file source: ``${VAR}`` expanded, relative to the dataset folder, size-checked (not read).
    Returns the path as the steward wrote it (for messages and lineage) and the resolved path."""
    from kaifang.errors import SourceError

    raw_path = Path(expand(path_option, state_dir, dataset=dataset, key="source.options.path"))
    path = raw_path if raw_path.is_absolute() else dataset_dir / raw_path
    shown = str(raw_path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError(f"{what} not found", fix="check source.options.path in dataset.yaml", source=shown) from None
    check_size(size, max_bytes, shown, what=what, fix=fix_size)
    return shown, path


def check_size(size: int, max_bytes: int, shown: str, *, what: str = "source file", fix: str = "raise source.options.max_bytes or split the export") -> None:
    """Refuse a source larger than ``max_bytes``."""
    from kaifang.errors import SourceError

    if size > max_bytes:
        raise SourceError(f"{what} is larger than max_bytes={max_bytes}", fix=fix, source=shown, bytes=size)


def read_local_file(path_option: str, max_bytes: int, *, dataset_dir: Path, dataset: str, state_dir: Path | None,
                    what: str = "source file", fix_size: str = "raise source.options.max_bytes or split the export") -> tuple[str, bytes]:
    """``local_file`` and the file's bytes."""
    shown, path = local_file(path_option, max_bytes, dataset_dir=dataset_dir, dataset=dataset, state_dir=state_dir, what=what, fix_size=fix_size)
    return shown, path.read_bytes()
