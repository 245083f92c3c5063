"""Privacy stage benchmark: scan + desensitize the generated social-security table, against the floor.

Goal (issue 5): scan + desensitize (+ re-scan verification) of a 1M-row table with ID, mobile, card,
name, address and free-text columns in ≤ 2× the floor (polars read_csv + write_parquet of the same
file) measured in the same run. Each step runs in its own subprocess (bench.common).

Run alone: ``.venv/bin/python -m bench.privacy_bench 100000,1000000``.
"""

from __future__ import annotations

import json
import sys

from bench.common import each_run, interleaved, median_of, run_python, social_security_csv
from pipelines.synth import social_security_privacy_schema

TITLE = "Privacy: scan + desensitize (issue 5)"
NOTES = ("`privacy.apply` = read CSV (all Utf8) → classify (full scan of public/kept/free-text columns, 20k-row sample of "
         "columns whose method replaces every value) → pseudonymize ID, mask name/mobile, surrogate card, generalize "
         "birth date/address, free-text masking of remarks → verification re-scan of every output row and column → "
         "write Parquet (zstd level 1, as release files are written); the frame is handed over as `run_pipeline` does (each replaced input column released once its output "
         "exists). `scan_frame` = read + full scan of all 16 columns. Each step and the floor run `KAIFANG_BENCH_REPEATS` times "
         "(default 3), interleaved; `seconds` and `x_floor` are medians, `x_floor_each_run` every run against the floors just before "
         "and after it. Goal: `privacy.apply` ≤ 2.0 × floor.")
MAX_ROWS = 2_000_000  # larger sizes are skipped: 2 shared cores

SCHEMA = social_security_privacy_schema()

_APPLY = """
import json, sys, time, polars as pl
from kaifang.frames import PARQUET_WRITE
from pipelines.privacy.desensitize import apply
schema = json.loads(sys.argv[3]); disclosure = json.loads(sys.argv[4])
t = time.perf_counter()
# handed over in a list, as run_pipeline does: replaced input columns are released early
out, record = apply([pl.read_csv(sys.argv[1], infer_schema=False)], schema, disclosure, key=b"benchmark-key-not-a-secret-0123456789")
out.write_parquet(sys.argv[2], **PARQUET_WRITE)  # as the release Parquet is written
print(json.dumps({"rows_out": out.height, "k_achieved": record.control.get("k_achieved"), "inner_s": time.perf_counter() - t}))
"""

_SCAN = """
import json, sys, polars as pl
from pipelines.privacy.detect import scan_frame
frame = pl.read_csv(sys.argv[1], infer_schema=False)
print(json.dumps({"findings": len(scan_frame(frame))}))
"""


def run(sizes: list[int]) -> list[dict]:
    rows: list[dict] = []
    for n in sizes:
        if n > MAX_ROWS:
            rows.append({"rows": n, "step": "skipped", "note": f"> {MAX_ROWS:,} rows on 2 shared cores"})
            continue
        csv = social_security_csv(n)
        out = csv.with_suffix(".privacy.parquet")
        steps = [
            ("privacy.apply (no disclosure)", _APPLY, [str(csv), str(out), json.dumps(SCHEMA), "null"]),
            ("privacy.apply + k-anonymity k=5", _APPLY, [str(csv), str(out), json.dumps(SCHEMA), json.dumps({"kind": "microdata", "k": 5})]),
            ("scan_frame (all columns)", _SCAN, [str(csv)]),
        ]
        floors, runs = interleaved(csv, lambda: {name: run_python(code, *args) for name, code, args in steps})
        measured = {name: [r[name] for r in runs] for name, _, _ in steps}
        base = median_of(floors)
        rows.append({"rows": n, "step": "floor: read_csv + write_parquet", "seconds": round(base.seconds, 2),
                     "rows_per_s": round(n / base.seconds), "x_floor": 1.0, "x_floor_each_run": "", "peak_rss_mb": round(base.peak_rss_mb)})
        for name, runs in measured.items():
            m = median_of(runs)
            rows.append({"rows": n, "step": name, "seconds": round(m.seconds, 2), "rows_per_s": round(n / m.seconds),
                         "x_floor": round(m.seconds / base.seconds, 2), "x_floor_each_run": each_run(runs, floors),
                         "peak_rss_mb": round(m.peak_rss_mb),
                         "note": ", ".join(f"{k}={v}" for k, v in m.output.items() if k != "inner_s")})
    return rows


if __name__ == "__main__":
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "100000").split(",")]
    for row in run(sizes):
        print(json.dumps(row, ensure_ascii=False))
