"""Fixtures for the datasets/extraction area: real servers (pgserver, moto over HTTP, local HTTP)
and a helper that writes a throwaway dataset folder around any source definition."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / "datasets"


def write_dataset(root: Path, source: dict, *, fields: list[dict] | None = None, ds_id: str = "test-ds", extra: dict | None = None) -> Path:
    """A minimal valid dataset folder with ``source``; returns the folder."""
    folder = root / ds_id
    (folder / "data").mkdir(parents=True, exist_ok=True)
    fields = fields or [{"name": "id", "type": "string", "sensitivity": "public"}]
    desc = {
        "id": ds_id, "title": "测试数据集", "title_en": "Test dataset", "description": "A dataset written by a test fixture.",
        "department": {"id": "test-dept", "name": "测试局", "name_en": "Test Bureau"}, "theme": "statistics",
        "keywords": ["test"], "license": "CC-BY-4.0", "open_condition": "unconditional", "update_frequency": "monthly",
        "temporal": {"start": "2024-01-01"}, "spatial": {"name": "武汉市", "code": "420100"},
        "contact": {"name": "数据科", "email": "data@test.example.cn"}, "source": source, "disclosure": {"kind": "none"},
        **(extra or {}),
    }
    (folder / "dataset.yaml").write_text(yaml.safe_dump(desc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (folder / "schema.json").write_text(json.dumps({"fields": fields}, ensure_ascii=False), encoding="utf-8")
    (folder / "expectations.json").write_text(json.dumps({"name": ds_id, "expectations": []}), encoding="utf-8")
    return folder


@pytest.fixture
def make_dataset(tmp_path) -> Callable[..., object]:
    """make_dataset(source, files={name: bytes}, fields=...) -> loaded Dataset."""
    from pipelines.descriptor import load_dataset

    def make(source: dict, files: dict[str, bytes] | None = None, **kw):
        folder = write_dataset(tmp_path / "datasets", source, **kw)
        for name, data in (files or {}).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return load_dataset(folder)

    return make


@pytest.fixture
def state_dir(tmp_path) -> Path:
    d = tmp_path / "state"
    d.mkdir()
    return d


# ------------------------------------------------------------------ real servers

@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL 16 (pgserver) for the session; yields its SQLAlchemy URL."""
    import pgserver

    pgdata = tmp_path_factory.mktemp("pg")
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    url = server.get_uri().replace("postgresql://postgres:@", "postgresql+psycopg2://postgres@")
    yield url
    server.cleanup()


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's standalone server over real HTTP (not the in-process mock)."""
    from moto.server import ThreadedMotoServer

    from pipelines.extract.demo_sources import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class Scripted(BaseHTTPRequestHandler):
    """Answers from ``script``: a callable (handler, request_no) -> (status, body bytes)."""

    script: Callable = None  # type: ignore[assignment]
    calls: list = None  # type: ignore[assignment]

    def log_message(self, *a):
        pass

    def do_GET(self):  # noqa: N802
        self.calls.append(self.path)
        status, body = self.script(self.path, len(self.calls))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_server():
    """http_server(script) -> (base_url, calls): a local HTTP server answering by script."""
    servers = []

    def start(script):
        calls: list[str] = []
        handler = type("H", (Scripted,), {"script": staticmethod(script), "calls": calls})
        srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}", calls

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def demo_api():
    """The demo JSON API (real HTTP) over the committed job postings; yields its base URL."""
    from pipelines.extract.demo_sources import make_api_server

    srv = make_api_server(DATASETS, 0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
