"""Publish benchmark: building a release bundle (CSV with formula escaping, Parquet, sha256 as written
and re-hashed from disk, row diff by primary key against the previous release) and writing it to the local
object store, against the polars floor (read_csv + write_parquet zstd) of the same data.

Each step runs in its own subprocess (own peak RSS); times are measured inside the child around the
work (imports excluded). Goal: bundle + diff + store ≤ 3 × floor; time linear in rows.
Run: ``python -m bench.publish_bench [sizes…]`` or via ``python -m bench.run``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bench.common import run_python, sizes_from_env

TITLE = "Publish: release bundle + row diff + local object store"
NOTES = ("ratio_vs_floor = (bundle build incl. diff against the previous release + store writes) / floor, where floor = polars "
         "read_csv + write_parquet(zstd) of the same rows, both measured inside their own child. Goal: ratio ≤ 3.")

_CHILD = r"""
import json, sys, time, datetime as dt
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import polars as pl
n, work = int(sys.argv[1]), Path(sys.argv[2])
i = pl.int_range(0, n, eager=True)
frame = pl.DataFrame({
    "record_id": i,
    "district": "区" + (i % 97).cast(pl.Utf8),
    "month": pl.Series([dt.date(2024, 1, 1)] * n),
    "contributors": (i * 7) % 1000,
    "amount": i.cast(pl.Float64) * 1.5,
    "note": pl.Series(["=SUM(A1)" if k % 1000 == 0 else "ok" for k in range(n)]),
    "person_id": "P" + i.cast(pl.Utf8),
})
if sys.argv[4] == "floor":
    frame.write_csv(work / "in.csv")
    t = time.perf_counter()
    pl.read_csv(work / "in.csv").write_parquet(work / "floor.parquet", compression="zstd")
    print(json.dumps({"seconds": time.perf_counter() - t}))
    sys.exit(0)
from types import SimpleNamespace as NS
from publish.bundle import build, PreviousRelease
from publish.storage import LocalStore
schema = {"fields": [{"name": c, "type": "string", "sensitivity": "public"} for c in frame.columns], "primaryKey": ["record_id"]}
schema["fields"][-1].update(sensitivity="direct-identifier", desensitize={"method": "pseudonymize"})
desc = NS(id="bench", title="bench", title_en="bench", description="", department=NS(id="d", name="d", name_en="d"), theme="t",
          keywords=[], license="cc-by", open_condition="unconditional", update_frequency="monthly", temporal=None, spatial="", contact="")
ds = NS(id="bench", dir=work, descriptor=desc, schema=schema)
DEID, QUALITY, QUALITY_HTML, LINEAGE = {"fields": {"person_id": {"method": "pseudonymize"}}}, {"score": 99}, "<html></html>", {"raw": "x"}
prev_frame = frame.with_columns(pl.when(pl.col("record_id") % 100 == 0).then(0).otherwise(pl.col("contributors")).alias("contributors"))
b0 = build(ds, prev_frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, staging_dir=work / "staging")
prev = PreviousRelease(b0.version, b0.content_sha256, b0.public_schema, pl.read_parquet(b0.path("bench.parquet")))
store = LocalStore(work / "store")
t = time.perf_counter()
b = build(ds, frame, quality=QUALITY, quality_html=QUALITY_HTML, deid=DEID, lineage=LINEAGE, staging_dir=work / "staging", previous=prev)
t_build = time.perf_counter() - t
for f in b.files:
    store.put(f"bench/{b.version}/{f.name}", b.path(f.name), sha256=f.sha256)
total = time.perf_counter() - t
print(json.dumps({"seconds": total, "build_seconds": t_build, "version": b.version, "changed": b.changelog["rows"]["changed"],
                  "csv_mb": b.file("data-csv").bytes / 1e6}))
"""


def run(sizes: list[int]) -> list[dict]:
    repo = str(Path(__file__).resolve().parent.parent)
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            floor = run_python(_CHILD, str(n), tmp, repo, "floor")
        with tempfile.TemporaryDirectory() as tmp:
            ours = run_python(_CHILD, str(n), tmp, repo, "ours")
        fs, o = floor.output["seconds"], ours.output
        rows.append({
            "rows": n, "floor_s": fs, "bundle_s": o["build_seconds"], "bundle+store_s": o["seconds"],
            "rows_per_s": n / o["seconds"], "ratio_vs_floor": o["seconds"] / fs, "peak_rss_mb": ours.peak_rss_mb,
            "csv_mb": o["csv_mb"], "changed_rows_found": o["changed"], "version": o["version"],
        })
    return rows


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or sizes_from_env("100000,1000000")
    print(json.dumps(run(sizes), indent=2))
