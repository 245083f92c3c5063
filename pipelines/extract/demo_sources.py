"""Local demo sources for the SQL, JSON-API and S3 datasets — started and seeded idempotently.

    python -m pipelines.extract.demo_sources up [--state-dir DIR]     # start (or reuse) and seed all three
    python -m pipelines.extract.demo_sources status|down [--state-dir DIR]

* SQL: an embedded PostgreSQL (``pgserver``) under ``<state>/demo_sources/pg``; tables are
  (re)created from the committed CSVs in ``datasets/<id>/data/`` with real column types.
* JSON API: a small threaded HTTP server (``serve-api``, its own process) serving committed JSON
  files with page/page_size, offset/limit and cursor pagination.
* S3: moto's standalone server (``moto_server``, over HTTP), bucket ``kaifang-demo`` seeded from the
  committed CSVs.

Pid files live in ``<state>/demo_sources/*.pid``; endpoints are written to
``<state>/demo_sources/env.json`` as the ``KAIFANG_DEMO_*`` values the descriptors' ``${...}``
placeholders resolve to (moto accepts any credentials; the demo key pair is not a secret).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from kaifang.errors import SourceError, TransientError
from kaifang.settings import REPO_ROOT, Settings

BUCKET = "kaifang-demo"
DEMO_KEY = "kaifang-demo"  # moto accepts any credentials; not a secret

#: API path → JSON file (a list of records) relative to the datasets dir
API_ROUTES = {"/api/v1/job-postings": "employment-job-postings/data/job_postings.json"}

#: S3 key → CSV file relative to the datasets dir
S3_OBJECTS = {
    "civil-affairs/subsistence/2024/subsistence_2024Q1.csv": "civil-affairs-subsistence-allowance/data/subsistence_2024Q1.csv",
    "civil-affairs/subsistence/2024/subsistence_2024Q2.csv": "civil-affairs-subsistence-allowance/data/subsistence_2024Q2.csv",
}

#: table → (CSV relative to the datasets dir, column DDL)
SQL_TABLES = {
    "infectious_disease_reports": (
        "health-infectious-disease-reports/data/infectious_disease_reports.csv",
        """report_id text primary key, patient_name text, patient_id_number text, sex text, age integer,
           occupation text, district_code text, disease text, case_type text, onset_date date,
           diagnosis_date date, report_time timestamp, reporting_unit text""",
    ),
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _dir(state_dir: Path) -> Path:
    d = Path(state_dir) / "demo_sources"
    d.mkdir(parents=True, exist_ok=True)
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a zombie child counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def _wait_port(port: int, proc: subprocess.Popen | None, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port):
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    raise TransientError(f"demo {what} did not start", fix="see the log under <state>/demo_sources/", port=port)


def _spawn(args: list[str], log: Path, pidfile: Path) -> subprocess.Popen:
    with open(log, "ab") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                cwd=str(REPO_ROOT))
    pidfile.write_text(str(proc.pid))
    return proc


def load_env(state_dir: Path) -> dict[str, str]:
    try:
        return json.loads((_dir(state_dir) / "env.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _save_env(state_dir: Path, updates: dict[str, str]) -> dict[str, str]:
    env = load_env(state_dir)
    env.update(updates)
    (_dir(state_dir) / "env.json").write_text(json.dumps(env, indent=2, sort_keys=True))
    return env


# --------------------------------------------------------------------------------------------
# SQL: pgserver
# --------------------------------------------------------------------------------------------

def start_postgres(state_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL; return its SQLAlchemy URL."""
    import pgserver

    pgdata = _dir(state_dir) / "pg"
    server = pgserver.get_server(pgdata, cleanup_mode=None)  # keeps running after this process exits
    uri = server.get_uri()
    return uri.replace("postgresql://postgres:@", "postgresql+psycopg2://postgres@")


