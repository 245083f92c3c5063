"""The package index kept in PostgreSQL, written in the dataset change's own transaction.

CKAN's ``PackageSearchIndex.index_package`` flattens a dataset (extras, tags, groups, resources,
permission labels, ``before_dataset_index`` plugins) and hands the document to a Solr connection's
``add``. We keep that flattening and give it ``PgIndexConnection`` instead: ``add`` upserts a row
through ``model.Session`` — the very session (and transaction) ``package_create``/``package_update``
commit afterwards, so the index row and the dataset change commit or roll back together.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

import ckan.model as model
from ckan.common import config
from ckan.lib.search.index import PackageSearchIndex

from ckanext.kaifang.lucene import grams

log = logging.getLogger(__name__)

TABLE = "kaifang_package_index"
#: bump when the table layout changes: bootstrap then recreates the table and rebuilds the index
INDEX_VERSION = 2

DDL = f"""
CREATE TABLE IF NOT EXISTS kaifang_index_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS {TABLE} (
    id text PRIMARY KEY,
    site_id text NOT NULL,
    name text NOT NULL,
    title text,
    title_string text,
    state text,
    capacity text,
    owner_org text,
    metadata_created timestamptz,
    metadata_modified timestamptz,
    permission_labels text[] NOT NULL DEFAULT '{{}}',
    search_text text NOT NULL DEFAULT '',
    grams text[] NOT NULL DEFAULT '{{}}',
    boost_text text NOT NULL DEFAULT '',
    tag_text text NOT NULL DEFAULT '',
    fields jsonb NOT NULL DEFAULT '{{}}',
    doc jsonb NOT NULL,
    data_dict text,
    validated_data_dict text,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS {TABLE}_grams ON {TABLE} USING gin (grams);
CREATE INDEX IF NOT EXISTS {TABLE}_labels ON {TABLE} USING gin (permission_labels);
CREATE INDEX IF NOT EXISTS {TABLE}_name ON {TABLE} (name);
CREATE INDEX IF NOT EXISTS {TABLE}_modified ON {TABLE} (metadata_modified);
CREATE INDEX IF NOT EXISTS {TABLE}_owner ON {TABLE} (owner_org);
CREATE OR REPLACE FUNCTION kaifang_vals(j jsonb) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
    SELECT e FROM jsonb_array_elements_text(
        CASE WHEN j IS NULL OR jsonb_typeof(j) = 'null' THEN '[]'::jsonb
             WHEN jsonb_typeof(j) = 'array' THEN j
             ELSE jsonb_build_array(j) END) AS e
    WHERE e IS NOT NULL
$$;
CREATE OR REPLACE FUNCTION kaifang_ts(t text) RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
"""


def ensure_schema(conn: Any) -> bool:
    """Create the index table, its indexes and helper functions (idempotent). Returns True when the
    table was (re)created empty because its layout version changed (or an earlier rebuild did not
    finish) — the caller then rebuilds and calls ``mark_schema_version``."""
    conn.execute(sa.text("CREATE TABLE IF NOT EXISTS kaifang_index_meta (key text PRIMARY KEY, value text NOT NULL)"))
    version = conn.execute(sa.text("SELECT value FROM kaifang_index_meta WHERE key = 'version'")).scalar()
    recreated = version != str(INDEX_VERSION)
    if recreated:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
    conn.execute(sa.text(DDL))
    return recreated


def mark_schema_version(conn: Any) -> None:
    """Record the layout version — only after the (re)built index is complete, so an interrupted
    rebuild is redone by the next bootstrap."""
    conn.execute(sa.text("INSERT INTO kaifang_index_meta (key, value) VALUES ('version', :v) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"), {"v": str(INDEX_VERSION)})


#: long free-text keys kept out of ``fields`` (the small jsonb that filters and facets read)
_LONG_KEYS = {"notes", "title", "title_string", "text", "res_description", "res_url", "urls", "url"}


def _short(v: Any) -> bool:
    if v is None or isinstance(v, (bool, int, float)):
        return True
    if isinstance(v, str):
        return len(v) <= 256
    if isinstance(v, (list, tuple)):
        return all(isinstance(x, (str, int, float, bool)) and len(str(x)) <= 256 for x in v) and len(v) <= 200
    return False


def filter_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The short, filterable/facetable part of an index document (no long text, no JSON blobs)."""
    return {k: v for k, v in doc.items() if k not in _LONG_KEYS and _short(v)}


def _json_default(obj: Any) -> str:
    return str(obj)


def _search_text(doc: dict[str, Any], validated: dict[str, Any] | None) -> str:
    """Everything free-text ``q`` searches: name, title, notes, tags, groups, organization title,
    extras values, resource names/descriptions, author/maintainer — lower-cased, one per line."""
    parts: list[str] = []

    def add(v: Any) -> None:
        if v is None:
            return
        if isinstance(v, (list, tuple)):
            for x in v:
                add(x)
        elif isinstance(v, (str, int, float)):
            s = str(v).strip()
            if s:
                parts.append(s)

    for key in ("name", "title", "notes", "tags", "groups", "organization", "res_name",
                "res_description", "author", "maintainer", "license_id", "url", "version"):
        add(doc.get(key))
    for key, value in doc.items():
        if key.startswith("extras_") or key.startswith("vocab_"):
            add(value)
    if validated:
        org = validated.get("organization") or {}
        if isinstance(org, dict):
            add(org.get("title"))
        for g in validated.get("groups") or []:
            if isinstance(g, dict):
                add(g.get("title"))
    return "\n".join(parts).lower()


def upsert_document(session: Any, doc: dict[str, Any]) -> None:
    """Write one flattened CKAN index document as a row (same session/transaction as the caller)."""
    doc = dict(doc)
    data_dict = doc.pop("data_dict", None)
    validated_raw = doc.pop("validated_data_dict", None)
    try:
        validated = json.loads(validated_raw) if validated_raw else None
    except ValueError:
        validated = None
    text = _search_text(doc, validated)
    boost = "\n".join(str(x) for x in [doc.get("name"), doc.get("title")] if x).lower()
    tags_groups = doc.get("tags", []) + doc.get("groups", [])
    boost_tags = "\n".join(str(x) for x in tags_groups).lower()
    row = {
        "id": doc["id"],
        "site_id": doc.get("site_id") or config.get("ckan.site_id"),
        "name": doc.get("name") or doc["id"],
        "title": doc.get("title"),
        "title_string": doc.get("title_string") or doc.get("title"),
        "state": doc.get("state"),
        "capacity": doc.get("capacity"),
        "owner_org": doc.get("owner_org"),
        "metadata_created": doc.get("metadata_created"),
        "metadata_modified": doc.get("metadata_modified"),
        "permission_labels": list(doc.get("permission_labels") or []),
        "search_text": text,
        "grams": sorted(grams(text)),
        "boost_text": boost,
        "tag_text": boost_tags,
        "fields": json.dumps(filter_fields(doc), default=_json_default, ensure_ascii=False),
        "doc": json.dumps(doc, default=_json_default, ensure_ascii=False),
        "data_dict": data_dict,
        "validated_data_dict": validated_raw,
    }
    session.execute(sa.text(f"""
        INSERT INTO {TABLE} (id, site_id, name, title, title_string, state, capacity, owner_org,
            metadata_created, metadata_modified, permission_labels, search_text, grams, boost_text, tag_text,
            fields, doc, data_dict, validated_data_dict, indexed_at)
        VALUES (:id, :site_id, :name, :title, :title_string, :state, :capacity, :owner_org,
            CAST(:metadata_created AS timestamptz), CAST(:metadata_modified AS timestamptz),
            CAST(:permission_labels AS text[]), :search_text, CAST(:grams AS text[]), :boost_text, :tag_text,
            CAST(:fields AS jsonb), CAST(:doc AS jsonb), :data_dict, :validated_data_dict, now())
        ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, name = EXCLUDED.name,
            title = EXCLUDED.title, title_string = EXCLUDED.title_string, state = EXCLUDED.state,
            capacity = EXCLUDED.capacity, owner_org = EXCLUDED.owner_org,
            metadata_created = EXCLUDED.metadata_created, metadata_modified = EXCLUDED.metadata_modified,
            permission_labels = EXCLUDED.permission_labels, search_text = EXCLUDED.search_text,
            grams = EXCLUDED.grams, boost_text = EXCLUDED.boost_text, tag_text = EXCLUDED.tag_text, fields = EXCLUDED.fields, doc = EXCLUDED.doc,
            data_dict = EXCLUDED.data_dict, validated_data_dict = EXCLUDED.validated_data_dict,
            indexed_at = now()
    """), row)


class PgIndexConnection:
    """What ``index_package`` believes is a pysolr connection: ``add`` writes rows to PostgreSQL."""

    url = "postgresql:kaifang_package_index"

    def add(self, docs: list[dict[str, Any]], commit: bool = False, **_: Any) -> None:
        for doc in docs:
            upsert_document(model.Session, doc)

    def commit(self, **_: Any) -> None:
        """Nothing to do: rows commit with the dataset change's transaction."""

    def delete(self, **_: Any) -> None:  # pragma: no cover - PgPackageSearchIndex overrides callers
        raise NotImplementedError("use PgPackageSearchIndex.delete_package / clear")


def make_connection(*_: Any, **__: Any) -> PgIndexConnection:
    return PgIndexConnection()


class PgPackageSearchIndex(PackageSearchIndex):
    """CKAN's package index with PostgreSQL storage (rows share the dataset change's transaction)."""

    def commit(self) -> None:
        """Nothing to do: rows commit with the caller's transaction."""

    def delete_package(self, pkg_dict: dict[str, Any]) -> None:
        ref = pkg_dict.get("id")
        model.Session.execute(
            sa.text(f"DELETE FROM {TABLE} WHERE (id = :ref OR name = :ref) AND site_id = :site"),
            {"ref": ref, "site": config.get("ckan.site_id")})

    def clear(self) -> None:
        model.Session.execute(sa.text(f"DELETE FROM {TABLE} WHERE site_id = :site"),
                              {"site": config.get("ckan.site_id")})
        model.Session.commit()
