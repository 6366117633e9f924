"""The whole catalogue on DuckDB and on PostgreSQL gives the same numbers.

Runs when a PostgreSQL server is reachable: ``BILIM_TEST_PG_URL`` if set, else ``DATABASE_URL``
when it is a postgres URL (``scripts/pg-test.sh`` / ``make test-pg`` start a throwaway cluster and
export it).  The warehouse is loaded into a fresh database ``bilim_ibis_test_<pid>``, never into
Django's database or its test database, and that database is dropped afterwards.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import pytest

from bilim.analytics import compute, load_catalogue, load_warehouse

from .conftest import AS_OF
from .test_spark import _same


def _pg_url() -> str | None:
    for var in ("BILIM_TEST_PG_URL", "DATABASE_URL"):
        url = os.environ.get(var, "")
        if url.split("://", 1)[0] in ("postgres", "postgresql"):
            return url
    return None


def _conninfo(url: str, dbname: str | None = None) -> dict:
    parts = urlsplit(url)
    info = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "dbname": dbname or unquote(parts.path.lstrip("/")) or "postgres",
    }
    return {k: v for k, v in info.items() if v is not None}


PG_URL = _pg_url()

pytestmark = pytest.mark.skipif(
    PG_URL is None,
    reason="no PostgreSQL server: set BILIM_TEST_PG_URL or a postgres DATABASE_URL (make test-pg)",
)


@pytest.fixture(scope="module")
def pg(synthetic):
    import ibis
    import psycopg

    assert PG_URL is not None
    admin_info = _conninfo(PG_URL)
    dbname = f"bilim_ibis_test_{os.getpid()}"
    try:
        admin = psycopg.connect(**admin_info, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {admin_info['host']}:{admin_info['port']} is not reachable: {exc}")
    with admin:
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            admin.execute(f'CREATE DATABASE "{dbname}"')
        except psycopg.errors.InsufficientPrivilege as exc:
            pytest.skip(
                f"cannot create a throwaway database on {admin_info['host']}:{admin_info['port']}: {exc}"
            )
        con = None
        try:
            info = _conninfo(PG_URL, dbname)
            con = ibis.postgres.connect(
                host=info["host"],
                port=info["port"],
                user=info.get("user"),
                password=info.get("password"),
                database=dbname,
            )
            load_warehouse(
                con, facts=synthetic.facts, org_units=synthetic.org_units, closure=synthetic.closure
            )
            yield con
        finally:
            if con is not None:
                con.disconnect()
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.mark.parametrize("mode", ["historical", "current"])
@pytest.mark.parametrize("by", [None, "SEX", "AREA"])
def test_whole_catalogue_same_on_duckdb_and_postgres(pg, duck, by, mode):
    codes = load_catalogue().codes()
    kw = dict(level="region", by=by, mode=mode, as_of=AS_OF)
    _same(compute(duck, codes, ["2024S", "2025S"], **kw), compute(pg, codes, ["2024S", "2025S"], **kw))


def test_current_mode_at_district_level_same_on_postgres(pg, duck):
    codes = load_catalogue().codes()
    kw = dict(level="district", by="SEX", mode="current", as_of=AS_OF)
    _same(compute(duck, codes, ["2024S", "2025S"], **kw), compute(pg, codes, ["2024S", "2025S"], **kw))
