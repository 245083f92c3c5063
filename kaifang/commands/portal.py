"""`kaifang portal up|down|status|reset` — the local CKAN portal (see portal/manager.py)."""

from __future__ import annotations

import json

import typer

portal_app = typer.Typer(help="The local CKAN 2.12 portal (no Solr; index in PostgreSQL).", no_args_is_help=True)


@portal_app.command("up")
def up_cmd(json_out: bool = typer.Option(False, "--json", help="Print the status as JSON.")) -> None:
    """Install (if missing) and start the portal; print its URL. Example: kaifang portal up"""
    from portal import manager

    st = manager.up()
    if json_out:
        typer.echo(json.dumps(st.to_dict(), ensure_ascii=False))
    else:
        typer.echo(st.url)


@portal_app.command("down")
def down_cmd() -> None:
    """Stop exactly the processes `portal up` started. Example: kaifang portal down"""
    from portal import manager

    manager.down()


@portal_app.command("status")
def status_cmd(json_out: bool = typer.Option(False, "--json", help="Print the status as JSON.")) -> None:
    """Show URL, running, credentials file path, pids and RSS. Exit 1 when not running.
    Example: kaifang portal status --json"""
    from portal import manager

    st = manager.status()
    if json_out:
        typer.echo(json.dumps(st.to_dict(), ensure_ascii=False))
    else:
        typer.echo(f"url:         {st.url}\nrunning:     {st.running}\ncredentials: {st.credentials}\n"
                   f"pids:        {st.pids}\nrss_mb:      {st.rss_mb}")
    if not st.running:
        # SystemExit, not typer.Exit: cli.main runs the app with standalone_mode=False, where a
        # typer.Exit code is returned (and dropped) instead of raised
        raise SystemExit(1)


@portal_app.command("reset")
def reset_cmd(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    venv: bool = typer.Option(False, "--venv", help="Also delete the portal virtualenv (re-installed by `up`)."),
) -> None:
    """Stop the portal and wipe its state (databases, uploads, config, credentials).
    Example: kaifang portal reset --yes"""
    from portal import manager

    if not yes and not typer.confirm("Wipe the local portal's databases, uploads and credentials?"):
        raise typer.Abort()
    manager.reset(venv=venv)


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
