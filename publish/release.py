"""One release, end to end: build the bundle (``build_release``) and publish it (``publish_release``).

``publish_release`` runs idempotent steps recorded in a manifest (``publish.manifest``):

  plan → portal-package (org, group, private dataset) → objects-written (write-once keys)
  → objects-verified (re-read, sha256) → hooks (extra steps, e.g. DataStore loading)
  → portal-switch (one package_revise: metadata, version, resources, versions.json)
  → portal-visible (first public release made public only now) → history (store index) → audit

Killing the process at any point and re-running converges to one complete release: every step
either is recorded as done or is safe to repeat. A per-dataset lock plus an optimistic-lock match
on the portal make a second concurrent publish stop with ``PublishConflict``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import polars as pl

from kaifang.errors import ConfigError, PublishConflict, TerminalError
from publish import audit, history
from publish.bundle import Bundle, PreviousRelease, build, render_datapackage, render_dcat
from publish.manifest import Manifest, dataset_lock
from publish.storage import ObjectStore, open_store, sha256_file

#: Extra release steps. Each gets a ``HookContext`` and may return a dict recorded in the manifest;
#: hooks must be idempotent (a resumed release may call them again) and raise KaifangError on failure.
#: ``RELEASE_HOOKS`` (and ``hooks=``) run after the objects are verified and before the portal switch:
#: the CKAN dataset is still on the previous version and the new resources do not exist yet (their
#: ids are fixed: ``files[i]["resource_id"]``). ``AFTER_SWITCH_HOOKS`` (and ``after_switch_hooks=``)
#: run right after the switch, before a first release is made public — the place for DataStore
#: loading (issue 8), which needs the resources to exist.
#: A pre-switch hook's result may carry updates the release applies (also on resume, from the manifest):
#: ``entry`` (merged into the new version's release-history entry), ``history`` ({version: {...}} merged
#: into older entries) and ``resources`` ({resource_id: {...}} merged into the switch's resource dicts).
#: The DataStore hooks (``publish.datastore.hook``) are registered at the end of this module.
Hook = Callable[["HookContext"], dict | None]
RELEASE_HOOKS: list[Hook] = []
AFTER_SWITCH_HOOKS: list[Hook] = []


@dataclass
class HookContext:
    """What an extra release step can see."""

    dataset: Any
    bundle: Bundle
    files: list[dict]
    """Per file: name, role, key, url (delivery URL), store_url, sha256, bytes, resource_id."""
    package: dict | None
    """The CKAN dataset as before the switch (None for closed datasets)."""
    portal: Any
    store: ObjectStore


@dataclass
class ReleaseResult:
    """What a publish did."""

    dataset: str
    version: str | None
    status: str
    """published | up-to-date | closed (stored, never sent to the portal)."""
    portal_url: str | None = None
    files: list[dict] = field(default_factory=list)
    ckan_writes: int = 0
    objects_written: int = 0
    content_sha256: str | None = None
    level: str | None = None
    summary: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _store(settings: Any, store: ObjectStore | None) -> ObjectStore:
    return store or open_store(None, settings)


def previous_release(store: ObjectStore, dataset_id: str) -> PreviousRelease | None:
    """The current release (data + public schema) from the store, to diff against."""
    cur = history.load(store, dataset_id).current()
    if cur is None:
        return None
    frame = None
    pq = next((f for f in cur["files"] if f["role"] == "data-parquet"), None)
    if pq:
        with tempfile.TemporaryDirectory() as tmp:
            p = store.download(pq["key"], Path(tmp) / "prev.parquet")
            frame = pl.read_parquet(p)
    return PreviousRelease(cur["version"], cur["content_sha256"], cur["schema"], frame)


def build_release(dataset: Any, frame: pl.DataFrame, *, quality: dict, quality_html: str, deid: dict, lineage: dict, settings: Any, store: ObjectStore | None = None, staging_dir: Path | None = None) -> Bundle | None:
    """Build and verify the next release bundle in ``staging_dir`` (default ``<state_dir>/staging``); None when up to date."""
    st = _store(settings, store)
    prev = previous_release(st, dataset.id)
    taken = {v["version"] for v in history.load(st, dataset.id).versions} | abandoned_versions(Path(settings.state_dir), dataset.id)
    bundle = build(dataset, frame, quality=quality, quality_html=quality_html, deid=deid, lineage=lineage, staging_dir=staging_dir or Path(settings.state_dir) / "staging", previous=prev, taken=taken)
    if bundle is None and prev is not None:
        m = Manifest.load(Path(settings.state_dir), dataset.id, prev.version)
        if m is not None and not m.data.get("complete") and m.data["content_sha256"] == prev.content_sha256:
            return Bundle.load(Path(m.data["bundle_dir"]))  # the current release still has steps to finish
    return bundle


def abandoned_versions(state_dir: Path, dataset_id: str) -> set[str]:
    """Versions of releases abandoned with ``kaifang retract`` before they completed (never reused)."""
    d = state_dir / "manifests" / dataset_id
    out = set()
    for p in d.glob("*.json") if d.exists() else []:
        if json.loads(p.read_text()).get("abandoned"):
            out.add(p.stem)
    return out


def _open_condition(dataset: Any) -> str:
    oc = getattr(dataset.descriptor, "open_condition", "unconditional")
    return getattr(oc, "value", oc)


def _site_url(portal) -> str:
    try:
        return (portal.call("status_show") or {}).get("site_url") or portal.url
    except TerminalError:
        return portal.url


def _entry(bundle: Bundle, files: list[dict], delivery: str | None) -> dict:
    return {
        "version": bundle.version,
        "released_at": bundle.released_at,
        "level": bundle.level,
        "previous": bundle.previous_version,
        "summary": bundle.changelog.get("summary", ""),
        "content_sha256": bundle.content_sha256,
        "lineage_sha256": bundle.lineage_sha256,
        "rows": bundle.rows,
        "quality_score": bundle.quality_score,
        "quality_dimensions": bundle.quality_dimensions,
        "schema": bundle.public_schema,
        "retracted": False,
        "delivery": delivery,
        "files": [{k: f[k] for k in ("name", "role", "url", "sha256", "bytes", "key", "resource_id", "format", "media_type", "description")} for f in files],
    }


def publish_release(
    dataset: Any,
    bundle: Bundle,
    settings: Any,
    *,
    store: ObjectStore | None = None,
    portal: Any = None,
    delivery: str = "upload",
    hooks: list[Hook] | None = None,
    after_switch_hooks: list[Hook] | None = None,
) -> ReleaseResult:
    """Publish a built bundle: store objects, portal dataset, release history, audit record."""
    if delivery not in ("upload", "link"):
        raise TerminalError("unknown delivery mode", delivery=delivery, fix="use 'upload' or 'link'")
    st = _store(settings, store)
    state_dir = Path(settings.state_dir)
    closed = _open_condition(dataset) == "closed"
    if delivery == "link" and not closed and not st.url(f"{dataset.id}/x").startswith(("http://", "https://")):
        raise ConfigError("link delivery needs an object store with a public HTTP base URL", store=st.location,
                          fix="use an s3:// store, or add ?public_base_url=https://... to the file:// store URL, or use delivery='upload'")
    steward = getattr(settings, "steward", "steward")
    with dataset_lock(state_dir, dataset.id):
        hist = history.load(st, dataset.id)
        done = hist.find(bundle.version)
        resuming = False
        if done and done["content_sha256"] == bundle.content_sha256 and not done.get("retracted"):
            m = Manifest.load(state_dir, dataset.id, bundle.version)
            if m is None or m.data.get("complete"):
                return ReleaseResult(dataset.id, bundle.version, "up-to-date", files=done["files"], content_sha256=bundle.content_sha256, level=bundle.level, summary=done["summary"])
            resuming = True  # history written, later steps (audit) still to do
        elif done:
            raise PublishConflict("this version number is already taken in the release history", dataset=dataset.id, version=bundle.version,
                                  fix="rebuild the bundle: versions are computed against the current release")
        cur = hist.current()
        if not resuming and (cur["version"] if cur else None) != bundle.previous_version:
            raise PublishConflict("the bundle was built against another release than the current one", dataset=dataset.id,
                                  built_on=bundle.previous_version or "none", current=cur["version"] if cur else "none",
                                  fix="rebuild the bundle with build_release (the version is recomputed against the current release)")
        if portal is None and not closed:
            from publish.ckan import connect

            portal = connect(settings)
        writes0 = portal.writes if portal is not None else 0
        m = None
        try:
            m = Manifest.open(state_dir, dataset.id, bundle.version, content_sha256=bundle.content_sha256, bundle_dir=str(bundle.dir))
            result = _run(dataset, bundle, settings, st, portal, m, hist, delivery=delivery, closed=closed, hooks=list(RELEASE_HOOKS) + list(hooks or []),
                          after_switch_hooks=list(AFTER_SWITCH_HOOKS) + list(after_switch_hooks or []))
        except Exception as exc:
            audit.append(state_dir, action="release", steward=steward, dataset=dataset.id, outcome="failed", version=bundle.version,
                         content_sha256=bundle.content_sha256, error=getattr(exc, "code", type(exc).__name__), step=_last_step(m) if m else None)
            raise
        result.ckan_writes = (portal.writes - writes0) if portal is not None else 0
        return result


def _last_step(m: Manifest) -> str | None:
    steps = list(m.data["steps"])
    return steps[-1] if steps else None


def _run(dataset, bundle: Bundle, settings, st: ObjectStore, portal, m: Manifest, hist: history.History, *, delivery: str, closed: bool, hooks: list[Hook],
         after_switch_hooks: list[Hook]) -> ReleaseResult:
    from publish.ckan import package as ck  # imported here: `kaifang check` never talks to the portal

    state_dir = Path(settings.state_dir)
    ds = dataset.id
    if not m.done("plan"):
        m.mark("plan", delivery=delivery, closed=closed, store=st.location, portal=getattr(portal, "url", None), open_condition=_open_condition(dataset))
    delivery = m.output("plan")["delivery"]  # a resumed release keeps its delivery mode

    # -- portal dataset (private until complete) ------------------------------------------
    pkg = None
    if not closed:
        if not m.done("portal-package"):
            org = ck.ensure_org(portal, dataset.descriptor.department)
            group = ck.ensure_group(portal, getattr(dataset.descriptor, "theme", None))
            pkg = ck.ensure_package(portal, dataset, org)
            portal_version = pkg.get("version") or None
            known = {v["version"] for v in hist.versions}
            if portal_version and portal_version not in known and portal_version != bundle.version:
                raise PublishConflict("the portal shows a version this store has never released", dataset=ds, portal_version=portal_version,
                                      fix="publish from the state dir / store that made that release, or retract it on the portal")
            m.mark("portal-package", package_id=pkg["id"], package_name=pkg["name"], org=org["name"], group=group, site_url=_site_url(portal))
        out = m.output("portal-package")
        pkg_id, site_url = out["package_id"], out["site_url"]

    # -- files: final URLs, published copies of datapackage.json / dcat.jsonld -------------
    files = []
    pub_dir = bundle.dir / "published"
    pub_dir.mkdir(exist_ok=True)
    for f in bundle.files:
        key = f"{ds}/{bundle.version}/{f.name}"
        rid = ck.resource_id(pkg_id, bundle.version, f.name) if not closed else None
        if closed or delivery == "link":
            url = st.url(key)
        else:
            url = ck.download_url(site_url, pkg_id, rid, f.name)
        files.append({"name": f.name, "role": f.role, "key": key, "url": url, "store_url": st.url(key), "sha256": f.sha256, "bytes": f.bytes,
                      "resource_id": rid, "format": f.format, "media_type": f.media_type, "description": f.description, "path": str(bundle.path(f.name))})
    by_name = {f["name"]: f for f in files}
    url_for = lambda name: by_name[name]["url"]  # noqa: E731
    landing = f"{site_url}/dataset/{out['package_name']}" if not closed else None
    for f in files:
        if f["role"] in ("datapackage", "dcat"):
            doc = render_datapackage(bundle, dataset.descriptor, url_for) if f["role"] == "datapackage" else render_dcat(dataset.descriptor, bundle, url_for, landing)
            p = pub_dir / f["name"]
            p.write_text(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            f["sha256"], f["bytes"] = sha256_file(p)
            f["path"] = str(p)

    # -- write-once objects ---------------------------------------------------------------
    created = 0
    if not m.done("objects-written"):
        for f in files:
            obj = st.put(f["key"], Path(f["path"]), sha256=f["sha256"])
            created += int(obj.created)
        m.mark("objects-written", keys=[f["key"] for f in files], created=created)
    else:
        created = 0
    if not m.done("objects-verified"):
        for f in files:
            head = st.head(f["key"])
            if head is None or (head.sha256, head.bytes) != (f["sha256"], f["bytes"]):
                raise TerminalError("stored object does not match the bundle", key=f["key"], store=st.location, fix="inspect the store; release keys are write-once")
        for f in files:
            if f["role"] in ("data-csv", "datapackage"):
                if st.read_sha256(f["key"]) != (f["sha256"], f["bytes"]):
                    raise TerminalError("stored object reads back different bytes", key=f["key"], store=st.location)
        m.mark("objects-verified", files=len(files))

    # -- extra steps (issue 8: DataStore) -------------------------------------------------
    if not m.done("hooks"):
        results = {}
        pkg_now = portal.call("package_show", {"id": pkg_id}) if not closed and hooks else None
        for hook in hooks:
            results[getattr(hook, "__name__", repr(hook))] = hook(HookContext(dataset, bundle, files, pkg_now, portal, st)) or {}
        m.mark("hooks", results=results)

    entry = _entry(bundle, files, None if closed else delivery)
    hook_results = list((m.output("hooks").get("results") or {}).values())
    for r in hook_results:
        entry.update(r.get("entry") or {})
    new_hist = hist.with_entry(entry)
    for r in hook_results:
        for ver, upd in (r.get("history") or {}).items():
            old = new_hist.find(ver)
            if old is not None and ver != bundle.version:
                new_hist = new_hist.with_entry({**old, **upd})
    resource_updates: dict[str, dict] = {}
    for r in hook_results:
        for rid, upd in (r.get("resources") or {}).items():
            resource_updates.setdefault(rid, {}).update(upd)
    new_hist.package = None if closed else out["package_name"]
    versions_path = pub_dir / "versions.json"
    versions_path.write_bytes(new_hist.to_bytes())

    # -- the switch: one package_revise -----------------------------------------------------
    if not closed and not m.done("portal-switch"):
        pkg = portal.call("package_show", {"id": pkg_id})
        if pkg.get("version") == bundle.version and ck.extras_dict(pkg).get("content_sha256") == bundle.content_sha256:
            pass  # an earlier attempt switched already (its answer was lost)
        else:
            expected = hist.current()
            if (pkg.get("version") or None) != (expected["version"] if expected else None):
                raise PublishConflict("the portal dataset changed during this release", dataset=ds, portal_version=pkg.get("version"),
                                      fix="another publisher won; re-run to rebuild against the new current release")
            try:
                _switch(portal, pkg, dataset, bundle, entry, files, new_hist, versions_path, delivery=delivery, site_url=site_url, group=m.output("portal-package").get("group"),
                        resource_updates=resource_updates)
            except TerminalError:
                # a retried revise whose first attempt went through (answer lost) fails its match: check
                now = portal.call("package_show", {"id": pkg_id})
                if not (now.get("version") == bundle.version and ck.extras_dict(now).get("content_sha256") == bundle.content_sha256):
                    raise
        m.mark("portal-switch", version=bundle.version)

    if not m.done("after-switch-hooks"):
        results = {}
        pkg_now = portal.call("package_show", {"id": pkg_id}) if not closed and after_switch_hooks else None
        for hook in after_switch_hooks:
            results[getattr(hook, "__name__", repr(hook))] = hook(HookContext(dataset, bundle, files, pkg_now, portal, st)) or {}
        m.mark("after-switch-hooks", results=results)

    if not closed and not m.done("portal-visible"):
        pkg = portal.call("package_show", {"id": pkg_id})
        want_private = _open_condition(dataset) != "unconditional"
        if bool(pkg.get("private")) != want_private:
            ck.set_private(portal, pkg_id, want_private)
        m.mark("portal-visible", private=want_private)

    if not m.done("history"):
        history.save(st, new_hist)
        m.mark("history", current=bundle.version)

    if not m.done("audit"):
        audit.append(state_dir, action="release", steward=getattr(settings, "steward", "steward"), dataset=ds, outcome="published",
                     version=bundle.version, level=bundle.level, previous=bundle.previous_version, content_sha256=bundle.content_sha256,
                     lineage_sha256=bundle.lineage_sha256, files=[{"name": f["name"], "sha256": f["sha256"], "bytes": f["bytes"]} for f in files],
                     portal=None if closed else getattr(portal, "url", None), package=None if closed else out["package_name"], store=st.location,
                     delivery=delivery, manifest=str(m.path))
        m.mark("audit")

    portal_url = None if closed else f"{site_url}/dataset/{out['package_name']}"
    return ReleaseResult(ds, bundle.version, "closed" if closed else "published", portal_url, entry["files"], 0, created, bundle.content_sha256, bundle.level, entry["summary"])


def _switch(portal, pkg: dict, dataset, bundle: Bundle, entry: dict, files: list[dict], new_hist: history.History, versions_path: Path, *, delivery: str, site_url: str, group: str | None,
            resource_updates: dict[str, dict] | None = None) -> None:
    from publish.ckan import package as ck

    resources = ck.release_resources(entry, files, delivery=delivery)
    uploads: dict[int, Path] = {}
    if delivery == "upload":
        uploads = {i: Path(f["path"]) for i, f in enumerate(files)}
    vid = ck.versions_resource_id(pkg["id"])
    vres = {"id": vid, "name": ck.VERSIONS_NAME, "description": "Release history: every version with its date, changelog summary and files (url, sha256, bytes)",
            "format": "JSON", "mimetype": "application/json", "kaifang_role": "versions"}
    if delivery == "upload":
        uploads[len(resources)] = versions_path
    else:
        vres["url"] = new_hist_url(files)
    resources.append(vres)
    if delivery == "upload":
        # earlier versions stay downloadable: their uploaded resources are kept, renamed as archived
        for v in sorted(new_hist.versions, key=lambda v: [int(x) for x in v["version"].split(".")], reverse=True):
            if v["version"] == bundle.version or v.get("retracted"):
                continue
            resources += ck.release_resources(v, [dict(f, resource_id=f["resource_id"]) for f in v["files"]], delivery="upload", archived=True)
        existing = {r["id"]: r for r in pkg.get("resources", [])}
        for r in resources:
            if r["id"] in existing and r["id"] not in (vid,) and r.get("kaifang_version") != bundle.version:
                keep = ck.clean_resource(existing[r["id"]])
                keep.update({k: r[k] for k in ("name", "description")})
                r.clear()
                r.update(keep)
    for r in resources:
        r.update((resource_updates or {}).get(r["id"], {}))
    meta = ck.package_metadata(dataset, entry, group)
    ck.switch(portal, pkg, metadata=meta, resources=resources, uploads=uploads)


def new_hist_url(files: list[dict]) -> str:
    """Link mode: versions.json is published next to the version folders in the store."""
    csv = next(f for f in files if f["role"] == "data-csv")
    base = csv["store_url"].rsplit("/", 2)[0]
    return f"{base}/versions.json"


#: the name docs/architecture.md uses for the publish stage
publish = publish_release


def _register_datastore_hooks() -> None:
    """Issue 8: every version's DataStore table, loaded before the switch; retention after it."""
    from publish.datastore.hook import apply_retention, load_version

    if load_version not in RELEASE_HOOKS:
        RELEASE_HOOKS.append(load_version)
    if apply_retention not in AFTER_SWITCH_HOOKS:
        AFTER_SWITCH_HOOKS.append(apply_retention)


_register_datastore_hooks()
