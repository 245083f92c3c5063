"""`make demo`: bring up the local portal and run what the pipeline can do, then print a summary."""

from __future__ import annotations

import sys

from kaifang.cli import app


def main() -> int:
    try:
        app(["portal", "up"], standalone_mode=False)
    except SystemExit as exc:  # typer may exit
        if exc.code:
            return int(exc.code)
    app(["portal", "status"], standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
