"""Acceptance over HTTP (ckanapi.RemoteCKAN) against the real local CKAN 2.12 portal."""

from __future__ import annotations

import hashlib
import io
import json
import random

import ckanapi
import httpx
import pytest

pytestmark = pytest.mark.portal


def test_organization_create_show_list_with_counts(portal, sysadmin, anon):
    org = portal.unique("org")
    sysadmin.action.organization_create(name=org, title="人力资源和社会保障局 HR Bureau")
    for i in range(3):
        sysadmin.action.package_create(name=portal.unique("cnt"), title=f"计数 {i}", owner_org=org)
    sysadmin.action.package_create(name=portal.unique("cntp"), title="私有计数", owner_org=org, private=True)

    shown = anon.action.organization_show(id=org)
    assert shown["title"] == "人力资源和社会保障局 HR Bureau"
    assert shown["package_count"] == 3  # anonymous: public datasets only
    assert sysadmin.action.organization_show(id=org)["package_count"] == 4

    # filter by name: the shared portal may hold more organizations than one page lists
    listed = {o["name"]: o for o in anon.action.organization_list(all_fields=True, organizations=[org])}
    assert listed[org]["package_count"] == 3
    assert org in anon.action.organization_list(organizations=[org])


@pytest.fixture(scope="module")
def private_setup(portal, sysadmin):
    org = portal.unique("porg")
    sysadmin.action.organization_create(name=org, title="私有数据部门")
    member = portal.unique("member")
    sysadmin.action.user_create(name=member, email=f"{member}@kaifang.invalid", password="Member-pass-1234")
    sysadmin.action.organization_member_create(id=org, username=member, role="editor")
    member_token = sysadmin.action.api_token_create(user=member, name="t")["token"]
    outsider = portal.unique("outsider")
    sysadmin.action.user_create(name=outsider, email=f"{outsider}@kaifang.invalid", password="Outsider-pass-1234")
    outsider_token = sysadmin.action.api_token_create(user=outsider, name="t")["token"]
    name = portal.unique("secret")
    pkg = sysadmin.action.package_create(
        name=name, title="机密养老名册 Confidential roster", owner_org=org, private=True,
        notes="internal", extras=[{"key": "department_code", "value": "HR-007"}])
    return {"org": org, "pkg": pkg, "member": portal.client(token=member_token),
            "outsider": portal.client(token=outsider_token)}


def test_private_dataset_invisible_to_anonymous(private_setup, anon):
    pkg, org = private_setup["pkg"], private_setup["org"]
    with pytest.raises(ckanapi.NotAuthorized):
        anon.action.package_show(id=pkg["id"])
    for kwargs in ({"q": "机密养老名册"}, {"q": "Confidential", "include_private": True},
                   {"fq": f'+organization:{org}', "include_private": True}, {"q": f"name:{pkg['name']}"}):
        res = anon.action.package_search(**kwargs)
        assert pkg["id"] not in [r["id"] for r in res["results"]], kwargs
        assert res["count"] == 0, kwargs
    assert anon.action.package_autocomplete(q="机密") == []
    assert anon.action.package_autocomplete(q=pkg["name"][:10]) == []
    shown = anon.action.organization_show(id=org, include_datasets=True)
    assert shown["packages"] == [] and shown["package_count"] == 0


def test_private_dataset_hidden_from_outsider_visible_to_member_and_sysadmin(private_setup, sysadmin):
    pkg, org = private_setup["pkg"], private_setup["org"]
    outsider, member = private_setup["outsider"], private_setup["member"]
    with pytest.raises(ckanapi.NotAuthorized):
        outsider.action.package_show(id=pkg["id"])
    assert outsider.action.package_search(q="Confidential", include_private=True)["count"] == 0

    for client in (member, sysadmin):
        shown = client.action.package_show(id=pkg["id"])
        assert {"key": "department_code", "value": "HR-007"} in shown["extras"]
        res = client.action.package_search(q="机密养老名册", fq=f"+organization:{org}", include_private=True)
        assert [r["id"] for r in res["results"]] == [pkg["id"]]
        assert res["results"][0]["extras"] == shown["extras"]
        # include_private defaults off
        assert client.action.package_search(q="机密养老名册", fq=f"+organization:{org}")["count"] == 0
        org_show = client.action.organization_show(id=org, include_datasets=True)
        assert [p["id"] for p in org_show["packages"]] == [pkg["id"]]
        auto = client.action.package_autocomplete(q="机密养老")
        assert pkg["name"] in [a["name"] for a in auto]
        # extras are searchable by field (Solr's extras_* fields)
        res = client.action.package_search(fq=f"extras_department_code:HR-007 +organization:{org}",
                                           include_private=True)
        assert [r["id"] for r in res["results"]] == [pkg["id"]]


