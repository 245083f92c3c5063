"""s3 connector against moto's standalone server over HTTP."""

from __future__ import annotations

import boto3
import pytest

from kaifang.errors import SourceError, TransientError
from pipelines.extract import extract
from pipelines.extract.demo_sources import seed_s3

from .conftest import DATASETS


@pytest.fixture
def s3env(moto_endpoint, monkeypatch):
    monkeypatch.setenv("TEST_S3_ENDPOINT", moto_endpoint)
    monkeypatch.setenv("TEST_S3_KEY", "testing")
    monkeypatch.setenv("TEST_S3_SECRET", "testing")
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def s3_source(**opts):
    return {"connector": "s3", "options": {"endpoint_url": "${TEST_S3_ENDPOINT}", "access_key_id_env": "TEST_S3_KEY",
                                           "secret_access_key_env": "TEST_S3_SECRET", "retries": 0, **opts}}


def test_prefix_objects_concatenated_in_key_order(make_dataset, state_dir, s3env, moto_endpoint):
    seed_s3(moto_endpoint, DATASETS, bucket="t-prefix")
    ds = make_dataset(s3_source(bucket="t-prefix", prefix="civil-affairs/subsistence/2024/"))
    ex = extract(ds, state_dir)
    assert ex.table.height == 1200 and ex.table.columns[0] == "case_no"
    assert [p["locator"].rsplit("/", 1)[1] for p in ex.lineage.parts] == ["subsistence_2024Q1.csv", "subsistence_2024Q2.csv"]
    # several parts: the snapshot is a content-addressed manifest naming each part's sha256
    manifest = ex.raw_path.read_text()
    assert all(p["sha256"] in manifest for p in ex.lineage.parts)
    assert all((state_dir / "raw" / p["sha256"]).exists() for p in ex.lineage.parts)


def test_single_gbk_object(make_dataset, state_dir, s3env):
    s3env.create_bucket(Bucket="t-key")
    s3env.put_object(Bucket="t-key", Key="in/a.csv", Body="编号,名称\n1,图书馆\n".encode("gbk"))
    ex = extract(make_dataset(s3_source(bucket="t-key", key="in/a.csv")), state_dir)
    assert ex.table.row(0) == ("1", "图书馆") and ex.lineage.parts[0]["details"]["encoding"] == "gb18030"


def test_missing_bucket_and_key(make_dataset, state_dir, s3env):
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(s3_source(bucket="no-such-bucket", key="x.csv")), state_dir)
    assert "bucket" in ei.value.fix or "key" in ei.value.fix
    s3env.create_bucket(Bucket="t-empty")
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(s3_source(bucket="t-empty", prefix="nothing/")), state_dir)
    assert "no objects" in ei.value.message


def test_bad_object_named(make_dataset, state_dir, s3env):
    s3env.create_bucket(Bucket="t-bad")
    s3env.put_object(Bucket="t-bad", Key="p/a.csv", Body=b"x,y\n1,2\n")
    s3env.put_object(Bucket="t-bad", Key="p/b.csv", Body=b"x,y\n1,2,3\n")
    with pytest.raises(SourceError) as ei:
        extract(make_dataset(s3_source(bucket="t-bad", prefix="p/")), state_dir)
    assert ei.value.context["source"] == "s3://t-bad/p/b.csv" and ei.value.context["line"] == 2


@pytest.mark.timeout(60)
def test_endpoint_down_is_transient(make_dataset, state_dir, monkeypatch):
    from pipelines.extract.demo_sources import free_port

    monkeypatch.setenv("TEST_S3_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TEST_S3_KEY", "testing")
    monkeypatch.setenv("TEST_S3_SECRET", "testing")
    with pytest.raises(TransientError):
        extract(make_dataset(s3_source(bucket="b", key="k.csv", connect_timeout=2)), state_dir)
