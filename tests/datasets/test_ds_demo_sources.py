"""demo_sources up/status/down: real pgserver, demo API process and moto_server process, idempotent."""

from __future__ import annotations

import pytest

from pipelines.descriptor import load_registry
from pipelines.extract import extract
from pipelines.extract import demo_sources as demo

from .conftest import DATASETS


@pytest.mark.timeout(180)
def test_up_seeds_three_sources_idempotently_then_down(tmp_path, monkeypatch):
    for var in ("KAIFANG_DEMO_PG_URL", "KAIFANG_DEMO_API_URL", "KAIFANG_DEMO_S3_ENDPOINT", "KAIFANG_DEMO_S3_BUCKET"):
        monkeypatch.delenv(var, raising=False)
    state = tmp_path / "state"
    try:
        env = demo.up(state, DATASETS)
        again = demo.up(state, DATASETS)  # reuses the running servers
        assert again["KAIFANG_DEMO_API_URL"] == env["KAIFANG_DEMO_API_URL"]
        assert again["KAIFANG_DEMO_S3_ENDPOINT"] == env["KAIFANG_DEMO_S3_ENDPOINT"]
        st = demo.status(state)
        assert st["postgres"] and st["api"] and st["s3"]
        reg = load_registry(DATASETS)
        # placeholders resolve from <state>/demo_sources/env.json; every bundled dataset extracts with
        # exactly its schema's columns, in order
        tables = {k: extract(ds, state).table for k, ds in reg.items()}
        for k, t in tables.items():
            assert t.columns == [f["name"] for f in reg[k].schema["fields"]], k
            assert t.height >= 100, k
        assert tables["health-infectious-disease-reports"].height == 800
        assert tables["employment-job-postings"].height == 640
        assert tables["civil-affairs-subsistence-allowance"].height == 1200
    finally:
        stopped = demo.down(state)
    assert stopped == {"postgres": True, "api": True, "s3": True}
    st = demo.status(state)
    assert not (st["postgres"] or st["api"] or st["s3"])
