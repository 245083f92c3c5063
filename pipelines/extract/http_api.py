"""``http`` connector: a paged JSON API (page / offset / cursor), with bounded retries.

Transient failures (connection refused, timeouts, HTTP 429/5xx) are retried ``retries`` times with
exponential backoff, then raised as ``TransientError`` (so the flow may retry later). Invalid JSON,
a missing records list and other 4xx answers are ``SourceError`` naming the page and position.
Header secrets (API keys) come from env vars named in ``headers_env``; locators drop query strings.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from kaifang.errors import ConfigError, SourceError, TransientError
from pipelines.extract.common import Options, RawPart, Received, check_header, expand, frame_from_columns, redact_url, text_value

if TYPE_CHECKING:  # httpx is imported when an http source is read, not when descriptors are loaded
    import httpx

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class HttpOptions(Options):
    """Options of the ``http`` connector."""

    url: str = Field(..., description="Endpoint URL; ${VAR} placeholders allowed.")
    records_path: str = Field("data", description="Dot path to the list of records in each page ('' = the page is the list).")
    pagination: Literal["none", "page", "offset", "cursor"] = Field("none", description="How to walk pages.")
    page_param: str = Field("page", description="Query parameter holding the page number (pagination: page).")
    first_page: int = Field(1, ge=0, description="Number of the first page.")
    size_param: str = Field("page_size", description="Query parameter holding the page size (page); the limit parameter (offset).")
    page_size: int = Field(100, ge=1, le=100_000, description="Records requested per page.")
    offset_param: str = Field("offset", description="Query parameter holding the offset (pagination: offset).")
    cursor_param: str = Field("cursor", description="Query parameter sending the cursor (pagination: cursor).")
    next_cursor_path: str = Field("next_cursor", description="Dot path to the next cursor in each page (null/absent = last page).")
    total_path: str | None = Field(None, description="Dot path to the total record count, used to stop early and to check completeness.")
    params: dict[str, str] = Field(default_factory=dict, description="Extra fixed query parameters (no secrets).")
    headers_env: dict[str, str] = Field(default_factory=dict, description="Header name → env var holding its value (API keys).")
    retries: int = Field(3, ge=0, le=10, description="Retries per request on transient errors.")
    backoff_seconds: float = Field(0.5, ge=0, le=30, description="First retry delay; doubles each retry (capped at 10 s).")
    timeout_seconds: float = Field(15, gt=0, le=300, description="Per-request timeout.")
    max_pages: int = Field(10_000, ge=1, description="Refuse to walk more pages than this.")
    max_bytes: int = Field(512 * 1024**2, ge=1, description="Refuse responses totalling more than this.")


def _dig(obj: Any, path: str) -> Any:
    if not path:
        return obj
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return None
        obj = obj[part]
    return obj


def _headers(options: HttpOptions, dataset: str) -> dict[str, str]:
    out = {"Accept": "application/json"}
    for header, env in options.headers_env.items():
        value = os.environ.get(env)
        if not value:
            raise ConfigError(f"environment variable {env} for header {header} is not set", fix=f"export {env}=...",
                              dataset=dataset, key="source.options.headers_env")
        out[header] = value
    return out


def _get(client: httpx.Client, url: str, params: dict, options: HttpOptions, *, shown: str, page: int) -> bytes:
    import httpx

    delay = options.backoff_seconds
    last = ""
    for attempt in range(options.retries + 1):
        if attempt:
            time.sleep(min(delay, 10.0))
            delay *= 2
        try:
            resp = client.get(url, params=params)
        except httpx.TimeoutException:
            last = "timeout"
            continue
        except httpx.TransportError as exc:
            last = type(exc).__name__
            continue
        if resp.status_code in RETRY_STATUS:
            last = f"HTTP {resp.status_code}"
            continue
        if resp.status_code >= 400:
            fix = {401: "set the API key env var named in source.options.headers_env", 403: "check the API key's permissions",
                   404: "check source.options.url"}.get(resp.status_code, "check the request options against the API documentation")
            raise SourceError(f"API answered HTTP {resp.status_code}", fix=fix, source=shown, page=page, code="http-error")
        return resp.content
    raise TransientError(f"API failed after {options.retries + 1} attempts ({last})",
                         fix="retry later; check the service is up (make demo starts the demo API)", source=shown, page=page, attempts=options.retries + 1)


def read(options: HttpOptions, *, dataset_dir: Path, dataset: str, state_dir: Path | None = None) -> Received:
    url = expand(options.url, state_dir, dataset=dataset, key="source.options.url")
    shown = redact_url(url)
    import httpx

    headers = _headers(options, dataset)
    parts: list[RawPart] = []
    records: list[dict] = []
    total_bytes = 0
    cursor: str | None = None
    page_no = options.first_page
    total = None
    with httpx.Client(timeout=options.timeout_seconds, headers=headers, follow_redirects=True) as client:
        for i in range(options.max_pages + 1):
            if i == options.max_pages:
                raise SourceError(f"API has more than max_pages={options.max_pages} pages", fix="raise source.options.max_pages or check pagination options",
                                  source=shown)
            params = dict(options.params)
            if options.pagination == "page":
                params.update({options.page_param: str(page_no), options.size_param: str(options.page_size)})
            elif options.pagination == "offset":
                params.update({options.offset_param: str(len(records)), options.size_param: str(options.page_size)})
            elif options.pagination == "cursor" and cursor is not None:
                params[options.cursor_param] = cursor
            body = _get(client, url, params, options, shown=shown, page=i + 1)
            total_bytes += len(body)
            if total_bytes > options.max_bytes:
                raise SourceError(f"API responses exceed max_bytes={options.max_bytes}", fix="raise source.options.max_bytes", source=shown, page=i + 1)
            try:
                doc = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise SourceError("API answered invalid JSON", fix="check the API (and source.options.url) returns JSON",
                                  source=shown, page=i + 1, line=getattr(exc, "lineno", None), column=getattr(exc, "colno", None),
                                  code="invalid-json") from None
            page_records = _dig(doc, options.records_path)
            if not isinstance(page_records, list) or not all(isinstance(r, dict) for r in page_records):
                keys = ", ".join(sorted(doc)[:20]) if isinstance(doc, dict) else type(doc).__name__
                raise SourceError(f"records_path {options.records_path!r} is not a list of objects in the answer (top level: {keys})",
                                  fix="set source.options.records_path to the key holding the records", source=shown, page=i + 1)
            parts.append(RawPart(f"{shown}#page={i + 1}", body))
            records.extend(page_records)
            if options.total_path:
                total = _dig(doc, options.total_path)
            if options.pagination == "none":
                break
            if options.pagination == "cursor":
                nxt = _dig(doc, options.next_cursor_path)
                if nxt in (None, "") or not page_records:
                    break
                cursor = str(nxt)
                continue
            page_no += 1
            if len(page_records) < options.page_size or (isinstance(total, int) and len(records) >= total):
                break
    if isinstance(total, int) and total != len(records):
        raise SourceError(f"API declared {total} records but returned {len(records)}", fix="retry; the source changed while paging or pagination options are wrong",
                          source=shown, code="incomplete")
    header: list[str] = []
    seen: set[str] = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                header.append(k)
    header = check_header(header, source=shown) if header else header
    columns = [[text_value(r.get(h)) for r in records] for h in header]
    if not records:
        raise SourceError("API returned no records", fix="check the endpoint and query parameters", source=shown, code="no-data-rows")
    return Received(table=frame_from_columns(header, columns), parts=parts, locator=f"http:{shown}",
                    details={"pages": len(parts), "pagination": options.pagination})
