"""The cube's materialisation runs through Ibis on Spark too and gives DuckDB's cells (small demo)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import ibis
import numpy as np
import pandas as pd
import pytest

from bilim.analytics import cube, load_warehouse
from tests.spark_session import local_spark

pytestmark = [
    pytest.mark.spark,
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("java") is None, reason="java is not on PATH"),
]

AS_OF = dt.date(2026, 1, 1)
PERIODS = ["2023S", "2024S", "2024"]  # a flow year (reads 2024S), the open census year, a finance year


@pytest.fixture(scope="module")
def demo_tables(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as db:
        return {name: db.execute(f"SELECT * FROM {name}").df() for name in ("facts", "org_units", "closure")}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    yield from local_spark(tmp_path_factory.mktemp("spark-warehouse"), "bilim-cube-tests")


def test_the_cube_built_on_spark_equals_the_cube_built_on_duckdb(spark, demo_tables):
    from bilim.analytics.catalogue import load_catalogue

    codes = load_catalogue().codes()
    pairs = {(c, p) for c in codes for p in PERIODS}
    duck = load_warehouse(ibis.duckdb.connect(), **demo_tables)
    load_warehouse(spark, **demo_tables)
    # `current` only (each Spark job costs seconds): the mode that also restates closed units
    want = cube.materialise(duck, pairs, as_of=AS_OF, modes=("current",))
    got = cube.materialise(spark, pairs, as_of=AS_OF, modes=("current",))
    assert len(want) > 1000 and set(want["indicator"]) >= {"GER_ISCED1", "SURV_ISCED1", "EXP_PER_PUPIL"}
    keys = ["level", "mode", "split", "indicator", "period", "ou_code", "dim"]
    want = want.sort_values(keys, ignore_index=True, na_position="first")
    got = got.sort_values(keys, ignore_index=True, na_position="first")
    pd.testing.assert_frame_equal(got[keys + ["ou_id", "kind"]], want[keys + ["ou_id", "kind"]], check_dtype=False)
    for col in ("numerator", "denominator", "value"):
        np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-9, atol=1e-9)
