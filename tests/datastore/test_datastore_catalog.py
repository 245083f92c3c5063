"""Acceptance over the bundled catalogue: every dataset published through ``run_pipeline`` into the
real portal (isolated state dir and store, unique dataset ids), then its DataStore tables checked
against the published CSV, as a researcher would use them (anonymous API calls)."""

from __future__ import annotations

import io
import re
import secrets
import uuid
from decimal import Decimal
from pathlib import Path

import ckanapi
import httpx
import polars as pl
import pytest

from tests.bundled import copy_bundled_catalog

pytestmark = pytest.mark.portal

REPO = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]{2}")

#: Table Schema type → DataStore type, written out independently of publish.datastore.types
EXPECTED_TYPE = {"string": "text", "integer": "int8", "number": "numeric", "date": "date", "datetime": "timestamp",
                 "boolean": "bool", "yearmonth": "text", "year": "int4", "time": "time"}


@pytest.fixture(scope="module")
def catalog(portal, tmp_path_factory):
    """Publish every bundled dataset (ids suffixed) with run_pipeline; return per dataset what was published."""
    from kaifang.settings import Settings
    from pipelines.extract import demo_sources
    from pipelines.stages import run_pipeline

    root = tmp_path_factory.mktemp("ds-catalog")
    suffix = f"ds{uuid.uuid4().hex[:6]}"
    ddir = root / "datasets"
    ids = copy_bundled_catalog(ddir, suffix)
    env = {k: v for k, v in demo_sources.up(Settings().state_dir, REPO / "datasets").items() if not k.startswith("_")}
    env.update(KAIFANG_HMAC_KEY=secrets.token_hex(16), KF_DS_CAT_TOKEN=portal.token)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        settings = Settings(datasets_dir=ddir, state_dir=root / "state", portal_url=portal.url, token_env="KF_DS_CAT_TOKEN", store=None, steward="ds-acceptance")
        outcomes = {name: run_pipeline(ds_id, settings) for name, ds_id in ids.items()}
    return {"ids": ids, "outcomes": outcomes, "settings": settings}


def _published(portal, ds_id: str) -> tuple[dict, dict, pl.DataFrame]:
    """(package, current versions.json entry, published CSV as text) read back from the portal."""
    pkg = portal.client().action.package_show(id=ds_id)
    vres = next(r for r in pkg["resources"] if r["name"] == "versions.json")
    doc = httpx.get(vres["url"], headers={"Authorization": portal.token}).json()
    entry = next(v for v in doc["versions"] if v["version"] == doc["current"])
    csv_file = next(f for f in entry["files"] if f["role"] == "data-csv")
    body = httpx.get(csv_file["url"], headers={"Authorization": portal.token}).content
    return pkg, entry, pl.read_csv(io.BytesIO(body), infer_schema=False)


def _all_records(ckan, rid: str) -> tuple[list[dict], list[dict]]:
    got = ckan.action.datastore_search(resource_id=rid, limit=32000, include_total=True, sort="_id")
    assert got["total"] == len(got["records"]), "table larger than one page; test assumes small bundled datasets"
    return got["fields"], got["records"]


def _norm(value, ftype: str):
    """One cell as comparable text; CSV cells and DataStore JSON values both go through it."""
    if value is None or value == "":
        return None
    if ftype == "number":
        return str(Decimal(str(value)).normalize())
    if ftype in ("integer", "year") and str(value).lstrip("-").isdigit():
        return str(int(value))
    if ftype == "boolean":
        return str(value).lower()
    if ftype == "date":
        return str(value)[:10]
    if ftype == "datetime":
        return str(value).replace(" ", "T")[:19]
    return str(value)


def _unconditional(catalog):
    from pipelines.descriptor import load_registry

    reg = load_registry(catalog["settings"].datasets_dir)
    return [(name, ds_id) for name, ds_id in catalog["ids"].items() if reg[ds_id].descriptor.open_condition == "unconditional"]


def test_every_dataset_published(catalog):
    statuses = {name: o.status for name, o in catalog["outcomes"].items()}
    assert statuses.pop("health-infectious-disease-reports") == "kept-internal"
    assert set(statuses.values()) == {"published"}, statuses


def test_tables_equal_the_published_csv(catalog, portal):
    """Row count, types field by field, and every cell: nothing in the DataStore that is not in the CSV."""
    anon = portal.client(anonymous=True)
    checked = 0
    for name, ds_id in _unconditional(catalog):
        pkg, entry, csv = _published(portal, ds_id)
        rid = entry["datastore"]["resource_id"]
        assert entry["datastore"]["status"] == "loaded" and entry["datastore"]["rows"] == csv.height, name
        cur = next(r for r in pkg["resources"] if r["id"] == rid)
        assert cur["name"] == f"{ds_id}.csv" and cur["datastore_active"], name
        info = anon.action.datastore_info(id=rid)
        types = {f["id"]: f["type"] for f in info["fields"]}
        schema = {f["name"]: f for f in entry["schema"]["fields"]}
        assert list(types) == csv.columns == list(schema), name
        for field, f in schema.items():
            assert types[field] == EXPECTED_TYPE[f["type"]], (name, field, f["type"], types[field])
        labels = {f["id"]: (f.get("info") or {}).get("label") for f in info["fields"]}
        assert all(labels[k] == (schema[k].get("title") or k) for k in labels), name
        fields, records = _all_records(anon, rid)
        assert [f["id"] for f in fields if f["id"] != "_id"] == csv.columns
        assert len(records) == csv.height
        table = [[_norm(r[c], schema[c]["type"]) for c in csv.columns] for r in records]
        published = [[_norm(v, schema[c]["type"]) for c, v in zip(csv.columns, row)] for row in csv.iter_rows()]
        assert sorted(table, key=repr) == sorted(published, key=repr), name
        checked += 1
    assert checked == 5


