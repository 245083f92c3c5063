"""Shared benchmark helpers: generated data (never committed), the polars floor, peak RSS.

Each measured step runs in a fresh subprocess so its wall time and peak RSS (ru_maxrss of that
child) are its own. Ratios are always against a floor measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KAIFANG_BENCH_DATA", BENCH_DIR / "data"))


@dataclass
class Measure:
    """One measured subprocess."""

    seconds: float
    peak_rss_mb: float
    output: dict

    def to_dict(self) -> dict:
        return asdict(self)


REPEATS = max(1, int(os.environ.get("KAIFANG_BENCH_REPEATS", "3")))
"""Timed steps and their floor run this many times, interleaved (floor, step, floor, step, …, floor);
tables give medians. The 2-core VM's speed drifts by ±15 % from one run to the next, so one run
of each can put the same code on either side of a goal."""


def interleaved(csv: Path, run_once: Callable[[], T]) -> tuple[list[Measure], list[T]]:
    """floor, ``run_once()``, floor, …, floor with ``REPEATS`` runs: a drifting machine hits both.
    Returns the ``REPEATS + 1`` floors and the runs' results."""
    floors, results = [floor(csv)], []
    for _ in range(REPEATS):
        results.append(run_once())
        floors.append(floor(csv))
    return floors, results


def median_of(measures: list[Measure]) -> Measure:
    """Median seconds and median peak RSS of repeated runs (the output of the run with the median time)."""
    import statistics

    by_time = sorted(measures, key=lambda m: m.seconds)
    return Measure(statistics.median(m.seconds for m in measures), statistics.median(m.peak_rss_mb for m in measures),
                   by_time[(len(by_time) - 1) // 2].output)


def each_run(measures: list[Measure], floors: list[Measure]) -> str:
    """Per-run ratios: run i against the mean of the floors measured just before and after it."""
    return ", ".join(f"{m.seconds / ((floors[i].seconds + floors[i + 1].seconds) / 2):.2f}" for i, m in enumerate(measures))


def sizes_from_env(default: str = "100000,1000000,5000000") -> list[int]:
    """Row counts to benchmark: KAIFANG_BENCH_SIZES=100000,1000000 overrides."""
    return [int(s) for s in os.environ.get("KAIFANG_BENCH_SIZES", default).split(",") if s.strip()]


def social_security_csv(n: int, seed: int = 7) -> Path:
    """Generate (once) an n-row social-security CSV with the bundled dataset's columns."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"social-security-{n}.csv"
    if not path.exists():
        run_python(
            "from pipelines.synth import social_security_frame, write_csv; import sys;"
            f"write_csv(social_security_frame({n}, seed={seed}), sys.argv[1])",
            str(path) + ".tmp",
        )
        os.replace(str(path) + ".tmp", path)
    return path


def run_python(code: str, *args: str, env: dict | None = None) -> Measure:
    """Run python code in a child process; return wall time, the child's peak RSS and its last JSON line."""
    return run_cmd([sys.executable, "-c", code, *args], env=env)


def run_cmd(cmd: list[str], env: dict | None = None) -> Measure:
    """Run a command; measure wall time and its own peak RSS (wait4 rusage of that child)."""
    import tempfile

    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(BENCH_DIR.parent)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=full_env, text=True)
        peak = _HwmWatcher(proc.pid)
        _, status, _usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        peak.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise RuntimeError(f"benchmark step failed (exit {proc.returncode}, {' '.join(cmd[:4])}…): {stderr[-2000:]}")
    last: dict = {}
    if '\n{' in '\n' + stdout:  # a pretty-printed JSON document at the end of the output
        try:
            last = json.loads(stdout[('\n' + stdout).rindex('\n{'):])
        except ValueError:
            last = {}
    for line in reversed(stdout.splitlines() if not last else []):
        if line.startswith("{"):
            try:
                last = json.loads(line)
                break
            except ValueError:
                pass
    return Measure(seconds=seconds, peak_rss_mb=peak.mb, output=last)


class _HwmWatcher:
    """The child's peak RSS from /proc/<pid>/status VmHWM, polled until it exits.

    rusage's ru_maxrss is no use here: Linux carries the parent's high-water mark into children
    across fork+exec, so every child of a large benchmark driver would report the driver's peak.
    VmHWM belongs to the child's own address space (reset by exec) and only grows, so polling it
    misses at most the last few milliseconds of growth.
    """

    def __init__(self, pid: int, interval: float = 0.01):
        import threading

        self.pid, self.interval, self.kb = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with open(f"/proc/{self.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        self.kb = max(self.kb, int(line.split()[1]))
                        return
        except (OSError, ValueError):
            pass

    def _run(self) -> None:
        while not self._done.is_set():
            self._read()
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return self.kb / 1024


def floor(csv: Path) -> Measure:
    """The floor: polars read_csv + write_parquet(zstd) of the same file."""
    out = csv.with_suffix(".floor.parquet")
    return run_python(
        "import polars as pl, sys;"
        "pl.read_csv(sys.argv[1], infer_schema=False).write_parquet(sys.argv[2], compression='zstd')",
        str(csv),
        str(out),
        env={"_RJEM_MALLOC_CONF": ""},  # polars as it comes (not the allocator setting kaifang exports)
    )


def machine_info() -> dict:
    """CPU, cores, memory, Python and key library versions for results.md."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import polars

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "polars": polars.__version__,
        "platform": platform.platform(),
    }
