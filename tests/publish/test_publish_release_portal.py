"""Acceptance against the real local CKAN portal: versions, changelogs, downloads, visibility, retract."""

from __future__ import annotations

import hashlib
import io
import json

import httpx
import polars as pl
import pytest

from kaifang.settings import Settings
from publish import audit
from publish.ckan import Portal as CkanPortal
from publish.listing import list_versions
from publish.release import build_release, publish_release
from publish.retract import retract
from publish.storage import open_store
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame

pytestmark = pytest.mark.portal


@pytest.fixture
def settings(tmp_path, portal, monkeypatch):
    monkeypatch.setenv("KF_PUBLISH_TEST_TOKEN", portal.token)
    return Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_PUBLISH_TEST_TOKEN", store=None, steward="steward-007")


def release(ds, frame, settings, store=None, deid=DEID, **kw):
    b = build_release(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=deid, lineage=LINEAGE, settings=settings, store=store)
    if b is None:
        return None, None
    return b, publish_release(ds, b, settings, store=store, **kw)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_versions_changelogs_downloads_and_retract(tmp_path, settings, portal):
    ds = make_dataset(tmp_path)
    anon = CkanPortal(portal.url, None)
    f1 = make_frame(20)
    b1, r1 = release(ds, f1, settings)
    assert (r1.version, r1.status, b1.level) == ("1.0.0", "published", "initial")
    assert r1.objects_written == 9 and r1.ckan_writes > 0

    # unchanged: up to date, nothing written anywhere
    store = open_store(None, settings)
    before = store.list(ds.id)
    assert build_release(ds, f1, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings) is None
    again = publish_release(ds, b1, settings)
    assert again.status == "up-to-date" and again.ckan_writes == 0 and again.objects_written == 0
    assert store.list(ds.id) == before

    # change one row → PATCH
    f2 = f1.with_columns(pl.when(pl.col("record_id") == 5).then(999).otherwise(pl.col("contributors")).alias("contributors"))
    b2, r2 = release(ds, f2, settings)
    assert r2.version == "1.0.1" and b2.level == "patch"
    cl2 = json.loads(b2.path("changelog.json").read_text())
    assert cl2["rows"]["changed"] == 1 and cl2["rows"]["changed_fields"] == {"contributors": 1} and cl2["rows"]["sample_keys"]["changed"] == [5]
    assert cl2["rows"]["added"] == 0 and cl2["schema"]["added"] == []

    # add a field → MINOR
    f3 = f2.with_columns(pl.lit("A").alias("grade"))
    ds.schema["fields"].insert(6, {"name": "grade", "type": "string", "sensitivity": "public"})
    b3, r3 = release(ds, f3, settings)
    assert r3.version == "1.1.0" and b3.level == "minor"
    assert b3.changelog["schema"]["added"] == ["grade"] and "fields added: grade" in b3.path("changelog.md").read_text()

    # remove a field → MAJOR
    f4 = f3.drop("amount")
    b4, r4 = release(ds, f4, settings)
    assert r4.version == "2.0.0" and b4.level == "major" and b4.changelog["schema"]["removed"] == ["amount"]

    # personal values never in the changelog (person_id is pseudonymized, not public → no sample keys of it)
    for b in (b2, b3, b4):
        text = b.path("changelog.json").read_text() + b.path("changelog.md").read_text()
        assert "P0000" not in text

    # the portal: version, extras, resources, versions.json with every version's files downloadable
    ck = portal.client()
    pkg = ck.action.package_show(id=r4.portal_url.rsplit("/", 1)[-1])
    assert pkg["version"] == "2.0.0" and not pkg["private"]
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["content_sha256"] == b4.content_sha256 and extras["open_condition"] == "unconditional" and float(extras["quality_score"]) == 97.5
    names = [r["name"] for r in pkg["resources"]]
    assert names[:10] == [f"{ds.id}.csv", f"{ds.id}.parquet", "datapackage.json", "quality-report.json", "quality-report.html", "deid-record.json", "changelog.md", "changelog.json", "dcat.jsonld", "versions.json"]
    vres = next(r for r in pkg["resources"] if r["name"] == "versions.json")
    versions = httpx.get(vres["url"]).json()
    assert [v["version"] for v in versions["versions"]] == ["1.0.0", "1.0.1", "1.1.0", "2.0.0"] and versions["current"] == "2.0.0"
    for v in versions["versions"]:
        for f in v["files"]:
            r = httpx.get(f["url"])  # anonymous download
            assert r.status_code == 200, f["url"]
            assert sha(r.content) == f["sha256"] and len(r.content) == f["bytes"]
    # an old version's CSV is the old data
    old_csv = next(f for f in versions["versions"][0]["files"] if f["role"] == "data-csv")
    old = pl.read_csv(io.BytesIO(httpx.get(old_csv["url"]).content))
    assert old.filter(pl.col("record_id") == 5)["contributors"].item() == 104 and "amount" in old.columns
    cur_csv = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    cur = pl.read_csv(io.BytesIO(httpx.get(cur_csv["url"]).content))
    assert cur.filter(pl.col("record_id") == 5)["contributors"].item() == 999 and "amount" not in cur.columns
    # formula injection escaped in the CSV
    assert cur.filter(pl.col("record_id") == 2)["note"].item().startswith("'=")

    # frictionless, as an outside client, reads the published datapackage.json from its portal URL
    from frictionless import validate

    dp = next(r for r in pkg["resources"] if r["name"] == "datapackage.json")
    report = validate(dp["url"])
    assert report.valid, report.flatten(["type", "note"])

    # retract the current version: the previous becomes current, retracted files are gone
    v4_files = next(v for v in versions["versions"] if v["version"] == "2.0.0")["files"]
    out = retract(ds.id, "2.0.0", reason="test: leaked field", settings=settings)
    assert out["current"] == "1.1.0" and len(out["removed_objects"]) == 9
    pkg = ck.action.package_show(id=pkg["name"])
    assert pkg["version"] == "1.1.0"
    assert {e["key"]: e["value"] for e in pkg["extras"]}["content_sha256"] == b3.content_sha256
    cur_csv = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    assert "amount" in pl.read_csv(io.BytesIO(httpx.get(cur_csv["url"]).content)).columns
    # the activity stream no longer carries copies of the retracted files
    assert out["purged_activities"] >= 1
    gone = {f["resource_id"] for f in v4_files}
    for a in ck.action.package_activity_list(id=pkg["name"], limit=100):
        data = ck.action.activity_show(id=a["id"], include_data=True).get("data") or {}
        assert not gone & {r["id"] for r in (data.get("package") or {}).get("resources", [])}
    for f in v4_files:
        assert httpx.get(f["url"]).status_code == 404, f["url"]
        assert store.head(f["key"]) is None
    versions = httpx.get(next(r for r in pkg["resources"] if r["name"] == "versions.json")["url"]).json()
    v4 = next(v for v in versions["versions"] if v["version"] == "2.0.0")
    assert v4["retracted"] and v4["retraction_reason"] == "test: leaked field" and versions["current"] == "1.1.0"
    # a retracted number is never reused: the same data again becomes 2.0.1? no — a new MAJOR after 2.0.0 is 3.0.0
    b5 = build_release(ds, f4, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    assert b5.version == "3.0.0"

    info = list_versions(ds.id, settings)
    assert info["current"] == "1.1.0" and info["portal_version"] == "1.1.0"
    assert [v["status"] for v in info["versions"]] == ["retracted", "current", "available", "available"]
    recs = audit.read(settings.state_dir, ds.id)
    assert [r["action"] for r in recs] == ["release"] * 4 + ["retract"]
    assert all(r["who"] == "steward-007" for r in recs) and recs[-1]["reason"] == "test: leaked field"
    assert recs[0]["files"][0]["sha256"] == r1.files[0]["sha256"]
    assert anon.call("package_show", {"id": pkg["name"]})["version"] == "1.1.0"