def test_leading_zero_codes_unchanged(catalog, portal):
    """Codes such as street code 010501 (in the conditional pension dataset: queried as its publisher)."""
    anon = portal.client()
    seen = 0
    published = [(n, i) for n, i in catalog["ids"].items() if catalog["outcomes"][n].status == "published"]
    for name, ds_id in published:
        _, entry, csv = _published(portal, ds_id)
        rid = entry["datastore"]["resource_id"]
        for f in entry["schema"]["fields"]:
            if f["type"] != "string":
                continue
            zeros = csv.filter(pl.col(f["name"]).str.contains(r"^0\d+$"))[f["name"]].unique().sort().to_list()[:2]
            for code in zeros:
                got = anon.action.datastore_search(resource_id=rid, filters={f["name"]: code}, limit=32000, include_total=True)
                assert got["total"] == csv.filter(pl.col(f["name"]) == code).height > 0, (name, f["name"])
                assert {r[f["name"]] for r in got["records"]} == {code}
                seen += 1
    assert seen >= 1, "no code with leading zeros in the bundled catalogue"


def test_filters_and_q_on_chinese_text(catalog, portal):
    anon = portal.client(anonymous=True)
    checked = 0
    for name, ds_id in _unconditional(catalog):
        _, entry, csv = _published(portal, ds_id)
        rid = entry["datastore"]["resource_id"]
        text = [f["name"] for f in entry["schema"]["fields"] if f["type"] == "string"]
        col = next((c for c in text if csv[c].drop_nulls().str.contains(CJK.pattern).all() and csv[c].n_unique() > 1), None)
        if col is None:
            continue
        value = csv[col].drop_nulls().filter(csv[col].drop_nulls().str.contains(CJK.pattern)).mode().sort()[0]
        got = anon.action.datastore_search(resource_id=rid, filters={col: value}, limit=0, include_total=True)
        assert got["total"] == csv.filter(pl.col(col) == value).height > 0, (name, col)
        part = next(m.group(0) for m in [re.search(r"[\u4e00-\u9fff]{2}", value)] if m)
        got = anon.action.datastore_search(resource_id=rid, q={col: part}, limit=0, include_total=True)
        assert got["total"] == csv.filter(pl.col(col).str.contains(part, literal=True)).height > 0, (name, col, "q field")
        got = anon.action.datastore_search(resource_id=rid, q=part, limit=32000, include_total=True)
        assert got["total"] >= csv.filter(pl.col(col).str.contains(part, literal=True)).height
        assert all(any(part in str(v) for v in r.values()) for r in got["records"])
        checked += 1
    assert checked >= 3


def test_sql_aggregate_equals_polars(catalog, portal):
    anon = portal.client(anonymous=True)
    checked = 0
    for name, ds_id in _unconditional(catalog):
        _, entry, csv = _published(portal, ds_id)
        rid = entry["datastore"]["resource_id"]
        fields = {f["name"]: f["type"] for f in entry["schema"]["fields"]}
        key = next((k for k in fields if "district" in k.lower() or k == "区县代码"), None)
        amount = next((k for k, t in fields.items() if t in ("number", "integer") and k != key), None)
        if key is None or amount is None:
            continue
        got = anon.action.datastore_search_sql(sql=f'SELECT "{key}" AS k, SUM("{amount}") AS total, COUNT(*) AS n FROM "{rid}" GROUP BY "{key}" ORDER BY "{key}"')
        ours = (csv.with_columns(pl.col(amount).cast(pl.Decimal(38, 6)))
                .group_by(key).agg(pl.col(amount).sum().alias("total"), pl.len().alias("n")).sort(key))
        assert [(r["k"], Decimal(str(r["total"])) if r["total"] is not None else None, int(r["n"])) for r in got["records"]] == [
            (k, Decimal(str(t)) if t is not None else None, n) for k, t, n in ours.iter_rows()], (name, key, amount)
        checked += 1
    assert checked >= 3


def test_conditional_dataset_not_queryable_anonymously(catalog, portal):
    ds_id = catalog["ids"]["social-security-pension"]
    pkg, entry, csv = _published(portal, ds_id)
    rid = entry["datastore"]["resource_id"]
    assert pkg["private"]
    assert portal.client().action.datastore_search(resource_id=rid, limit=0, include_total=True)["total"] == csv.height
    anon = portal.client(anonymous=True)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        anon.action.datastore_search(resource_id=rid)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound, ckanapi.ValidationError)):
        anon.action.datastore_search_sql(sql=f'SELECT * FROM "{rid}" LIMIT 1')


def test_closed_dataset_never_on_the_portal(catalog, portal):
    with pytest.raises(ckanapi.NotFound):
        portal.client().action.package_show(id=catalog["ids"]["health-infectious-disease-reports"])
