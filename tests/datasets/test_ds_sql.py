"""sql connector against a real PostgreSQL (pgserver): tables, queries, batches, typed values, outages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kaifang.errors import ConfigError, SourceError, TransientError
from pipelines.extract import extract
from pipelines.extract.demo_sources import seed_postgres

from .conftest import DATASETS


@pytest.fixture(scope="module")
def seeded(postgres):
    eng = sa.create_engine(postgres)
    with eng.begin() as c:
        c.exec_driver_sql("DROP TABLE IF EXISTS t_people")
        c.exec_driver_sql("CREATE TABLE t_people (id integer primary key, code text, amount numeric(10,2), born date, "
                          "seen timestamp, active boolean, note text)")
        c.exec_driver_sql("INSERT INTO t_people SELECT g, lpad(g::text, 6, '0'), g * 1.5, date '2000-01-01' + g, "
                          "timestamp '2024-01-01 08:00:00' + g * interval '1 hour', mod(g, 2) = 0, "
                          "CASE WHEN mod(g, 10) = 0 THEN NULL ELSE '备注' || g END FROM generate_series(1, 2345) g")
    eng.dispose()
    return postgres


def test_table_streamed_in_batches_as_text(make_dataset, state_dir, seeded, monkeypatch):
    monkeypatch.setenv("TEST_PG_URL", seeded)
    ds = make_dataset({"connector": "sql", "options": {"url": "${TEST_PG_URL}", "table": "t_people", "order_by": "id", "batch_size": 500}})
    ex = extract(ds, state_dir)
    t = ex.table
    assert t.shape == (2345, 7) and ex.lineage.details["batches"] == 5
    assert t.columns == ["id", "code", "amount", "born", "seen", "active", "note"]
    assert t.row(0) == ("1", "000001", "1.50", "2000-01-02", "2024-01-01T09:00:00", "false", "备注1")
    assert t["note"][9] is None
    assert ex.lineage.rows == 2345 and ex.raw_path.read_bytes().startswith(b"id,code,amount")


def test_query_with_url_env(make_dataset, state_dir, seeded, monkeypatch):
    monkeypatch.setenv("TEST_PG_URL2", seeded)
    ds = make_dataset({"connector": "sql", "options": {"url_env": "TEST_PG_URL2", "query": "SELECT id, code FROM t_people WHERE id <= 3 ORDER BY id"}})
    ex = extract(ds, state_dir)
    assert ex.table["code"].to_list() == ["000001", "000002", "000003"]
    assert ex.lineage.locator.startswith("sql:postgresql") and "#query:" in ex.lineage.locator


def test_bundled_health_table_seeded_and_extracted(make_dataset, state_dir, postgres, monkeypatch):
    from pipelines.descriptor import load_dataset

    counts = seed_postgres(postgres, DATASETS)
    assert counts == {"infectious_disease_reports": 800}
    monkeypatch.setenv("KAIFANG_DEMO_PG_URL", postgres)
    ds = load_dataset(DATASETS / "health-infectious-disease-reports")
    ex = extract(ds, state_dir)
    assert ex.table.height == 800
    assert ex.table.columns == [f["name"] for f in ds.schema["fields"]]
    assert ex.table["report_time"].str.contains("T").all()


def test_unknown_table_is_a_source_error(make_dataset, state_dir, seeded, monkeypatch):
    monkeypatch.setenv("TEST_PG_URL", seeded)
    ds = make_dataset({"connector": "sql", "options": {"url": "${TEST_PG_URL}", "table": "no_such_table"}})
    with pytest.raises(SourceError) as ei:
        extract(ds, state_dir)
    assert ei.value.context["sqlstate"] == "42P01" and "no_such_table" in str(ei.value.context["source"])


@pytest.mark.timeout(60)
def test_database_down_is_transient(make_dataset, state_dir, tmp_path, monkeypatch):
    from pipelines.extract.demo_sources import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("TEST_DOWN_URL", f"postgresql+psycopg2://kaifang@127.0.0.1:{port}/db")
    ds = make_dataset({"connector": "sql", "options": {"url": "${TEST_DOWN_URL}", "table": "t", "connect_timeout": 3}})
    with pytest.raises(TransientError) as ei:
        extract(ds, state_dir)
    assert "unreachable" in ei.value.message and f"127.0.0.1:{port}" in ei.value.context["source"]
    assert ei.value.transient


def test_literal_password_refused_at_load(make_dataset):
    with pytest.raises(ConfigError) as ei:
        make_dataset({"connector": "sql", "options": {"url": "postgresql://u:hunter2@db/x", "table": "t"}})
    assert "literal password" in ei.value.message and "hunter2" not in ei.value.render()


def test_unset_placeholder_names_the_variable(make_dataset, state_dir, monkeypatch):
    monkeypatch.delenv("TEST_UNSET_URL", raising=False)
    ds = make_dataset({"connector": "sql", "options": {"url": "${TEST_UNSET_URL}", "table": "t"}})
    with pytest.raises(ConfigError) as ei:
        extract(ds, state_dir)
    assert ei.value.context["variable"] == "TEST_UNSET_URL"
