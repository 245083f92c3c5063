"""``s3`` connector: one object or every object under a prefix, via boto3 with a configurable endpoint.

Credentials come from env vars named in the options (or boto3's default chain); the endpoint may be
a ``${VAR}`` placeholder (moto's server in the demo and tests, MinIO or AWS in production). Objects
are CSV (parsed like the csv connector) or .xlsx; several objects under a prefix are concatenated in
key order and must share one header.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, model_validator

from kaifang.errors import ConfigError, SourceError, TransientError
from pipelines.extract.common import Options, RawPart, Received, expand, redact_url
from pipelines.extract.csv_file import Encoding, parse_csv_bytes, CsvParseOptions
from pipelines.extract.excel import ExcelParseOptions, parse_xlsx_bytes


class S3Options(Options):
    """Options of the ``s3`` connector."""

    bucket: str = Field(..., description="Bucket name; ${VAR} placeholders allowed.")
    key: str | None = Field(None, description="Object key (alternative to prefix).")
    prefix: str | None = Field(None, description="Read every object under this prefix, in key order.")
    endpoint_url: str | None = Field(None, description="S3 endpoint (MinIO/moto); ${VAR} placeholders allowed; None = AWS.")
    region: str = Field("us-east-1", description="Region name.")
    access_key_id_env: str | None = Field(None, description="Env var holding the access key id (None = boto3 default chain).")
    secret_access_key_env: str | None = Field(None, description="Env var holding the secret access key.")
    format: Literal["csv", "xlsx"] = Field("csv", description="Object format.")
    encoding: Encoding = Field("auto", description="CSV text encoding (auto detects UTF-8/BOM/GB18030).")
    delimiter: str | None = Field(None, min_length=1, max_length=1, description="CSV delimiter; None sniffs.")
    header_row: int = Field(1, ge=1, description="1-based header line/row.")
    sheet: str | int = Field(0, description="Sheet for xlsx objects.")
    max_objects: int = Field(1000, ge=1, description="Refuse prefixes with more objects than this.")
    max_bytes: int = Field(4 * 1024**3, ge=1, description="Refuse objects larger than this.")
    connect_timeout: float = Field(10, gt=0, description="Seconds to wait for the endpoint.")
    retries: int = Field(3, ge=0, le=10, description="Retries on transient errors (boto3 standard mode).")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.key is None) == (self.prefix is None):
            raise ValueError("give exactly one of key or prefix")
        return self


def _client(options: S3Options, dataset: str, state_dir: Path | None):
    import boto3
    from botocore.config import Config

    kw = {}
    for opt, arg in (("access_key_id_env", "aws_access_key_id"), ("secret_access_key_env", "aws_secret_access_key")):
        env = getattr(options, opt)
        if env:
            value = os.environ.get(env) or _demo_value(env, state_dir)
            if not value:
                raise ConfigError(f"environment variable {env} is not set", fix=f"export {env}=...", dataset=dataset, key=f"source.options.{opt}")
            kw[arg] = value
    endpoint = expand(options.endpoint_url, state_dir, dataset=dataset, key="source.options.endpoint_url") if options.endpoint_url else None
    cfg = Config(connect_timeout=options.connect_timeout, read_timeout=max(30, options.connect_timeout),
                 retries={"max_attempts": options.retries + 1, "mode": "standard"}, s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=endpoint, region_name=options.region, config=cfg, **kw), endpoint


def _demo_value(env: str, state_dir: Path | None) -> str | None:
    """Demo-only credentials (moto accepts anything) published by demo_sources under KAIFANG_DEMO_*."""
    if not env.startswith("KAIFANG_DEMO_"):
        return None
    from pipelines.extract.common import demo_env

    return demo_env(state_dir).get(env)


def read(options: S3Options, *, dataset_dir: Path, dataset: str, state_dir: Path | None = None) -> Received:
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError

    client, endpoint = _client(options, dataset, state_dir)
    bucket = expand(options.bucket, state_dir, dataset=dataset, key="source.options.bucket")
    where = f"s3://{bucket}/{options.key or options.prefix}"
    shown = (redact_url(endpoint) + " " if endpoint else "") + where
    try:
        if options.key:
            keys = [options.key]
        else:
            keys = []
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=options.prefix):
                keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
                if len(keys) > options.max_objects:
                    raise SourceError(f"more than max_objects={options.max_objects} objects under the prefix", fix="narrow the prefix", source=shown)
            keys.sort()
            if not keys:
                raise SourceError("no objects under the prefix", fix="check bucket and prefix (make demo uploads the demo objects)", source=shown)
        parts = []
        for key in keys:
            head = client.head_object(Bucket=bucket, Key=key)
            if head["ContentLength"] > options.max_bytes:
                raise SourceError(f"object larger than max_bytes={options.max_bytes}", fix="raise source.options.max_bytes", source=f"s3://{bucket}/{key}")
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            parts.append(RawPart(f"s3://{bucket}/{key}", body, {"etag": head.get("ETag", "").strip('"')}))
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
        raise TransientError("S3 endpoint is unreachable", fix="start the object store (make demo starts the demo one) or check endpoint_url",
                             source=shown, driver_error=type(exc).__name__) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError"):
            raise TransientError(f"S3 answered {code or status}", fix="retry later", source=shown) from None
        fix = {"NoSuchBucket": "check source.options.bucket", "NoSuchKey": "check source.options.key", "404": "check bucket and key",
               "AccessDenied": "check the credentials named by access_key_id_env/secret_access_key_env",
               "InvalidAccessKeyId": "check the credentials named by access_key_id_env"}.get(code, "check the S3 options")
        raise SourceError(f"S3 request failed ({code or status})", fix=fix, source=shown, code="s3-error") from None
    except BotoCoreError as exc:
        raise SourceError(f"S3 request failed ({type(exc).__name__})", fix="check the S3 options", source=shown) from None
    frames = []
    header = None
    for part in parts:
        if options.format == "csv":
            popts = CsvParseOptions(encoding=options.encoding, delimiter=options.delimiter, header_row=options.header_row, max_bytes=options.max_bytes)
            frame, details = parse_csv_bytes(part.data, popts, source=part.locator)
        else:
            frame, details = parse_xlsx_bytes(part.data, ExcelParseOptions(sheet=options.sheet, header_row=options.header_row), source=part.locator)
        part.extra.update(details)
        if header is None:
            header = frame.columns
        elif frame.columns != header:
            raise SourceError("objects under the prefix have different headers", fix="export every object with the same columns",
                              source=part.locator, first_object=parts[0].locator)
        frames.append(frame)
    table = pl.concat(frames, how="vertical")
    return Received(table=table, parts=parts, locator=f"s3:{shown}", details={"objects": len(parts), "format": options.format})
