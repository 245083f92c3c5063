"""Local CKAN portal: `portal up` from nothing (venv already installed), RSS, package_create and
package_search latency over HTTP with the PostgreSQL index (no Solr).

Runs a throw-away portal in a temporary state dir on a free port, sharing the installed portal
venv, and wipes it afterwards. ``KAIFANG_BENCH_PORTAL_DATASETS`` sets the corpus size (default 500).
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import tempfile
import time
from pathlib import Path

TITLE = "Local CKAN portal (PostgreSQL index, no Solr)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ms(fn, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1000


def run(sizes: list[int]) -> list[dict]:
    import ckanapi

    from kaifang.settings import Settings
    from portal import manager
    from portal.config import PortalConfig

    n_datasets = int(os.environ.get("KAIFANG_BENCH_PORTAL_DATASETS", "500"))
    shared = PortalConfig.from_settings(Settings())
    manager.ensure_installed(shared, echo=lambda m: None)  # the pip install is not part of "up"
    root = Path(tempfile.mkdtemp(prefix="kaifang-portal-bench-"))
    root.chmod(0o755)
    cfg = PortalConfig(state_dir=root / "portal", port=_free_port(), venv_dir=shared.venv)
    rows: list[dict] = []
    try:
        t = time.perf_counter()
        st = manager.up(cfg, echo=lambda m: None)
        up_s = time.perf_counter() - t
        rows.append({"step": "portal up from nothing (venv installed)", "value": round(up_s, 2), "unit": "s",
                     "detail": ", ".join(f"{k}={v}" for k, v in st.timings.items())})
        rows.append({"step": "portal memory after start, PSS (gunicorn + workers, PostgreSQL, Redis)",
                     "value": st.rss_mb, "unit": "MB", "detail": f"{cfg.workers} workers"})
        c = ckanapi.RemoteCKAN(cfg.url, apikey=manager.read_token(cfg))
        c.action.organization_create(name="bench-org", title="基准部门")
        rng = random.Random(1)
        words = ["城乡居民基本养老保险", "失业保险金", "医疗保险", "公共租赁住房", "pension", "housing"]
        t = time.perf_counter()
        for i in range(n_datasets):
            c.action.package_create(name=f"bench-{i:05d}", owner_org="bench-org",
                                    title=f"{rng.choice(words)} {i}", notes=rng.choice(words) * 3,
                                    tags=[{"name": rng.choice(["社保", "民生", "annual"])}],
                                    resources=[{"url": "http://example.invalid/x.csv", "format": "CSV"}])
        create_ms = (time.perf_counter() - t) / n_datasets * 1000
        rows.append({"step": "package_create", "value": round(create_ms, 1), "unit": "ms/call",
                     "detail": f"{n_datasets} datasets, 1 resource, 1 tag"})
        facets = {"facet.field": '["tags","organization","res_format","license_id"]'}
        for label, kw in [("package_search q=养老 (2 CJK chars) + facets", {"q": "养老", **facets}),
                          ("package_search fq tags + res_format + facets", {"fq": "tags:社保 res_format:CSV", **facets}),
                          ("package_search all, sort title, rows=100", {"sort": "title_string asc", "rows": 100}),
                          ("package_autocomplete 养老", None)]:
            if kw is None:
                ms = _ms(lambda: c.action.package_autocomplete(q="养老"), 30)
            else:
                ms = _ms(lambda kw=kw: c.action.package_search(**kw), 30)
            rows.append({"step": label, "value": round(ms, 1), "unit": "ms/call", "detail": f"{n_datasets} datasets"})
        st = manager.status(cfg)
        rows.append({"step": "portal memory after the run, PSS", "value": st.rss_mb, "unit": "MB", "detail": ""})
    finally:
        manager.reset(cfg, echo=lambda m: None)
        shutil.rmtree(root, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for r in run([]):
        print(r)
