"""Memory given back to the system soon after it is freed.

polars allocates through its own jemalloc, which by default keeps freed pages for half a second to
a second before returning them. A pipeline frees one big intermediate after another (the raw table
once typed, each input column once desensitized): with the default, several of them stay resident
at once and the process peaks well above its largest stage (measured at 1M rows: 800 MB against
680 MB). Here freed pages go back after about 100 ms.

It is a process-wide policy, so the applications set it, not the libraries: the ``kaifang`` command
(``kaifang/cli.py``) and ``flows.py`` (Prefect, Dask workers) import this module first. Code that
imports ``pipelines`` or ``publish`` as a library keeps its own allocator settings. The price is
time: returned pages are faulted in again (≈ 5-10 % more wall time for ``kaifang check`` at 1M rows).

jemalloc reads ``_RJEM_MALLOC_CONF`` once, when polars is first loaded. polars puts its own default in
front of the variable's value (later options win) and exports the result, so a child of any process
that imported polars inherits polars' default: that is replaced too. Any other value, a user's, is kept.
"""

import os

JEMALLOC_CONF = "dirty_decay_ms:100,muzzy_decay_ms:0"
"""Return dirty pages after ~100 ms; purge (not just mark) them so the resident size drops."""

POLARS_OWN = {"dirty_decay_ms:500", "muzzy_decay_ms:1000", "thp:always", "metadata_thp:always"}
"""What polars itself writes into the variable (its default, and its POLARS_THP=1 options)."""


def _configure() -> None:
    current = os.environ.get("_RJEM_MALLOC_CONF", "")
    if all(opt in POLARS_OWN for opt in current.split(",") if opt):
        os.environ["_RJEM_MALLOC_CONF"] = JEMALLOC_CONF


_configure()
