"""`kaifang validate` through the real entry point (subprocess): exit codes and JSON shape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from . import corpus

REPO = Path(__file__).resolve().parents[2]


def kaifang(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "kaifang.cli", *args], capture_output=True, text=True, cwd=REPO, env=full_env, timeout=120)


@pytest.fixture()
def files(tmp_path):
    valid = corpus.write("all_valid", tmp_path)
    (tmp_path / "valid.schema.json").write_text(json.dumps(corpus.CASES["all_valid"][1]))
    bad = corpus.write("constraints", tmp_path)
    (tmp_path / "bad.schema.json").write_text(json.dumps(corpus.CASES["constraints"][1]))
    return tmp_path, valid, bad


def test_valid_file_exits_0(files):
    d, valid, _ = files
    out = kaifang("validate", str(valid), "--schema", str(d / "valid.schema.json"), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["valid"] is True and report["stats"]["rows"] == 2 and report["errors"] == []


def test_invalid_file_exits_1_with_errors_without_values(files):
    d, _, bad = files
    out = kaifang("validate", str(bad), "--schema", str(d / "bad.schema.json"), "--json")
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert report["valid"] is False and report["stats"]["errors"] == len(report["errors"])
    assert all({"type", "rowNumber", "fieldNumber", "fieldName", "message"} <= set(e) for e in report["errors"])
    assert ("constraint-error", 4, "code") in {(e["type"], e["rowNumber"], e["fieldName"]) for e in report["errors"]}
    assert "王五六七八九十" not in out.stdout and "张三" not in out.stdout
    human = kaifang("validate", str(bad), "--schema", str(d / "bad.schema.json"))
    assert human.returncode == 1 and "INVALID" in human.stdout


def test_file_with_suite_gives_quality_report_and_html(files):
    d, valid, _ = files
    suite = {"expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "amount", "min_value": 3}}]}
    (d / "suite.json").write_text(json.dumps(suite))
    out = kaifang("validate", str(valid), "--schema", str(d / "valid.schema.json"), "--suite", str(d / "suite.json"), "--json", "--html", str(d / "r.html"))
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["kind"] == "quality" and report["errors"][0]["type"] == "expectation-failed"
    assert "expectation-failed" in (d / "r.html").read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "nope.csv", "--schema", "missing.json"],
        ["validate", "no-such-dataset-id"],
        ["validate", "x.csv", "--bogus"],
    ],
)
def test_usage_errors_exit_2(args, tmp_path):
    (tmp_path / "datasets").mkdir()
    out = kaifang(*args, env={"KAIFANG_DATASETS_DIR": str(tmp_path / "datasets"), "KAIFANG_STATE_DIR": str(tmp_path / "state")})
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr


def test_bad_schema_json_exits_2(files):
    d, valid, _ = files
    (d / "broken.json").write_text("{not json")
    out = kaifang("validate", str(valid), "--schema", str(d / "broken.json"), "--json")
    assert out.returncode == 2
    assert json.loads(out.stdout)["error"]["code"] == "config-error"


def test_dataset_mode_valid_then_blocked_and_quarantined(tmp_path):
    """The bundled social-security dataset validates; with planted errors it is blocked and quarantined."""
    src = REPO / "datasets" / "social-security-pension"
    ds_root = tmp_path / "datasets"
    shutil.copytree(src, ds_root / "social-security-pension")
    env = {"KAIFANG_DATASETS_DIR": str(ds_root), "KAIFANG_STATE_DIR": str(tmp_path / "state")}
    ok = kaifang("validate", "social-security-pension", "--json", env=env)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert json.loads(ok.stdout)["valid"] is True

    data = next((ds_root / "social-security-pension" / "data").glob("*.csv"))
    raw = data.read_bytes()
    enc = "gbk"
    try:
        text = raw.decode("utf-8")
        enc = "utf-8"
    except UnicodeDecodeError:
        text = raw.decode("gbk")
    lines = text.splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    person_id = cells[header.index("person_id")]
    cells[header.index("person_id")] = person_id[:-1]  # 17 characters
    cells[header.index("amount")] = "abc"
    lines[5] = ",".join(cells)
    data.write_bytes(("\n".join(lines) + "\n").encode(enc))
    blocked = kaifang("validate", "social-security-pension", "--json", env=env)
    assert blocked.returncode == 1, blocked.stderr[-2000:]
    report = json.loads(blocked.stdout)
    got = {(e["type"], e["rowNumber"], e["fieldName"]) for e in report["errors"]}
    assert {("constraint-error", 6, "person_id"), ("type-error", 6, "amount")} <= got
    assert person_id[:-1] not in blocked.stdout + blocked.stderr
    runs = list((tmp_path / "state" / "quarantine" / "social-security-pension").iterdir())
    assert len(runs) == 1 and (runs[0] / "report.json").exists() and (runs[0] / "raw.csv").exists()


def test_global_json_flag(files):
    d, valid, _ = files
    out = kaifang("--json", "validate", str(valid), "--schema", str(d / "valid.schema.json"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["valid"] is True
