"""`kaifang portal up|down|status|reset` and the portal.manager API."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import ckanapi
import pytest

from portal import manager
from portal.config import PortalConfig

pytestmark = pytest.mark.portal
REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kaifang.cli", *args], capture_output=True, text=True,
                          timeout=600, cwd=REPO, env=env)


def test_cli_up_is_idempotent_and_status_json(portal):
    up = _cli("portal", "up")
    assert up.returncode == 0, up.stderr
    assert up.stdout.strip() == portal.url
    st = _cli("portal", "status", "--json")
    assert st.returncode == 0, st.stderr
    data = json.loads(st.stdout)
    assert data["url"] == portal.url and data["running"] is True
    creds = Path(data["credentials"])
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert set(data["pids"]) >= {"gunicorn"} and data["rss_mb"] > 0
    for out in (up.stdout, up.stderr, st.stdout, st.stderr):
        assert portal.token not in out  # the token is never printed
    assert manager.read_token() == portal.token
    ini = Path(portal.state_dir) / "ckan.ini"
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def state_dir():
    """A state dir outside pytest's tmp root: pytest re-chmods /tmp/pytest-of-<user> to 0700 (also
    from other sessions), which locks out pgserver's unprivileged ``pgserver`` user when run as root."""
    path = Path(tempfile.mkdtemp(prefix="kaifang-portal-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_lifecycle_from_nothing_down_exactly_ours_restart_reset(portal, state_dir):
    shared = PortalConfig(state_dir=portal.state_dir)
    cfg = PortalConfig(state_dir=state_dir / "p", port=_free_port(), venv_dir=shared.venv, workers=1)
    logs: list[str] = []

    st = manager.up(cfg, echo=logs.append)
    assert st.running and st.url == cfg.url and set(st.pids) == {"gunicorn", "redis", "postgres"}
    assert st.timings["total_s"] > 0
    token = manager.read_token(cfg)
    assert all(token not in line for line in logs)
    c = ckanapi.RemoteCKAN(cfg.url, apikey=token)
    c.action.organization_create(name="life-org", title="生命周期")
    c.action.package_create(name="life-ds", title="生命周期数据 养老", owner_org="life-org")
    assert c.action.package_search(q="养老")["count"] == 1

    assert manager.up(cfg, echo=logs.append).pids == st.pids  # idempotent: nothing restarted

    pids = dict(st.pids)
    stopped = manager.down(cfg, echo=logs.append)
    assert len(stopped) == 3
    for pid in pids.values():
        assert not manager._alive(pid)
    assert not manager.status(cfg).running
    assert manager.status().running  # the shared portal is untouched: down stops only its own pids

    st2 = manager.up(cfg, echo=logs.append)  # restart keeps data and the still-valid token
    assert st2.running and manager.read_token(cfg) == token
    assert ckanapi.RemoteCKAN(cfg.url).action.package_show(id="life-ds")["title"] == "生命周期数据 养老"

    manager.reset(cfg, echo=logs.append)
    assert not manager.status(cfg).running
    for pid in st2.pids.values():
        assert not manager._alive(pid)
    assert not cfg.pgdata.exists() and not cfg.credentials_path.exists() and not cfg.ini_path.exists()
    assert shared.venv.exists()  # the (shared) venv is kept
    with pytest.raises(manager.ConfigError):
        manager.read_token(cfg)


def test_port_taken_by_someone_else_is_a_clear_error(portal, state_dir):
    shared = PortalConfig(state_dir=portal.state_dir)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        cfg = PortalConfig(state_dir=state_dir / "q", port=s.getsockname()[1], venv_dir=shared.venv)
        with pytest.raises(manager.ConfigError) as exc:
            manager.up(cfg, echo=lambda m: None)
    assert "KAIFANG_PORTAL_PORT" in exc.value.render()
    manager.reset(cfg, echo=lambda m: None)


def test_a_port_browsers_refuse_is_a_clear_error_before_anything_starts(state_dir):
    cfg = PortalConfig(state_dir=state_dir / "bad-port", port=5061)  # SIP over TLS: Chromium says ERR_UNSAFE_PORT
    with pytest.raises(manager.ConfigError) as exc:
        manager.up(cfg, echo=lambda m: None)
    assert "5061" in exc.value.render() and "KAIFANG_PORTAL_PORT" in exc.value.render()
    assert not (state_dir / "bad-port").exists()  # nothing installed or started


def test_existing_postgresql_and_redis_by_url(portal, state_dir):
    """``KAIFANG_PORTAL_DB_URL``/``KAIFANG_PORTAL_REDIS_URL``: use servers we did not start (here the
    shared portal's PostgreSQL and Redis, with separate databases/roles): ``up`` starts only gunicorn,
    ``down`` leaves the servers alone, ``reset`` drops the two databases it created."""
    import configparser

    import psycopg2
    from sqlalchemy.engine import make_url

    shared = PortalConfig(state_dir=portal.state_dir)
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(portal.state_dir / "ckan.ini")
    sock = make_url(ini["app:main"]["sqlalchemy.url"]).query["host"]
    admin = f"postgresql://postgres@/postgres?host={sock}"
    suffix = state_dir.name.rsplit("-", 1)[-1].lower().replace("_", "")
    cfg = PortalConfig(state_dir=state_dir / "ext", port=_free_port(), venv_dir=shared.venv, workers=1,
                       db_admin_url=admin, redis_url=f"unix://{shared.run_dir / 'redis.sock'}?db=5",
                       db_name=f"ext_ckan_{suffix}", datastore_db_name=f"ext_ds_{suffix}",
                       db_user=f"ext_owner_{suffix}", datastore_ro_user=f"ext_ro_{suffix}")
    st = manager.up(cfg, echo=lambda m: None)
    try:
        assert st.running and set(st.pids) == {"gunicorn"}
        c = ckanapi.RemoteCKAN(cfg.url, apikey=manager.read_token(cfg))
        c.action.organization_create(name="ext-org")
        c.action.package_create(name="ext-ds", title="外部数据库 养老", owner_org="ext-org")
        assert [r["name"] for r in c.action.package_search(q="养老")["results"]] == ["ext-ds"]
        ds = c.action.datastore_create(resource={"package_id": "ext-ds", "name": "t"}, force=True,
                                       records=[{"a": i} for i in range(10)])
        assert c.action.datastore_search(resource_id=ds["resource_id"])["total"] == 10
    finally:
        manager.down(cfg, echo=lambda m: None)
    assert manager.status().running  # the servers we borrowed still serve the shared portal
    manager.reset(cfg, echo=lambda m: None)
    with psycopg2.connect(f"dbname=postgres user=postgres host={sock}") as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_database WHERE datname IN (%s, %s)", (cfg.db_name, cfg.datastore_db_name))
        assert cur.fetchone()[0] == 0
        cur.execute(f'DROP ROLE IF EXISTS "{cfg.db_user}"')
        cur.execute(f'DROP ROLE IF EXISTS "{cfg.datastore_ro_user}"')
    conn.close()


def test_cli_status_of_a_portal_that_is_not_running_exits_1(state_dir):
    env = dict(os.environ, KAIFANG_STATE_DIR=str(state_dir), KAIFANG_PORTAL_PORT=str(_free_port()))
    st = _cli("portal", "status", "--json", env=env)
    assert st.returncode == 1
    data = json.loads(st.stdout)
    assert data["running"] is False and data["credentials"] == str(state_dir / "portal" / "credentials.json")
    down = _cli("portal", "down", env=env)
    assert down.returncode == 0 and "nothing" in down.stderr
