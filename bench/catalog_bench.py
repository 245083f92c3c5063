"""Publishing benchmark (issue 7): every bundled dataset to the local portal, 1 vs 4 concurrent tasks.

Each run publishes the bundled catalogue under fresh ids (a scratch copy, fresh state dir and
store) through `kaifang publish --all --concurrency N` — the Prefect flow with its thread task
runner — against the running local portal and demo sources (both started if needed).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from bench.common import BENCH_DIR, run_cmd

TITLE = "Publishing the bundled catalogue to the local portal: 1 vs 4 concurrent tasks (issue 7)"
NOTES = "Wall time of `kaifang publish --all` including Prefect's ephemeral API start-up (a fresh PREFECT_HOME each run)."
REPO = BENCH_DIR.parent


def _scratch(root: Path, suffix: str) -> Path:
    ddir = root / "datasets"
    for src in sorted((REPO / "datasets").iterdir()):
        if (src / "dataset.yaml").exists():
            dst = ddir / f"{src.name}-{suffix}"
            shutil.copytree(src, dst)
            y = dst / "dataset.yaml"
            y.write_text(re.sub(rf"^id:\s*{re.escape(src.name)}\s*$", f"id: {dst.name}", y.read_text(encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
    return ddir


def run(sizes: list[int]) -> list[dict]:
    from kaifang.settings import Settings
    from pipelines.extract import demo_sources
    from portal import manager

    settings = Settings()
    status = manager.up(settings)
    demo_env = {k: v for k, v in demo_sources.up(settings.state_dir, REPO / "datasets").items() if not k.startswith("_")}
    rows = []
    for concurrency in (1, 4):
        with tempfile.TemporaryDirectory(prefix="kaifang-catalog-bench-") as tmp:
            root = Path(tmp)
            ddir = _scratch(root, f"b{uuid.uuid4().hex[:6]}")
            env = {
                **demo_env,
                "KAIFANG_PORTAL_URL": status.url,
                "KAIFANG_CKAN_TOKEN": manager.read_token(settings),
                "KAIFANG_HMAC_KEY": secrets.token_hex(16),
                "PREFECT_HOME": str(root / "prefect"),
            }
            m = run_cmd([sys.executable, "-m", "kaifang.cli", "--json", "--datasets-dir", str(ddir), "--state-dir", str(root / "state"),
                         "publish", "--all", "--concurrency", str(concurrency)], env=env)
            outcomes = m.output.get("outcomes", [])
            rows.append({
                "concurrency": concurrency,
                "datasets": len(outcomes),
                "published": sum(o["status"] == "published" for o in outcomes),
                "kept internal": sum(o["status"] == "kept-internal" for o in outcomes),
                "seconds": round(m.seconds, 1),
                "peak_rss_mb": round(m.peak_rss_mb),
            })
            print(json.dumps(rows[-1]), flush=True)
    return rows


if __name__ == "__main__":
    print(json.dumps(run([]), indent=2))
