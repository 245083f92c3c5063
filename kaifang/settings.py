"""Typed settings shared by the CLI, flows and stages. Secrets are named by env var, never stored."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseModel):
    """Where Kaifang reads definitions, keeps state, and publishes to."""

    datasets_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("KAIFANG_DATASETS_DIR", REPO_ROOT / "datasets")),
        description="Folder holding one sub-folder per dataset definition.",
    )
    state_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("KAIFANG_STATE_DIR", REPO_ROOT / ".kaifang")),
        description="Folder for raw snapshots, staging, manifests, audit log and the local portal.",
    )
    portal_url: str | None = Field(
        default_factory=lambda: os.environ.get("KAIFANG_PORTAL_URL"),
        description="CKAN base URL; None means the local portal's URL from its status file.",
    )
    token_env: str = Field(
        default_factory=lambda: os.environ.get("KAIFANG_TOKEN_ENV", "KAIFANG_CKAN_TOKEN"),
        description="Name of the env var holding the CKAN API token (falls back to the local portal's credentials file).",
    )
    json_output: bool = Field(
        default_factory=lambda: bool(os.environ.get("KAIFANG_JSON")),
        description="Commands print machine-readable JSON (global --json).",
    )
    store: str | None = Field(
        default_factory=lambda: os.environ.get("KAIFANG_STORE"),
        description="Object store URL: file:///path or s3://bucket/prefix; None means <state_dir>/store.",
    )
    hmac_key_env: str = Field(
        default="KAIFANG_HMAC_KEY",
        description="Name of the env var holding the pseudonymization HMAC key.",
    )
    steward: str = Field(
        default_factory=lambda: os.environ.get("KAIFANG_STEWARD", os.environ.get("USER", "steward")),
        description="Steward id recorded in the audit log as the publisher.",
    )

    @property
    def portal_state_dir(self) -> Path:
        """State folder of the local CKAN portal."""
        return self.state_dir / "portal"
