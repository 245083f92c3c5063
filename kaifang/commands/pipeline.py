"""`kaifang check`, `kaifang publish`, `kaifang serve`: the whole pipeline from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from kaifang import consoles
from kaifang.errors import ConfigError
from kaifang.settings import Settings

STATUS_STYLE = {
    "published": "green",
    "up-to-date": "cyan",
    "checked": "green",
    "kept-internal": "yellow",
    "blocked": "red",
    "failed": "red",
}


def summary_table(outcomes: list[dict], title: str = "Kaifang run"):
    """The summary every run prints: one row per dataset (a rich Table)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in ("dataset", "department", "status", "version", "visibility", "quality", "PII handled", "portal page"):
        table.add_column(col, overflow="fold")
    for o in outcomes:
        style = STATUS_STYLE.get(o["status"], "")
        table.add_row(
            o["dataset"],
            o.get("department") or "",
            f"[{style}]{o['status']}[/]" if style else o["status"],
            o.get("version") or "—",
            o.get("visibility") or "—",
            f"{o['quality_score']:.1f}" if o.get("quality_score") is not None else "—",
            str(o.get("findings_handled", 0)),
            o.get("url") or "",
        )
    return table


def _print_outcomes(outcomes: list[dict], settings: Settings, title: str) -> int:
    if settings.json_output:
        print(json.dumps({"outcomes": outcomes}, ensure_ascii=False, indent=2))
    else:
        console = consoles.stdout(wide=True)
        console.print(summary_table(outcomes, title))
        for o in outcomes:
            if o["status"] in ("blocked", "failed") and o.get("message"):
                console.print(f"[red]{o['dataset']}[/]: {o['message']}", highlight=False)
    return 1 if any(o["status"] in ("blocked", "failed") for o in outcomes) else 0


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        dataset: str = typer.Argument(..., help="Dataset id (see `kaifang datasets`)."),
        out: Path = typer.Option(..., "--out", help="Folder to write the release bundle into."),
    ) -> None:
        """Run every stage and write the release bundle to --out; publish nothing.

        Example: kaifang check social-security-pension --out /tmp/release
        """
        from pipelines.stages import run_pipeline

        settings = Settings()
        outcome = run_pipeline(dataset, settings, publish_release=False, out_dir=out.resolve())
        raise typer.Exit(_print_outcomes([outcome.to_dict()], settings, "kaifang check"))

    @app.command("publish")
    def publish(
        datasets: Optional[list[str]] = typer.Argument(None, help="Dataset ids; omit with --all."),
        all_: bool = typer.Option(False, "--all", help="Publish every bundled dataset."),
        concurrency: int = typer.Option(4, "--concurrency", min=1, help="Datasets processed at once (threads)."),
        dask_address: Optional[str] = typer.Option(
            None, "--dask-address", envvar="KAIFANG_DASK_ADDRESS", help="Run on a Dask cluster (tcp://host:port)."
        ),
    ) -> None:
        """Publish datasets through the Prefect flow: extract → validate → desensitize → release → CKAN.

        Example: kaifang publish --all            (or: kaifang publish education-schools health-clinics)
        """
        from flows import publish_catalog

        if not datasets and not all_:
            raise ConfigError("no dataset named", fix="name dataset ids or pass --all")
        if datasets and all_:
            raise ConfigError("both dataset ids and --all given", fix="use one of them")
        settings = Settings()
        outcomes = publish_catalog(datasets or None, dask_address=dask_address, concurrency=concurrency)
        raise typer.Exit(_print_outcomes(outcomes, settings, "kaifang publish"))

    @app.command("serve")
    def serve(
        datasets: Optional[list[str]] = typer.Argument(None, help="Dataset ids to schedule (default: all)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print the deployments and their crons, serve nothing."),
    ) -> None:
        """Create a Prefect deployment per dataset (cron from update_frequency) and serve them.

        Uses Prefect's local ephemeral API unless PREFECT_API_URL points at a Prefect server.
        Example: kaifang serve --dry-run
        """
        from pipelines.descriptor import load_registry
        from pipelines.schedule import cron_for

        settings = Settings()
        registry = load_registry(settings.datasets_dir)
        ids = datasets or sorted(registry)
        unknown = [i for i in ids if i not in registry]
        if unknown:
            raise ConfigError("unknown dataset", fix="see `kaifang datasets`", dataset=",".join(unknown))
        plan = [{"deployment": f"publish-{i}", "dataset": i, "cron": cron_for(registry[i].descriptor)} for i in ids]
        if dry_run or settings.json_output:
            if settings.json_output:
                print(json.dumps({"deployments": plan}, ensure_ascii=False, indent=2))
            else:
                for p in plan:
                    consoles.stdout(wide=True).print(f"{p['deployment']:<50} {p['cron'] or 'on demand (irregular)'}")
            if dry_run:
                return
        from prefect import serve as prefect_serve

        from flows import publish_dataset

        deployments = [
            publish_dataset.to_deployment(
                name=p["deployment"], cron=p["cron"], parameters={"dataset_id": p["dataset"]}, tags=["kaifang"]
            )
            for p in plan
        ]
        prefect_serve(*deployments)
