"""The index row is written through CKAN's own session: it commits or rolls back with the change.

Runs inside the portal venv (the only place CKAN is importable) against the real database."""

from __future__ import annotations

import json
import subprocess

import pytest

from portal.config import PortalConfig

pytestmark = pytest.mark.portal

SCRIPT = r'''
import json, sys
import sqlalchemy as sa
from ckan.cli import load_config
from ckan.config.middleware import make_app

app = make_app(load_config(sys.argv[1]))
with app._wsgi_app.test_request_context():
    import ckan.logic as logic
    import ckan.model as model

    org = logic.get_action("organization_create")({"ignore_auth": True, "user": sys.argv[3]},
                                                   {"name": sys.argv[2] + "-org"})
    pkg = logic.get_action("package_create")({"ignore_auth": True, "user": sys.argv[3]},
                                             {"name": sys.argv[2], "title": "事务 养老", "owner_org": org["id"]})
    count = sa.text("SELECT count(*) FROM kaifang_package_index WHERE id = :i")
    other = sa.create_engine(model.meta.engine.url)  # a second connection: sees committed rows only

    out = {"after_create": model.Session.execute(count, {"i": pkg["id"]}).scalar()}
    model.Session.execute(sa.text("DELETE FROM kaifang_package_index WHERE id = :i"), {"i": pkg["id"]})
    model.Session.commit()
    out["after_delete"] = model.Session.execute(count, {"i": pkg["id"]}).scalar()

    logic.index_update_package({"ignore_auth": True}, pkg["id"])
    out["same_session_before_commit"] = model.Session.execute(count, {"i": pkg["id"]}).scalar()
    with other.connect() as c:
        out["other_connection_before_commit"] = c.execute(count, {"i": pkg["id"]}).scalar()
    model.Session.rollback()
    out["after_rollback"] = model.Session.execute(count, {"i": pkg["id"]}).scalar()

    logic.index_update_package({"ignore_auth": True}, pkg["id"])
    model.Session.commit()
    with other.connect() as c:
        out["other_connection_after_commit"] = c.execute(count, {"i": pkg["id"]}).scalar()
    other.dispose()
print(json.dumps(out))
'''


def test_index_rows_share_the_dataset_transaction(portal):
    cfg = PortalConfig(state_dir=portal.state_dir)
    name = portal.unique("tx")
    proc = subprocess.run([str(cfg.venv_python), "-c", SCRIPT, str(cfg.ini_path), name, cfg.sysadmin],
                          capture_output=True, text=True, timeout=300, cwd=cfg.state_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"after_create": 1, "after_delete": 0, "same_session_before_commit": 1,
                   "other_connection_before_commit": 0, "after_rollback": 0,
                   "other_connection_after_commit": 1}
