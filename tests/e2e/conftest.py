"""End-to-end fixtures: the bundled catalogue under unique ids, an isolated state dir, the demo
sources and the shared real portal. The CLI runs as a subprocess, exactly as a steward runs it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bundled import copy_bundled_catalog

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Catalog:
    """A copy of the bundled datasets (ids suffixed), its own state dir, and the env to run the CLI."""

    datasets_dir: Path
    state_dir: Path
    suffix: str
    env: dict[str, str]
    last_output: str = ""
    first_output: str = ""

    def id(self, bundled_id: str) -> str:
        return f"{bundled_id}-{self.suffix}"

    def ids(self) -> dict[str, str]:
        return {p.name.removesuffix(f"-{self.suffix}"): p.name for p in self.datasets_dir.iterdir() if p.is_dir()}

    def kaifang(self, *args: str, timeout: float = 900, check: bool = False) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "kaifang.cli", *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=REPO
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kaifang {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def publish_json(self, *args: str) -> list[dict]:
        proc = self.kaifang("--json", "publish", *args)
        self.last_output = proc.stdout + proc.stderr
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        start = proc.stdout.index('{\n  "outcomes"')
        return json.loads(proc.stdout[start:])["outcomes"]


def make_catalog(root: Path, portal, *, suffix: str | None = None, hmac_key: str | None = None) -> Catalog:
    suffix = suffix or f"e2e{uuid.uuid4().hex[:6]}"
    ddir, state = root / "datasets", root / "state"
    copy_bundled_catalog(ddir, suffix)
    env = {
        **os.environ,
        "KAIFANG_DATASETS_DIR": str(ddir),
        "KAIFANG_STATE_DIR": str(state),
        "KAIFANG_PORTAL_URL": portal.url,
        "KAIFANG_CKAN_TOKEN": portal.token,
        "KAIFANG_HMAC_KEY": hmac_key or secrets.token_hex(16),
        "PREFECT_HOME": str(state / "prefect"),
        "COLUMNS": "200",
    }
    return Catalog(ddir, state, suffix, env)


@pytest.fixture(scope="session")
def demo_sources_env():
    """The demo SQL/API/S3 sources (seeded from the bundled datasets), shared by the e2e tests."""
    from pipelines.extract import demo_sources
    from kaifang.settings import Settings

    settings = Settings()
    values = {k: v for k, v in demo_sources.up(settings.state_dir, REPO / "datasets").items() if not k.startswith("_")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in values.items():
            mp.setenv(k, v)
        yield values


@pytest.fixture(scope="session")
def catalog(portal, demo_sources_env, tmp_path_factory) -> Catalog:
    return make_catalog(tmp_path_factory.mktemp("catalog"), portal)


@pytest.fixture(scope="session")
def first_run(catalog) -> list[dict]:
    """`kaifang publish --all`, sequentially (the reference for the Dask test)."""
    outcomes = catalog.publish_json("--all", "--concurrency", "1")
    catalog.first_output = catalog.last_output
    return outcomes


@pytest.fixture
def catalog_factory(portal, demo_sources_env):
    return lambda root, **kw: make_catalog(root, portal, **kw)
