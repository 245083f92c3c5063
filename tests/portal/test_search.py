"""package_search on ≥ 200 generated datasets, checked against brute force over package_show results."""

from __future__ import annotations

import configparser
import subprocess
from collections import Counter

import psycopg2
import pytest

pytestmark = pytest.mark.portal


def _text(d: dict) -> str:
    """Everything free-text ``q`` is documented to search, lower-cased."""
    parts = [d["name"], d["title"], d.get("notes") or "", d.get("license_id") or "",
             d.get("author") or "", d.get("maintainer") or "", d.get("url") or "", d.get("version") or ""]
    parts += [t["name"] for t in d["tags"]]
    parts += [g["name"] for g in d["groups"]] + [g.get("title") or "" for g in d["groups"]]
    if d.get("organization"):
        parts += [d["organization"]["name"], d["organization"]["title"]]
    parts += [e["value"] for e in d["extras"]]
    parts += [r.get("name") or "" for r in d["resources"]] + [r.get("description") or "" for r in d["resources"]]
    return "\n".join(parts).lower()


def _facet_values(d: dict, field: str) -> set[str]:
    if field == "organization":
        return {d["organization"]["name"]}
    if field == "tags":
        return {t["name"] for t in d["tags"]}
    if field == "groups":
        return {g["name"] for g in d["groups"]}
    if field == "res_format":
        return {r["format"] for r in d["resources"] if r.get("format")}
    if field == "license_id":
        return {d["license_id"]} if d.get("license_id") else set()
    if field.startswith("extras_"):
        return {e["value"] for e in d["extras"] if e["key"] == field[len("extras_"):]}
    raise KeyError(field)


def _search(client, corpus, **kw) -> dict:
    fq = (kw.pop("fq", "") + " " + corpus.scope_fq).strip()
    kw.setdefault("rows", 1000)
    kw.setdefault("include_private", True)
    return client.action.package_search(fq=fq, **kw)


def _ids(res: dict) -> list[str]:
    return [r["id"] for r in res["results"]]


def test_corpus_size(corpus):
    assert len(corpus.datasets) >= 200
    assert sum(d["private"] for d in corpus.datasets) > 10


@pytest.mark.parametrize("q", ["养老", "保险", "城乡居民基本养老保险待遇领取人员", "失业 pension", "PENSION",
                               "Hospital", '"statistics, item 1"', "语料部门 1", "other-open", "zzz不存在"])
def test_free_text_q_chinese_and_english(sysadmin, corpus, q):
    terms = [t.strip('"').lower() for t in ([q] if q.startswith('"') else q.split())]
    expected = {d["id"] for d in corpus.datasets if all(t in _text(d) for t in terms)}
    res = _search(sysadmin, corpus, q=q)
    assert set(_ids(res)) == expected
    assert res["count"] == len(expected)


def test_free_text_punctuation_is_not_syntax(sysadmin, corpus):
    """Like Solr's dismax (used by CKAN for a q without ':'), stray punctuation is not an error."""
    plain = set(_ids(_search(sysadmin, corpus, q="养老 pension")))
    assert plain and set(_ids(_search(sysadmin, corpus, q="养老? (pension)!"))) == plain


def test_two_character_chinese_query_finds_long_title(sysadmin, corpus):
    res = _search(sysadmin, corpus, q="养老")
    titles = [r["title"] for r in res["results"]]
    assert any(t.startswith("城乡居民基本养老保险待遇领取人员") for t in titles)


def test_anonymous_search_sees_only_public(anon, corpus):
    res = _search(anon, corpus, q="保险")
    expected = {d["id"] for d in corpus.datasets if not d["private"] and "保险" in _text(d)}
    assert set(_ids(res)) == expected


