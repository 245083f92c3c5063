"""One-process portal bootstrap (run by the portal venv's python; each ``ckan`` CLI call costs ≈2 s).

    python -m ckanext.kaifang.bootstrap --config ckan.ini --credentials credentials.json \
        --sysadmin kaifang_admin     # env KAIFANG_DATASTORE_ADMIN_URL: superuser URL of the DataStore db

Steps, all idempotent: datastore permissions SQL (``ckan datastore set-permissions``) applied as
superuser; core + plugin migrations (``ckan db upgrade``); the package index table; a sysadmin
user; an API token written to the credentials file (mode 0600). Nothing secret is printed: the
last stdout line is a JSON summary without the token.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from pathlib import Path


def _write_private(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def apply_datastore_permissions(config, admin_url: str) -> None:
    """Render CKAN's datastore permissions script from the config and run it as superuser."""
    import sqlalchemy as sa
    from ckanext.datastore.cli import _parse_db_config, permissions_sql

    write_url = _parse_db_config("ckan.datastore.write_url")
    read_url = _parse_db_config("ckan.datastore.read_url")
    db_url = _parse_db_config("sqlalchemy.url")
    sql = permissions_sql(maindb=db_url["db_name"], datastoredb=write_url["db_name"],
                          mainuser=db_url["db_user"], writeuser=write_url["db_user"],
                          readuser=read_url["db_user"])
    sql = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("\\connect"))
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute(sql)  # no parameters: the script contains literal '%'
        finally:
            raw.close()
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True)
    ap.add_argument("--credentials", required=True)
    ap.add_argument("--sysadmin", default="kaifang_admin")
    ap.add_argument("--datastore-admin-url", default=os.environ.get("KAIFANG_DATASTORE_ADMIN_URL"),
                    help="superuser URL of the DataStore database (default: env KAIFANG_DATASTORE_ADMIN_URL)")
    args = ap.parse_args(argv)
    if not args.datastore_admin_url:
        ap.error("--datastore-admin-url or KAIFANG_DATASTORE_ADMIN_URL is required")
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    from ckan.cli import load_config
    conf = load_config(args.config)
    from ckan.common import config as ckan_config

    ckan_config.update(conf)  # make _parse_db_config see this config before the app loads
    apply_datastore_permissions(conf, args.datastore_admin_url)
    timings["datastore_permissions"] = time.monotonic() - t0

    from ckan.config.middleware import make_app
    app = make_app(conf)
    flask_app = app._wsgi_app
    timings["load_app"] = time.monotonic() - t0

    import ckan.logic as logic
    import ckan.model as model
    from ckan.cli.db import _migrate_plugins, _run_migrations

    from ckanext.kaifang.index import ensure_schema, mark_schema_version

    with flask_app.app_context():
        _run_migrations(None)
        _migrate_plugins(apply=True)
        timings["migrations"] = time.monotonic() - t0
        with model.meta.engine.begin() as conn:
            recreated = ensure_schema(conn)
        if recreated and model.Session.query(model.Package.id).first() is not None:
            from ckan.lib import search

            with flask_app.test_request_context():
                search.rebuild(quiet=True)  # the index layout changed: refill it from the database
        with model.meta.engine.begin() as conn:
            mark_schema_version(conn)
        timings["index"] = time.monotonic() - t0

        creds_path = Path(args.credentials)
        creds = {}
        if creds_path.exists():
            try:
                creds = json.loads(creds_path.read_text())
            except ValueError:
                creds = {}
        user = model.User.by_name(args.sysadmin)
        site_user = logic.get_action("get_site_user")({"ignore_auth": True}, {})
        if user is None:
            password = secrets.token_urlsafe(24)
            with flask_app.test_request_context():
                logic.get_action("user_create")(
                    {"ignore_auth": True, "user": site_user["name"]},
                    {"name": args.sysadmin, "email": f"{args.sysadmin}@kaifang.invalid",
                     "password": password, "fullname": "Kaifang publisher"})
            creds["password"] = password
            user = model.User.by_name(args.sysadmin)
        if not user.sysadmin:
            user.sysadmin = True
            model.repo.commit_and_remove()
            user = model.User.by_name(args.sysadmin)

        token_ok = False
        if creds.get("token") and creds.get("user") == args.sysadmin:
            from ckan.lib import api_token
            try:
                found = api_token.get_user_from_token(creds["token"])
                token_ok = found is not None and found.name == args.sysadmin
            except Exception:
                token_ok = False
        if not token_ok:
            with flask_app.test_request_context():
                token = logic.get_action("api_token_create")(
                    {"ignore_auth": True, "user": args.sysadmin},
                    {"user": args.sysadmin, "name": f"kaifang-{int(time.time())}"})["token"]
            creds["token"] = token
        creds["user"] = args.sysadmin
        _write_private(creds_path, creds)
        timings["sysadmin_token"] = time.monotonic() - t0

    print(json.dumps({"ok": True, "sysadmin": args.sysadmin, "new_token": not token_ok,
                      "timings": {k: round(v, 2) for k, v in timings.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
