"""`kaifang versions DATASET [--json]` and `kaifang retract DATASET VERSION --reason TEXT`."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    @app.command("versions")
    def versions(
        dataset: str = typer.Argument(..., help="Dataset id."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
        store: str | None = typer.Option(None, "--store", help="Object store URL (default: KAIFANG_STORE or <state_dir>/store)."),
    ) -> None:
        """List a dataset's releases from the store and the portal.  Example: kaifang versions social-insurance --json"""
        from kaifang.settings import Settings
        from publish.listing import list_versions

        info = list_versions(dataset, Settings(), store_url=store)
        if as_json:
            typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
            return
        if not info["versions"]:
            typer.echo(f"{dataset}: no releases yet in the store")
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"{dataset} — current {info['current'] or '—'} (portal: {info['portal_version'] or '—'})")
        for col in ("version", "released", "level", "status", "summary", "files"):
            t.add_column(col)
        for v in info["versions"]:
            t.add_row(v["version"], v["released_at"], v["level"], v["status"], v["summary"], str(len(v["files"])))
        Console().print(t)

    @app.command("retract")
    def retract_cmd(
        dataset: str = typer.Argument(..., help="Dataset id."),
        version: str = typer.Argument(..., help="Version to retract, e.g. 1.2.0."),
        reason: str = typer.Option(..., "--reason", help="Why (recorded in the audit log and the release history)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        store: str | None = typer.Option(None, "--store", help="Object store URL."),
    ) -> None:
        """Retract a release: remove its files from store and portal; the previous version becomes current.
        Example: kaifang retract social-insurance 1.2.0 --reason "ID numbers leaked in note field\""""
        from kaifang.settings import Settings
        from publish.retract import retract
        from publish.storage import open_store

        settings = Settings()
        out = retract(dataset, version, reason=reason, settings=settings, store=open_store(store, settings))
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        else:
            typer.echo(f"retracted {dataset} {version}; current is now {out['current'] or 'none'}; removed {len(out['removed_objects'])} objects")
