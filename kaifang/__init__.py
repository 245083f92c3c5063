"""Kaifang (开放): open-data publishing for public-service datasets."""

from kaifang import _alloc  # noqa: F401 — before polars loads (see the module)

__version__ = "0.1.0"
