"""Staged visibility on the real portal: anonymous users never see a conditional dataset nor a first
release before it is complete; closed datasets are never sent."""

from __future__ import annotations

import httpx
import pytest

from kaifang.settings import Settings
from publish.ckan import Portal
from publish.ckan.package import org_name
from publish.release import build_release, publish_release
from publish.storage import open_store
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame

pytestmark = pytest.mark.portal


@pytest.fixture
def settings(tmp_path, portal, monkeypatch):
    monkeypatch.setenv("KF_VIS_TOKEN", portal.token)
    return Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_VIS_TOKEN", store=None, steward="vis-test")


def anonymous_sightings(portal, ds) -> list[str]:
    """Every anonymous channel that reveals the dataset."""
    anon = portal.client(anonymous=True)
    seen = []
    try:
        anon.action.package_show(id=ds.id)
        seen.append("package_show")
    except Exception:
        pass
    if ds.id in [p["name"] for p in anon.action.package_search(q=ds.id, rows=100)["results"]]:
        seen.append("package_search")
    if ds.id in [p["name"] for p in anon.action.package_search(fq=f"name:{ds.id}", rows=100)["results"]]:
        seen.append("package_search fq")
    if any(p["name"] == ds.id for p in anon.action.package_autocomplete(q=ds.id[:12])):
        seen.append("package_autocomplete")
    org = org_name(ds.descriptor.department)
    try:
        if ds.id in [p["name"] for p in anon.action.organization_show(id=org, include_datasets=True).get("packages", [])]:
            seen.append("organization_show")
    except Exception:
        pass
    try:
        if anon.action.package_activity_list(id=ds.id):
            seen.append("package_activity_list")
    except Exception:
        pass
    if ds.id in httpx.get(f"{portal.url}/organization/{org}").text:
        seen.append("organization page")
    if httpx.get(f"{portal.url}/dataset/{ds.id}").status_code == 200:
        seen.append("dataset page")
    return seen


def test_first_release_invisible_until_complete(tmp_path, portal, settings):
    ds = make_dataset(tmp_path)
    b = build_release(ds, make_frame(), quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    during = {}

    def peek(ctx):  # runs after the objects are stored, before the portal switch
        during["package"] = ctx.package
        during["seen"] = anonymous_sightings(portal, ds)
        return {"peeked": True}

    def after(ctx):  # runs after the switch, before the first release is made public
        during["after"] = ctx.package
        during["seen_after"] = anonymous_sightings(portal, ds)
        csv = next(f for f in ctx.files if f["role"] == "data-csv")
        assert csv["resource_id"] in {r["id"] for r in ctx.package["resources"]}  # DataStore can load into it
        return {"rows": b.rows}

    publish_release(ds, b, settings, hooks=[peek], after_switch_hooks=[after])
    assert during["package"]["private"] and during["package"]["resources"] == []
    assert during["seen"] == []
    assert during["after"]["private"] and during["after"]["version"] == "1.0.0" and during["seen_after"] == []
    assert set(anonymous_sightings(portal, ds)) >= {"package_show", "package_search fq", "dataset page"}


def test_conditional_dataset_stays_private(tmp_path, portal, settings):
    ds = make_dataset(tmp_path, open_condition="conditional")
    b = build_release(ds, make_frame(), quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    r = publish_release(ds, b, settings)
    pkg = portal.client().action.package_show(id=ds.id)
    assert pkg["private"] and pkg["version"] == r.version == "1.0.0"
    assert anonymous_sightings(portal, ds) == []
    # and its files are not downloadable anonymously from the portal
    csv = next(x for x in pkg["resources"] if x["name"].endswith(".csv"))
    assert httpx.get(csv["url"]).status_code in (403, 404)


def test_closed_dataset_is_never_sent(tmp_path, portal, settings):
    ds = make_dataset(tmp_path, open_condition="closed")
    b = build_release(ds, make_frame(), quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    nowhere = Portal("http://127.0.0.1:9", "x")  # any call would fail
    r = publish_release(ds, b, settings, portal=nowhere)
    assert r.status == "closed" and r.ckan_writes == 0 and nowhere.requests == 0 and r.portal_url is None
    assert len(open_store(None, settings).list(f"{ds.id}/1.0.0")) == 9
    ck = portal.client()
    with pytest.raises(Exception):
        ck.action.package_show(id=ds.id)
