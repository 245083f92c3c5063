"""Manifest, lock, audit log and the CLI commands (store only, no portal)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kaifang.errors import PublishConflict
from kaifang.settings import Settings
from publish import audit
from publish.manifest import STEPS, Manifest, dataset_lock
from publish.release import build_release, publish_release
from tests.publish.helpers import DEID, LINEAGE, QUALITY, QUALITY_HTML, make_dataset, make_frame

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_records_steps_and_refuses_other_content(tmp_path):
    m = Manifest.open(tmp_path, "ds", "1.0.0", content_sha256="a" * 64, bundle_dir="/x")
    m.mark("plan", delivery="upload")
    m2 = Manifest.open(tmp_path, "ds", "1.0.0", content_sha256="a" * 64, bundle_dir="/x")
    assert m2.done("plan") and not m2.done("portal-package") and m2.output("plan") == {"delivery": "upload"}
    with pytest.raises(PublishConflict, match="unfinished release"):
        Manifest.open(tmp_path, "ds", "1.0.0", content_sha256="b" * 64, bundle_dir="/x")
    for s in STEPS[1:]:
        m2.mark(s)
    assert Manifest.load(tmp_path, "ds", "1.0.0").data["complete"]
    assert Manifest.unfinished(tmp_path, "ds") == []


def test_lock_is_exclusive_and_released(tmp_path):
    with dataset_lock(tmp_path, "ds"):
        with pytest.raises(PublishConflict) as e:
            with dataset_lock(tmp_path, "ds"):
                pass
        assert "another publish" in e.value.message and e.value.fix
        # a lock held by another process too
        code = "import sys; sys.path.insert(0, %r)\nfrom publish.manifest import dataset_lock\nfrom kaifang.errors import PublishConflict\n" \
               "try:\n  with dataset_lock(%r, 'ds'): sys.exit(0)\nexcept PublishConflict: sys.exit(7)" % (str(ROOT), str(tmp_path))
        assert subprocess.run([sys.executable, "-c", code]).returncode == 7
    with dataset_lock(tmp_path, "ds"):
        pass


def test_closed_release_audit_and_cli(tmp_path, monkeypatch):
    settings = Settings(state_dir=tmp_path / "state", store=None, steward="cli-steward")
    ds = make_dataset(tmp_path, open_condition="closed")
    b = build_release(ds, make_frame(), quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    r = publish_release(ds, b, settings)
    assert r.status == "closed"
    rec = audit.read(settings.state_dir, ds.id)[-1]
    assert rec["who"] == "cli-steward" and rec["action"] == "release" and rec["outcome"] == "published" and rec["portal"] is None
    assert rec["content_sha256"] == b.content_sha256 and len(rec["files"]) == 9 and rec["at"].endswith("Z")
    env = {**__import__("os").environ, "KAIFANG_STATE_DIR": str(settings.state_dir), "KAIFANG_STEWARD": "cli-steward"}
    env.pop("KAIFANG_STORE", None)
    out = subprocess.run([sys.executable, "-m", "kaifang.cli", "versions", ds.id, "--json"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["current"] == "1.0.0" and info["versions"][0]["status"] == "current" and len(info["versions"][0]["files"]) == 9
    out = subprocess.run([sys.executable, "-m", "kaifang.cli", "retract", ds.id, "9.9.9", "--reason", "x"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "no such version" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "kaifang.cli", "retract", ds.id, "1.0.0", "--reason", "leak drill"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "current is now none" in out.stdout
    lines = (settings.state_dir / "audit.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["action"] == "retract" and json.loads(lines[-1])["reason"] == "leak drill" and len(lines) == 2
    info = json.loads(subprocess.run([sys.executable, "-m", "kaifang.cli", "versions", ds.id, "--json"], cwd=ROOT, env=env, capture_output=True, text=True).stdout)
    assert info["current"] is None and info["versions"][0]["status"] == "retracted"


def test_abandon_unfinished_release_with_other_content(tmp_path):
    """A crashed release whose data then changed: the re-run stops with a clear conflict; retract abandons it;
    the next build takes a fresh version number."""
    from publish import manifest as mf
    from publish.retract import retract
    from publish.storage import open_store
    import polars as pl

    settings = Settings(state_dir=tmp_path / "state", store=None, steward="s")
    ds = make_dataset(tmp_path, open_condition="closed")
    f1 = make_frame()
    publish_release(ds, build_release(ds, f1, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings), settings)
    f2 = f1.with_columns((pl.col("contributors") + 1).alias("contributors"))
    b2 = build_release(ds, f2, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)

    class Crash(Exception):
        pass

    def boom(self, step):
        if step == "objects-written":
            raise Crash()

    orig = mf.Manifest.after_mark
    mf.Manifest.after_mark = boom
    try:
        with pytest.raises(Crash):
            publish_release(ds, b2, settings)
    finally:
        mf.Manifest.after_mark = orig
    store = open_store(None, settings)
    assert len(store.list(f"{ds.id}/1.0.1")) == 9
    f3 = f1.with_columns((pl.col("contributors") + 2).alias("contributors"))
    b3 = build_release(ds, f3, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    assert b3.version == "1.0.1"
    with pytest.raises(PublishConflict, match="unfinished release"):
        publish_release(ds, b3, settings)
    out = retract(ds.id, "1.0.1", reason="abandon crashed release", settings=settings)
    assert out["abandoned"] and len(out["removed_objects"]) == 9 and store.list(f"{ds.id}/1.0.1") == []
    b4 = build_release(ds, f3, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, settings=settings)
    assert b4.version == "1.0.2"
    assert publish_release(ds, b4, settings).version == "1.0.2"
    assert [r["outcome"] for r in audit.read(settings.state_dir, ds.id)] == ["published", "failed", "failed", "abandoned", "published"]
