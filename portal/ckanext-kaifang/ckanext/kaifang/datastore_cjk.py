"""DataStore full-text search that works for Chinese.

PostgreSQL's text search does not segment Chinese: ``to_tsvector`` keeps a whole run of Han
characters as one lexeme, so ``datastore_search(q="养老")`` finds nothing in
"城乡居民基本养老保险待遇". For a ``q`` containing CJK characters this IDatastore hook replaces
the ``_full_text @@ query`` clause by a substring match (ILIKE, parameters bound, wildcards
escaped) over the text columns — the whole row for a string ``q``, the named field for a dict ``q``.
Other queries keep CKAN's full-text behaviour.
"""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins as p
from ckanext.datastore.interfaces import IDatastore

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
TEXTUAL = {"text", "varchar", "char", "bpchar", "citext", "name"}


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text_fields(fields_types: dict[str, str]) -> list[str]:
    return [f for f, t in fields_types.items() if not f.startswith("_") and f != "rank" and t in TEXTUAL]


def _terms(q: str) -> list[str]:
    return [t for t in q.split() if t]


class KaifangDatastorePlugin(p.SingletonPlugin):
    p.implements(IDatastore, inherit=True)

    def datastore_search(self, context, data_dict: dict[str, Any], fields_types: dict[str, str], query_dict: dict[str, Any]):
        q = data_dict.get("q")
        if not q:
            return query_dict
        where = query_dict.get("where", [])
        params: dict[str, str] = {}
        clauses: list[str] = []
        if isinstance(q, str) and CJK.search(q):
            where = [w for w in where if not (isinstance(w, tuple) and w and w[0].startswith("_full_text @@"))]
            cols = _text_fields(fields_types)
            for i, term in enumerate(_terms(q)):
                key = f"kaifang_q{i}"
                params[key] = _like(term)
                any_col = " OR ".join(f"{_ident(c)} ILIKE :{key}" for c in cols) or "FALSE"
                clauses.append(f"({any_col})")
        elif isinstance(q, dict):
            cjk_fields = {f: v for f, v in q.items() if f in fields_types and isinstance(v, str) and CJK.search(v)}
            if not cjk_fields:
                return query_dict
            for f in cjk_fields:
                # CKAN adds `_full_text @@ "query <f>"` and `to_tsvector(…"<f>"…) @@ "query <f>"` per field
                alias = _ident(f"query {f}")
                where = [w for w in where if not (isinstance(w, tuple) and w and alias in w[0] and "@@" in w[0])]
            for j, (f, v) in enumerate(cjk_fields.items()):
                for i, term in enumerate(_terms(v)):
                    key = f"kaifang_f{j}_{i}"
                    params[key] = _like(term)
                    clauses.append(f"(cast({_ident(f)} as text) ILIKE :{key})")
        else:
            return query_dict
        if clauses:
            where.append((" AND ".join(clauses), params))
        query_dict["where"] = where
        return query_dict
