"""http connector against local HTTP servers: pagination kinds, retries, invalid JSON, limits."""

from __future__ import annotations

import json

import pytest

from kaifang.errors import SourceError, TransientError
from pipelines.extract import extract

from .conftest import DATASETS

JOBS = json.loads((DATASETS / "employment-job-postings" / "data" / "job_postings.json").read_text(encoding="utf-8"))


def http_source(url, **opts):
    return {"connector": "http", "options": {"url": url, "backoff_seconds": 0.01, **opts}}


@pytest.mark.parametrize("opts", [
    {"pagination": "page", "page_size": 100, "total_path": "total"},
    {"pagination": "page", "page_size": 64},  # last page full: stops on the empty page
    {"pagination": "offset", "size_param": "limit", "page_size": 150},
    {"pagination": "cursor", "params": {"limit": "200"}},
])
def test_pagination_kinds_read_every_record(make_dataset, state_dir, demo_api, opts):
    ds = make_dataset(http_source(demo_api + "/api/v1/job-postings", **opts))
    ex = extract(ds, state_dir)
    assert ex.table.height == len(JOBS) == 640
    assert ex.table["posting_id"].to_list() == [j["posting_id"] for j in JOBS]
    assert ex.table["accepts_graduates"][0] in ("true", "false") and ex.table["salary_min"][0] == str(JOBS[0]["salary_min"])
    assert ex.lineage.details["pages"] == len(ex.lineage.parts) >= 4


def test_500_then_200_is_retried(make_dataset, state_dir, http_server):
    def script(path, n):
        return (500, b'{"error":"busy"}') if n == 1 else (200, b'{"data":[{"a":1},{"a":2}]}')
    url, calls = http_server(script)
    ex = extract(make_dataset(http_source(url + "/x")), state_dir)
    assert ex.table["a"].to_list() == ["1", "2"] and len(calls) == 2


@pytest.mark.timeout(60)
def test_persistent_503_gives_transient_error_after_bounded_retries(make_dataset, state_dir, http_server):
    url, calls = http_server(lambda path, n: (503, b"{}"))
    with pytest.raises(TransientError) as ei:
        extract(make_dataset(http_source(url + "/x?token=SECRET123", retries=2)), state_dir)
    assert len(calls) == 3 and ei.value.context["attempts"] == 3 and ei.value.context["page"] == 1
    assert "SECRET123" not in ei.value.render()  # query strings are dropped from locators


@pytest.mark.timeout(60)
def test_connection_refused_is_transient(make_dataset, state_dir):
    from pipelines.extract.demo_sources import free_port

    with pytest.raises(TransientError):
        extract(make_dataset(http_source(f"http://127.0.0.1:{free_port()}/x", retries=1)), state_dir)


def test_invalid_json_names_page_and_position(make_dataset, state_dir, http_server):
    def script(path, n):
        if n == 1:
            return 200, json.dumps({"data": [{"a": i} for i in range(2)], "next": "c2"}).encode()
        return 200, b'{"data": [\n{"a": 1},\n{"a": 11010519491231002X}]}'
    url, _ = http_server(script)
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(http_source(url + "/x", pagination="cursor", next_cursor_path="next")), state_dir)
    e = ei.value
    assert e.code == "invalid-json" and e.context["page"] == 2 and e.context["line"] == 3
    assert "11010519491231002X" not in e.render()


def test_client_error_is_terminal_with_fix(make_dataset, state_dir, http_server):
    url, _ = http_server(lambda p, n: (401, b"{}"))
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(http_source(url + "/x")), state_dir)
    assert "401" in ei.value.message and "headers_env" in ei.value.fix


def test_records_path_missing(make_dataset, state_dir, http_server):
    url, _ = http_server(lambda p, n: (200, b'{"items": [], "count": 0}'))
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(http_source(url + "/x")), state_dir)
    assert "records_path" in ei.value.message and "items" in ei.value.message


def test_declared_total_must_match(make_dataset, state_dir, http_server):
    url, _ = http_server(lambda p, n: (200, b'{"data": [{"a": 1}], "total": 5}'))
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(http_source(url + "/x", total_path="total")), state_dir)
    assert ei.value.code == "incomplete"


def test_header_secret_from_env(make_dataset, state_dir, http_server, monkeypatch):
    seen = {}

    def script(path, n):
        return 200, b'{"data": [{"a": 1}]}'
    url, calls = http_server(script)
    monkeypatch.setenv("TEST_API_KEY", "k-123")
    ex = extract(make_dataset(http_source(url + "/x", headers_env={"X-Api-Key": "TEST_API_KEY"})), state_dir)
    assert ex.table.height == 1
    assert "k-123" not in json.dumps(ex.lineage.to_dict())
