"""``sql`` connector: any SQLAlchemy URL plus a query or a table, streamed in batches.

The URL comes from an environment variable (``url_env``) or a ``${VAR}`` placeholder, never a
literal password in dataset.yaml. Values become text with polars' canonical casts (dates ISO,
decimals as written). The raw snapshot is the result serialized as UTF-8 CSV, so its sha256 is a
stable fingerprint of what the database returned.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl
from pydantic import Field, model_validator

from kaifang.errors import ConfigError, SourceError, TransientError
from pipelines.extract.common import Options, RawPart, Received, check_header, expand, text_value


class SqlOptions(Options):
    """Options of the ``sql`` connector."""

    url: str | None = Field(None, description="SQLAlchemy URL with ${VAR} placeholders (no literal passwords).")
    url_env: str | None = Field(None, description="Name of the env var holding the SQLAlchemy URL (alternative to url).")
    query: str | None = Field(None, description="SELECT statement to run (alternative to table).")
    table: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$", description="Table (schema.table) to read whole.")
    order_by: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Column ordering a table read (stable snapshots).")
    batch_size: int = Field(10_000, ge=1, description="Rows fetched per round trip.")
    connect_timeout: int = Field(10, ge=1, le=300, description="Seconds to wait for the database to accept a connection.")

    @model_validator(mode="after")
    def _one_of(self):
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url or url_env")
        if (self.query is None) == (self.table is None):
            raise ValueError("give exactly one of query or table")
        if self.url and "${" not in self.url and ":" in self.url.split("@")[0].split("//")[-1]:
            raise ValueError("url contains a literal password; use ${ENV_VAR} placeholders or url_env")
        return self


def _resolve_url(options: SqlOptions, dataset: str, state_dir: Path | None) -> str:
    if options.url_env:
        url = os.environ.get(options.url_env)
        if not url:
            raise ConfigError(f"environment variable {options.url_env} (SQL URL) is not set", fix=f"export {options.url_env}=<sqlalchemy url>",
                              dataset=dataset, key="source.options.url_env")
        return url
    return expand(options.url, state_dir, dataset=dataset, key="source.options.url")


def read(options: SqlOptions, *, dataset_dir: Path, dataset: str, state_dir: Path | None = None) -> Received:
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError, NoSuchModuleError, ArgumentError, SQLAlchemyError

    url = _resolve_url(options, dataset, state_dir)
    try:
        parsed = sa.engine.make_url(url)
    except ArgumentError:
        raise ConfigError("SQL URL is not a valid SQLAlchemy URL", fix="use dialect+driver://user@host/db", dataset=dataset) from None
    if parsed.drivername == "postgresql":  # SQLAlchemy 2.1 defaults to psycopg 3; we ship psycopg2
        try:
            import psycopg  # noqa: F401
        except ImportError:
            parsed = parsed.set(drivername="postgresql+psycopg2")
    shown = parsed.render_as_string(hide_password=True)
    if "?" in shown:
        shown = shown.split("?", 1)[0]
    what = options.table or "query:" + hashlib.sha256(options.query.encode()).hexdigest()[:12]
    locator = f"sql:{shown}#{what}"
    connect_args = {}
    if parsed.get_backend_name() in ("postgresql", "mysql"):
        connect_args["connect_timeout"] = options.connect_timeout
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args, poolclass=sa.pool.NullPool)
    except (NoSuchModuleError, ArgumentError, ImportError):
        raise ConfigError("SQL URL names an unknown database driver", fix="install the driver or fix the URL", source=shown) from None
    if options.table:
        schema, _, name = options.table.rpartition(".")
        stmt = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))
        if options.order_by:
            stmt = stmt.order_by(sa.column(options.order_by))
    else:
        stmt = sa.text(options.query)
    chunks: list[pl.DataFrame] = []
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise TransientError("SQL source is unreachable", fix="start the database (make demo starts the demo one) or check the URL and network",
                                 source=shown, driver_error=type(exc.orig).__name__ if exc.orig else None) from None
        with conn:
            try:
                result = conn.execution_options(stream_results=True, yield_per=options.batch_size).execute(stmt)
                header = check_header(list(result.keys()), source=locator)
                for batch in result.partitions(options.batch_size):
                    chunks.append(_batch_frame(header, batch))
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise TransientError("SQL connection lost while reading", fix="retry; check the database is healthy", source=shown) from None
                code = getattr(exc.orig, "pgcode", None)
                raise SourceError(f"SQL query failed ({type(exc.orig).__name__})", fix="check the table/query in source.options against the database",
                                  source=locator, sqlstate=code, rows_read=sum(c.height for c in chunks)) from None
            except SQLAlchemyError as exc:
                raise SourceError(f"SQL query failed ({type(exc).__name__})", fix="check source.options", source=locator) from None
    finally:
        engine.dispose()
    table = pl.concat(chunks, how="vertical") if chunks else pl.DataFrame({h: pl.Series(h, [], dtype=pl.Utf8) for h in header})
    data = table.write_csv().encode("utf-8")
    return Received(table=table, parts=[RawPart(locator, data, {"format": "csv (serialized result)"})], locator=locator,
                    details={"batches": len(chunks), "statement": options.table or options.query})


def _as_text(df: pl.DataFrame, c: str) -> pl.Expr:
    dt = df.schema[c]
    col = pl.col(c)
    if dt == pl.Boolean:
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false")).otherwise(None).alias(c)
    if isinstance(dt, pl.Datetime):  # ISO 8601 with T, fractional seconds only when present
        frac = df.select((col.dt.microsecond() != 0).any()).item()
        return col.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f" if frac else "%Y-%m-%dT%H:%M:%S").alias(c)
    return col.cast(pl.Utf8)


def _batch_frame(header: list[str], rows) -> pl.DataFrame:
    try:
        df = pl.DataFrame([tuple(r) for r in rows], schema=header, orient="row", infer_schema_length=None)
        return df.select([_as_text(df, c) for c in header])
    except Exception:  # noqa: BLE001 — mixed types in a column: convert cell by cell
        cols = list(zip(*rows)) if rows else [[] for _ in header]
        return pl.DataFrame({h: pl.Series(h, [text_value(v) for v in col], dtype=pl.Utf8) for h, col in zip(header, cols)})
