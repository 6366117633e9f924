"""The refresh reads the operational database in bulk through ADBC (Arrow columns, not Python
tuples); it must hand the warehouse exactly the rows the cursor path does."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest
from django.db import connection

from bilim.analytics import refresh as refresh_mod

pytestmark = pytest.mark.django_db


def _sorted(table) -> list[tuple]:  # noqa: ANN001
    con = duckdb.connect()
    con.register("t", table)
    return con.execute("SELECT * FROM t ORDER BY ALL").fetchall()


@pytest.fixture
def file_copy(small_demo, tmp_path):
    """The tables the bulk read queries, copied to a file an ADBC connection opens (the test database
    is in memory and its demo uncommitted: a second connection could not see it)."""
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL run's demo is uncommitted: a second connection cannot see it")
    path = tmp_path / "copy.sqlite3"
    target = sqlite3.connect(path)
    cols = "id, data_element_id, period, org_unit_id, sex, age, grade, qual, exp, lang, value"
    target.execute(f"CREATE TABLE collection_datavalue ({cols})")
    target.execute("CREATE TABLE metadata_dataelement (id, code)")
    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols} FROM collection_datavalue")
        target.executemany(f"INSERT INTO collection_datavalue VALUES ({', '.join(['?'] * 11)})", cur.fetchall())
        cur.execute("SELECT id, code FROM metadata_dataelement")
        target.executemany("INSERT INTO metadata_dataelement VALUES (?, ?)", cur.fetchall())
    target.commit()
    target.close()
    return path


def test_a_bulk_read_gives_the_rows_of_the_cursor_read(file_copy, monkeypatch):
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    parts = [("ENROL", "2022S"), ("ENROL", "2023S"), ("TEACH", "2022S"), ("EXPEND", "2022"), ("POP", "2022")]
    by_cursor = refresh_mod._fetch_partitions(parts)
    everything_by_cursor = refresh_mod._fetch_partitions(None)
    monkeypatch.setattr(refresh_mod, "_bulk_connection", lambda: adbc_sqlite.connect(f"file:{file_copy}?mode=ro"))
    by_adbc = refresh_mod._fetch_partitions(parts)
    assert by_adbc.num_rows > 1000 and by_adbc.schema.equals(by_cursor.schema)
    assert _sorted(by_adbc) == _sorted(by_cursor)
    assert _sorted(refresh_mod._fetch_partitions(None)) == _sorted(everything_by_cursor)


def test_some_units_of_a_partition_are_read_alone(file_copy, monkeypatch):
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    whole = _sorted(refresh_mod._fetch_partitions([("ENROL", "2022S")]))
    units = {row[2] for row in whole[:3]} | {row[2] for row in whole[-2:]}
    want = [row for row in whole if row[2] in units]
    assert _sorted(refresh_mod._fetch_partitions({("ENROL", "2022S"): units})) == want
    monkeypatch.setattr(refresh_mod, "_bulk_connection", lambda: adbc_sqlite.connect(f"file:{file_copy}?mode=ro"))
    assert _sorted(refresh_mod._fetch_partitions({("ENROL", "2022S"): units})) == want


def test_a_refresh_inside_a_transaction_reads_through_the_django_connection():
    """Uncommitted rows (a caller's atomic block, a test) are invisible to a second connection."""
    assert connection.in_atomic_block
    assert refresh_mod._bulk_connection() is None
