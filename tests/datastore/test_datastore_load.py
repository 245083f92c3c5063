"""DataStore tables typed from the Table Schema, against the real local portal over HTTP."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import ckanapi
import polars as pl
import pytest

from publish.datastore import DatastoreSettings, delete_table, load_table
from publish.datastore.load import skip_reason

pytestmark = pytest.mark.portal

SCHEMA = {
    "fields": [
        {"name": "record_id", "type": "string", "title": "记录编号", "title_en": "Record id", "sensitivity": "public"},
        {"name": "district_code", "type": "string", "title": "区县代码", "sensitivity": "public"},
        {"name": "street_code", "type": "string", "title": "街道代码", "sensitivity": "public"},
        {"name": "district", "type": "string", "title": "区县", "sensitivity": "public"},
        {"name": "item", "type": "string", "title": "事项", "sensitivity": "public"},
        {"name": "persons", "type": "integer", "title": "人数", "sensitivity": "public"},
        {"name": "amount", "type": "number", "title": "金额", "unit": "元", "sensitivity": "public"},
        {"name": "paid_date", "type": "date", "title": "发放日期", "sensitivity": "public"},
        {"name": "updated_at", "type": "datetime", "title": "更新时间", "sensitivity": "public"},
        {"name": "active", "type": "boolean", "title": "有效", "sensitivity": "public"},
        {"name": "person_id", "type": "string", "title": "身份证号(脱敏)", "sensitivity": "direct-identifier"},
    ],
    "primaryKey": ["record_id"],
}

DISTRICTS = [("110101", "东城区"), ("110102", "西城区"), ("310104", "徐汇区"), ("440106", "天河区")]
ITEMS = ["城乡居民基本养老保险待遇", "失业保险金", "医疗救助", "最低生活保障"]


def make_frame(n: int = 1000) -> pl.DataFrame:
    rows = []
    for i in range(n):
        code, name = DISTRICTS[i % len(DISTRICTS)]
        rows.append(
            {
                "record_id": f"R{i:06d}",
                "district_code": code,
                "street_code": f"{(i % 7):02d}{(i % 5):02d}01",  # leading zeros: 000001, 010101 …
                "district": name,
                "item": ITEMS[i % len(ITEMS)],
                "persons": (i * 7) % 50,
                "amount": Decimal(f"{(i * 37) % 5000}.{i % 100:02d}"),
                "paid_date": dt.date(2024, 1 + i % 12, 1 + i % 28),
                "updated_at": dt.datetime(2024, 6, 1, i % 24, i % 60, 0),
                "active": i % 3 != 0,
                "person_id": f"110101********{i % 10000:04d}",
            }
        )
    return pl.DataFrame(rows, schema_overrides={"amount": pl.Decimal(12, 2)})


@pytest.fixture(scope="module")
def sysadmin(portal):
    return ckanapi.RemoteCKAN(portal.url, apikey=portal.token)


@pytest.fixture(scope="module")
def anonymous(portal):
    return ckanapi.RemoteCKAN(portal.url)


def _caller(ckan):
    return lambda action, **data: ckan.call_action(action, data)


def _dataset(ckan, *, private: bool) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    org = ckan.action.organization_create(name=f"ds-test-{suffix}", title="数据存储测试")
    pkg = ckan.action.package_create(name=f"ds-test-{suffix}", title="DataStore 测试", owner_org=org["id"], private=private)
    res = ckan.action.resource_create(package_id=pkg["id"], name="data.csv", url="http://127.0.0.1/data.csv", format="CSV")
    return pkg["id"], res["id"]


@pytest.fixture(scope="module")
def loaded(sysadmin):
    frame = make_frame()
    _, rid = _dataset(sysadmin, private=False)
    result = load_table(_caller(sysadmin), rid, frame, SCHEMA, DatastoreSettings(index_fields=["district_code"], batch_rows=300))
    return rid, frame, result


def test_row_count_and_batches(loaded, anonymous):
    rid, frame, result = loaded
    assert result.loaded and result.rows == 1000 and result.batches == 4
    got = anonymous.action.datastore_search(resource_id=rid, limit=0, include_total=True)
    assert got["total"] == frame.height


def test_types_match_schema_field_by_field(loaded, anonymous):
    rid, _, _ = loaded
    info = anonymous.action.datastore_info(id=rid)
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types == {
        "record_id": "text",
        "district_code": "text",
        "street_code": "text",
        "district": "text",
        "item": "text",
        "persons": "int8",
        "amount": "numeric",
        "paid_date": "date",
        "updated_at": "timestamp",
        "active": "bool",
        "person_id": "text",
    }
    labels = {f["id"]: f.get("info", {}).get("label") for f in info["fields"]}
    assert labels["amount"] == "金额"


def test_leading_zero_codes_come_back_unchanged(loaded, anonymous):
    rid, frame, _ = loaded
    got = anonymous.action.datastore_search(resource_id=rid, filters={"street_code": "010101"}, limit=1000)
    expected = frame.filter(pl.col("street_code") == "010101")
    assert expected.height > 0
    assert sorted(r["record_id"] for r in got["records"]) == sorted(expected["record_id"].to_list())
    assert all(r["street_code"] == "010101" for r in got["records"])


def test_filters_on_chinese_text(loaded, anonymous):
    rid, frame, _ = loaded
    got = anonymous.action.datastore_search(resource_id=rid, filters={"district": "徐汇区"}, limit=1000)
    assert len(got["records"]) == frame.filter(pl.col("district") == "徐汇区").height


def test_full_text_q_on_chinese_substring(loaded, anonymous):
    rid, frame, _ = loaded
    got = anonymous.action.datastore_search(resource_id=rid, q="养老", limit=1000, include_total=True)
    assert got["total"] == frame.filter(pl.col("item").str.contains("养老")).height > 0
    got = anonymous.action.datastore_search(resource_id=rid, q={"district": "天河"}, limit=1000, include_total=True)
    assert got["total"] == frame.filter(pl.col("district") == "天河区").height > 0


def test_search_sql_aggregate_equals_polars(loaded, anonymous):
    rid, frame, _ = loaded
    got = anonymous.action.datastore_search_sql(
        sql=f'SELECT district_code, SUM(amount) AS total FROM "{rid}" GROUP BY district_code ORDER BY district_code'
    )
    ours = frame.group_by("district_code").agg(pl.col("amount").sum().alias("total")).sort("district_code")
    assert [(r["district_code"], Decimal(str(r["total"]))) for r in got["records"]] == [
        (c, Decimal(str(t))) for c, t in ours.iter_rows()
    ]


def test_primary_key_enforced(loaded, sysadmin):
    rid, frame, _ = loaded
    with pytest.raises(ckanapi.ValidationError):
        sysadmin.action.datastore_upsert(
            resource_id=rid, force=True, method="insert", records=[{"record_id": "R000001", "persons": 1}]
        )


def test_anonymous_cannot_query_private_dataset_table(sysadmin, anonymous):
    _, rid = _dataset(sysadmin, private=True)
    load_table(_caller(sysadmin), rid, make_frame(50), SCHEMA)
    assert sysadmin.action.datastore_search(resource_id=rid, limit=0, include_total=True)["total"] == 50
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        anonymous.action.datastore_search(resource_id=rid)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound, ckanapi.ValidationError)):
        anonymous.action.datastore_search_sql(sql=f'SELECT COUNT(*) FROM "{rid}"')


def test_delete_table_then_not_found(sysadmin, anonymous):
    _, rid = _dataset(sysadmin, private=False)
    load_table(_caller(sysadmin), rid, make_frame(20), SCHEMA)
    assert delete_table(_caller(sysadmin), rid) is True
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.datastore_search(resource_id=rid)
    assert delete_table(_caller(sysadmin), rid) is False


def test_limits_skip_with_reason():
    frame = make_frame(30)
    assert "exceed" in skip_reason(frame, DatastoreSettings(max_rows=10))
    assert skip_reason(frame, DatastoreSettings(max_rows=30)) is None
    res = load_table(lambda *a, **k: pytest.fail("must not call CKAN"), "rid", frame, SCHEMA, DatastoreSettings(max_rows=10))
    assert not res.loaded and "30 rows exceed" in res.reason
