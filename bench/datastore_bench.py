"""DataStore benchmark: loading a generated social-security table (its public columns, typed, as a
release publishes them) into the local portal's CKAN DataStore through the Action API
(``publish.datastore.load.load_parquet``: datastore_create + batched datastore_upsert), against the
floor of a plain PostgreSQL ``COPY`` of the same rows (CSV) into the same DataStore database.

Each step runs in its own subprocess (own peak RSS); times are measured inside the child around the
work (imports excluded). The portal is the shared local one (``kaifang portal up``); the benchmark
creates a throw-away dataset and deletes its table afterwards.
Run: ``python -m bench.datastore_bench [sizes…]`` or via ``python -m bench.run``.
"""

from __future__ import annotations

import configparser
import json
import os
import sys
import uuid
from pathlib import Path

from bench.common import DATA_DIR, run_python, sizes_from_env

TITLE = "DataStore: typed table loaded through the CKAN Action API vs PostgreSQL COPY"
NOTES = ("Rows: the public columns of `pipelines.synth.social_security_frame` (8 columns: codes as text, amount numeric, "
         "paid_date date, primary key record_id), streamed from Parquet in batches of `batch_rows` (JSON over HTTP to the "
         "portal's 2 gunicorn workers). floor = psycopg2 `COPY … FROM STDIN (FORMAT csv)` of the same rows into a table with "
         "the same types and primary key in the same DataStore database. ratio_vs_floor = api seconds / COPY seconds. "
         "peak_rss_mb is the client process (the portal's own memory is not counted).")

PUBLIC = ["record_id", "district_code", "street_code", "insurance_type", "benefit_month", "amount", "paid_date", "status"]
SCHEMA = {
    "fields": [
        {"name": "record_id", "type": "string", "title": "记录编号"},
        {"name": "district_code", "type": "string", "title": "区县代码"},
        {"name": "street_code", "type": "string", "title": "街道代码"},
        {"name": "insurance_type", "type": "string", "title": "险种"},
        {"name": "benefit_month", "type": "yearmonth", "title": "待遇月份"},
        {"name": "amount", "type": "number", "title": "金额", "unit": "元"},
        {"name": "paid_date", "type": "date", "title": "发放日期"},
        {"name": "status", "type": "string", "title": "状态"},
    ],
    "primaryKey": ["record_id"],
}

_PREPARE = r"""
import sys
import polars as pl
from pipelines.synth import social_security_frame
n, pq, csv = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cols = sys.argv[4].split(",")
f = social_security_frame(n, seed=11).select(cols).with_columns(
    pl.col("amount").cast(pl.Decimal(12, 2)), pl.col("paid_date").str.to_date("%Y-%m-%d", strict=False))
f.write_parquet(pq)
f.write_csv(csv, date_format="%Y-%m-%d")
"""

_LOAD = r"""
import json, sys, time
from pathlib import Path
from publish.ckan.client import Portal
from publish.datastore import DatastoreSettings
from publish.datastore.load import load_parquet, portal_caller
url, rid, pq, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
schema = json.loads(sys.argv[5])
import os
portal = Portal(url, os.environ["KF_BENCH_TOKEN"], timeout=600)
t = time.perf_counter()
res = load_parquet(portal_caller(portal), rid, Path(pq), schema, DatastoreSettings(batch_rows=batch, max_rows=10**9))
print(json.dumps({"seconds": time.perf_counter() - t, "rows": res.rows, "batches": res.batches}))
"""

_COPY = r"""
import json, os, sys, time
import psycopg2
csv, table = sys.argv[1], sys.argv[2]
conn = psycopg2.connect(os.environ["KF_BENCH_DS_URL"])
cur = conn.cursor()
t = time.perf_counter()
cur.execute(f'CREATE TABLE "{table}" (record_id text PRIMARY KEY, district_code text, street_code text, insurance_type text, '
            'benefit_month text, amount numeric, paid_date date, status text)')
with open(csv, encoding="utf-8") as fh:
    cur.copy_expert(f'COPY "{table}" FROM STDIN WITH (FORMAT csv, HEADER true)', fh)
conn.commit()
secs = time.perf_counter() - t
cur.execute(f'SELECT count(*) FROM "{table}"')
n = cur.fetchone()[0]
cur.execute(f'DROP TABLE "{table}"')
conn.commit()
print(json.dumps({"seconds": secs, "rows": n}))
"""


def _datastore_url() -> str:
    """The DataStore write URL from the local portal's ckan.ini (a secret: passed by env, never printed)."""
    from kaifang.settings import Settings
    from portal.config import PortalConfig

    cfg = PortalConfig.from_settings(Settings())
    ini = configparser.RawConfigParser(strict=False)
    ini.read(cfg.ini_path)
    return ini.get("app:main", "ckan.datastore.write_url")


def _prepare(n: int) -> tuple[Path, Path]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    pq, csv = DATA_DIR / f"datastore-{n}.parquet", DATA_DIR / f"datastore-{n}.csv"
    if not (pq.exists() and csv.exists()):
        run_python(_PREPARE, str(n), str(pq), str(csv), ",".join(PUBLIC))
    return pq, csv


def run(sizes: list[int]) -> list[dict]:
    import ckanapi

    from kaifang.settings import Settings
    from portal import manager

    settings = Settings()
    st = manager.up(settings, echo=lambda m: None)
    token = manager.read_token(settings)
    batch = int(os.environ.get("KAIFANG_BENCH_DATASTORE_BATCH", "10000"))
    env = {"KF_BENCH_TOKEN": token, "KF_BENCH_DS_URL": _datastore_url()}
    ck = ckanapi.RemoteCKAN(st.url, apikey=token)
    suffix = uuid.uuid4().hex[:8]
    org = ck.action.organization_create(name=f"bench-ds-{suffix}", title="DataStore 基准")
    pkg = ck.action.package_create(name=f"bench-ds-{suffix}", owner_org=org["id"], private=True)
    rows: list[dict] = []
    try:
        for n in sizes:
            pq, csv = _prepare(n)
            res = ck.action.resource_create(package_id=pkg["id"], name=f"rows-{n}.csv", url="", format="CSV")
            try:
                api = run_python(_LOAD, st.url, res["id"], str(pq), str(batch), json.dumps(SCHEMA), env=env)
                got = ck.action.datastore_search(resource_id=res["id"], limit=0, include_total=True)["total"]
                if got != n:
                    raise RuntimeError(f"DataStore holds {got} rows, expected {n}")
            finally:
                try:
                    ck.action.datastore_delete(resource_id=res["id"], force=True)
                except ckanapi.NotFound:
                    pass
            floor = run_python(_COPY, str(csv), f"bench_copy_{suffix}_{n}", env=env)
            a, f = api.output["seconds"], floor.output["seconds"]
            rows.append({"rows": n, "step": "floor: PostgreSQL COPY (CSV) into the DataStore database", "seconds": round(f, 2),
                         "rows_per_s": round(n / f), "peak_rss_mb": round(floor.peak_rss_mb, 1), "ratio_vs_floor": 1.0})
            rows.append({"rows": n, "step": f"Action API: datastore_create + datastore_upsert × {api.output['batches']} (batch {batch})",
                         "seconds": round(a, 2), "rows_per_s": round(n / a), "peak_rss_mb": round(api.peak_rss_mb, 1),
                         "ratio_vs_floor": round(a / f, 1)})
    finally:
        ck.action.dataset_purge(id=pkg["id"])
        ck.action.organization_purge(id=org["id"])
    return rows


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or sizes_from_env("100000,1000000")
    print(json.dumps(run(sizes), ensure_ascii=False, indent=1))
