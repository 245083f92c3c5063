"""Shared fixtures. ``portal``: the real local CKAN 2.12 portal (no Solr), session-scoped.

    def test_something(portal):
        ckan = portal.client()            # sysadmin RemoteCKAN over HTTP
        anon = portal.client(anonymous=True)
        name = portal.unique("ds")        # unique, CKAN-valid names (the portal is shared)

The fixture brings the portal up once per test session, or reuses a running one (``kaifang
portal up`` semantics: idempotent). It stays running afterwards (``make portal-down`` stops it)
because parallel test sessions on this machine share it. Set ``KAIFANG_STATE_DIR`` to use another
state dir, ``KAIFANG_PORTAL_PORT`` for another port.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Portal:
    """A running local portal: base URL, sysadmin API token (never print it), state dir."""

    url: str
    token: str = field(repr=False)  # never shown in test output
    state_dir: Path

    def client(self, *, anonymous: bool = False, token: str | None = None):
        """``ckanapi.RemoteCKAN`` for this portal: sysadmin by default, anonymous, or another token."""
        import ckanapi

        key = None if anonymous else (token or self.token)
        return ckanapi.RemoteCKAN(self.url, apikey=key, user_agent="kaifang-tests")

    @staticmethod
    def unique(prefix: str = "t") -> str:
        """A CKAN-valid unique name (lowercase, digits, '-')."""
        return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def portal() -> Portal:
    from kaifang.settings import Settings
    from portal import manager

    settings = Settings()
    st = manager.up(settings)
    assert st.running, f"portal did not come up at {st.url}"
    return Portal(url=st.url, token=manager.read_token(settings), state_dir=Path(st.state_dir))
