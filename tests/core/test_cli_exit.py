"""The `kaifang` entry point exits without the interpreter's teardown — and loses nothing by it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_output_exit_handlers_and_exit_code_survive_the_fast_exit(tmp_path):
    marker = tmp_path / "atexit.txt"
    big = 200_000  # more than any pipe buffer: stdout must be flushed before the process leaves
    proc = _run(f"""
        import atexit, json, logging, sys
        from kaifang import cli
        log = logging.getLogger("kaifang.test"); log.addHandler(logging.FileHandler({str(tmp_path / 'log.txt')!r})); log.warning("logged")
        atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
        def main():
            print(json.dumps({{"blob": "x" * {big}}}))
            sys.stderr.write("said on stderr")
            sys.exit(3)
        cli.main = main
        cli.run()
        print("not reached")
    """, tmp_path)
    assert proc.returncode == 3
    assert len(json.loads(proc.stdout)["blob"]) == big
    assert proc.stderr.endswith("said on stderr")
    assert marker.read_text() == "ran"
    assert (tmp_path / "log.txt").read_text().strip() == "logged"


def test_a_running_non_daemon_thread_is_joined_by_the_normal_exit(tmp_path):
    done = tmp_path / "thread.txt"
    proc = _run(f"""
        import threading, time
        from kaifang import cli
        def work():
            time.sleep(0.5)
            open({str(done)!r}, "w").write("finished")
        def main():
            threading.Thread(target=work).start()
        cli.main = main
        cli.run()
    """, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert done.read_text() == "finished"


def test_the_installed_command_uses_the_fast_exit_entry_point():
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["kaifang"] == "kaifang.cli:run"
    proc = subprocess.run([str(Path(sys.executable).parent / "kaifang"), "--json", "--datasets-dir", str(REPO / "datasets"), "datasets"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)


def test_teardown_loggers_are_quiet_once_the_result_is_printed():
    """The local Prefect API's SQLite pool may log a cancelled reset while the process exits: after
    ``quiet_teardown`` that logger says nothing below CRITICAL; other loggers still speak."""
    code = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, format='%(name)s %(message)s')\n"
        "from kaifang import consoles\n"
        "logging.getLogger('sqlalchemy.pool.impl.AsyncAdaptedQueuePool').error('before')\n"
        "consoles.quiet_teardown()\n"
        "logging.getLogger('sqlalchemy.pool.impl.AsyncAdaptedQueuePool').error('after')\n"
        "logging.getLogger('kaifang').error('ours')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert "sqlalchemy.pool.impl.AsyncAdaptedQueuePool before" in out and "kaifang ours" in out
    assert not any(line.endswith("after") for line in out)
