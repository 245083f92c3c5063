"""Shape Kaifang datasets and releases as CKAN organizations, groups, datasets and resources."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from kaifang.errors import PublishConflict

from .client import NotFoundOnPortal, Portal

NS = uuid.UUID("6b1d4a52-0c1e-4d0b-9d9f-6b61696661e6")
VERSIONS_NAME = "versions.json"
_SHOW_ONLY = {"position", "metadata_modified", "created", "cache_last_updated", "cache_url", "state", "tracking_summary", "revision_id", "package_id", "last_modified"}


def slug(text: str, prefix: str = "") -> str:
    """A CKAN name: lowercase a-z 0-9 - _, 2–100 characters."""
    s = re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-")
    s = (prefix + s)[:100]
    return s if len(s) >= 2 else (s + "-x")


def package_name(dataset_id: str) -> str:
    return slug(dataset_id)


def org_name(dept: Any) -> str:
    return slug(getattr(dept, "id", None) or dept["id"], "dept-")


def resource_id(package_id: str, version: str, name: str) -> str:
    """Deterministic resource id: the same release step always targets the same resource."""
    return str(uuid.uuid5(NS, f"{package_id}/{version}/{name}"))


def versions_resource_id(package_id: str) -> str:
    return str(uuid.uuid5(NS, f"{package_id}/versions.json"))


def download_url(site_url: str, package_id: str, res_id: str, filename: str) -> str:
    """CKAN's FileStore download URL of an uploaded resource."""
    return f"{site_url.rstrip('/')}/dataset/{package_id}/resource/{res_id}/download/{filename}"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def ensure_org(portal: Portal, dept: Any) -> dict:
    """The department's organization, created if missing (Chinese title, English title in extras)."""
    name = org_name(dept)
    org = portal.show("organization_show", id=name)
    if org:
        return org
    data = {
        "name": name,
        "title": _get(dept, "name") or name,
        "description": _get(dept, "name_en") or "",
        "extras": [{"key": "title_en", "value": _get(dept, "name_en") or ""}, {"key": "kaifang_department", "value": _get(dept, "id")}],
    }
    try:
        return portal.call("organization_create", data)
    except Exception:
        org = portal.show("organization_show", id=name)  # created by a retried request or a racing publisher
        if org:
            return org
        raise


def ensure_group(portal: Portal, theme: str | None) -> str | None:
    if not theme:
        return None
    name = slug(theme, "theme-")
    if portal.show("group_show", id=name):
        return name
    try:
        portal.call("group_create", {"name": name, "title": str(theme)})
    except Exception:
        if not portal.show("group_show", id=name):
            raise
    return name


def extras_dict(pkg: dict) -> dict[str, str]:
    return {e["key"]: e["value"] for e in pkg.get("extras") or []}


def find_package(portal: Portal, dataset_id: str) -> dict | None:
    pkg = portal.show("package_show", id=package_name(dataset_id))
    if pkg and extras_dict(pkg).get("kaifang_id") not in (None, dataset_id):
        raise PublishConflict("the portal dataset name belongs to another dataset", dataset=dataset_id, package=pkg["name"], fix="rename the dataset id")
    return pkg


def ensure_package(portal: Portal, dataset: Any, org: dict) -> dict:
    """The CKAN dataset, created private and empty if missing (made public only when complete)."""
    pkg = find_package(portal, dataset.id)
    if pkg:
        return pkg
    d = dataset.descriptor
    data = {
        "name": package_name(dataset.id),
        "title": _get(d, "title") or dataset.id,
        "notes": _get(d, "description") or "",
        "owner_org": org["id"],
        "private": True,
        "extras": [{"key": "kaifang_id", "value": dataset.id}, {"key": "kaifang_state", "value": "staging"}],
    }
    try:
        return portal.call("package_create", data)
    except Exception:
        pkg = find_package(portal, dataset.id)  # a lost response: the create went through
        if pkg:
            return pkg
        raise


def _tags(keywords: Any) -> list[dict]:
    out = []
    for k in keywords or []:
        t = re.sub(r"[^\w \-.]+", " ", str(k)).strip()[:100]
        if len(t) >= 2 and t not in [x["name"] for x in out]:
            out.append({"name": t})
    return out


