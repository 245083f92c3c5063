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
