"""The bundled catalogue copied for tests that publish to the shared portal."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_bundled_catalog(ddir: Path, suffix: str) -> dict[str, str]:
    """Copy every bundled dataset into ``ddir`` with its id suffixed (``<id>-<suffix>``), so tests can
    publish to the shared portal without colliding; returns bundled id → new id."""
    ddir.mkdir(parents=True, exist_ok=True)
    ids = {}
    for src in sorted((REPO / "datasets").iterdir()):
        if not (src / "dataset.yaml").exists():
            continue
        dst = ddir / f"{src.name}-{suffix}"
        shutil.copytree(src, dst)
        text = (dst / "dataset.yaml").read_text(encoding="utf-8")
        text, n = re.subn(rf"^id:\s*{re.escape(src.name)}\s*$", f"id: {dst.name}", text, count=1, flags=re.M)
        assert n == 1, f"no id line in {src}/dataset.yaml"
        (dst / "dataset.yaml").write_text(text, encoding="utf-8")
        ids[src.name] = dst.name
    return ids
