"""`kaifang validate`: the quality gate from the command line.

* ``kaifang validate DATASET [--json]`` — extract the dataset (id or folder), run schema +
  expectations + score; a blocked run is quarantined under ``<state_dir>/quarantine``.
* ``kaifang validate FILE --schema SCHEMA.json [--suite SUITE.json] [--json]`` — any CSV file.

Exit 0 valid, 1 invalid, 2 usage error. Output never contains cell values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from kaifang import consoles
from kaifang.errors import ConfigError, GateBlocked


def _load_json(path: Path, what: str) -> dict:
    if not path.is_file():
        raise ConfigError(f"{what} file not found", fix=f"pass an existing {what} JSON file", file=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{what} is not valid JSON: {exc.msg}", fix="fix the JSON syntax", file=str(path), line=exc.lineno) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{what} must be a JSON object", fix="see docs/architecture.md", file=str(path))
    return data


def _print(report: dict[str, Any], as_json: bool, html_path: Optional[Path] = None, html: str | None = None) -> int:
    if html_path is not None and html is not None:
        html_path.write_text(html, encoding="utf-8")
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        console = consoles.stdout()
        ok = report["valid"]
        stats = report["stats"]
        head = "[green]VALID[/]" if ok else "[red]INVALID[/]"
        console.print(f"{head} {report['subject']}: {stats.get('rows', 0)} rows, {stats.get('errors', 0)} error(s)", highlight=False)
        if "quality" in report:
            q = report["quality"]
            dims = ", ".join(f"{k} {'n/a' if v is None else f'{v:.1f}'}" for k, v in q["dimensions"].items())
            console.print(f"quality score {q['overall']:.1f}/100 ({dims})", highlight=False)
        for ptype, count in (stats.get("errorsByType") or {}).items():
            console.print(f"  {ptype}: {count}", highlight=False)
        for e in report["errors"][:20]:
            console.print(f"  [red]{e['type']}[/] {e['message']}", highlight=False)
        if len(report["errors"]) > 20:
            console.print(f"  … {len(report['errors']) - 20} more (use --json)")
        for w in report.get("warnings", [])[:10]:
            console.print(f"  [yellow]warning[/] {w['message']}", highlight=False)
        if html_path is not None:
            console.print(f"HTML report: {html_path}")
    return 0 if report["valid"] else 1


def _validate_file(path: Path, schema_path: Path, suite_path: Optional[Path], as_json: bool, html_path: Optional[Path], encoding: str = "utf-8") -> int:
    from quality.expectations import run_suite
    from quality.report import build_report, render_html
    from quality.schema_check import check_file, outcome_report
    from quality.score import score

    if not path.is_file():
        raise ConfigError("data file not found", fix="pass an existing CSV file", file=str(path))
    schema = _load_json(schema_path, "schema")
    if not isinstance(schema.get("fields"), list):
        raise ConfigError("schema has no 'fields' list", fix="pass a Frictionless Table Schema", file=str(schema_path))
    outcome = check_file(path, schema, encoding=encoding)
    if suite_path is None:
        report = outcome_report(outcome, path.name, schema).to_dict()
        return _print(report, as_json)
    suite = _load_json(suite_path, "expectation suite")
    results = run_suite(outcome.frame, suite, schema, known=outcome.facts)
    report = build_report(path.name, schema, outcome, results, score(outcome, results, schema)).to_dict()
    return _print(report, as_json, html_path, render_html(report, outcome.counts))


def _load_dataset(target: str):
    from pipelines.descriptor import load_dataset, load_registry
    from kaifang.settings import Settings

    as_path = Path(target)
    if as_path.is_dir() and (as_path / "dataset.yaml").exists():
        return load_dataset(as_path)
    registry = load_registry(Settings().datasets_dir)
    if target not in registry:
        raise ConfigError(f"unknown dataset '{target}'", fix="pass a dataset id from the datasets folder, a dataset folder, or a file with --schema", known=",".join(sorted(registry)) or "none")
    return registry[target]


def _validate_dataset(target: str, as_json: bool, html_path: Optional[Path]) -> int:
    from kaifang.settings import Settings
    from pipelines.extract import extract
    from quality.gate import run_quality

    settings = Settings()
    dataset = _load_dataset(target)
    extraction = extract(dataset, settings.state_dir)
    try:
        result = run_quality(
            dataset, extraction.table, extracted_at=extraction.lineage.extracted_at,
            quarantine_dir=settings.state_dir / "quarantine", raw_path=extraction.raw_path,
        )
    except GateBlocked as exc:
        result = getattr(exc, "result", None)
        if result is None:
            raise
        code = _print(result.report, as_json, html_path, result.html)
        if not as_json:
            consoles.stderr().print(f"[bold red]blocked[/]: {exc.render()}", highlight=False)
        return code
    return _print(result.report, as_json, html_path, result.html)


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        target: str = typer.Argument(..., help="Dataset id or folder; or a CSV file together with --schema."),
        schema: Optional[Path] = typer.Option(None, "--schema", help="Frictionless Table Schema JSON (file mode)."),
        suite: Optional[Path] = typer.Option(None, "--suite", help="Great Expectations 1.x suite JSON (file mode, optional)."),
        as_json: bool = typer.Option(False, "--json", help="Print the JSON report."),
        html: Optional[Path] = typer.Option(None, "--html", help="Also write the HTML report to this path."),
        encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of FILE (file mode), e.g. gbk."),
    ) -> None:
        """Validate a dataset (schema, expectations, quality score) or any CSV file against a schema.

        Exit 0 valid, 1 invalid, 2 usage error.
        Examples: kaifang validate social-security-pension --json;
        kaifang validate data.csv --schema schema.json
        """
        from kaifang.settings import Settings

        as_json = as_json or Settings().json_output  # global `kaifang --json validate …` too
        if schema is not None:
            code = _validate_file(Path(target), schema, suite, as_json, html, encoding)
        else:
            if suite is not None:
                raise ConfigError("--suite needs --schema (file mode)", fix="pass --schema SCHEMA.json, or a dataset id without --suite")
            code = _validate_dataset(target, as_json, html)
        # sys.exit, not typer.Exit: cli.main runs click with standalone_mode=False, which turns
        # Exit into a return value that main() drops (the exit code would be lost).
        sys.exit(code)
