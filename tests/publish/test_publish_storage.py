"""Object store: write-once keys with sha256, local (exclusive create) and S3 via moto's server over HTTP."""

from __future__ import annotations

import hashlib
import os

import boto3
import httpx
import pytest

from kaifang.errors import ConfigError, PublishConflict, TerminalError, TransientError
from kaifang.settings import Settings
from publish.storage import LocalStore, S3Store, open_store
from tests.publish.faultproxy import Fault


def _file(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    endpoint = request.getfixturevalue("moto_server")
    bucket = request.getfixturevalue("bucket")
    return open_store(f"s3://{bucket}/pre/fix?endpoint_url={endpoint}&region=us-east-1", None)


def test_put_is_write_once_and_idempotent(store, tmp_path):
    a = _file(tmp_path, "a.csv", b"id,x\r\n1,2\r\n")
    first = store.put("ds/1.0.0/a.csv", a)
    assert first.created and first.sha256 == hashlib.sha256(a.read_bytes()).hexdigest() and first.bytes == a.stat().st_size
    again = store.put("ds/1.0.0/a.csv", a)
    assert not again.created and again.sha256 == first.sha256
    b = _file(tmp_path, "b.csv", b"id,x\r\n1,3\r\n")
    with pytest.raises(PublishConflict) as e:
        store.put("ds/1.0.0/a.csv", b)
    assert "write-once" in str(e.value)
    assert store.get_bytes("ds/1.0.0/a.csv") == a.read_bytes()  # not overwritten
    assert store.head("ds/1.0.0/a.csv").sha256 == first.sha256
    assert store.head("ds/1.0.0/missing.csv") is None
    assert store.list("ds/1.0.0") == ["ds/1.0.0/a.csv"]
    assert store.delete("ds/1.0.0/a.csv") and store.head("ds/1.0.0/a.csv") is None


def test_read_sha256_streams_what_an_object_reads_back_as(store, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    store.put("ds/1.0.0/big.csv", _file(tmp_path, "big.csv", data))
    assert store.read_sha256("ds/1.0.0/big.csv") == (hashlib.sha256(data).hexdigest(), len(data))
    with pytest.raises(TerminalError):
        store.read_sha256("ds/1.0.0/missing.csv")


def test_read_sha256_sees_what_the_store_answers(s3_proxy, bucket, tmp_path):
    """The read-back check hashes the bytes the S3 endpoint serves: a changed byte never passes."""
    s = open_store(f"s3://{bucket}?endpoint_url={s3_proxy.url}&max_attempts=2", None)
    data = b"id,x\r\n" + b"1,2\r\n" * 1000
    s.put("ds/1.0.0/c.csv", _file(tmp_path, "c.csv", data))
    good = (hashlib.sha256(data).hexdigest(), len(data))
    assert s.read_sha256("ds/1.0.0/c.csv") == good
    s3_proxy.faults.append(Fault(method="GET", path="c.csv", action="corrupt", times=1))
    try:  # botocore's own response checksum may refuse the body first (a transient error, retried)
        got = s.read_sha256("ds/1.0.0/c.csv")
    except TransientError:
        got = None
    assert got != good and s3_proxy.faults[-1].fired == 1
    assert s.read_sha256("ds/1.0.0/c.csv") == good


def test_put_mutable_overwrites(store):
    store.put_mutable("ds/versions.json", b"[1]")
    store.put_mutable("ds/versions.json", b"[1,2]")
    assert store.get_bytes("ds/versions.json") == b"[1,2]"


def test_bad_keys_are_refused(store, tmp_path):
    a = _file(tmp_path, "a", b"x")
    for key in ("../etc/passwd", "ds//a", "/abs", "ds/./a"):
        with pytest.raises(ConfigError):
            store.put(key, a)


def test_local_exclusive_create_leaves_no_temp_files(tmp_path):
    s = LocalStore(tmp_path / "store")
    a = _file(tmp_path, "a", b"x" * 1000)
    s.put("d/1.0.0/a", a)
    files = [p.name for p in (tmp_path / "store" / "objects" / "d" / "1.0.0").iterdir()]
    assert files == ["a"]
    assert not os.access(tmp_path / "store" / "objects" / "d" / "1.0.0" / "a", os.W_OK) or os.geteuid() == 0


def test_s3_multipart_and_public_download(moto_server, bucket, tmp_path):
    s = open_store(f"s3://{bucket}?endpoint_url={moto_server}&multipart_threshold=6000000&part_size=5242880", None)
    big = _file(tmp_path, "big.bin", os.urandom(11 * 1024 * 1024))
    obj = s.put("ds/1.0.0/big.bin", big)
    assert obj.created
    r = httpx.get(obj.url)  # anonymous HTTP download from the server
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == obj.sha256
    # multipart complete also honours If-None-Match
    other = _file(tmp_path, "big2.bin", os.urandom(11 * 1024 * 1024))
    with pytest.raises(PublishConflict):
        s.put("ds/1.0.0/big.bin", other)
    raw = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    with pytest.raises(Exception) as e:
        raw.put_object(Bucket=bucket, Key="ds/1.0.0/big.bin", Body=b"x", IfNoneMatch="*")
    assert "PreconditionFailed" in str(e.value)


def test_s3_transient_errors_are_retried(s3_proxy, bucket, tmp_path):
    s3_proxy.faults += [Fault(method="PUT", path="/ds/", status=503, times=2), Fault(method="HEAD", path="/ds/", status=500, times=1)]
    s = open_store(f"s3://{bucket}?endpoint_url={s3_proxy.url}&max_attempts=4", None)
    obj = s.put("ds/1.0.0/a.csv", _file(tmp_path, "a.csv", b"hello"))
    assert obj.created and s.get_bytes("ds/1.0.0/a.csv") == b"hello"
    statuses = [st for m, p, st in s3_proxy.log if m == "PUT"]
    assert statuses == [503, 503, 200]


def test_s3_lost_response_is_idempotent(s3_proxy, bucket, tmp_path):
    # the server stores the object but the client only sees 503: the retry hits If-None-Match, compares sha256, succeeds
    s3_proxy.faults.append(Fault(method="PUT", path="/ds/", action="lost", status=503, times=1))
    s = open_store(f"s3://{bucket}?endpoint_url={s3_proxy.url}", None)
    obj = s.put("ds/1.0.0/a.csv", _file(tmp_path, "a.csv", b"hello"))
    assert obj.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert [st for m, p, st in s3_proxy.log if m == "PUT"] == [503, 412]


def test_s3_persistent_5xx_becomes_transient_error(s3_proxy, bucket, tmp_path):
    s3_proxy.faults.append(Fault(method="PUT", path="/ds/", status=500, times=100))
    s = open_store(f"s3://{bucket}?endpoint_url={s3_proxy.url}&max_attempts=3", None)
    with pytest.raises(TransientError) as e:
        s.put("ds/1.0.0/a.csv", _file(tmp_path, "a.csv", b"hello"))
    assert e.value.context["status"] == 500
    assert len([1 for m, p, st in s3_proxy.log if m == "PUT"]) == 3  # bounded


def test_s3_timeout_is_transient(s3_proxy, bucket, tmp_path):
    s3_proxy.faults.append(Fault(method="PUT", path="/ds/", action="timeout", times=1))
    s = open_store(f"s3://{bucket}?endpoint_url={s3_proxy.url}&timeout=1&max_attempts=2", None)
    obj = s.put("ds/1.0.0/a.csv", _file(tmp_path, "a.csv", b"hello"))
    assert obj.created or obj.sha256


def test_s3_terminal_errors_are_not_retried(s3_proxy, tmp_path):
    s = open_store(f"s3://no-such-bucket-kf?endpoint_url={s3_proxy.url}", None)
    with pytest.raises(TerminalError) as e:
        s.put("ds/1.0.0/a.csv", _file(tmp_path, "a.csv", b"hello"))
    assert not isinstance(e.value, TransientError)
    assert len([1 for m, p, st in s3_proxy.log if m == "PUT"]) == 1


def test_open_store_urls(tmp_path):
    settings = Settings(state_dir=tmp_path / "state", store=None)
    s = open_store(None, settings)
    assert isinstance(s, LocalStore) and s.root == (tmp_path / "state" / "store").resolve()
    s2 = open_store(f"file://{tmp_path}/elsewhere?public_base_url=https://files.example/x", settings)
    assert isinstance(s2, LocalStore) and s2.url("a/1.0.0/b") == "https://files.example/x/a/1.0.0/b"
    s3 = open_store("s3://bkt/p?endpoint_url=http://127.0.0.1:1&region=cn-north-1", settings)
    assert isinstance(s3, S3Store) and s3.url("a/b/c") == "http://127.0.0.1:1/bkt/p/a/b/c"
    for bad in ("ftp://x/y", "s3://", "s3://b?nope=1", "s3://b?part_size=big"):
        with pytest.raises(ConfigError):
            open_store(bad, settings)
