"""The whole catalogue on DuckDB and on Spark (local mode) gives the same numbers."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from bilim.analytics import compute, load_catalogue, load_warehouse
from tests.spark_session import local_spark

from .conftest import AS_OF

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="java is not on PATH"),
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    yield from local_spark(tmp_path_factory.mktemp("spark-warehouse"), "bilim-tests")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    keys = [c for c in a.columns if c not in ("numerator", "denominator", "value")]
    pd.testing.assert_frame_equal(a[keys].reset_index(drop=True), b[keys].reset_index(drop=True))
    for col in ("numerator", "denominator", "value"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("by", [None, "AREA"])
def test_whole_catalogue_same_on_duckdb_and_spark(spark, duck, synthetic, by):
    load_warehouse(spark, facts=synthetic.facts, org_units=synthetic.org_units, closure=synthetic.closure)
    codes = load_catalogue().codes()
    kw = dict(level="region", by=by, mode="historical")
    _same(compute(duck, codes, ["2024S"], **kw), compute(spark, codes, ["2024S"], **kw))


def test_current_mode_at_district_level_same_on_spark(spark, duck, synthetic):
    load_warehouse(spark, facts=synthetic.facts, org_units=synthetic.org_units, closure=synthetic.closure)
    codes = ["GER_ISCED1", "NER_ISCED2", "SURV_ISCED1", "PTR_ISCED1", "OVERCAP_PCT", "EXP_PER_PUPIL_GDPPC"]
    kw = dict(level="district", by="SEX", mode="current", as_of=AS_OF)
    _same(compute(duck, codes, ["2024S", "2025S"], **kw), compute(spark, codes, ["2024S", "2025S"], **kw))
