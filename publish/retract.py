"""Retract a release (incident response for a leak).

Removes the version's files from the portal and the store; when it was current, the previous
version becomes current again (metadata, resources); marks it retracted in the release history
(its number is never reused); purges what CKAN's API allows (deleted resource rows, activity
records that carry the retracted files); writes an audit record.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kaifang.errors import ConfigError, TerminalError
from publish import audit, history
from publish.ckan import package as ck
from publish.datastore.hook import drop_pending, drop_version_table, retracted_entry
from publish.manifest import Manifest, dataset_lock
from publish.storage import ObjectStore, open_store


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def retract(dataset_id: str, version: str, *, reason: str, settings: Any, store: ObjectStore | None = None, portal: Any = None) -> dict:
    """Retract ``version`` of ``dataset_id``; returns what was done (current version, removed objects, purged activities)."""
    if not reason or not reason.strip():
        raise ConfigError("a retraction needs a reason", dataset=dataset_id, version=version, fix="pass --reason TEXT (recorded in the audit log)")
    st = store or open_store(None, settings)
    state_dir = Path(settings.state_dir)
    with dataset_lock(state_dir, dataset_id):
        hist = history.load(st, dataset_id)
        entry = hist.find(version)
        if entry is None:
            unfinished = Manifest.load(state_dir, dataset_id, version)
            if unfinished is None:
                raise ConfigError("no such version in the release history", dataset=dataset_id, version=version, fix="see `kaifang versions DATASET`")
            return _abandon(unfinished, st, settings, reason)
        cur = hist.current()
        was_current = cur is not None and cur["version"] == version
        entry = dict(entry, retracted=True, retracted_at=entry.get("retracted_at") or _now(), retraction_reason=reason)
        entry = retracted_entry(entry)  # issue 8: its DataStore table is deleted below
        new_hist = hist.with_entry(entry)
        prev = new_hist.current()

        purged: dict[str, Any] = {}
        if hist.package:
            if portal is None:
                from publish.ckan import connect

                portal = connect(settings)
            drop_version_table(portal, entry)
            purged = _portal_retract(portal, hist.package, new_hist, entry, prev, was_current, state_dir)

        removed = [f["key"] for f in entry["files"] if st.delete(f["key"])]
        history.save(st, new_hist)
        audit.append(state_dir, action="retract", steward=getattr(settings, "steward", "steward"), dataset=dataset_id, outcome="retracted",
                     version=version, reason=reason, was_current=was_current, current=prev["version"] if prev else None,
                     content_sha256=entry["content_sha256"], files=[{"name": f["name"], "sha256": f["sha256"]} for f in entry["files"]],
                     removed_objects=len(removed), store=st.location, portal=getattr(portal, "url", None), package=hist.package, **purged)
        return {"dataset": dataset_id, "version": version, "current": prev["version"] if prev else None, "removed_objects": removed, **purged}


def _abandon(m: Manifest, st: ObjectStore, settings: Any, reason: str) -> dict:
    """An unfinished release never became current: remove its objects and mark the manifest abandoned."""
    if m.done("portal-switch"):
        raise TerminalError("the unfinished release already switched the portal", version=m.data["version"], fix="re-run the publish to finish it, then retract it")
    keys = m.output("objects-written").get("keys") or []
    pkg_id = m.output("portal-package").get("package_id")
    if pkg_id and m.done("objects-verified"):  # issue 8: the DataStore hook may have pre-created the CSV resource and its table
        from publish.ckan import connect

        drop_pending(connect(settings), pkg_id, m.data["dataset"], m.data["version"])
    removed = [k for k in keys if st.delete(k)]
    m.data["abandoned"] = True
    m.save()
    audit.append(Path(settings.state_dir), action="retract", steward=getattr(settings, "steward", "steward"), dataset=m.data["dataset"],
                 outcome="abandoned", version=m.data["version"], reason=reason, removed_objects=len(removed), store=st.location)
    return {"dataset": m.data["dataset"], "version": m.data["version"], "current": None, "removed_objects": removed, "abandoned": True}


def _portal_retract(portal, package_name: str, new_hist: history.History, entry: dict, prev: dict | None, was_current: bool, state_dir: Path) -> dict:
    pkg = portal.call("package_show", {"id": package_name})
    delivery = entry.get("delivery") or "upload"
    gone = {f["resource_id"] for f in entry["files"] if f.get("resource_id")}
    existing = {r["id"]: r for r in pkg.get("resources", [])}
    vid = ck.versions_resource_id(pkg["id"])
    # new release history document (uploaded to the stable versions.json resource)
    vpath = state_dir / "staging" / new_hist.dataset / f"versions-retract-{entry['version']}.json"
    vpath.parent.mkdir(parents=True, exist_ok=True)
    vpath.write_bytes(new_hist.to_bytes())

    resources: list[dict] = []
    live = sorted([v for v in new_hist.versions if not v.get("retracted")], key=lambda v: [int(x) for x in v["version"].split(".")], reverse=True)
    for i, v in enumerate(live):
        wanted = ck.release_resources(v, v["files"], delivery=v.get("delivery") or delivery, archived=i > 0)
        if (v.get("delivery") or delivery) == "link" and i > 0:
            continue  # link mode keeps old versions in the store only
        for r in wanted:
            if r["id"] in existing:
                keep = ck.clean_resource(existing[r["id"]])
                keep.update(name=r["name"], description=r["description"])
                r = keep
            resources.append(r)
        if i == 0:
            vres = ck.clean_resource(existing[vid]) if vid in existing else {"id": vid, "name": ck.VERSIONS_NAME, "format": "JSON", "mimetype": "application/json"}
            resources.append(vres)
            vidx = len(resources) - 1
    if not live:
        vres = ck.clean_resource(existing[vid]) if vid in existing else {"id": vid, "name": ck.VERSIONS_NAME, "format": "JSON"}
        resources = [vres]
        vidx = 0
    resources = [r for r in resources if r["id"] not in gone]
    vidx = next(i for i, r in enumerate(resources) if r["id"] == vid)
    update: dict[str, Any] = {"resources": resources}
    extras = ck.extras_dict(pkg)
    if was_current:
        if prev:
            extras.update(release_date=prev["released_at"], content_sha256=prev["content_sha256"], quality_score="" if prev.get("quality_score") is None else str(prev["quality_score"]),
                          lineage_sha256=prev.get("lineage_sha256") or "", changelog=prev.get("summary", ""))
            update["version"] = prev["version"]
        else:
            extras.update(kaifang_state="retracted", content_sha256="", release_date="")
            update["version"] = ""
            update["private"] = True
        update["extras"] = [{"key": k, "value": v} for k, v in extras.items()]
    uploads = {}
    if delivery == "upload" or existing.get(vid, {}).get("url_type") == "upload":
        uploads = {vidx: vpath}
    ck.switch(portal, pkg, metadata={k: v for k, v in update.items() if k != "resources"}, resources=update["resources"], uploads=uploads)
    # the next update purges the rows of deleted resources for good
    pkg2 = portal.call("package_show", {"id": pkg["id"]})
    portal.call("package_revise", {"match": {"id": pkg["id"], "metadata_modified": pkg2["metadata_modified"]}, "update": {"notes": pkg2.get("notes") or ""}})
    return {"purged_activities": _purge_activities(portal, pkg["id"], entry, gone)}


def _purge_activities(portal, pkg_id: str, entry: dict, gone: set[str]) -> int:
    """Delete activity records whose stored dataset copy lists the retracted files (sysadmin only)."""
    try:
        acts = portal.call("package_activity_list", {"id": pkg_id, "limit": 1000, "include_hidden_activity": True})
    except TerminalError:
        return 0
    n = 0
    for a in acts:
        try:
            full = portal.call("activity_show", {"id": a["id"], "include_data": True})
        except TerminalError:
            continue
        res = ((full.get("data") or {}).get("package") or {}).get("resources") or []
        if any(r.get("id") in gone for r in res):
            try:
                portal.call("activity_delete", {"id": a["id"]})
                n += 1
            except TerminalError:
                break  # this CKAN has no activity_delete: nothing more the API allows
    return n
