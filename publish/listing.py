"""Versions of a dataset as seen by the store (release history) and the portal."""

from __future__ import annotations

from typing import Any

from kaifang.errors import KaifangError
from publish import history
from publish.storage import open_store


def list_versions(dataset_id: str, settings: Any, *, store_url: str | None = None, portal: Any = None) -> dict:
    """``{dataset, current, portal_version, portal_url, versions: [{version, released_at, level, status, summary, files}]}``."""
    st = open_store(store_url, settings)
    hist = history.load(st, dataset_id)
    cur = hist.current()
    out: dict[str, Any] = {"dataset": dataset_id, "current": cur["version"] if cur else None, "portal_version": None, "portal_url": None, "portal_error": None, "versions": []}
    if hist.package:
        try:
            if portal is None:
                from publish.ckan import connect

                portal = connect(settings)
            pkg = portal.show("package_show", id=hist.package)
            if pkg:
                out["portal_version"] = pkg.get("version") or None
                out["portal_url"] = f"{portal.url}/dataset/{pkg['name']}"
        except KaifangError as exc:
            out["portal_error"] = exc.message
    for v in sorted(hist.versions, key=lambda v: [int(x) for x in v["version"].split(".")], reverse=True):
        status = "retracted" if v.get("retracted") else ("current" if cur and v["version"] == cur["version"] else "available")
        files = [] if v.get("retracted") else [{k: f[k] for k in ("name", "url", "sha256", "bytes")} for f in v["files"]]
        out["versions"].append({"version": v["version"], "released_at": v["released_at"], "level": v["level"], "status": status, "summary": v.get("summary", ""),
                                "retraction_reason": v.get("retraction_reason"), "files": files})
    return out
