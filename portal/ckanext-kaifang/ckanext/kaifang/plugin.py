"""Plugin ``kaifang``: replaces CKAN's Solr package index and queries with PostgreSQL ones.

Registered from ``IConfigurer.update_config``, which CKAN runs before its Solr schema check:
``ckan.lib.search._INDICES['package']``, ``_QUERIES['package']``, the module name
``PackageSearchQuery`` (``model_dictize`` uses it directly for group counts),
``check_solr_schema_version`` (silenced) and the index module's ``make_connection`` (which
``index_package`` hands the flattened document to).
"""

from __future__ import annotations

import ckan.plugins as p


def install_search_backend() -> None:
    """Point CKAN's search layer at the PostgreSQL implementations (idempotent)."""
    import ckan.lib.search as search
    import ckan.lib.search.index as search_index

    from ckanext.kaifang.index import PgPackageSearchIndex, make_connection
    from ckanext.kaifang.query import PgPackageSearchQuery

    search._INDICES["package"] = PgPackageSearchIndex
    search._QUERIES["package"] = PgPackageSearchQuery
    search.PackageSearchQuery = PgPackageSearchQuery
    search.check_solr_schema_version = _no_solr_schema_check
    search_index.make_connection = make_connection


def _no_solr_schema_check(schema_file: str | None = None) -> bool:
    """There is no Solr: the index is a PostgreSQL table, so there is no schema version to check."""
    return False


class KaifangPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)

    def update_config(self, config) -> None:
        install_search_backend()
