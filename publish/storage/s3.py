"""S3-compatible object store through boto3 (AWS S3, MinIO, Ceph RGW, Aliyun OSS, moto's server).

Credentials come from the standard AWS environment/profile chain, never from Kaifang config.
Write-once uses ``If-None-Match: *`` on PutObject and CompleteMultipartUpload; the sha256 is kept in
the object's user metadata (``x-amz-meta-sha256``). Files above ``multipart_threshold`` go up in parts.
botocore's "standard" retry mode retries 5xx, throttling, timeouts and connection errors with
bounded backoff; what still fails is classified into TransientError / TerminalError.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError as BotoConnectionError, ConnectTimeoutError, ReadTimeoutError

from kaifang.errors import KaifangError, TerminalError, TransientError

from .base import CHUNK, ObjectStore, StoredObject, check_key, sha256_chunks, sha256_file

_TRANSIENT_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "Throttling", "ThrottlingException"}


def classify(exc: Exception, *, op: str, key: str | None = None) -> KaifangError:
    """Turn a botocore failure into TransientError (retry may help) or TerminalError (it will not)."""
    if isinstance(exc, KaifangError):
        return exc
    if isinstance(exc, (BotoConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return TransientError("object store unreachable or timed out", op=op, key=key, cause=type(exc).__name__, fix="check the S3 endpoint; the step is retried on the next run")
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        if status >= 500 or code in _TRANSIENT_CODES:
            return TransientError("object store answered with a server error", op=op, key=key, status=status, s3_code=code, fix="retry later; the release resumes where it stopped")
        if status in (401, 403) or code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return TerminalError("object store refused the credentials", op=op, key=key, status=status, s3_code=code, fix="set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE with write access to the bucket")
        if code == "NoSuchBucket":
            return TerminalError("bucket does not exist", op=op, status=status, fix="create the bucket or fix the s3:// URL in KAIFANG_STORE")
        return TerminalError("object store rejected the request", op=op, key=key, status=status, s3_code=code)
    if isinstance(exc, BotoCoreError):
        return TransientError("object store client error", op=op, key=key, cause=type(exc).__name__)
    return TerminalError("unexpected object store failure", op=op, key=key, cause=type(exc).__name__)


def _status(exc: ClientError) -> int:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


class S3Store(ObjectStore):
    """Objects under ``s3://bucket/prefix``."""

    kind = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        public_base_url: str | None = None,
        multipart_threshold: int = 64 << 20,
        part_size: int = 16 << 20,
        max_attempts: int = 4,
        timeout: float = 30.0,
        create_bucket: bool = False,
        acl: str | None = None,
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        self.region = region
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.acl = acl
        self._extra = {"ACL": acl} if acl else {}
        self.multipart_threshold = multipart_threshold
        self.part_size = max(part_size, 5 << 20)
        cfg = Config(
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=timeout,
            read_timeout=timeout,
            s3={"addressing_style": "path"},
        )
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1", config=cfg)
        if create_bucket:
            try:
                self.client.head_bucket(Bucket=bucket)
            except ClientError:
                try:
                    self.client.create_bucket(Bucket=bucket)
                except Exception as exc:  # noqa: BLE001
                    raise classify(exc, op="create_bucket") from None

    @property
    def location(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} ({self.endpoint_url})" if self.endpoint_url else where

    def _k(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def url(self, key: str) -> str:
        if self.public_base_url:
            return f"{self.public_base_url}/{key}"
        base = self.endpoint_url or f"https://s3.{self.region or 'us-east-1'}.amazonaws.com"
        return f"{base.rstrip('/')}/{self.bucket}/{self._k(key)}"

    def head(self, key: str) -> StoredObject | None:
        try:
            r = self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise classify(exc, op="head_object", key=key) from None
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="head_object", key=key) from None
        sha = r.get("Metadata", {}).get("sha256", "")
        return StoredObject(key, sha, int(r["ContentLength"]), self.url(key))

    def put(self, key: str, path: Path, *, sha256: str | None = None) -> StoredObject:
        sha, size = sha256_file(path)
        if sha256 and sha != sha256:
            raise TerminalError("staged file changed after it was hashed", key=key, fix="rebuild the release bundle")
        existing = self.head(key)
        if existing is not None:
            return self._same_or_conflict(existing, sha, size)
        try:
            if size > self.multipart_threshold:
                self._multipart(key, path, sha)
            else:
                with open(path, "rb") as fh:
                    self.client.put_object(Bucket=self.bucket, Key=self._k(key), Body=fh, IfNoneMatch="*", Metadata={"sha256": sha}, ContentLength=size, **self._extra)
        except ClientError as exc:
            if _status(exc) in (409, 412):  # someone (or our own retried request) wrote it first
                existing = self.head(key)
                if existing is not None:
                    return self._same_or_conflict(existing, sha, size)
            raise classify(exc, op="put_object", key=key) from None
        except KaifangError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="put_object", key=key) from None
        return StoredObject(key, sha, size, self.url(key), created=True)

    def _multipart(self, key: str, path: Path, sha: str) -> None:
        k = self._k(key)
        up = self.client.create_multipart_upload(Bucket=self.bucket, Key=k, Metadata={"sha256": sha}, **self._extra)
        upload_id = up["UploadId"]
        parts = []
        try:
            with open(path, "rb") as fh:
                n = 1
                while chunk := fh.read(self.part_size):
                    r = self.client.upload_part(Bucket=self.bucket, Key=k, UploadId=upload_id, PartNumber=n, Body=chunk)
                    parts.append({"PartNumber": n, "ETag": r["ETag"]})
                    n += 1
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=k, UploadId=upload_id, MultipartUpload={"Parts": parts}, IfNoneMatch="*")
        except Exception:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=k, UploadId=upload_id)
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass
            raise

    def get_bytes(self, key: str) -> bytes:
        return b"".join(self._chunks(key))

    def read_sha256(self, key: str) -> tuple[str, int]:
        return sha256_chunks(self._chunks(key))

    def _chunks(self, key: str) -> Iterator[bytes]:
        """An object's bytes in 1 MiB chunks; a missing key is terminal, other failures classified."""
        try:
            yield from self.client.get_object(Bucket=self.bucket, Key=self._k(key))["Body"].iter_chunks(CHUNK)
        except ClientError as exc:
            if _status(exc) == 404:
                raise TerminalError("object not found", key=key, store=self.location) from None
            raise classify(exc, op="get_object", key=key) from None
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="get_object", key=key) from None

    def download(self, key: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, self._k(key), str(dest))
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="download", key=key) from None
        return dest

    def delete(self, key: str) -> bool:
        existed = self.head(key) is not None
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._k(key))
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="delete_object", key=key) from None
        return existed

    def list(self, prefix: str) -> list[str]:
        full = self._k(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        keys: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", []):
                    k = item["Key"]
                    keys.append(k[len(self.prefix) + 1 :] if self.prefix else k)
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="list_objects", key=prefix) from None
        return sorted(keys)

    def put_mutable(self, key: str, data: bytes) -> StoredObject:
        sha = hashlib.sha256(data).hexdigest()
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._k(key), Body=data, Metadata={"sha256": sha}, ContentType="application/json", **self._extra)
        except Exception as exc:  # noqa: BLE001
            raise classify(exc, op="put_object", key=key) from None
        return StoredObject(key, sha, len(data), self.url(key), created=True)
