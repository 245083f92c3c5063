"""Release steps that give every published version its DataStore table, with an atomic switch.

``load_version`` (a pre-switch ``RELEASE_HOOKS`` entry) runs while the portal still presents the
previous version: it creates the new version's CSV resource under its fixed id as an archived-looking
resource (``vX.Y.Z/<file>``, "being prepared"), loads the published rows into its table and checks
the row count. The portal switch (one ``package_revise``) then adopts that resource id: the file is
uploaded into it and the hook's ``resources`` updates mark it ``datastore_active``. So researchers
never see the new version without its table.

``apply_retention`` (an ``AFTER_SWITCH_HOOKS`` entry) drops the tables of versions beyond
``datastore.keep_versions``, once the portal points at the new version. ``drop_version_table`` is
called by ``publish.retract`` for a retracted version.

Hook results (recorded in the release manifest, so a resumed release reuses them) follow the
contract in ``publish.release``: ``entry`` is merged into the new version's release-history entry,
``history`` into older entries, ``resources`` into the switch's resource dicts by id.

Crash safety: a re-run ``load_version`` keeps a table only when its resource carries this release's
marker (``kaifang_datastore`` = content sha256, written after a complete load) and its row count
matches; anything else (a half-loaded table) is dropped and loaded again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kaifang.errors import TerminalError
from publish.datastore.config import DatastoreSettings
from publish.datastore.load import delete_table, load_parquet, parquet_template, portal_caller, skip_reason, table_rows
from publish.storage import sha256_file

log = logging.getLogger("kaifang.publish.datastore")

MARKER = "kaifang_datastore"


def settings_for(dataset: Any) -> DatastoreSettings:
    """The dataset's ``datastore:`` settings (defaults when the descriptor has none)."""
    s = getattr(getattr(dataset, "descriptor", None), "datastore", None)
    if s is None:
        return DatastoreSettings()
    return s if isinstance(s, DatastoreSettings) else DatastoreSettings.model_validate(s)


def _file(files: list[dict], role: str) -> dict:
    return next(f for f in files if f["role"] == role)


def _search_hint(rid: str) -> str:
    return f" Row-level API: datastore_search / datastore_search_sql with resource_id {rid}."


def _ensure_resource(portal: Any, pkg_id: str, version: str, csv: dict) -> dict:
    """The new version's CSV resource under its fixed id, created archived-looking if missing."""
    res = portal.show("resource_show", id=csv["resource_id"])
    if res is not None:
        return res
    data = {
        "package_id": pkg_id,
        "id": csv["resource_id"],
        "name": f"v{version}/{csv['name']}",
        "description": f"Version {version} (being prepared; not yet current): {csv['description']}",
        "url": "",
        "format": csv["format"],
        "mimetype": csv["media_type"],
        "kaifang_version": version,
        "kaifang_role": "data-csv-pending",
    }
    try:
        return portal.call("resource_create", data)
    except TerminalError:
        res = portal.show("resource_show", id=csv["resource_id"])  # a lost answer: the create went through
        if res is None:
            raise
        return res


def load_version(ctx: Any) -> dict:
    """Pre-switch hook: load the new version's published rows into its CSV resource's table."""
    if ctx.package is None:  # closed dataset: never sent to the portal
        return {}
    settings = settings_for(ctx.dataset)
    csv, pq = _file(ctx.files, "data-csv"), _file(ctx.files, "data-parquet")
    rid, version = csv["resource_id"], ctx.bundle.version
    path = Path(pq["path"])
    digest, _ = sha256_file(path)
    if digest != pq["sha256"]:
        raise TerminalError("the Parquet file to load differs from the published one", file=str(path), version=version,
                            fix="rebuild the release bundle; DataStore rows must be exactly the published data")
    _, rows = parquet_template(path)
    plan = retention_plan(ctx, settings)
    out: dict[str, Any] = {"history": plan["history"], "resources": {} if plan["link"] else dict(plan["resources"])}
    reason = skip_reason(rows, settings)
    if reason:
        out["entry"] = {"datastore": {"resource_id": rid, "status": "skipped", "rows": rows, "reason": reason}}
        out["resources"][rid] = {"description": f"{csv['description']} — {reason}", "datastore_active": False}
        _drop_before_switch(portal_caller(ctx.portal), plan)
        return out

    call = portal_caller(ctx.portal)
    res = _ensure_resource(ctx.portal, ctx.package["id"], version, csv)
    have = table_rows(call, rid)
    if not (have == rows and res.get(MARKER) == ctx.bundle.content_sha256):
        if have is not None:
            delete_table(call, rid)  # half-loaded by an interrupted attempt: start over
        result = load_parquet(call, rid, path, ctx.bundle.public_schema, settings)
        have = table_rows(call, rid)
        if have != rows:
            raise TerminalError("the DataStore table does not hold every published row", resource_id=rid, version=version,
                                expected=rows, loaded=have, fix="re-run the publish: the table is dropped and loaded again")
        ctx.portal.call("resource_patch", {"id": rid, MARKER: ctx.bundle.content_sha256})
        log.info("datastore: %s %s loaded %d rows in %d batches (%.1fs)", ctx.dataset.id, version, rows, result.batches, result.seconds)
    _drop_before_switch(call, plan)
    out["entry"] = {"datastore": {"resource_id": rid, "status": "loaded", "rows": rows, "reason": None}}
    out["resources"][rid] = {"datastore_active": True, MARKER: ctx.bundle.content_sha256, "description": csv["description"] + _search_hint(rid)}
    return out


