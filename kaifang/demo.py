"""`make demo`: start the local portal and the demo sources, publish every bundled dataset, print
a summary and the portal's address. Run again, every dataset reports "up-to-date"."""

from __future__ import annotations

import sys
import time

from kaifang import consoles
from kaifang.errors import KaifangError
from kaifang.settings import Settings

console = consoles.stdout(wide=True)


def ensure_demo_key(settings: Settings) -> None:
    """The demo's pseudonymization key: the env var if set, else a random key generated once for this
    installation and kept 0600 in the state dir (never printed, never a built-in default)."""
    import os
    import secrets

    if os.environ.get(settings.hmac_key_env):
        return
    path = settings.state_dir / "demo-hmac.key"
    if not path.exists():
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    os.environ[settings.hmac_key_env] = path.read_text().strip()
    console.print(f"pseudonymization key: {settings.hmac_key_env} not set, using the demo key in {path} (0600)")


def main() -> int:
    import os

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the summary table is the demo's output
    from flows import publish_catalog
    from kaifang.commands.pipeline import summary_table
    from pipelines.extract import demo_sources
    from portal import manager

    settings = Settings()
    t0 = time.perf_counter()
    ensure_demo_key(settings)
    try:
        with console.status("starting the local CKAN portal (first run installs CKAN, ≈1–2 min)…"):
            portal = manager.up(settings)
        with console.status("starting the demo SQL, JSON API and S3 sources…"):
            demo_sources.up(settings.state_dir, settings.datasets_dir)
        console.print(f"portal running at [bold]{portal.url}[/]")
        outcomes = publish_catalog(None, concurrency=2)
    except KaifangError as exc:
        console.print(f"[bold red]error[/]: {exc.render()}", highlight=False)
        return exc.exit_code
    console.print(summary_table(outcomes, "Kaifang demo"))
    for o in outcomes:
        if o["status"] in ("blocked", "failed") and o.get("message"):
            console.print(f"[red]{o['dataset']}[/]: {o['message']}", highlight=False)
    console.print(
        f"\nPortal: [bold]{portal.url}[/]  (datasets: {portal.url}/dataset)   "
        f"finished in {time.perf_counter() - t0:.0f} s. Stop it with `make portal-down`."
    )
    consoles.quiet_teardown()
    return 1 if any(o["status"] in ("blocked", "failed") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
