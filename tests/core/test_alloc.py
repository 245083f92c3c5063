"""Freed memory goes back to the system within a second (kaifang/_alloc.py)."""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = r"""
import time
import {first}
import polars as pl

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024

base = rss_mb()
frame = pl.DataFrame({{"s": pl.int_range(0, 3_000_000, eager=True).cast(pl.Utf8) + "-padding-to-the-heap"}})
held = rss_mb() - base
del frame
time.sleep(1.5)
pl.DataFrame({{"x": [1]}}).sum()  # one more allocation: jemalloc purges on its allocation ticks
print(held, rss_mb() - base)
"""


def _probe(first: str, env: dict[str, str] | None = None) -> tuple[float, float]:
    full = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"} | (env or {})
    out = subprocess.run([sys.executable, "-c", _PROBE.format(first=first)], capture_output=True, text=True, env=full,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    held, left = map(float, out.stdout.split())
    return held, left


def test_the_applications_set_the_allocator_before_polars_loads_and_the_libraries_do_not():
    """``kaifang`` (the CLI) and ``flows``: unset, or inherited from a parent that imported polars
    (polars exports its own default), the variable gets kaifang's value; a user's own value is kept.
    The libraries leave it alone."""
    base = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    cases = [({}, "dirty_decay_ms:100,muzzy_decay_ms:0"),
             ({"_RJEM_MALLOC_CONF": "dirty_decay_ms:500,muzzy_decay_ms:1000"}, "dirty_decay_ms:100,muzzy_decay_ms:0"),
             ({"_RJEM_MALLOC_CONF": "narenas:2"}, "narenas:2")]
    for pkg in ("kaifang.cli", "flows"):
        for extra, expected in cases:
            out = subprocess.run([sys.executable, "-c", f"import os, {pkg}; print(os.environ['_RJEM_MALLOC_CONF'])"],
                                 capture_output=True, text=True, check=True, env=base | extra)
            assert out.stdout.strip() == expected, (pkg, extra)
    for pkg in ("pipelines.stages", "publish.release", "quality.gate", "pipelines.privacy.desensitize"):
        out = subprocess.run([sys.executable, "-c", f"import os, {pkg}; print(os.environ.get('_RJEM_MALLOC_CONF'))"],
                             capture_output=True, text=True, check=True, env=base)
        assert out.stdout.strip() in ("None", "dirty_decay_ms:500,muzzy_decay_ms:1000"), pkg  # polars' own


def test_freed_frames_leave_the_resident_set_and_a_user_setting_is_kept():
    held, left = _probe("kaifang.cli")
    assert held > 100 and left < held * 0.3, (held, left)
    # a child of a process that imported polars inherits polars' own default: replaced as well
    held, left = _probe("kaifang.cli", {"_RJEM_MALLOC_CONF": "dirty_decay_ms:500,muzzy_decay_ms:1000"})
    assert held > 100 and left < held * 0.3, (held, left)
    # a user's own setting wins (here: long decay), and so do the libraries' callers: freed pages stay
    held, left = _probe("kaifang.cli", {"_RJEM_MALLOC_CONF": "dirty_decay_ms:10000,muzzy_decay_ms:10000"})
    assert held > 100 and left > held * 0.6, (held, left)
