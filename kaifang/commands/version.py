"""`kaifang version`."""

import typer

from kaifang import __version__


def register(app: typer.Typer) -> None:
    @app.command("version")
    def version() -> None:
        """Print the Kaifang version.  Example: kaifang version"""
        typer.echo(__version__)
