"""Raw snapshots are content-addressed; lineage records are complete and carry no secrets."""

from __future__ import annotations

import hashlib
import json

from pipelines.extract import extract
from pipelines.extract.common import redact_url
from pipelines.extract.lineage import latest_lineage

DATA = "编号,名称\n1,图书馆\n2,体育馆\n".encode("gbk")


def test_raw_stored_by_sha256_and_lineage_saved(make_dataset, state_dir):
    ds = make_dataset({"connector": "csv", "options": {"path": "data/in.csv"}}, files={"data/in.csv": DATA})
    ex = extract(ds, state_dir)
    sha = hashlib.sha256(DATA).hexdigest()
    assert ex.raw_path == state_dir / "raw" / sha and ex.raw_path.read_bytes() == DATA
    rec = json.loads(ex.lineage_path.read_text())
    assert rec["shape"] == "kaifang.lineage/1"
    for key in ("dataset", "connector", "locator", "bytes", "rows", "sha256", "extracted_at", "code_version"):
        assert rec[key] not in (None, "")
    assert rec["sha256"] == sha and rec["bytes"] == len(DATA) and rec["rows"] == 2 and rec["connector"] == "csv"
    assert rec["code_version"].startswith("kaifang ")
    assert rec["extracted_at"].endswith("Z")
    assert latest_lineage(state_dir, ds.id)["sha256"] == sha


def test_same_content_same_snapshot_new_lineage(make_dataset, state_dir):
    ds = make_dataset({"connector": "csv", "options": {"path": "data/in.csv"}}, files={"data/in.csv": DATA})
    a = extract(ds, state_dir)
    b = extract(ds, state_dir)
    assert a.raw_path == b.raw_path and len(list((state_dir / "raw").iterdir())) == 1
    assert a.lineage_path != b.lineage_path and len(list((state_dir / "lineage" / ds.id).iterdir())) == 2


def test_locators_drop_credentials_and_query():
    assert redact_url("https://user:pw@api.example.cn:8443/v1/jobs?token=abc#x") == "https://api.example.cn:8443/v1/jobs"