def test_upload_then_public_download_is_byte_identical(portal, sysadmin, anon):
    org = portal.unique("uorg")
    sysadmin.action.organization_create(name=org, title="上传部门")
    pkg = sysadmin.action.package_create(name=portal.unique("up"), title="上传测试", owner_org=org, private=True)
    payload = ("序号,姓名脱敏,金额\n" + "".join(f"{i},张*,{random.Random(i).randint(1, 9999)}\n"
                                            for i in range(20000))).encode("utf-8")
    res = sysadmin.action.resource_create(package_id=pkg["id"], name="数据.csv", format="CSV",
                                          upload=("data.csv", io.BytesIO(payload)))
    assert res["url_type"] == "upload"
    # private: anonymous download refused
    assert httpx.get(res["url"], follow_redirects=True, timeout=30).status_code in (403, 404)
    sysadmin.action.package_patch(id=pkg["id"], private=False)
    url = anon.action.resource_show(id=res["id"])["url"]
    got = httpx.get(url, follow_redirects=True, timeout=60)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(payload).hexdigest()


def _diff_lines(diff: str) -> tuple[list[str], list[str]]:
    lines = [ln for ln in diff.splitlines() if ln and ln[:3] not in ("---", "+++")]
    return ([ln[1:].strip() for ln in lines if ln.startswith("-")],
            [ln[1:].strip() for ln in lines if ln.startswith("+")])


def test_patch_and_revise_add_activity_and_diff_shows_change(portal, sysadmin):
    org = portal.unique("aorg")
    sysadmin.action.organization_create(name=org, title="版本部门")
    pkg = sysadmin.action.package_create(name=portal.unique("act"), title="版本一", owner_org=org, notes="v1")
    before = sysadmin.action.package_activity_list(id=pkg["id"])
    sysadmin.action.package_patch(id=pkg["id"], notes="第二版说明 v2")
    sysadmin.action.package_revise(match={"id": pkg["id"]}, update={"title": "版本三"})
    acts = sysadmin.action.package_activity_list(id=pkg["id"])
    assert len(acts) == len(before) + 2
    assert all(a["activity_type"] == "changed package" for a in acts[:2])
    diff_notes = sysadmin.action.activity_diff(id=acts[1]["id"], object_type="package", diff_type="unified")
    minus, plus = _diff_lines(diff_notes["diff"])
    assert '"notes": "v1",' in minus and f'"notes": {json.dumps("第二版说明 v2")},' in plus
    diff_title = sysadmin.action.activity_diff(id=acts[0]["id"], object_type="package", diff_type="unified")
    minus, plus = _diff_lines(diff_title["diff"])
    assert f'"title": {json.dumps("版本一")},' in minus and f'"title": {json.dumps("版本三")},' in plus
    assert not any('"notes"' in line for line in minus + plus)  # only the title changed there
    # the index follows: the new title is searchable, the old one is not
    assert sysadmin.action.package_search(q="版本三", fq=f"+organization:{org}")["count"] == 1
    assert sysadmin.action.package_search(q="版本一", fq=f"+organization:{org}")["count"] == 0