def package_metadata(dataset: Any, entry: dict, group: str | None) -> dict:
    """Dataset-level fields for a release entry (title, notes, tags, license, version, extras)."""
    d = dataset.descriptor
    temporal = _get(d, "temporal")
    extras = {
        "kaifang_id": dataset.id,
        "kaifang_state": "released",
        "title_en": _get(d, "title_en") or "",
        "release_date": entry["released_at"],
        "content_sha256": entry["content_sha256"],
        "quality_score": "" if entry.get("quality_score") is None else str(entry["quality_score"]),
        "quality_dimensions": json.dumps(entry.get("quality_dimensions") or {}, ensure_ascii=False, sort_keys=True),
        "open_condition": _get(d, "open_condition") or "",
        "update_frequency": _get(d, "update_frequency") or "",
        "theme": _get(d, "theme") or "",
        "temporal_coverage": f"{_get(temporal, 'start', '') or ''}/{_get(temporal, 'end', '') or ''}" if temporal else "",
        "spatial_coverage": spatial_text(_get(d, "spatial")),
        "lineage_sha256": entry.get("lineage_sha256") or "",
        "changelog": entry.get("summary", ""),
    }
    contact = _get(d, "contact")
    email = _get(contact, "email") if contact is not None and not isinstance(contact, str) else (contact if contact and "@" in contact else None)
    who = _get(contact, "name") if contact is not None and not isinstance(contact, str) else (contact if contact and "@" not in contact else None)
    meta = {
        "title": _get(d, "title") or dataset.id,
        "notes": _get(d, "description") or "",
        "tags": _tags(_get(d, "keywords")),
        "license_id": _get(d, "license") or "notspecified",
        "version": entry["version"],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
        "maintainer_email": email or None,
        "maintainer": who or None,
    }
    if group:
        meta["groups"] = [{"name": group}]
    return {k: v for k, v in meta.items() if v is not None}


def spatial_text(spatial: Any) -> str:
    """``name (code)`` for a Spatial object, or the text itself."""
    if spatial is None:
        return ""
    if isinstance(spatial, str):
        return spatial
    name, code = _get(spatial, "name", ""), _get(spatial, "code")
    return f"{name} ({code})" if code else str(name)


def clean_resource(res: dict) -> dict:
    return {k: v for k, v in res.items() if k not in _SHOW_ONLY}


def release_resources(entry: dict, files: list[dict], *, delivery: str, archived: bool = False) -> list[dict]:
    """Resource dicts for one version's files (``files`` carry id, name, url, sha256, bytes, format, description)."""
    out = []
    for f in files:
        name = f["name"] if not archived else f"v{entry['version']}/{f['name']}"
        desc = f["description"] if not archived else f"Version {entry['version']} (archived): {f['description']}"
        r = {
            "id": f["resource_id"],
            "name": name,
            "description": desc,
            "format": f["format"],
            "mimetype": f["media_type"],
            "size": f["bytes"],
            "hash": f"sha256:{f['sha256']}",
            "kaifang_version": entry["version"],
            "kaifang_role": f["role"],
        }
        if delivery == "link":
            r["url"] = f["url"]
            r["url_type"] = ""
        out.append(r)
    return out


def switch(
    portal: Portal,
    pkg: dict,
    *,
    metadata: dict,
    resources: list[dict],
    uploads: dict[int, Path],
) -> dict:
    """One ``package_revise`` that replaces metadata and the whole resource list, with an optimistic-lock
    match on ``metadata_modified`` so a concurrent change makes it fail instead of overwriting."""
    update = dict(metadata)
    update["resources"] = resources
    data = {"match": {"id": pkg["id"], "metadata_modified": pkg["metadata_modified"]}, "filter": ["-resources"], "update": update}
    files = {f"update__resources__{i}__upload": p for i, p in uploads.items()}
    return portal.call("package_revise", data, files=files or None)["package"]


def set_private(portal: Portal, pkg_id: str, private: bool) -> dict:
    return portal.call("package_patch", {"id": pkg_id, "private": private})


def try_show(portal: Portal, pkg_id: str) -> dict | None:
    try:
        return portal.call("package_show", {"id": pkg_id})
    except NotFoundOnPortal:
        return None
