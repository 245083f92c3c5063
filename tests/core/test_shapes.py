"""Locks the one JSON shape for errors and reports (changing it is a breaking change)."""

import json
import pickle
import subprocess
import sys

from kaifang.errors import ConfigError, GateBlocked, KaifangError, SourceError, TransientError, is_transient
from kaifang.problems import Problem, Report


def test_error_renders_object_context_and_fix():
    exc = SourceError("cannot decode CSV", fix="save the file as UTF-8 or GB18030", file="a.csv", line=7)
    assert str(exc) == "cannot decode CSV (file=a.csv line=7). Fix: save the file as UTF-8 or GB18030"
    assert exc.to_dict() == {
        "shape": "kaifang.error/1",
        "code": "source-error",
        "message": "cannot decode CSV",
        "fix": "save the file as UTF-8 or GB18030",
        "context": {"file": "a.csv", "line": 7},
        "transient": False,
    }


def test_transient_and_terminal_split():
    assert is_transient(TransientError("CKAN answered 503", url="http://x"))
    assert not is_transient(GateBlocked("blocked"))
    assert not is_transient(RuntimeError("x"))
    assert ConfigError("x").exit_code == 2
    assert issubclass(GateBlocked, KaifangError)


def test_errors_survive_pickling_for_prefect_and_dask():
    exc = SourceError("bad", fix="fix it", file="f.csv", row=3)
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is SourceError and back.to_dict() == exc.to_dict()


def test_report_shape_is_locked():
    rep = Report(
        kind="quality",
        subject="demo",
        valid=False,
        stats={"rows": 2},
        errors=[Problem(type="type-error", message="not an integer", rowNumber=2, fieldNumber=1, fieldName="n")],
    )
    d = rep.to_dict()
    assert list(d) == ["shape", "kind", "subject", "valid", "stats", "errors", "warnings"]
    assert d["shape"] == "kaifang.report/1"
    assert d["errors"][0] == {
        "type": "type-error",
        "message": "not an integer",
        "rowNumber": 2,
        "fieldNumber": 1,
        "fieldName": "n",
        "severity": "error",
        "note": None,
    }
    json.dumps(d)


def test_cli_usage_error_exits_2_without_traceback():
    proc = subprocess.run([sys.executable, "-m", "kaifang.cli", "no-such-command"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
