"""Package queries served from the PostgreSQL index table, with CKAN's Solr-style parameters."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

import sqlalchemy as sa

import ckan.model as model
from ckan.common import config
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.lib.search.query import VALID_SOLR_PARAMETERS, PackageSearchQuery

from ckanext.kaifang.index import TABLE
from ckanext.kaifang.lucene import TEXT_FIELDS, Compiler, UnsupportedQuery, dismax_text, compile_sort, like_escape, parse

log = logging.getLogger(__name__)

#: parameters accepted and ignored (they tune Solr's scoring, which we do ourselves)
IGNORED_PARAMS = {"wt", "qf", "bf", "boost", "tie", "defType", "mm", "df", "q.op", "extras"}


def _int(query: dict[str, Any], key: str, default: int) -> int:
    value = query.get(key, default)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SearchQueryError(f"Value for search option {key!r} must be an integer but received {value!r}")


def _fq_items(query: dict[str, Any]) -> list[str]:
    items: list[str] = []
    fq = query.get("fq")
    if isinstance(fq, (list, tuple)):
        items.extend(fq)
    elif fq:
        items.append(fq)
    items.extend(query.get("fq_list") or [])
    return [i for i in items if isinstance(i, str) and i.strip()]


def _fields(fl: Any) -> list[str]:
    if isinstance(fl, (list, tuple)):
        fl = " ".join(fl)
    return [f for f in re.split(r"[\s,]+", fl or "name") if f]


class PgPackageSearchQuery(PackageSearchQuery):
    """``PackageSearchQuery`` over ``kaifang_package_index``; sets ``count``, ``results``, ``facets``."""

    def __init__(self) -> None:
        super().__init__()
        self.facets: dict[str, Any] = {}

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        rows = model.Session.execute(
            sa.text(f"SELECT id FROM {TABLE} WHERE site_id = :site AND state = 'active' ORDER BY id LIMIT :n"),
            {"site": config.get("ckan.site_id"), "n": max_results})
        return [r[0] for r in rows]

    def get_index(self, reference: str) -> dict[str, Any]:
        # Raising SearchError makes package_show read the database (the source of truth).
        raise SearchError(f"The PostgreSQL index does not serve cached documents ({reference})")

    def run(self, query: dict[str, Any], permission_labels: Optional[list[str]] = None,
            **kwargs: Any) -> dict[str, Any]:
        try:
            return self._run(dict(query), permission_labels)
        except UnsupportedQuery as exc:
            raise SearchQueryError(str(exc))

    __call__ = run

    def _run(self, query: dict[str, Any], permission_labels: Optional[list[str]]) -> dict[str, Any]:
        unknown = set(query) - VALID_SOLR_PARAMETERS - IGNORED_PARAMS
        if unknown:
            raise SearchQueryError(f"Invalid search parameters: {sorted(unknown)}")
        site = config.get("ckan.site_id")
        comp = Compiler()
        where = [f"site_id = {comp._p(site)}"]
        q = query.get("q")
        if q in (None, "", '""', "''"):
            q = "*:*"
        if not isinstance(q, str):
            raise SearchQueryError(f"'q' must be a string, got {type(q).__name__}")
        if ":" not in q:  # CKAN sends such a q to Solr's lenient dismax parser
            q = dismax_text(q)
        where.append(comp.compile(parse(q), collect_text=True))
        fqs = _fq_items(query)
        for fq in fqs:
            where.append(comp.compile(parse(fq), collect_text=False))
        if not any("+state:" in f for f in fqs):
            where.append("state = 'active'")
        if permission_labels is not None:
            where.append(f"permission_labels && CAST({comp._p(list(permission_labels))} AS text[])")
        where_sql = " AND ".join(where)

        rows = _int(query, "rows", 10)
        start = _int(query, "start", 0)
        if rows < 0 or start < 0:
            raise SearchQueryError("'rows' and 'start' must not be negative")
        order = compile_sort(query.get("sort"))
        score = self._score_sql(comp)

        session = model.Session
        want_facets = str(query.get("facet", "true")).lower() != "false"
        facet_fields = self._facet_fields(query) if want_facets else []
        self.count, self.facets = self._count_and_facets(query, facet_fields, where_sql, comp.params)

        fl = _fields(query.get("fl"))
        results: list[Any] = []
        if rows > 0 and start < self.count:
            sql = (f"SELECT id, name, doc, data_dict, validated_data_dict, {score} AS score "
                   f"FROM {TABLE} WHERE {where_sql} ORDER BY {order} LIMIT {rows} OFFSET {start}")
            for row in session.execute(sa.text(sql), comp.params).mappings():
                results.append(self._project(row, fl))
        self.results = results

        for result in self.results:
            extra_keys = [k for k in result if k.startswith("extras_")]
            if extra_keys:
                result["extras"] = {k[len("extras_"):]: result.pop(k) for k in extra_keys}
        if len(fl) == 1 and fl[0] in ("id", "name"):
            self.results = [r.get(fl[0]) for r in self.results]
        return {"results": self.results, "count": self.count}

    @staticmethod
    def _score_sql(comp: Compiler) -> str:
        """Relevance: per free-text term, name/title ×4, tags/groups ×2, any text ×1 (like CKAN's qf)."""
        if not comp.text_terms:
            return "1.0"
        parts = []
        for term in comp.text_terms:
            pat = comp._p("%" + like_escape(term) + "%")
            parts.append(f"(CASE WHEN boost_text LIKE {pat} THEN 4 ELSE 0 END"
                         f" + CASE WHEN tag_text LIKE {pat} THEN 2 ELSE 0 END + 1)")
        return "(" + " + ".join(parts) + ")::float"

    @staticmethod
    def _project(row: Any, fl: list[str]) -> dict[str, Any]:
        doc = row["doc"] if isinstance(row["doc"], dict) else json.loads(row["doc"])
        out: dict[str, Any] = {}
        if "*" in fl:
            out.update(doc)
            out["data_dict"] = row["data_dict"]
            out["validated_data_dict"] = row["validated_data_dict"]
            return out
        for f in fl:
            if f == "score":
                out["score"] = row["score"]
            elif f in ("data_dict", "validated_data_dict"):
                if row[f] is not None:
                    out[f] = row[f]
            elif f in doc and doc[f] is not None:
                out[f] = doc[f]
        return out

    @staticmethod
    def _facet_fields(query: dict[str, Any]) -> list[str]:
        fields = query.get("facet.field") or []
        if isinstance(fields, str):
            try:
                parsed = json.loads(fields)
                fields = parsed if isinstance(parsed, list) else [fields]
            except ValueError:
                fields = [fields]
        for fname in fields:
            if not isinstance(fname, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", fname):
                raise SearchQueryError(f"Invalid facet field {fname!r}")
        return list(dict.fromkeys(fields))

    @staticmethod
    def _count_and_facets(query: dict[str, Any], fields: list[str], where_sql: str,
                          params: dict[str, Any]) -> tuple[int, dict[str, dict[str, int]]]:
        """Count and every facet in one statement: the filter runs once (a materialized CTE)."""
        limit = _int(query, "facet.limit", int(config.get("search.facets.limit") or 50))
        mincount = _int(query, "facet.mincount", 1)
        p = dict(params, facet_min=mincount)
        needs_doc = any(f in TEXT_FIELDS for f in fields)
        parts = ["SELECT -1 AS k, NULL::text AS v, count(*) AS n FROM m"]
        for k, fname in enumerate(fields):
            p[f"ff{k}"] = fname
            src = "m.doc" if fname in TEXT_FIELDS else "m.fields"
            lim = f" LIMIT {limit}" if limit >= 0 else ""
            parts.append(f"SELECT * FROM (SELECT {k} AS k, e AS v, count(DISTINCT m.id) AS n FROM m, "
                         f"LATERAL kaifang_vals({src} -> :ff{k}) AS e GROUP BY e "
                         f"HAVING count(DISTINCT m.id) >= :facet_min "
                         f"ORDER BY n DESC, e COLLATE \"C\" ASC{lim}) AS f{k}")
        cols = "id, fields" + (", doc" if needs_doc else "")
        sql = (f"WITH m AS MATERIALIZED (SELECT {cols} FROM {TABLE} WHERE {where_sql}) "
               + " UNION ALL ".join(parts))
        count = 0
        facets: dict[str, dict[str, int]] = {f: {} for f in fields}
        rows = sorted(model.Session.execute(sa.text(sql), p), key=lambda r: (r[0], -r[2], r[1] or ""))
        for k, value, n in rows:
            if k == -1:
                count = int(n)
            else:
                facets[fields[k]][value] = int(n)
        return count, facets
