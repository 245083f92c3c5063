"""End-to-end benchmark (issue 7): `kaifang check` on a generated social-security dataset.

The bundled social-security definition (schema, suite, descriptor) is copied to a scratch
catalogue whose source file is the generated CSV; `kaifang check` then runs every stage
(extract → validate → classify → desensitize → build + verify the release bundle) in its own
process. Wall time and that process's peak RSS sit next to the floor (polars read_csv +
write_parquet zstd of the same file) measured in the same run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from bench.common import BENCH_DIR, Measure, each_run, interleaved, median_of, run_cmd, social_security_csv

TITLE = "End to end: `kaifang check` on generated social-security data (issue 7)"
NOTES = (
    "Goal: ≤ 3× the floor at 1M rows, linear growth to 5M, peak RSS ≤ 3× the CSV size. `check` and the floor run "
    "`KAIFANG_BENCH_REPEATS` times (default 3), interleaved (floor, check, floor, …, floor); the table gives the median "
    "time and median peak RSS of each, and every run's ratio (against the floors just before and after it). "
    "`check` includes the quality gate, personal-data classification, desensitization with k-anonymity (k=5) "
    "and verification re-scan, and writing the CSV and Parquet release files (hashed as written, re-hashed from disk, "
    "CSV records and Parquet footer checked)."
)
DATASET = "social-security-pension"


def scratch_catalog(csv: Path, root: Path) -> Path:
    """A datasets dir holding the bundled definition with the generated CSV as its source."""
    src = BENCH_DIR.parent / "datasets" / DATASET
    dst = root / "datasets" / DATASET
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("data"))
    (dst / "data").mkdir()
    target = dst / "data" / "pension_payments_2024.csv"
    os.symlink(csv, target)
    suite = json.loads((dst / "expectations.json").read_text(encoding="utf-8"))
    for exp in suite["expectations"]:  # the bundled suite bounds the row count of the small committed file
        if exp.get("type") == "expect_table_row_count_to_be_between":
            exp["kwargs"]["max_value"] = None
    (dst / "expectations.json").write_text(json.dumps(suite, ensure_ascii=False, indent=2), encoding="utf-8")
    return dst.parent


def run(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        csv = social_security_csv(n)
        mb = csv.stat().st_size / 2**20

        def check() -> Measure:
            with tempfile.TemporaryDirectory(prefix="kaifang-e2e-bench-") as tmp:
                root = Path(tmp)
                ddir = scratch_catalog(csv, root)
                env = {"KAIFANG_HMAC_KEY": secrets.token_hex(16)}
                return run_cmd(
                    [sys.executable, "-m", "kaifang.cli", "--json", "--datasets-dir", str(ddir), "--state-dir", str(root / "state"),
                     "check", DATASET, "--out", str(root / "out")],
                    env=env,
                )

        floors, checks = interleaved(csv, check)
        status = (checks[-1].output.get("outcomes") or [{}])[0].get("status", "?")
        base, m = median_of(floors), median_of(checks)
        rows.append({
            "rows": n,
            "csv_mb": round(mb, 1),
            "floor_s": round(base.seconds, 2),
            "check_s": round(m.seconds, 2),
            "× floor": round(m.seconds / base.seconds, 2),
            "× floor, each run": each_run(checks, floors),
            "rows/s": round(n / m.seconds),
            "µs/row": round(m.seconds / n * 1e6, 2),
            "peak_rss_mb": round(m.peak_rss_mb),
            "rss / csv": round(m.peak_rss_mb / mb, 2),
            "rss / csv, each run": ", ".join(f"{c.peak_rss_mb / mb:.2f}" for c in checks),
            "floor_rss_mb": round(base.peak_rss_mb),
            "status": status,
        })
        print(json.dumps(rows[-1]), flush=True)
    return rows


if __name__ == "__main__":
    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "100000").split(",")]
    print(json.dumps(run(sizes), indent=2))
