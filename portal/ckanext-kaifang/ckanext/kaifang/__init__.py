"""ckanext-kaifang: Kaifang's CKAN extension (package search index in PostgreSQL, no Solr)."""