def test_datastore_create_and_search_1000_rows(portal, sysadmin):
    org = portal.unique("dorg")
    sysadmin.action.organization_create(name=org, title="数据存储部门")
    pkg = sysadmin.action.package_create(name=portal.unique("ds"), title="数据存储", owner_org=org)
    rng = random.Random(7)
    records = [{"id": i, "district": rng.choice(["东城区", "西城区", "海淀区"]), "amount": rng.randint(0, 1000)}
               for i in range(1000)]
    created = sysadmin.action.datastore_create(
        resource={"package_id": pkg["id"], "name": "表", "format": "CSV"},
        fields=[{"id": "id", "type": "int"}, {"id": "district", "type": "text"}, {"id": "amount", "type": "int"}],
        primary_key=["id"], records=records, force=True)
    rid = created["resource_id"]
    everything = sysadmin.action.datastore_search(resource_id=rid, limit=1000, sort="id")
    assert everything["total"] == 1000
    assert [r["amount"] for r in everything["records"]] == [r["amount"] for r in records]
    haidian = sysadmin.action.datastore_search(resource_id=rid, filters={"district": "海淀区"}, limit=1000)
    assert haidian["total"] == sum(r["district"] == "海淀区" for r in records)
    anon = portal.client(anonymous=True)
    assert anon.action.datastore_search(resource_id=rid, limit=5)["total"] == 1000  # public dataset
    # plugin kaifang_datastore_cjk: a Chinese q matches substrings ("海淀" in "海淀区")
    assert anon.action.datastore_search(resource_id=rid, q="海淀", limit=1)["total"] == haidian["total"]
    # datastore_search_sql is enabled and runs as the read-only role
    agg = anon.action.datastore_search_sql(sql=f'SELECT count(*) AS n, sum(amount) AS s FROM "{rid}"')
    assert int(agg["records"][0]["n"]) == 1000 and int(agg["records"][0]["s"]) == sum(r["amount"] for r in records)
    with pytest.raises(ckanapi.ValidationError):  # not a SELECT
        anon.action.datastore_search_sql(sql=f'DELETE FROM "{rid}"')


def test_unsupported_query_syntax_is_400_not_500(portal):
    base = f"{portal.url}/api/3/action/package_search"
    for params in ({"q": "title:pension~2"}, {"q": "title:pension^4"}, {"q": "{!lucene}pension"},
                   {"q": "title:(pension"}, {"sort": "bogus desc"}, {"q": "ti*le:x"},
                   {"fq": "metadata_modified:[yesterday TO *]"}):
        r = httpx.get(base, params=params, timeout=30)
        assert r.status_code == 400, (params, r.status_code, r.text[:300])
        assert r.json()["error"]["__type"] == "Search Query Error"


def test_index_follows_delete_and_stays_in_sync_with_the_database(portal, sysadmin):
    import configparser

    import psycopg2

    org = portal.unique("xorg")
    sysadmin.action.organization_create(name=org, title="删除部门")
    keep = sysadmin.action.package_create(name=portal.unique("keep"), title="保留", owner_org=org)
    gone = sysadmin.action.package_create(name=portal.unique("gone"), title="删除", owner_org=org)
    sysadmin.action.package_delete(id=gone["id"])
    res = sysadmin.action.package_search(fq=f"+organization:{org}", include_private=True)
    assert [r["id"] for r in res["results"]] == [keep["id"]]
    assert sysadmin.action.package_search(fq=f"+organization:{org}", include_deleted=True)["count"] == 1

    # every active dataset has exactly one index row carrying its current metadata_modified
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(portal.state_dir / "ckan.ini")
    with psycopg2.connect(ini["app:main"]["sqlalchemy.url"]) as conn, conn.cursor() as cur:
        cur.execute("""
            SELECT count(*) FROM package p
            LEFT JOIN kaifang_package_index i ON i.id = p.id
            WHERE p.state = 'active' AND p.type = 'dataset'
              AND (i.id IS NULL OR i.metadata_modified <> p.metadata_modified AT TIME ZONE 'UTC')""")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM kaifang_package_index WHERE id = %s", (gone["id"],))
        assert cur.fetchone()[0] == 0
    conn.close()


def test_home_group_and_search_pages_answer(portal):
    for path, params in (("/", {}), ("/group/", {}), ("/organization/", {}),
                         ("/dataset/", {"q": "养老", "tags": "社保", "sort": "title_string asc"})):
        r = httpx.get(portal.url + path, params=params, timeout=30)
        assert r.status_code == 200, (path, r.status_code)
    r = httpx.get(portal.url + "/dataset/", params={"q": "title:养老~2"}, timeout=30)
    assert r.status_code == 400  # the web UI reports bad syntax too, never a 500
