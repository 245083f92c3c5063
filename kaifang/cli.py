"""The ``kaifang`` command line. Each area registers its commands from ``kaifang/commands/<area>.py``
(a module exposing ``register(app)``); this file only discovers and runs them."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import typer
from rich.console import Console

from kaifang import commands
from kaifang.errors import KaifangError

app = typer.Typer(
    name="kaifang",
    help="Kaifang (开放): define, validate, desensitize and publish open public-service datasets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


def _register_all() -> None:
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"kaifang.commands.{mod.name}")
        module.register(app)


_register_all()


def main() -> None:
    """Entry point: turn KaifangError into a one-line message (or JSON with --json) and an exit code."""
    try:
        app(standalone_mode=False)
    except KaifangError as exc:
        if "--json" in sys.argv:
            print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False))
        else:
            err_console.print(f"[bold red]error[/]: {exc.render()}", highlight=False)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
