"""DataStore tables through real releases against the real local portal: atomic switch, old versions,
retention, retraction, limits, crash safety, private datasets."""

from __future__ import annotations

import io

import ckanapi
import httpx
import polars as pl
import pytest

from kaifang.errors import TransientError
from kaifang.settings import Settings
from publish.datastore import DatastoreSettings
from publish.datastore import hook as ds_hook
from publish.release import build_release, publish_release
from publish.retract import retract
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame

pytestmark = pytest.mark.portal


@pytest.fixture
def settings(tmp_path, portal, monkeypatch):
    monkeypatch.setenv("KF_DS_TEST_TOKEN", portal.token)
    return Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_DS_TEST_TOKEN", store=None, steward="ds-test")


def release(ds, frame, settings, **kw):
    b = build_release(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    assert b is not None
    return b, publish_release(ds, b, settings, **kw)


def versions_doc(portal, ds) -> dict:
    pkg = portal.client().action.package_show(id=ds.id)
    return httpx.get(next(r for r in pkg["resources"] if r["name"] == "versions.json")["url"]).json()


def rows(anon, rid) -> pl.DataFrame:
    got = anon.action.datastore_search(resource_id=rid, limit=1000, sort="record_id")
    return pl.DataFrame(got["records"]).drop("_id")


def csv_rid(doc: dict, version: str) -> str:
    v = next(v for v in doc["versions"] if v["version"] == version)
    return next(f["resource_id"] for f in v["files"] if f["role"] == "data-csv")


def test_two_releases_old_table_answers_until_retracted(tmp_path, settings, portal):
    ds = make_dataset(tmp_path)
    anon = portal.client(anonymous=True)
    f1 = make_frame(30)
    _, r1 = release(ds, f1, settings)
    f2 = f1.with_columns(pl.when(pl.col("record_id") == 5).then(999).otherwise(pl.col("contributors")).alias("contributors"))

    seen = {}

    def peek(ctx):  # runs after the DataStore hook, before the switch
        rid = next(f["resource_id"] for f in ctx.files if f["role"] == "data-csv")
        pkg = portal.client().action.package_show(id=ds.id)
        seen["portal_version"] = pkg["version"]
        seen["current_csv"] = next(r["id"] for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
        seen["new_rows"] = anon.action.datastore_search(resource_id=rid, limit=0, include_total=True)["total"]
        seen["new_rid"] = rid
        return {}

    _, r2 = release(ds, f2, settings, hooks=[peek])
    assert (r1.version, r2.version) == ("1.0.0", "1.0.1")
    # atomic: before the switch the portal still presented 1.0.0 while 1.0.1's table was already complete
    assert seen["portal_version"] == "1.0.0" and seen["current_csv"] != seen["new_rid"] and seen["new_rows"] == 30

    doc = versions_doc(portal, ds)
    old_rid, new_rid = csv_rid(doc, "1.0.0"), csv_rid(doc, "1.0.1")
    assert new_rid == seen["new_rid"]
    for v, rid in (("1.0.0", old_rid), ("1.0.1", new_rid)):
        entry = next(x for x in doc["versions"] if x["version"] == v)
        assert entry["datastore"] == {"resource_id": rid, "status": "loaded", "rows": 30, "reason": None}
    old, new = rows(anon, old_rid), rows(anon, new_rid)
    assert old.filter(pl.col("record_id") == 5)["contributors"].item() == 104
    assert new.filter(pl.col("record_id") == 5)["contributors"].item() == 999
    # the current CSV resource is the new version's, marked as having a table
    pkg = portal.client().action.package_show(id=ds.id)
    cur = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    assert cur["id"] == new_rid and cur["datastore_active"] and new_rid in cur["description"]
    arch = next(r for r in pkg["resources"] if r["id"] == old_rid)
    assert arch["name"] == f"v1.0.0/{ds.id}.csv" and arch["datastore_active"]
    # the file uploaded into the pre-created resource is the published CSV
    assert httpx.get(cur["url"]).content == httpx.get(next(f["url"] for f in next(v for v in doc["versions"] if v["version"] == "1.0.1")["files"] if f["role"] == "data-csv")).content

    retract(ds.id, "1.0.0", reason="test: retract old", settings=settings)
    with pytest.raises(ckanapi.NotFound):
        anon.action.datastore_search(resource_id=old_rid)
    assert rows(anon, new_rid).height == 30
    doc = versions_doc(portal, ds)
    assert next(v for v in doc["versions"] if v["version"] == "1.0.0")["datastore"]["status"] == "deleted"

    # retracting the current version deletes its table too; the previous one stays (here: retracted already)
    retract(ds.id, "1.0.1", reason="test: retract current", settings=settings)
    with pytest.raises(ckanapi.NotFound):
        anon.action.datastore_search(resource_id=new_rid)


def test_retention_keeps_last_n_tables(tmp_path, settings, portal):
    ds = make_dataset(tmp_path)
    ds.descriptor.datastore = DatastoreSettings(keep_versions=2)
    anon = portal.client(anonymous=True)
    frame = make_frame(12)
    for i in range(3):
        frame = frame.with_columns((pl.col("contributors") + 1).alias("contributors"))
        release(ds, frame, settings)
    doc = versions_doc(portal, ds)
    assert [v["version"] for v in doc["versions"]] == ["1.0.0", "1.0.1", "1.0.2"]
    statuses = {v["version"]: v["datastore"]["status"] for v in doc["versions"]}
    assert statuses == {"1.0.0": "deleted", "1.0.1": "loaded", "1.0.2": "loaded"}
    with pytest.raises(ckanapi.NotFound):
        anon.action.datastore_search(resource_id=csv_rid(doc, "1.0.0"))
    assert rows(anon, csv_rid(doc, "1.0.1"))["contributors"].to_list() == (make_frame(12)["contributors"] + 2).to_list()
    # the old file itself stays downloadable; only its table is gone
    pkg = portal.client().action.package_show(id=ds.id)
    arch = next(r for r in pkg["resources"] if r["id"] == csv_rid(doc, "1.0.0"))
    assert not arch.get("datastore_active") and httpx.get(arch["url"]).status_code == 200


def test_above_max_rows_skipped_with_reason_in_description(tmp_path, settings, portal):
    ds = make_dataset(tmp_path)
    ds.descriptor.datastore = DatastoreSettings(max_rows=10)
    release(ds, make_frame(15), settings)
    pkg = portal.client().action.package_show(id=ds.id)
    cur = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    assert "15 rows exceed this dataset's limit of 10" in cur["description"]
    assert not cur.get("datastore_active")
    with pytest.raises(ckanapi.NotFound):
        portal.client().action.datastore_search(resource_id=cur["id"])
    entry = versions_doc(portal, ds)["versions"][0]
    assert entry["datastore"]["status"] == "skipped" and "exceed" in entry["datastore"]["reason"]


def test_conditional_dataset_table_not_anonymous(tmp_path, settings, portal):
    ds = make_dataset(tmp_path, open_condition="conditional")
    release(ds, make_frame(8), settings)
    pkg = portal.client().action.package_show(id=ds.id)
    rid = next(r["id"] for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    assert pkg["private"] and portal.client().action.datastore_search(resource_id=rid, limit=0, include_total=True)["total"] == 8
    anon = portal.client(anonymous=True)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        anon.action.datastore_search(resource_id=rid)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound, ckanapi.ValidationError)):
        anon.action.datastore_search_sql(sql=f'SELECT COUNT(*) FROM "{rid}"')


def test_closed_dataset_gets_no_table(tmp_path, settings):
    ds = make_dataset(tmp_path, open_condition="closed")
    _, r = release(ds, make_frame(8), settings)
    assert r.status == "closed" and r.ckan_writes == 0


def test_interrupted_load_is_dropped_and_reloaded(tmp_path, settings, portal, monkeypatch):
    ds = make_dataset(tmp_path)
    ds.descriptor.datastore = DatastoreSettings(batch_rows=100)
    frame = make_frame(250)
    real = ds_hook.load_parquet

    def crash_after_first_batch(call, rid, path, schema, settings):
        sent = {"n": 0}

        def flaky(action, **data):
            if action == "datastore_upsert":
                if sent["n"] == 1:
                    raise TransientError("simulated crash mid-load")
                sent["n"] += 1
            return call(action, **data)

        return real(flaky, rid, path, schema, settings)

    monkeypatch.setattr(ds_hook, "load_parquet", crash_after_first_batch)
    b = build_release(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    with pytest.raises(TransientError):
        publish_release(ds, b, settings)
    from publish.ckan.package import resource_id

    pkg = portal.client().action.package_show(id=ds.id)
    rid = resource_id(pkg["id"], b.version, f"{ds.id}.csv")
    assert portal.client().action.datastore_search(resource_id=rid, limit=0, include_total=True)["total"] == 100  # half loaded
    assert pkg["version"] in ("", None)  # not switched

    monkeypatch.setattr(ds_hook, "load_parquet", real)
    r = publish_release(ds, b, settings)  # resumes: the half-loaded table is dropped and reloaded
    assert r.status == "published"
    got = portal.client(anonymous=True).action.datastore_search(resource_id=rid, limit=0, include_total=True)
    assert got["total"] == 250
    # resuming again after completion changes nothing
    assert publish_release(ds, b, settings).status == "up-to-date"


def test_datastore_rows_are_exactly_the_published_csv(tmp_path, settings, portal):
    """The de-identification guarantee: the table holds the published CSV's cells, formula escapes included."""
    ds = make_dataset(tmp_path)
    release(ds, make_frame(40), settings)
    pkg = portal.client().action.package_show(id=ds.id)
    cur = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    published = pl.read_csv(io.BytesIO(httpx.get(cur["url"]).content), infer_schema=False)
    got = portal.client(anonymous=True).action.datastore_search(resource_id=cur["id"], limit=1000, sort="record_id")
    table = pl.DataFrame(got["records"], infer_schema_length=None).drop("_id").select(pl.all().cast(pl.Utf8))
    assert table.columns == published.columns  # no extra column (phone was dropped, it is not there)
    table = table.with_columns(pl.col("amount").cast(pl.Float64).cast(pl.Utf8))
    published = published.with_columns(pl.col("amount").cast(pl.Float64).cast(pl.Utf8))
    assert table.equals(published.sort(pl.col("record_id").cast(pl.Int64)))
    assert table.filter(pl.col("record_id") == "2")["note"].item().startswith("'=")


def test_link_delivery_keeps_only_the_current_table(tmp_path, portal, monkeypatch):
    """Link delivery drops older versions' resources from the portal, so their tables go too (recorded as deleted)."""
    monkeypatch.setenv("KF_DS_TEST_TOKEN", portal.token)
    store_url = f"file://{tmp_path / 'store'}?public_base_url=http://127.0.0.1:9/files"
    settings = Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_DS_TEST_TOKEN", store=store_url, steward="ds-test")
    ds = make_dataset(tmp_path)
    anon = portal.client(anonymous=True)
    f1 = make_frame(10)
    release(ds, f1, settings, delivery="link")
    release(ds, f1.with_columns((pl.col("contributors") + 1).alias("contributors")), settings, delivery="link")
    pkg = portal.client().action.package_show(id=ds.id)
    from publish import history
    from publish.storage import open_store

    hist = history.load(open_store(None, settings), ds.id)
    old, new = hist.find("1.0.0")["datastore"], hist.find("1.0.1")["datastore"]
    assert old["status"] == "deleted" and "link delivery" in old["reason"] and new["status"] == "loaded"
    with pytest.raises(ckanapi.NotFound):
        anon.action.datastore_search(resource_id=old["resource_id"])
    assert anon.action.datastore_search(resource_id=new["resource_id"], limit=0, include_total=True)["total"] == 10
    cur = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    assert cur["id"] == new["resource_id"] and cur["datastore_active"] and cur["url"].startswith("http://127.0.0.1:9/files")


def test_abandoned_release_leaves_no_queryable_table(tmp_path, settings, portal, monkeypatch):
    ds = make_dataset(tmp_path)
    anon = portal.client(anonymous=True)
    f1 = make_frame(20)
    release(ds, f1, settings)

    def crash(call, rid, path, schema, settings):
        call("datastore_create", resource_id=rid, force=True, fields=[{"id": "record_id", "type": "int8"}], records=[{"record_id": 1}])
        raise TransientError("simulated crash mid-load")

    monkeypatch.setattr(ds_hook, "load_parquet", crash)
    b2 = build_release(ds, f1.with_columns((pl.col("contributors") * 2).alias("contributors")), quality=QUALITY, quality_html=QUALITY_HTML,
                       deid=DEID, lineage=LINEAGE, settings=settings)
    with pytest.raises(TransientError):
        publish_release(ds, b2, settings)
    pkg = portal.client().action.package_show(id=ds.id)
    from publish.ckan.package import resource_id

    rid = resource_id(pkg["id"], b2.version, f"{ds.id}.csv")
    pending = next(r for r in pkg["resources"] if r["id"] == rid)
    assert pkg["version"] == "1.0.0" and pending["name"].startswith(f"v{b2.version}/")  # still presenting 1.0.0
    out = retract(ds.id, b2.version, reason="test: abandon", settings=settings)
    assert out["abandoned"]
    with pytest.raises(ckanapi.NotFound):
        anon.action.datastore_search(resource_id=rid)
    pkg = portal.client().action.package_show(id=ds.id)
    assert rid not in {r["id"] for r in pkg["resources"]} and pkg["version"] == "1.0.0"