def seed_postgres(url: str, datasets_dir: Path) -> dict[str, int]:
    """(Re)create the demo tables from the committed CSVs; return row counts."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    counts = {}
    try:
        with engine.begin() as conn:
            raw = conn.connection.dbapi_connection
            for table, (csv_rel, ddl) in SQL_TABLES.items():
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
                conn.exec_driver_sql(f"CREATE TABLE {table} ({ddl})")
                with open(datasets_dir / csv_rel, encoding="utf-8") as fh, raw.cursor() as cur:
                    cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
                counts[table] = conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    finally:
        engine.dispose()
    return counts


def stop_postgres(state_dir: Path) -> bool:
    import pgserver

    pgdata = _dir(state_dir) / "pg"
    pid = _read_pid(pgdata / "postmaster.pid")
    if not _alive(pid):
        return False
    import logging
    import pwd

    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name  # as root, pgserver runs postgres as its own user
    logging.getLogger("pgserver").setLevel(logging.CRITICAL)
    try:
        pgserver.pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata, **({"user": owner} if os.geteuid() == 0 else {}))
    except Exception:  # noqa: BLE001 — fall back to the postmaster's "smart" shutdown signal
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.1)
    return True


# --------------------------------------------------------------------------------------------
# JSON API
# --------------------------------------------------------------------------------------------

class DemoApi(BaseHTTPRequestHandler):
    """Serves ``routes`` (path → list of records) with page / offset / cursor pagination.

    Query parameters: ``page`` + ``page_size``; ``offset`` + ``limit``; ``cursor`` + ``limit``.
    Answer: ``{"code": 0, "data": [...], "total": N, "page": p, "next_cursor": c|null}``.
    """

    routes: dict[str, list] = {}
    server_version = "KaifangDemoAPI/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802
        url = urlsplit(self.path)
        records = self.routes.get(url.path.rstrip("/"))
        if records is None:
            return self._send(404, {"code": 404, "message": "not found"})
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if "page" in q:
                size = int(q.get("page_size", 100))
                page = int(q["page"])
                start = (page - 1) * size
            elif "offset" in q:
                size = int(q.get("limit", 100))
                start = int(q["offset"])
                page = start // max(size, 1) + 1
            else:
                size = int(q.get("limit", q.get("page_size", 100)))
                start = int(q.get("cursor", 0) or 0)
                page = start // max(size, 1) + 1
        except ValueError:
            return self._send(400, {"code": 400, "message": "bad pagination parameters"})
        size = max(1, min(size, 1000))
        chunk = records[max(start, 0): max(start, 0) + size]
        nxt = start + size if start + size < len(records) else None
        self._send(200, {"code": 0, "data": chunk, "total": len(records), "page": page, "next_cursor": None if nxt is None else str(nxt)})

    def _send(self, status: int, doc: dict) -> None:
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def make_api_server(datasets_dir: Path, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A ready (not yet serving) demo API server; tests run it in a thread."""
    routes = {path: json.loads((datasets_dir / rel).read_text(encoding="utf-8")) for path, rel in API_ROUTES.items()}
    handler = type("BoundDemoApi", (DemoApi,), {"routes": routes})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def start_api(state_dir: Path, datasets_dir: Path) -> str:
    d = _dir(state_dir)
    pidfile = d / "api.pid"
    env = load_env(state_dir)
    url = env.get("KAIFANG_DEMO_API_URL")
    if _alive(_read_pid(pidfile)) and url and _port_open(int(url.rsplit(":", 1)[1])):
        return url
    port = free_port()
    proc = _spawn([sys.executable, "-m", "pipelines.extract.demo_sources", "serve-api", "--port", str(port),
                   "--datasets-dir", str(datasets_dir)], d / "api.log", pidfile)
    _wait_port(port, proc, "JSON API")
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------------------------
# S3: moto standalone server
# --------------------------------------------------------------------------------------------

def start_s3(state_dir: Path) -> str:
    d = _dir(state_dir)
    pidfile = d / "s3.pid"
    env = load_env(state_dir)
    url = env.get("KAIFANG_DEMO_S3_ENDPOINT")
    if _alive(_read_pid(pidfile)) and url and _port_open(int(url.rsplit(":", 1)[1])):
        return url
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    args = [str(moto)] if moto.exists() else [sys.executable, "-m", "moto.server"]
    proc = _spawn(args + ["-H", "127.0.0.1", "-p", str(port)], d / "s3.log", pidfile)
    _wait_port(port, proc, "S3 (moto_server)")
    return f"http://127.0.0.1:{port}"


