"""`make bench`: every benchmark section, results written to bench/results.md.

Sections are modules under bench/ exposing ``TITLE`` and ``run(sizes) -> list[dict]`` (one row
per measurement, ratios against a floor measured in the same run). Choose sections with
``KAIFANG_BENCH_SECTIONS=quality,privacy`` and sizes with ``KAIFANG_BENCH_SIZES=100000,1000000``.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from bench.common import BENCH_DIR, machine_info, sizes_from_env

SECTIONS = ["portal_bench", "extract_bench", "quality_bench", "privacy_bench", "e2e_bench", "catalog_bench", "publish_bench", "datastore_bench"]


def _table(rows: list[dict]) -> str:
    if not rows:
        return "_no rows_\n"
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        out.append("| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |")
    return "\n".join(out) + "\n"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def previous_sections(path: Path) -> dict[str, str]:
    """Section title → its text (table and notes) from an earlier results.md."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for chunk in path.read_text(encoding="utf-8").split("\n## ")[1:]:
        title, _, body = chunk.partition("\n")
        out[title.strip()] = body
    return out


def main(argv: list[str] | None = None) -> int:
    wanted = [s.strip() for s in os.environ.get("KAIFANG_BENCH_SECTIONS", "").split(",") if s.strip()]
    sizes = sizes_from_env()
    info = machine_info()
    stamp = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    earlier = previous_sections(BENCH_DIR / "results.md")
    parts = [
        "# Kaifang benchmarks\n",
        "Written by `make bench` (sections chosen with `KAIFANG_BENCH_SECTIONS` keep the others from their earlier run; "
        "each section says when it ran). Every ratio is against a floor (polars read_csv + write_parquet zstd of the "
        "same file) measured in the same run as the figure.\n",
        "## Machine\n",
        _table([info]),
    ]
    failures = 0
    for name in SECTIONS:
        short = name.removesuffix("_bench")
        if wanted and short not in wanted and name not in wanted:
            module = importlib.import_module(f"bench.{name}")
            if module.TITLE in earlier:
                parts.append(f"## {module.TITLE}\n{earlier[module.TITLE].rstrip()}\n")
            continue
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                continue
            raise
        print(f"== {module.TITLE}", flush=True)
        try:
            rows = module.run(sizes)
        except Exception:  # a failing section is reported, the others still run
            failures += 1
            traceback.print_exc()
            parts.append(f"## {module.TITLE}\n\n**failed** — see `make bench` output.\n")
            continue
        print(json.dumps(rows, ensure_ascii=False, default=str), flush=True)
        notes = getattr(module, "NOTES", "")
        parts.append(f"## {module.TITLE}\n\n_Run {stamp}._ {notes}\n\n{_table(rows)}")
    (BENCH_DIR / "results.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {BENCH_DIR / 'results.md'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
