"""Fixtures for the analytics engine tests: tiny warehouses on in-memory DuckDB.

The engine is pure Python over Ibis, so these tests need no Django database.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from bilim.analytics.synthetic import synthetic_warehouse
from bilim.analytics.warehouse import closure_from_parents, load_warehouse

AS_OF = dt.date(2026, 1, 1)


def tiny_warehouse(
    facts: list[dict], schools: int = 1, districts: int = 1, extra_units: list[dict] | None = None
):
    """KZ > R1 > D1..Dn, school S<i> in district D<i mod n>; returns a loaded DuckDB connection."""
    units = [dict(ou_id=1, code="KZ", kind="republic"), dict(ou_id=2, code="R1", kind="region")]
    parents = [(2, 1, None, None)]
    for d in range(districts):
        units.append(dict(ou_id=10 + d, code=f"D{d + 1}", kind="district"))
        parents.append((10 + d, 2, None, None))
    for s in range(schools):
        units.append(dict(ou_id=100 + s, code=f"S{s + 1}", kind="organization", org_type="SCHOOL",
                          area="URBAN" if s % 2 == 0 else "RURAL", shifts=1, emergency=False, capacity=1000))  # fmt: skip
        parents.append((100 + s, 10 + s % districts, None, None))
    units += extra_units or []
    con = ibis.duckdb.connect()
    closure = closure_from_parents(
        pd.DataFrame(parents, columns=["child_id", "parent_id", "valid_from", "valid_to"])
    )
    return load_warehouse(con, facts=pd.DataFrame(facts), org_units=pd.DataFrame(units), closure=closure)


@pytest.fixture(scope="session")
def synthetic():
    return synthetic_warehouse()


@pytest.fixture(scope="session")
def duck(synthetic):
    con = ibis.duckdb.connect()
    return load_warehouse(
        con, facts=synthetic.facts, org_units=synthetic.org_units, closure=synthetic.closure
    )
