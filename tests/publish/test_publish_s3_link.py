"""Link delivery: files in moto's S3 server (over HTTP), portal resources link to them; 3 releases, retract."""

from __future__ import annotations

import hashlib
import io

import httpx
import polars as pl
import pytest

from kaifang.errors import ConfigError
from kaifang.settings import Settings
from publish.release import build_release, publish_release
from publish.retract import retract
from publish.storage import open_store
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame

pytestmark = pytest.mark.portal


def test_three_releases_link_mode_then_retract(tmp_path, portal, moto_server, bucket, monkeypatch):
    monkeypatch.setenv("KF_S3_TOKEN", portal.token)
    url = f"s3://{bucket}/open?endpoint_url={moto_server}&acl=public-read"
    settings = Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_S3_TOKEN", store=url, steward="s3-test")
    ds = make_dataset(tmp_path)
    frames = [make_frame(15), make_frame(15).with_columns((pl.col("amount") * 2).alias("amount")), make_frame(18)]
    results = []
    for f in frames:
        b = build_release(ds, f, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
        results.append(publish_release(ds, b, settings, delivery="link"))
    assert [r.version for r in results] == ["1.0.0", "1.0.1", "1.1.0"]
    pkg = portal.client().action.package_show(id=ds.id)
    assert pkg["version"] == "1.1.0" and all(r["url"].startswith(moto_server) for r in pkg["resources"])
    vurl = next(r for r in pkg["resources"] if r["name"] == "versions.json")["url"]
    doc = httpx.get(vurl).json()
    assert [v["version"] for v in doc["versions"]] == ["1.0.0", "1.0.1", "1.1.0"]
    for v in doc["versions"]:
        for f in v["files"]:
            body = httpx.get(f["url"]).content
            assert hashlib.sha256(body).hexdigest() == f["sha256"] and len(body) == f["bytes"]
    v1_csv = next(f for f in doc["versions"][0]["files"] if f["role"] == "data-csv")
    old = pl.read_csv(io.BytesIO(httpx.get(v1_csv["url"]).content))
    assert old["amount"][0] == 1000.5 and old.height == 15
    from frictionless import validate

    report = validate(next(r for r in pkg["resources"] if r["name"] == "datapackage.json")["url"])
    assert report.valid, report.flatten(["type", "note"])

    out = retract(ds.id, "1.1.0", reason="drill", settings=settings)
    assert out["current"] == "1.0.1"
    pkg = portal.client().action.package_show(id=ds.id)
    assert pkg["version"] == "1.0.1"
    cur_csv = next(r for r in pkg["resources"] if r["name"] == f"{ds.id}.csv")
    assert pl.read_csv(io.BytesIO(httpx.get(cur_csv["url"]).content))["amount"][0] == 2001.0
    for f in doc["versions"][2]["files"]:
        assert httpx.get(f["url"]).status_code == 404
    doc = httpx.get(next(r for r in pkg["resources"] if r["name"] == "versions.json")["url"]).json()
    assert doc["current"] == "1.0.1" and doc["versions"][2]["retracted"]


def test_link_mode_needs_http_store(tmp_path, portal, monkeypatch):
    monkeypatch.setenv("KF_S3_TOKEN", portal.token)
    settings = Settings(state_dir=tmp_path / "state", portal_url=portal.url, token_env="KF_S3_TOKEN", store=None)
    ds = make_dataset(tmp_path)
    b = build_release(ds, make_frame(), quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    with pytest.raises(ConfigError, match="public HTTP base URL"):
        publish_release(ds, b, settings, delivery="link")
    assert open_store(None, settings).list(ds.id) == []