def _drop_before_switch(call: Any, plan: dict) -> None:
    """Link delivery removes older versions' resources at the switch, and CKAN neither drops the table of a
    resource removed by package_revise nor lets datastore_delete reach it afterwards (the table would stay
    queryable): drop those tables now, once the new version's table is complete."""
    if plan["link"]:
        for old_rid in plan["resources"]:
            delete_table(call, old_rid)


def retention_plan(ctx: Any, settings: DatastoreSettings) -> dict:
    """Which older versions lose their table: all loaded ones beyond the newest ``keep_versions`` live versions."""
    from publish import history
    from publish.versioning import version_key

    hist = history.load(ctx.store, ctx.dataset.id)
    live = [v for v in hist.versions if not v.get("retracted") and v["version"] != ctx.bundle.version]
    live.sort(key=lambda v: version_key(v["version"]), reverse=True)
    csv = _file(ctx.files, "data-csv")
    link = csv["url"] == csv["store_url"]  # link delivery: older versions' resources leave the portal at the switch
    keep = 0 if link else max(settings.keep_versions - 1, 0)
    retire = live[keep:]
    hist_upd: dict[str, dict] = {}
    res_upd: dict[str, dict] = {}
    for v in retire:
        ds = v.get("datastore") or {}
        if ds.get("status") != "loaded":
            continue
        reason = (f"DataStore table removed by retention (keep_versions={settings.keep_versions}); download the files instead." if not link else
                  "DataStore table removed: link delivery keeps only the current version's resources on the portal; download the files instead.")
        hist_upd[v["version"]] = {"datastore": dict(ds, status="deleted", reason=reason)}
        res_upd[ds["resource_id"]] = {"datastore_active": False}
    return {"history": hist_upd, "resources": res_upd, "link": link}


def apply_retention(ctx: Any) -> dict:
    """After-switch hook: drop the tables the retention plan retires (idempotent)."""
    if ctx.package is None:
        return {}
    plan = retention_plan(ctx, settings_for(ctx.dataset))
    call = portal_caller(ctx.portal)
    dropped = [rid for rid in plan["resources"] if delete_table(call, rid)]
    return {"retired_tables": sorted(plan["resources"]), "dropped": len(dropped)}


def retracted_entry(entry: dict) -> dict:
    """The history entry of a retracted version, its DataStore status set to deleted."""
    ds = entry.get("datastore")
    if not ds:
        return entry
    return dict(entry, datastore=dict(ds, status="deleted", reason="version retracted"))


def drop_version_table(portal: Any, entry: dict) -> bool:
    """Delete the DataStore table of a version's CSV resource (retraction). True when one was deleted."""
    rid = (entry.get("datastore") or {}).get("resource_id") or next((f.get("resource_id") for f in entry.get("files", []) if f.get("role") == "data-csv"), None)
    if not rid:
        return False
    return delete_table(portal_caller(portal), rid)


def drop_pending(portal: Any, package_id: str, dataset_id: str, version: str) -> bool:
    """An abandoned release: delete its pre-created CSV resource and table (else they would stay queryable)."""
    from publish.ckan.package import resource_id

    rid = resource_id(package_id, version, f"{dataset_id}.csv")
    res = portal.show("resource_show", id=rid)
    if res is None:
        return False
    delete_table(portal_caller(portal), rid)
    portal.call("resource_delete", {"id": rid})
    return True
