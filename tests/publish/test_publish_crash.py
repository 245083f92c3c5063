"""Crash safety and concurrency against the real portal: SIGKILL after each manifest step, then re-run;
two concurrent publishes of one dataset."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from publish import audit
from publish.ckan import Portal as CkanPortal
from publish.ckan.client import NotFoundOnPortal
from publish.manifest import STEPS, Manifest
from publish.storage import LocalStore

pytestmark = pytest.mark.portal

CHILD = Path(__file__).with_name("child_publish.py")
ROOT = Path(__file__).resolve().parents[2]


def run_child(cfg: dict, tmp_path: Path, *, wait: bool = True):
    p = tmp_path / f"cfg-{uuid.uuid4().hex[:6]}.json"
    p.write_text(json.dumps(cfg))
    proc = subprocess.Popen([sys.executable, str(CHILD), str(p)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**__import__("os").environ, "KF_CRASH_TOKEN": cfg["_token"]})
    if not wait:
        return proc
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out, err


def base_cfg(tmp_path, portal, **kw):
    return {"dataset": f"kfcrash-{uuid.uuid4().hex[:10]}", "state_dir": str(tmp_path / "state"), "tmp": str(tmp_path), "portal_url": portal.url,
            "token_env": "KF_CRASH_TOKEN", "_token": portal.token, **kw}


def anon_view(portal, name):
    try:
        return CkanPortal(portal.url, None).call("package_show", {"id": name})
    except NotFoundOnPortal:
        return None
    except Exception as exc:  # NotAuthorized → terminal error: not visible
        if "refused" in str(exc):
            return None
        raise


def check_one_complete_release(portal, cfg, version="1.0.0", n_versions=1):
    name = cfg["dataset"]
    pkg = portal.client().action.package_show(id=name)
    assert pkg["version"] == version and not pkg["private"]
    current = [r for r in pkg["resources"] if r.get("kaifang_version") == version]
    assert len(current) == 9
    vres = [r for r in pkg["resources"] if r["name"] == "versions.json"]
    assert len(vres) == 1
    doc = httpx.get(vres[0]["url"]).json()
    assert [v["version"] for v in doc["versions"]][-1] == version and len(doc["versions"]) == n_versions
    for f in doc["versions"][-1]["files"]:
        r = httpx.get(f["url"])
        assert r.status_code == 200 and __import__("hashlib").sha256(r.content).hexdigest() == f["sha256"]
    store = LocalStore(Path(cfg["state_dir"]) / "store")
    assert len(store.list(f"{name}/{version}")) == 9
    recs = [r for r in audit.read(Path(cfg["state_dir"]), name) if r["outcome"] == "published" and r["version"] == version]
    assert len(recs) == 1
    assert Manifest.load(Path(cfg["state_dir"]), name, version).data["complete"]
    assert anon_view(portal, name)["version"] == version


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_after_each_step_then_rerun_converges(step, tmp_path, portal):
    cfg = base_cfg(tmp_path, portal, kill_after=step)
    rc, out, err = run_child(cfg, tmp_path)
    assert rc == -signal.SIGKILL, err[-2000:]
    seen = anon_view(portal, cfg["dataset"])
    if STEPS.index(step) < STEPS.index("portal-visible"):
        assert seen is None  # a first release is never visible before it is complete
    else:
        assert seen["version"] == "1.0.0" and len([r for r in seen["resources"] if r.get("kaifang_version") == "1.0.0"]) == 9
    cfg.pop("kill_after")
    rc, out, err = run_child(cfg, tmp_path)
    assert rc == 0, err[-2000:]
    res = json.loads(out.strip().splitlines()[-1])
    if step == STEPS[-1]:
        assert res == {"status": "up-to-date"}  # killed after the last step: the release was already complete
    else:
        assert res["version"] == "1.0.0" and res["status"] == "published"
    check_one_complete_release(portal, cfg)
    if step == "portal-switch":
        rc, out, _ = run_child(cfg, tmp_path)  # and once more: up to date, nothing written
        assert rc == 0 and json.loads(out.strip().splitlines()[-1])["status"] == "up-to-date"


@pytest.mark.parametrize("step", ["objects-written", "hooks", "portal-switch", "history"])
def test_sigkill_during_second_release_keeps_portal_complete(step, tmp_path, portal):
    cfg = base_cfg(tmp_path, portal)
    assert run_child(cfg, tmp_path)[0] == 0
    cfg2 = dict(cfg, variant=5, kill_after=step)
    rc, _, err = run_child(cfg2, tmp_path)
    assert rc == -signal.SIGKILL, err[-2000:]
    seen = anon_view(portal, cfg["dataset"])
    expect = "1.0.0" if STEPS.index(step) < STEPS.index("portal-switch") else "1.0.1"
    assert seen["version"] == expect
    assert len([r for r in seen["resources"] if r.get("kaifang_version") == expect and not r["name"].startswith("v")]) == 9
    cfg2.pop("kill_after")
    rc, out, err = run_child(cfg2, tmp_path)
    assert rc == 0, err[-2000:]
    check_one_complete_release(portal, cfg2, "1.0.1", n_versions=2)


def test_two_concurrent_publishes_exactly_one_wins(tmp_path, portal):
    cfg = base_cfg(tmp_path, portal)
    gate = str(tmp_path / "gate")
    a = run_child(dict(cfg, variant=1, pause=gate + "-a"), tmp_path, wait=False)
    b = run_child(dict(cfg, variant=2, pause=gate + "-b"), tmp_path, wait=False)
    deadline = time.time() + 120
    while not (Path(gate + "-a").exists() and Path(gate + "-b").exists()):
        assert time.time() < deadline and a.poll() is None and b.poll() is None
        time.sleep(0.05)
    Path(gate + "-a.go").write_text("")
    Path(gate + "-b.go").write_text("")
    outs = [p.communicate(timeout=180) for p in (a, b)]
    codes = sorted([a.returncode, b.returncode])
    assert codes == [0, 3], outs
    loser = next(o for p, o in zip((a, b), outs) if p.returncode == 3)
    err = json.loads(loser[0].strip().splitlines()[-1])
    assert err["error"] == "publish-conflict" and "Fix:" in err["message"]
    pkg = portal.client().action.package_show(id=cfg["dataset"])
    assert pkg["version"] == "1.0.0"
    doc = httpx.get(next(r for r in pkg["resources"] if r["name"] == "versions.json")["url"]).json()
    assert len(doc["versions"]) == 1
