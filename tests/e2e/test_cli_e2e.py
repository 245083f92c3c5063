"""Issue 7 acceptance: the CLI end to end on the bundled datasets against the real local portal."""

from __future__ import annotations

import json
import urllib.request

import ckanapi
import polars as pl
import pytest

from pipelines.descriptor import load_registry

pytestmark = pytest.mark.portal


def test_every_dataset_has_an_outcome(first_run, catalog):
    by_id = {o["dataset"]: o for o in first_run}
    assert set(by_id) == set(catalog.ids().values())
    reg = load_registry(catalog.datasets_dir)
    for ds_id, o in by_id.items():
        oc = reg[ds_id].descriptor.open_condition
        expected = {"unconditional": "published", "conditional": "published", "closed": "kept-internal"}[oc]
        assert o["status"] == expected, (ds_id, o["status"], o.get("message"))
        assert o["version"] == "1.0.0"
        assert o["quality_score"] is not None and 0 <= o["quality_score"] <= 100


def test_unconditional_datasets_visible_anonymously_with_history(first_run, catalog, portal):
    anon = portal.client(anonymous=True)
    reg = load_registry(catalog.datasets_dir)
    public = [i for i, d in reg.items() if d.descriptor.open_condition == "unconditional"]
    assert len(public) >= 4
    for ds_id in public:
        pkg = anon.action.package_show(id=ds_id)
        assert pkg["version"] == "1.0.0" and not pkg["private"]
        history = [r for r in pkg["resources"] if r["name"] == "versions.json"]
        assert len(history) == 1, [r["name"] for r in pkg["resources"]]
        with urllib.request.urlopen(history[0]["url"], timeout=30) as resp:
            versions = json.loads(resp.read())
        assert [v["version"] for v in versions["versions"]] == ["1.0.0"]
        csv = next(r for r in pkg["resources"] if r["format"].upper() == "CSV" and not r["name"].startswith("v"))
        with urllib.request.urlopen(csv["url"], timeout=30) as resp:
            frame = pl.read_csv(resp.read(), infer_schema=False)
        assert frame.height > 0


def test_conditional_and_closed_never_visible_anonymously(first_run, catalog, portal):
    anon = portal.client(anonymous=True)
    admin = portal.client()
    reg = load_registry(catalog.datasets_dir)
    for ds_id, d in reg.items():
        oc = d.descriptor.open_condition
        if oc == "unconditional":
            continue
        with pytest.raises((ckanapi.NotFound, ckanapi.NotAuthorized)):
            anon.action.package_show(id=ds_id)
        assert anon.action.package_search(q=ds_id, include_private=True)["count"] == 0
        if oc == "conditional":
            assert admin.action.package_show(id=ds_id)["private"] is True
        else:
            with pytest.raises(ckanapi.NotFound):
                admin.action.package_show(id=ds_id)


def test_second_run_changes_nothing(first_run, catalog, portal):
    admin = portal.client()
    before = {o["dataset"]: admin.action.package_show(id=o["dataset"])["metadata_modified"] for o in first_run if o["status"] == "published"}
    objects_before = sorted(p.relative_to(catalog.state_dir) for p in (catalog.state_dir / "store").rglob("*") if p.is_file())
    second = catalog.publish_json("--all")
    for o in second:
        assert o["status"] in ("up-to-date", "kept-internal"), (o["dataset"], o["status"], o.get("message"))
        assert o["version"] == "1.0.0"
    after = {d: admin.action.package_show(id=d)["metadata_modified"] for d in before}
    assert after == before
    objects_after = sorted(p.relative_to(catalog.state_dir) for p in (catalog.state_dir / "store").rglob("*") if p.is_file())
    assert objects_after == objects_before


def test_check_writes_bundle_and_publishes_nothing(catalog, portal, tmp_path):
    ds_id = catalog.id("statistics-household-survey")
    out = tmp_path / "bundle"
    proc = catalog.kaifang("--state-dir", str(tmp_path / "state"), "check", ds_id, "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    files = {p.name for p in out.rglob("*") if p.is_file()}
    assert {"datapackage.json", f"{ds_id}.csv", f"{ds_id}.parquet"} <= files
    assert not (tmp_path / "state" / "store").exists() or not any((tmp_path / "state" / "store").rglob("*.csv"))
    with pytest.raises(ckanapi.NotFound):  # the check published nothing under a new name either
        portal.client().action.package_show(id=f"{ds_id}-never")


def test_usage_errors_exit_2_with_a_fix(catalog):
    proc = catalog.kaifang("publish")
    assert proc.returncode == 2 and "--all" in proc.stderr and "Traceback" not in proc.stderr
    proc = catalog.kaifang("check", "no-such-dataset", "--out", "/tmp/x")
    assert proc.returncode == 2 and "Fix:" in proc.stderr and "Traceback" not in proc.stderr