def _fq_cases(corpus):
    o, g = corpus.orgs, corpus.groups
    created = sorted(d["metadata_created"] for d in corpus.datasets)
    mid = created[len(created) // 2]
    name = corpus.datasets[17]["name"]
    fmt = lambda d: {r["format"] for r in d["resources"]}  # noqa: E731
    tags = lambda d: {t["name"] for t in d["tags"]}  # noqa: E731
    theme = lambda d: {e["value"] for e in d["extras"] if e["key"] == "theme"}  # noqa: E731
    return [
        ("tags:社保", lambda d: "社保" in tags(d)),
        ('tags:"open-data"', lambda d: "open-data" in tags(d)),
        ("res_format:CSV", lambda d: "CSV" in fmt(d)),
        ("license_id:cc-by", lambda d: d["license_id"] == "cc-by"),
        (f"groups:{g[0]}", lambda d: g[0] in {x["name"] for x in d["groups"]}),
        ("tags:(annual OR monthly)", lambda d: bool({"annual", "monthly"} & tags(d))),
        ("+tags:民生 -res_format:JSON", lambda d: "民生" in tags(d) and "JSON" not in fmt(d)),
        ("extras_theme:health", lambda d: "health" in theme(d)),
        (f"organization:{o[1]} AND license_id:odc-by",
         lambda d: d["organization"]["name"] == o[1] and d["license_id"] == "odc-by"),
        (f'owner_org:"{corpus.datasets[0]["owner_org"]}"', lambda d: d["owner_org"] == corpus.datasets[0]["owner_org"]),
        ("capacity:private", lambda d: d["private"]),
        ("capacity:public res_format:XLSX", lambda d: not d["private"] and "XLSX" in fmt(d)),
        (f"name:{name}", lambda d: d["name"] == name),
        (f'id:"{corpus.datasets[3]["id"]}"', lambda d: d["id"] == corpus.datasets[3]["id"]),
        ("metadata_modified:[NOW-1DAY TO *]", lambda d: True),
        (f"metadata_created:[* TO {mid}Z]", lambda d: d["metadata_created"] <= mid),
        (f"metadata_created:{{{mid}Z TO *]", lambda d: d["metadata_created"] > mid),
        ("num_resources:[2 TO *]", lambda d: d["num_resources"] >= 2),
        ("(tags:社保 OR tags:annual)", lambda d: bool({"社保", "annual"} & tags(d))),
        # Solr's q.op=AND clause rules: an un-parenthesised OR next to a +clause is optional
        ("tags:社保 OR tags:annual", lambda d: True),
        ("tags:annual AND -tags:monthly", lambda d: "annual" in tags(d) and "monthly" not in tags(d)),
        ("NOT tags:社保", lambda d: "社保" not in tags(d)),
        ("dataset_type:dataset +state:active", lambda d: True),
    ]


def test_fq_combinations(sysadmin, corpus):
    failures = []
    for fq, pred in _fq_cases(corpus):
        expected = {d["id"] for d in corpus.datasets if pred(d)}
        got = set(_ids(_search(sysadmin, corpus, fq=fq)))
        if got != expected:
            failures.append((fq, len(got), len(expected)))
    assert not failures


def test_facets_equal_brute_force(sysadmin, corpus):
    fields = ["organization", "tags", "groups", "res_format", "license_id", "extras_theme"]
    res = _search(sysadmin, corpus, rows=0, **{"facet.field": fields, "facet.limit": -1})
    assert res["count"] == len(corpus.datasets) and res["results"] == []
    for field in fields:
        brute = Counter(v for d in corpus.datasets for v in _facet_values(d, field))
        assert res["facets"][field] == dict(brute), field

    # filtered query + facet.limit + facet.mincount
    subset = [d for d in corpus.datasets if "pension" in _text(d)]
    res = _search(sysadmin, corpus, q="pension", rows=0,
                  **{"facet.field": ["tags", "license_id"], "facet.limit": 2, "facet.mincount": 1})
    for field in ("tags", "license_id"):
        brute = Counter(v for d in subset for v in _facet_values(d, field))
        top = sorted(brute.values(), reverse=True)[:2]
        assert sorted(res["facets"][field].values(), reverse=True) == top
        assert all(brute[k] == v for k, v in res["facets"][field].items())
    res = _search(sysadmin, corpus, rows=0, **{"facet.field": ["tags"], "facet.limit": -1, "facet.mincount": 60})
    brute = Counter(v for d in corpus.datasets for v in _facet_values(d, "tags"))
    assert res["facets"]["tags"] == {k: v for k, v in brute.items() if v >= 60}


@pytest.mark.parametrize("sort,key,reverse", [
    ("name asc", lambda d: d["name"], False),
    ("name desc", lambda d: d["name"], True),
    ("title_string asc", lambda d: d["title"], False),
    ("title_string desc", lambda d: d["title"], True),
    ("metadata_modified desc", lambda d: d["metadata_modified"], True),
    ("metadata_modified asc", lambda d: d["metadata_modified"], False),
    ("metadata_created asc", lambda d: d["metadata_created"], False),
    ("metadata_created desc", lambda d: d["metadata_created"], True),
])
def test_every_sort(sysadmin, corpus, sort, key, reverse):
    got = _ids(_search(sysadmin, corpus, sort=sort))
    expected = [d["id"] for d in sorted(corpus.datasets, key=key, reverse=reverse)]
    assert got == expected


def test_score_sort_ranks_title_matches_first(sysadmin, corpus):
    res = _search(sysadmin, corpus, q="失业保险金", sort="score desc, metadata_modified desc")
    in_title = ["失业保险金" in r["title"] for r in res["results"]]
    assert any(in_title) and not all(in_title)
    assert in_title == sorted(in_title, reverse=True)  # all title matches before notes-only matches
    # Solr-only popularity sort is accepted (ignored): same set as default
    ranked = _search(sysadmin, corpus, q="失业保险金", sort="views_recent desc")
    assert set(_ids(ranked)) == set(_ids(res))


@pytest.mark.parametrize("sort", [None, "metadata_modified desc", "title_string asc"])
def test_paging_returns_each_dataset_exactly_once(sysadmin, corpus, sort):
    seen: list[str] = []
    start = 0
    while True:
        kw = {"rows": 37, "start": start}
        if sort:
            kw["sort"] = sort
        page = _search(sysadmin, corpus, **kw)
        assert page["count"] == len(corpus.datasets)
        if not page["results"]:
            break
        seen += _ids(page)
        start += 37
    assert len(seen) == len(set(seen)) == len(corpus.datasets)
    assert set(seen) == {d["id"] for d in corpus.datasets}


def test_fl_returns_requested_fields_and_extras(sysadmin, corpus):
    res = _search(sysadmin, corpus, fl=["id", "name", "extras_theme"], rows=5, sort="name asc")
    first = sorted(corpus.datasets, key=lambda d: d["name"])[0]
    theme = next(e["value"] for e in first["extras"] if e["key"] == "theme")
    assert res["results"][0] == {"id": first["id"], "name": first["name"], "theme": theme}


def test_package_autocomplete(sysadmin, corpus):
    prefix = corpus.datasets[0]["name"][:-2]  # e.g. kc-<stamp>-0
    got = sysadmin.action.package_autocomplete(q=prefix, limit=100)
    expected = {d["name"] for d in corpus.datasets if prefix in d["name"]}
    assert {a["name"] for a in got} == expected
    assert all(a["match_field"] == "name" for a in got)
    zh = sysadmin.action.package_autocomplete(q="工伤认定", limit=5)
    assert zh and all("工伤认定" in a["title"] for a in zh) and zh[0]["match_field"] == "title"


def test_search_index_rebuild_refills_table(portal, sysadmin, corpus):
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(portal.state_dir / "ckan.ini")
    ids = [d["id"] for d in corpus.datasets[:25]]
    with psycopg2.connect(ini["app:main"]["sqlalchemy.url"]) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM kaifang_package_index WHERE id = ANY(%s)", (ids,))
    conn.close()
    assert _search(sysadmin, corpus, fq="id:(" + " OR ".join(f'"{i}"' for i in ids) + ")")["count"] == 0
    from portal.config import PortalConfig

    venv_bin = PortalConfig(state_dir=portal.state_dir).venv / "bin"
    proc = subprocess.run([str(venv_bin / "ckan"), "-c", str(portal.state_dir / "ckan.ini"),
                           "search-index", "rebuild", "--only-missing", "--quiet"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = _search(sysadmin, corpus, fq="id:(" + " OR ".join(f'"{i}"' for i in ids) + ")")
    assert set(_ids(res)) == set(ids)