def seed_s3(endpoint: str, datasets_dir: Path, bucket: str = BUCKET) -> int:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=DEMO_KEY, aws_secret_access_key=DEMO_KEY)
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    except s3.exceptions.BucketAlreadyExists:
        pass
    for key, rel in S3_OBJECTS.items():
        s3.put_object(Bucket=bucket, Key=key, Body=(datasets_dir / rel).read_bytes(), ContentType="text/csv")
    return len(S3_OBJECTS)


# --------------------------------------------------------------------------------------------
# up / status / down
# --------------------------------------------------------------------------------------------

def up(state_dir: Path | None = None, datasets_dir: Path | None = None) -> dict[str, str]:
    """Start (or reuse) all demo sources, seed them, write env.json; return the KAIFANG_DEMO_* values."""
    settings = Settings()
    state_dir = Path(state_dir or settings.state_dir)
    datasets_dir = Path(datasets_dir or settings.datasets_dir)
    try:
        pg_url = start_postgres(state_dir)
    except Exception as exc:  # noqa: BLE001
        raise TransientError(f"demo PostgreSQL could not start ({type(exc).__name__})", fix="see <state>/demo_sources/pg/log or remove that folder") from None
    counts = seed_postgres(pg_url, datasets_dir)
    api_url = start_api(state_dir, datasets_dir)
    s3_url = start_s3(state_dir)
    seed_s3(s3_url, datasets_dir)
    env = _save_env(state_dir, {
        "KAIFANG_DEMO_PG_URL": pg_url,
        "KAIFANG_DEMO_API_URL": api_url,
        "KAIFANG_DEMO_S3_ENDPOINT": s3_url,
        "KAIFANG_DEMO_S3_BUCKET": BUCKET,
        "KAIFANG_DEMO_S3_ACCESS_KEY_ID": DEMO_KEY,
        "KAIFANG_DEMO_S3_SECRET_ACCESS_KEY": DEMO_KEY,
    })
    env["_seeded"] = json.dumps({"sql_rows": counts, "s3_objects": len(S3_OBJECTS), "api_routes": list(API_ROUTES)})
    return env


def status(state_dir: Path | None = None) -> dict[str, object]:
    state_dir = Path(state_dir or Settings().state_dir)
    d = _dir(state_dir)
    env = load_env(state_dir)
    return {
        "postgres": _alive(_read_pid(d / "pg" / "postmaster.pid")),
        "api": _alive(_read_pid(d / "api.pid")),
        "s3": _alive(_read_pid(d / "s3.pid")),
        "env": {k: v for k, v in env.items() if "SECRET" not in k},
    }


def down(state_dir: Path | None = None) -> dict[str, bool]:
    """Stop every demo source started under ``state_dir`` (by pid file)."""
    state_dir = Path(state_dir or Settings().state_dir)
    d = _dir(state_dir)
    out = {"postgres": stop_postgres(state_dir)}
    for name in ("api", "s3"):
        pidfile = d / f"{name}.pid"
        pid = _read_pid(pidfile)
        stopped = False
        if _alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)  # own session: the server and its children
            except (ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            stopped = True
        pidfile.unlink(missing_ok=True)
        out[name] = stopped
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipelines.extract.demo_sources", description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["up", "status", "down", "serve-api"])
    p.add_argument("--state-dir", type=Path, default=None)
    p.add_argument("--datasets-dir", type=Path, default=None)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args(argv)
    if a.command == "serve-api":
        server = make_api_server(a.datasets_dir or Settings().datasets_dir, a.port)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return 0
    fn = {"up": lambda: up(a.state_dir, a.datasets_dir), "status": lambda: status(a.state_dir), "down": lambda: down(a.state_dir)}[a.command]
    try:
        result = fn()
    except (SourceError, TransientError) as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps({k: v for k, v in result.items() if "SECRET" not in k}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
