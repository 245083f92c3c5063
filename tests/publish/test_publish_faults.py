"""Fault injection at the wire: a proxy in front of the real CKAN portal (and moto's S3 server)
answers 500/503, loses answers, or times out on chosen calls."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from kaifang.errors import TerminalError, TransientError
from kaifang.settings import Settings
from publish.ckan import Portal
from publish.release import build_release, publish_release
from publish.retry import RetryPolicy
from publish.storage import open_store
from tests.publish.faultproxy import Fault, FaultProxy
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame

pytestmark = pytest.mark.portal
FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2)


@pytest.fixture
def ckan_proxy(portal):
    p = FaultProxy(portal.url).start()
    yield p
    p.stop()


@pytest.fixture
def settings(tmp_path, portal, monkeypatch):
    monkeypatch.setenv("KF_FAULT_TOKEN", portal.token)
    return Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_FAULT_TOKEN", store=None, steward="fault-test")


def _bundle(tmp_path, settings, store=None, **kw):
    ds = make_dataset(tmp_path, **kw)
    return ds, build_release(ds, make_frame(12), quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings, store=store)


def _assert_complete(portal, ds, version="1.0.0"):
    pkg = portal.client().action.package_show(id=ds.id)
    assert pkg["version"] == version and not pkg["private"]
    doc = httpx.get(next(r for r in pkg["resources"] if r["name"] == "versions.json")["url"]).json()
    assert len(doc["versions"]) == 1
    for f in doc["versions"][0]["files"]:
        assert hashlib.sha256(httpx.get(f["url"]).content).hexdigest() == f["sha256"]


def test_transient_ckan_errors_on_each_write_are_retried(tmp_path, portal, ckan_proxy, settings):
    ds, b = _bundle(tmp_path, settings)
    ckan_proxy.faults += [
        Fault(path="/api/action/organization_show", status=502, times=1),
        Fault(path="/api/action/package_create", status=503, times=1),
        Fault(path="/api/action/package_revise", status=500, times=2),
        Fault(path="/api/action/package_patch", status=503, times=1),
        Fault(path="/api/action/package_show", status=500, times=1, skip=2),
    ]
    r = publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST))
    assert r.version == "1.0.0"
    assert all(f.fired == f.times for f in ckan_proxy.faults)
    _assert_complete(portal, ds)


def test_lost_answers_do_not_duplicate(tmp_path, portal, ckan_proxy, settings):
    # the portal did the work but the client only saw a 503: retries must converge, not duplicate
    ds, b = _bundle(tmp_path, settings)
    ckan_proxy.faults += [Fault(path="/api/action/package_create", action="lost", times=1), Fault(path="/api/action/package_revise", action="lost", times=1)]
    r = publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST))
    assert r.version == "1.0.0" and all(f.fired == 1 for f in ckan_proxy.faults)
    _assert_complete(portal, ds)
    found = portal.client().action.package_search(q=f"name:{ds.id}", include_private=True)
    assert found["count"] == 1


def test_timeouts_are_retried(tmp_path, portal, ckan_proxy, settings):
    ds, b = _bundle(tmp_path, settings)
    ckan_proxy.faults.append(Fault(path="/api/action/package_patch", action="timeout", times=1))
    r = publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST, timeout=2))
    assert r.version == "1.0.0"
    _assert_complete(portal, ds)


def test_terminal_error_is_not_retried_and_rerun_completes(tmp_path, portal, ckan_proxy, settings):
    ds, b = _bundle(tmp_path, settings)
    ckan_proxy.faults.append(Fault(path="/api/action/package_revise", status=403, times=1))
    with pytest.raises(TerminalError) as e:
        publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST))
    assert not isinstance(e.value, TransientError)
    assert len([1 for m, p, s in ckan_proxy.log if "package_revise" in p]) == 1  # not retried
    assert portal.client().action.package_show(id=ds.id)["private"]  # incomplete first release stays private
    r = publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST))
    assert r.version == "1.0.0"
    _assert_complete(portal, ds)


def test_persistent_5xx_gives_up_after_bounded_retries(tmp_path, portal, ckan_proxy, settings):
    ds, b = _bundle(tmp_path, settings)
    ckan_proxy.faults.append(Fault(path="/api/action/package_revise", status=503, times=100))
    with pytest.raises(TransientError) as e:
        publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST))
    assert e.value.context["status"] == 503 and portal.token not in str(e.value)
    assert len([1 for m, p, s in ckan_proxy.log if "package_revise" in p]) == FAST.attempts
    ckan_proxy.faults.clear()
    assert publish_release(ds, b, settings, portal=Portal(ckan_proxy.url, portal.token, policy=FAST)).version == "1.0.0"
    _assert_complete(portal, ds)


def test_s3_faults_during_release_link_mode(tmp_path, portal, moto_server, bucket, s3_proxy, settings):
    store = open_store(f"s3://{bucket}/releases?endpoint_url={s3_proxy.url}&max_attempts=4&timeout=2&acl=public-read", settings)
    ds, b = _bundle(tmp_path, settings, store=store)
    s3_proxy.faults += [Fault(method="PUT", path=".csv", status=503, times=2), Fault(method="PUT", path=".parquet", action="lost", times=1),
                        Fault(method="HEAD", path="datapackage.json", status=500, times=1), Fault(method="PUT", path="changelog.md", action="timeout", times=1)]
    r = publish_release(ds, b, settings, store=store, delivery="link")
    assert r.version == "1.0.0" and all(f.fired == f.times for f in s3_proxy.faults)
    # link mode: portal resources point at the object store; every file downloads with its sha256
    pkg = portal.client().action.package_show(id=ds.id)
    csv = next(x for x in pkg["resources"] if x["name"] == f"{ds.id}.csv")
    assert csv["url"].startswith(s3_proxy.url) and csv["url_type"] in ("", None)
    direct = open_store(f"s3://{bucket}/releases?endpoint_url={moto_server}", settings)
    for f in r.files:
        data = direct.get_bytes(f["key"])
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
    # 0 overwritten objects: one version folder, each key written once
    assert len(direct.list(f"{ds.id}/1.0.0")) == 9
