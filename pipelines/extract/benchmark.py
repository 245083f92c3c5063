"""Benchmark section for extraction and the fake-data generator (for ``python -m bench.run``).

Exposes ``TITLE``, ``NOTES`` and ``run(sizes) -> list[dict]`` like the modules under ``bench/``;
``bench/extract_bench.py`` only needs ``from pipelines.extract.benchmark import TITLE, NOTES, run``.
Each step runs in its own subprocess (``bench.common.run_python``) and times the work inside the
child (interpreter start and imports excluded, for the floor and for us alike):

* floor — ``pl.read_csv(infer_schema=False)`` + ``write_parquet(zstd)`` of the UTF-8 file, before and after;
* csv utf-8 / csv gbk — the csv connector's path (``csv_file.read`` with a state dir): a kernel-side
  copy into ``raw/`` hashed in the background, then ``parse_csv_file`` of that snapshot (encoding
  detection, header, ragged-row check, all-Utf8 table; UTF-8 with polars when byte counts prove
  every record complete, else pyarrow);
* synth — ``pipelines.synth.social_security_frame(n)`` (rows/s).

Goal: extraction of UTF-8 input ≤ 2 × floor; GBK adds one decode/encode pass.
Run alone: ``python -m pipelines.extract.benchmark 100000 1000000``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

TITLE = "Extraction (csv connector, raw snapshot) and fake-data generation"
NOTES = ("ratio_vs_floor = step seconds / mean(floor before, floor after); floor = polars read_csv(infer_schema=False) + "
         "write_parquet(zstd) of the UTF-8 file. Extraction = the csv connector: raw snapshot (kernel copy, sha256 in the "
         "background) + decode/detect + parse of the snapshot to all-Utf8. "
         "Goal: utf-8 ≤ 2 × floor.")

_FLOOR = """
import json, sys, time, polars as pl
t = time.perf_counter()
pl.read_csv(sys.argv[1], infer_schema=False).write_parquet(sys.argv[2], compression="zstd")
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

_EXTRACT = """
import json, sys, time
from pathlib import Path
from pipelines.extract.csv_file import parse_csv_file, CsvParseOptions
from pipelines.extract.lineage import staged_raw_copy
t = time.perf_counter()
with staged_raw_copy(sys.argv[2], Path(sys.argv[1])) as staged:  # what the csv connector does (csv_file.read)
    frame, details = parse_csv_file(staged.path, CsvParseOptions(), source=sys.argv[1])
    staged.commit()
print(json.dumps({"seconds": time.perf_counter() - t, "rows": frame.height, "encoding": details["encoding"]}))
"""

_SYNTH = """
import json, sys, time
from pipelines.synth import social_security_frame
t = time.perf_counter()
f = social_security_frame(int(sys.argv[1]), seed=1)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": f.height}))
"""


def _gbk_copy(src: Path) -> Path:
    out = src.with_name(src.stem + ".gbk.csv")
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(src.read_bytes().decode("utf-8").encode("gb18030"))
        tmp.replace(out)
    return out


def run(sizes: list[int]) -> list[dict]:
    from bench.common import run_python, social_security_csv

    rows: list[dict] = []
    for n in sizes:
        csv = social_security_csv(n)
        gbk = _gbk_copy(csv)
        with tempfile.TemporaryDirectory() as state:
            before = run_python(_FLOOR, str(csv), str(csv.with_suffix(".floor.parquet")))
            steps = {
                "csv utf-8": run_python(_EXTRACT, str(csv), state),
                "csv gbk": run_python(_EXTRACT, str(gbk), state),
            }
            after = run_python(_FLOOR, str(csv), str(csv.with_suffix(".floor.parquet")))
        floor_s = (before.output["seconds"] + after.output["seconds"]) / 2
        rows.append({"rows": n, "step": "floor", "seconds": floor_s, "rows_per_s": n / floor_s, "ratio_vs_floor": 1.0,
                     "peak_rss_mb": max(before.peak_rss_mb, after.peak_rss_mb)})
        for name, m in steps.items():
            s = m.output["seconds"]
            rows.append({"rows": n, "step": name, "seconds": s, "rows_per_s": n / s, "ratio_vs_floor": s / floor_s,
                         "peak_rss_mb": m.peak_rss_mb})
        m = run_python(_SYNTH, str(n))
        s = m.output["seconds"]
        rows.append({"rows": n, "step": "synth social_security_frame", "seconds": s, "rows_per_s": n / s, "ratio_vs_floor": "",
                     "peak_rss_mb": m.peak_rss_mb})
    return rows


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    print(json.dumps(run(sizes), indent=2))
