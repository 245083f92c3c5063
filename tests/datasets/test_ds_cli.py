"""`kaifang datasets` and `kaifang extract` through the real entry point (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import REPO, write_dataset


def kaifang(*args, env=None):
    return subprocess.run([sys.executable, "-c", "from kaifang.cli import main; main()", *args], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_datasets_json_lists_catalogue():
    r = kaifang("datasets", "--json")
    assert r.returncode == 0, r.stderr
    rows = {d["id"]: d for d in json.loads(r.stdout)["datasets"]}
    assert len(rows) >= 7
    ss = rows["social-security-pension"]
    assert ss["open_condition"] == "conditional" and ss["source_kind"] == "csv" and ss["theme"] == "social-security"
    assert {"id", "title", "department", "theme", "open_condition", "update_frequency", "source_kind"} <= set(ss)


def test_extract_prints_lineage(tmp_path):
    r = kaifang("extract", "social-security-pension", "--json", env={"KAIFANG_STATE_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["rows"] == 2000 and rec["details"]["encoding"] == "gb18030"
    assert (tmp_path / "raw" / rec["sha256"]).exists()
    r2 = kaifang("extract", "statistics-household-survey", env={"KAIFANG_STATE_DIR": str(tmp_path)})
    assert r2.returncode == 0 and "sha256:" in r2.stdout


def test_bad_source_is_one_line_error_without_traceback(tmp_path):
    folder = write_dataset(tmp_path / "ds", {"connector": "csv", "options": {"path": "data/in.csv"}})
    (folder / "data" / "in.csv").write_bytes(b"id,name\n1,a,11010519491231002X\n")
    r = kaifang("extract", "test-ds", env={"KAIFANG_DATASETS_DIR": str(tmp_path / "ds"), "KAIFANG_STATE_DIR": str(tmp_path / "st")})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "ragged rows" in r.stderr and "line=2" in r.stderr
    assert "11010519491231002X" not in r.stderr + r.stdout


def test_unknown_dataset_exit_2(tmp_path):
    r = kaifang("extract", "nope", "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["code"] == "config-error"
