"""Rich consoles, created on first use: importing rich costs ~0.1 s that a ``--json`` run never needs."""

from __future__ import annotations

import shutil
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@cache
def stdout(wide: bool = False) -> "Console":
    """The standard-output console; ``wide`` tables get at least 190 columns (summary tables)."""
    from rich.console import Console

    return Console(width=max(shutil.get_terminal_size().columns, 190)) if wide else Console()


@cache
def stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True)


TEARDOWN_LOGGERS = ("sqlalchemy.pool",)
"""Loggers silenced once a command's work is done: the local Prefect API's SQLite pool may log a
cancelled connection reset (with a traceback) while the process exits; nothing there is actionable."""


def quiet_teardown() -> None:
    """Call when the command has printed its result: only critical messages from the teardown loggers."""
    import logging

    for name in TEARDOWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)
