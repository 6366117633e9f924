"""Every public test vector of spec/indicators.md, reproduced through the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bilim.analytics import (
    Catalogue,
    CompositeSpec,
    composite_from_warehouse,
    composite_index,
    compute,
    flow_table,
)
from bilim.analytics.equity import equity, gini
from bilim.analytics.parity import parity

from .conftest import AS_OF, tiny_warehouse

ABS = 1e-6


@pytest.mark.parametrize(
    ("f", "m", "gpi", "gpia"),
    [(40, 50, 0.8, 0.8), (50, 40, 1.25, 1.2), (95, 88, 1.079545, 1.073684)],
)
def test_gpi_vectors_through_parity_path(f, m, gpi, gpia):
    facts = [dict(de="ENROL", period="2024S", ou_id=100, sex="F", grade="G01", age="A06", value=f),
             dict(de="ENROL", period="2024S", ou_id=100, sex="M", grade="G01", age="A06", value=m)]  # fmt: skip
    facts += [dict(de="POP", period="2024", ou_id=10, sex=s, age="A06", value=100.0) for s in "FM"]
    con = tiny_warehouse(facts)
    g = parity(con, "GER_ISCED1", "2024S", index="GPI", ou_codes=["D1"], as_of=AS_OF)
    ga = parity(con, "GER_ISCED1", "2024S", index="GPIA", ou_codes=["D1"], as_of=AS_OF)
    assert g["value"].iloc[0] == pytest.approx(gpi, abs=ABS)
    assert ga["value"].iloc[0] == pytest.approx(gpia, abs=ABS)
    assert ga["value_a"].iloc[0] == pytest.approx(f) and ga["value_b"].iloc[0] == pytest.approx(m)
    assert bool(ga["within_band"].iloc[0]) is (0.97 <= gpia <= 1.03)


E_T = [1000, 900, 850, 800, 700, 600]
E_T1 = [1050, 880, 830, 790, 720, 640]
R_T1 = [150, 90, 60, 50, 40, 30]
GRADES = [f"G{g:02d}" for g in range(1, 7)]


@pytest.fixture(scope="module")
def flow_con():
    facts = []
    for g, e, e1, r1 in zip(GRADES, E_T, E_T1, R_T1, strict=True):
        facts.append(dict(de="ENROL", period="2024S", ou_id=100, grade=g, value=e))
        facts.append(dict(de="ENROL", period="2025S", ou_id=100, grade=g, value=e1))
        facts.append(dict(de="REPEAT", period="2025S", ou_id=100, grade=g, value=r1))
    facts.append(dict(de="GRAD", period="2024S", ou_id=100, grade="G06", value=540))
    return tiny_warehouse(facts)


def test_flow_vector_six_grades(flow_con):
    t = flow_table(flow_con, "2024S", grades=GRADES, ou_codes=["R1"], graduates_grade="G06", k=2, as_of=AS_OF)
    np.testing.assert_allclose(t["promotion"], [0.79, 0.855556, 0.870588, 0.85, 0.871429, 0.9], atol=ABS)
    np.testing.assert_allclose(t["repetition"], [0.15, 0.1, 0.070588, 0.0625, 0.057143, 0.05], atol=ABS)
    np.testing.assert_allclose(t["dropout"], [0.06, 0.044444, 0.058824, 0.0875, 0.071429, 0.05], atol=ABS)
    np.testing.assert_allclose(t["survival"], [1, 0.929412, 0.883515, 0.827596, 0.750354, 0.693509], atol=ABS)
    assert t["survival_k"].iloc[-1] == pytest.approx(0.689937, abs=ABS)
    t0 = flow_table(
        flow_con, "2024S", grades=GRADES, ou_codes=["R1"], graduates_grade="G06", k=0, as_of=AS_OF
    )
    assert t0["survival_k"].iloc[-1] == pytest.approx(0.435852, abs=ABS)


def test_flow_vector_through_catalogue_definitions(flow_con):
    """The same vector through catalogue-style definitions (rates as data, survival as method)."""
    level = {"grades": GRADES, "graduates_grade": "G06"}
    cat = Catalogue.from_indicators(
        [
            {"code": "SURV6", "method": "survival", "factor": 100, "params": {**level, "k": None}},
            {"code": "SURV6_K2", "method": "survival", "factor": 100, "params": {**level, "k": 2}},
            {"code": "SURV6_K0", "method": "survival", "factor": 100, "params": {**level, "k": 0}},
            {"code": "PROMR6", "factor": 100, "numerator": [{"de": "GRAD", "filters": {"grade": ["G06"]}}],
             "denominator": [{"de": "ENROL", "filters": {"grade": ["G06"]}}]},
            {"code": "DROPR1", "factor": 100,
             "numerator": [{"de": "ENROL", "filters": {"grade": ["G01"]}},
                           {"de": "ENROL", "filters": {"grade": ["G02"]}, "period_offset": 1, "sign": -1},
                           {"de": "REPEAT", "filters": {"grade": ["G02"]}, "period_offset": 1},
                           {"de": "REPEAT", "filters": {"grade": ["G01"]}, "period_offset": 1, "sign": -1}],
             "denominator": [{"de": "ENROL", "filters": {"grade": ["G01"]}}]},
        ]
    )  # fmt: skip
    res = compute(flow_con, cat.codes(), "2024S", ou_codes=["KZ"], catalogue=cat, as_of=AS_OF)
    value = dict(zip(res["indicator"], res["value"], strict=True))
    assert value["SURV6"] == pytest.approx(69.3509, abs=1e-4)
    assert value["SURV6_K2"] == pytest.approx(68.9937, abs=1e-4)
    assert value["SURV6_K0"] == pytest.approx(43.5852, abs=1e-4)
    assert value["PROMR6"] == pytest.approx(90.0, abs=ABS)
    assert value["DROPR1"] == pytest.approx(6.0, abs=ABS)


COMPOSITE = pd.DataFrame(
    {"NER": [92, 85, 97, 78], "PTR": [35, 48, 28, 55], "TRAINED": [80, 60, 95, 70]}, index=list("ABCD")
)


def test_composite_vector():
    out = composite_index(COMPOSITE, directions=[1, -1, 1])
    np.testing.assert_allclose(out["score"], [0.683004, 0.209227, 1.0, 0.095238], atol=ABS)
    assert out["rank"].tolist() == [2, 3, 1, 4]


def test_composite_vector_through_warehouse():
    """The composite inputs as indicators computed from facts (one district per unit)."""
    facts = []
    for i, unit in enumerate("ABCD"):
        for de in COMPOSITE.columns:
            facts.append(dict(de=de, period="2024S", ou_id=100 + i, value=float(COMPOSITE.loc[unit, de])))
    con = tiny_warehouse(facts, schools=4, districts=4)
    cat = Catalogue.from_indicators(
        [{"code": de, "numerator": [{"de": de}], "direction": d} for de, d in zip(COMPOSITE.columns, [1, -1, 1], strict=True)]
    )  # fmt: skip
    spec = CompositeSpec(indicators=tuple(COMPOSITE.columns), directions=(1, -1, 1))
    out = composite_from_warehouse(
        con, spec, "2024S", level="district", catalogue=cat, draws=200, as_of=AS_OF
    )
    np.testing.assert_allclose(out["score"], [0.683004, 0.209227, 1.0, 0.095238], atol=ABS)
    assert out["rank"].tolist() == [2, 3, 1, 4]
    assert (out["rank_p05"] <= out["median_rank"]).all() and (out["median_rank"] <= out["rank_p95"]).all()


GINI_X = [541, 1463, 2445, 3438, 4437, 5401, 6392, 8304, 11904, 22261]


def test_gini_cross_check():
    assert gini(GINI_X) == pytest.approx(0.4620911, abs=ABS)
    assert gini(GINI_X, [3] * 10) == pytest.approx(0.4620911, abs=ABS)


def test_gini_cross_check_through_warehouse():
    """Expenditure per pupil of ten one-pupil schools: the warehouse path gives the same Gini."""
    facts = []
    for i, x in enumerate(GINI_X):
        facts.append(dict(de="ENROL", period="2024S", ou_id=100 + i, grade="G01", value=1.0))
        facts.append(dict(de="EXPEND", period="2024", ou_id=100 + i, exp="CURRENT", value=float(x)))
    con = tiny_warehouse(facts, schools=10, districts=2)
    out = equity(con, "EXP_PER_PUPIL", ["R1"], "2024S", measures=["GINI"], as_of=AS_OF)
    assert out["organizations"].iloc[0] == 10
    assert out["value"].iloc[0] == pytest.approx(0.4620911, abs=ABS)
