"""`kaifang scan FILE [--json] [--fail-on-findings]` — find personal data in any CSV or XLSX."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    @app.command("scan")
    def scan(
        file: str = typer.Argument(..., help="CSV (UTF-8, GBK/GB18030 …) or XLSX file to scan."),
        as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
        fail_on_findings: bool = typer.Option(False, "--fail-on-findings",
                                              help="Exit 1 when personal data is found (organization codes do not count)."),
    ) -> None:
        """Scan a file for identifiers (ID numbers, mobiles, bank cards, names, addresses …); values are never printed.

        Example: kaifang scan data/applicants.xlsx --json
        """
        from pipelines.privacy.detect import scan_file

        result = scan_file(file)
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False))
        else:
            from rich.console import Console
            from rich.table import Table

            console = Console()
            console.print(f"{result['file']}: {result['rows']} rows, {len(result['findings'])} findings")
            if result["findings"]:
                table = Table("field", "kind", "count", "first rows", "personal")
                for f in result["findings"]:
                    table.add_row(f["field"], f["kind"], str(f["count"]), ", ".join(map(str, f["rows"][:10])),
                                  "yes" if f["personal"] else "no (organization)")
                console.print(table)
        if fail_on_findings and any(f["personal"] for f in result["findings"]):
            # SystemExit, not typer.Exit: cli.main runs click with standalone_mode=False, which turns
            # typer.Exit into a return value it does not pass on as the exit code
            raise SystemExit(1)
