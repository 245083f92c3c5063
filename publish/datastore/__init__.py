"""CKAN DataStore tables for published versions: typed from the Table Schema, loaded over the Action API."""

from publish.datastore.config import DatastoreSettings
from publish.datastore.load import LoadResult, delete_table, load_table
from publish.datastore.types import datastore_fields

__all__ = ["DatastoreSettings", "LoadResult", "datastore_fields", "delete_table", "load_table"]
