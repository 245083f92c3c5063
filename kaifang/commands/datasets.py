"""`kaifang datasets` (list the catalogue) and `kaifang extract DATASET` (extraction alone, prints lineage)."""

from __future__ import annotations

import json

import typer

from kaifang.errors import ConfigError
from kaifang.settings import Settings


def _registry(settings: Settings):
    from pipelines.descriptor import load_registry

    return load_registry(settings.datasets_dir)


def register(app: typer.Typer) -> None:
    @app.command("datasets")
    def datasets(json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
        """List dataset definitions: id, title, department, theme, open condition, update frequency, source kind.

        Example: kaifang datasets --json
        """
        settings = Settings()
        rows = []
        for ds in _registry(settings).values():
            d = ds.descriptor
            rows.append({
                "id": ds.id, "title": d.title, "title_en": d.title_en, "department": d.department.name,
                "department_id": d.department.id, "theme": d.theme, "open_condition": d.open_condition,
                "update_frequency": d.update_frequency, "source_kind": d.source.connector,
                "schema_problems": len(ds.problems),
            })
        if json_output or settings.json_output:
            typer.echo(json.dumps({"datasets_dir": str(settings.datasets_dir), "datasets": rows}, ensure_ascii=False, indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{len(rows)} datasets in {settings.datasets_dir}")
        for col in ("id", "title", "department", "theme", "open_condition", "update_frequency", "source_kind"):
            table.add_column(col)
        for r in rows:
            table.add_row(*(str(r[c]) for c in ("id", "title", "department", "theme", "open_condition", "update_frequency", "source_kind")))
        Console().print(table)

    @app.command("extract")
    def extract_cmd(
        dataset: str = typer.Argument(..., help="Dataset id (see `kaifang datasets`)."),
        json_output: bool = typer.Option(False, "--json", help="Print the lineage record as JSON."),
    ) -> None:
        """Read one dataset's source as received, snapshot the raw bytes and print the lineage record.

        Example: kaifang extract social-security-pension --json
        """
        from pipelines.extract import extract

        settings = Settings()
        registry = _registry(settings)
        if dataset not in registry:
            raise ConfigError("unknown dataset", fix=f"use one of: {', '.join(sorted(registry))}", dataset=dataset)
        result = extract(registry[dataset], settings.state_dir)
        record = result.lineage.to_dict()
        record["raw_path"] = str(result.raw_path)
        record["lineage_path"] = str(result.lineage_path)
        if json_output or settings.json_output:
            typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
            return
        for key in ("dataset", "connector", "locator", "rows", "columns", "bytes", "sha256", "extracted_at", "code_version", "raw_path", "lineage_path"):
            typer.echo(f"{key:>13}: {record[key]}")
        if len(record["parts"]) > 1:
            typer.echo(f"{'parts':>13}: {len(record['parts'])}")
            for p in record["parts"]:
                typer.echo(f"{'':>15}{p['locator']}  {p['bytes']} B  {p['sha256'][:16]}…")
        if record["details"]:
            typer.echo(f"{'details':>13}: " + ", ".join(f"{k}={v}" for k, v in record["details"].items() if k != "statement"))
