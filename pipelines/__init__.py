from kaifang import _alloc  # noqa: F401 — before polars loads (see kaifang/_alloc.py)
