"""CKAN over HTTP (ckanapi ``RemoteCKAN``) with error classification and bounded retries.

5xx answers, timeouts and connection errors → ``TransientError`` (retried with backoff, then raised);
validation, authorization and not-found answers → ``TerminalError`` (never retried). Every request
that may change the portal counts as a write (``Portal.writes``), so an unchanged publish can prove
it wrote nothing.
"""

from __future__ import annotations

import json
import logging
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, NotAuthorized, NotFound, ValidationError

from kaifang.errors import ConfigError, KaifangError, TerminalError, TransientError
from publish.retry import RetryPolicy, with_retries

log = logging.getLogger("kaifang.publish.ckan")

READ_ACTIONS = {"package_show", "organization_show", "group_show", "status_show", "package_search", "resource_show", "package_autocomplete", "organization_list", "package_list", "site_read", "package_activity_list"}


class _Remote(RemoteCKAN):
    """RemoteCKAN that remembers the HTTP status of the last answer (ckanapi hides it)."""

    last_status: int = 0

    def _request_fn(self, url, data, headers, files, requests_kwargs):
        status, text = super()._request_fn(url, data, headers, files, requests_kwargs)
        self.last_status = status
        return status, text

    def _request_fn_get(self, url, data_dict, headers, requests_kwargs):
        status, text = super()._request_fn_get(url, data_dict, headers, requests_kwargs)
        self.last_status = status
        return status, text


class NotFoundOnPortal(TerminalError):
    """The portal has no such object."""

    code = "not-found"


def _validation_summary(err: ValidationError) -> str:
    d = err.error_dict if hasattr(err, "error_dict") else {}
    if isinstance(d, dict):
        return ", ".join(f"{k}: {v}" for k, v in d.items() if k != "__type")[:300]
    return str(d)[:300]


class Portal:
    """A CKAN portal reached over HTTP with a token."""

    def __init__(self, url: str, token: str | None, *, policy: RetryPolicy | None = None, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.ckan = _Remote(self.url, apikey=token, user_agent="kaifang-publish/0.1")
        self.writes = 0
        self.requests = 0

    def call(self, action: str, data: dict | None = None, *, files: dict[str, Path] | None = None, anonymous: bool = False) -> Any:
        """Call an action with retries; ``files`` maps form field → local file path (re-opened per attempt)."""
        write = action not in READ_ACTIONS

        def once() -> Any:
            self.requests += 1
            if write:
                self.writes += 1
            with ExitStack() as stack:
                fh = {k: (p.name, stack.enter_context(open(p, "rb"))) for k, p in (files or {}).items()} or None
                payload = data or {}
                if fh:
                    payload = {k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in payload.items() if v is not None}
                try:
                    return self.ckan.call_action(action, payload, files=fh, apikey="" if anonymous else None, requests_kwargs={"timeout": self.timeout})
                except KaifangError:
                    raise
                except (requests.ConnectionError, requests.Timeout) as exc:
                    raise TransientError("portal unreachable or timed out", action=action, portal=self.url, cause=type(exc).__name__, fix="check that the portal is up; the release resumes where it stopped") from None
                except NotFound:
                    raise NotFoundOnPortal("not found on the portal", action=action, portal=self.url) from None
                except NotAuthorized:
                    raise TerminalError("the portal refused the token", action=action, portal=self.url, status=self.ckan.last_status,
                                        fix="set a sysadmin or organization-editor token in the env var named by token_env") from None
                except ValidationError as exc:
                    raise TerminalError("the portal rejected the request", action=action, portal=self.url, detail=_validation_summary(exc)) from None
                except CKANAPIError:
                    status = self.ckan.last_status
                    if status >= 500 or status in (408, 429) or status == 0:
                        raise TransientError("portal answered with a server error", action=action, portal=self.url, status=status, fix="retry later; the release resumes where it stopped") from None
                    raise TerminalError("portal answered with an unexpected error", action=action, portal=self.url, status=status) from None

        return with_retries(once, policy=self.policy, what=f"ckan {action}")

    def show(self, action: str, **data: Any) -> dict | None:
        """A read that returns None when the object does not exist."""
        try:
            return self.call(action, data)
        except NotFoundOnPortal:
            return None


def connect(settings: Any, *, policy: RetryPolicy | None = None, url: str | None = None) -> Portal:
    """Portal from ``settings.portal_url`` + env ``settings.token_env``, else the local portal's status and credentials."""
    url = url or getattr(settings, "portal_url", None)
    token = os.environ.get(getattr(settings, "token_env", "KAIFANG_CKAN_TOKEN") or "KAIFANG_CKAN_TOKEN")
    if not url or not token:
        try:
            from portal import manager  # the local portal (optional)
        except ImportError:  # pragma: no cover - portal package missing
            manager = None
        if manager is None:
            raise ConfigError("no portal configured", fix="set KAIFANG_PORTAL_URL and the token env var, or run `kaifang portal up`")
        if not url:
            url = manager.status(settings).url
        if not token:
            token = manager.read_token(settings)
    return Portal(url, token, policy=policy)
