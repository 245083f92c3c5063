"""`kaifang scan` through the real entry point (a subprocess): JSON shape, exit codes, no values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def kaifang(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kaifang.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_scan_json_and_exit_codes(tmp_path):
    f = tmp_path / "people.csv"
    f.write_text("姓名,证件号码,备注,单位代码\n张伟,11010519491231002X,电话13800138000,91350100M000100Y43\n"
                 "李娜,110101199003071233,无,\n", encoding="utf-8")
    res = kaifang("scan", str(f), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["file"] == str(f) and out["rows"] == 2
    got = {(x["field"], x["kind"]): (x["count"], x["rows"]) for x in out["findings"]}
    assert got == {("姓名", "person_name"): (2, [2, 3]), ("证件号码", "cn_resident_id"): (2, [2, 3]),
                   ("备注", "cn_mobile"): (1, [2]), ("单位代码", "cn_uscc"): (1, [2])}
    for v in ("11010519491231002X", "13800138000", "张伟"):
        assert v not in res.stdout
    assert kaifang("scan", str(f), "--fail-on-findings", "--json").returncode == 1
    table = kaifang("scan", str(f))
    assert table.returncode == 0 and "cn_resident_id" in table.stdout and "13800138000" not in table.stdout


def test_scan_organization_codes_only_do_not_fail(tmp_path):
    f = tmp_path / "orgs.csv"
    f.write_text("单位,代码\n某公司,91350100M000100Y43\n", encoding="utf-8")
    assert kaifang("scan", str(f), "--fail-on-findings").returncode == 0


def test_scan_missing_file_is_a_clear_error(tmp_path):
    res = kaifang("scan", str(tmp_path / "nope.csv"), "--json")
    assert res.returncode == 1
    err = json.loads(res.stdout)["error"]
    assert err["code"] == "source-error" and "nope.csv" in err["context"]["file"]
    res = kaifang("scan", str(tmp_path / "nope.csv"))
    assert "error" in res.stderr and "Traceback" not in res.stderr
