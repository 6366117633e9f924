"""Property tests of the pure formulas (equity, parity, survival, composite)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bilim.analytics import adjusted_parity, composite_index, survival
from bilim.analytics.equity import (
    atkinson,
    coefficient_of_variation,
    equity_measures,
    gini,
    mcloone,
    mean_log_deviation,
    theil_t,
    verstegen,
    weighted_percentile,
)

values = st.lists(st.floats(min_value=1.0, max_value=1e6, allow_nan=False), min_size=2, max_size=30)
weights = st.integers(min_value=1, max_value=50)


@st.composite
def weighted(draw):
    x = draw(values)
    n = draw(st.lists(weights, min_size=len(x), max_size=len(x)))
    return np.array(x), np.array(n, dtype=float)


@given(weighted())
def test_gini_bounds(xn):
    x, n = xn
    g = gini(x, n)
    assert 0.0 <= g < 1.0


@given(weighted(), st.floats(min_value=1e-3, max_value=1e3))
def test_scale_invariance(xn, c):
    x, n = xn
    a = equity_measures(x, n, ["CV", "GINI", "THEIL_T", "MCLOONE", "VERSTEGEN", "FRR", "MLD", "ATKINSON"])
    b = equity_measures(x * c, n, ["CV", "GINI", "THEIL_T", "MCLOONE", "VERSTEGEN", "FRR", "MLD", "ATKINSON"])
    for k in a:
        assert b[k] == pytest.approx(a[k], rel=1e-7, abs=1e-9)


@given(weighted(), st.integers(min_value=2, max_value=5))
def test_weights_are_pupils(xn, k):
    """Integer weights behave exactly like repeating each value n_i times (split pupils)."""
    x, n = xn
    expanded = np.repeat(x, n.astype(int))
    for q in (0.05, 0.5, 0.95):
        assert weighted_percentile(x, n, q) == weighted_percentile(expanded, None, q)
    assert gini(x, n) == pytest.approx(gini(expanded), rel=1e-9, abs=1e-12)
    assert gini(x, n * k) == pytest.approx(gini(x, n), rel=1e-9, abs=1e-12)
    assert mcloone(x, n) == pytest.approx(mcloone(expanded), rel=1e-9)
    assert verstegen(x, n) == pytest.approx(verstegen(expanded), rel=1e-9)
    assert theil_t(x, n) == pytest.approx(theil_t(expanded), rel=1e-7, abs=1e-12)
    assert mean_log_deviation(x, n) == pytest.approx(mean_log_deviation(expanded), rel=1e-7, abs=1e-12)
    assert atkinson(x, n) == pytest.approx(atkinson(expanded), rel=1e-7, abs=1e-12)
    assert coefficient_of_variation(x, n) == pytest.approx(
        coefficient_of_variation(expanded), rel=1e-7, abs=1e-9
    )


@given(weighted())
def test_mcloone_below_one_verstegen_above(xn):
    x, n = xn
    assert mcloone(x, n) <= 1 + 1e-12
    assert verstegen(x, n) >= 1 - 1e-12


def test_equal_values_are_perfect_equity():
    m = equity_measures([5.0, 5.0, 5.0], [1, 2, 3])
    assert m["GINI"] == 0 and m["CV"] == 0 and m["THEIL_T"] == pytest.approx(0) and m["RANGE"] == 0
    assert m["MCLOONE"] == 1 and m["VERSTEGEN"] == 1


nonneg = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


@given(nonneg, nonneg)
def test_gpia_bounds_and_symmetry(a, b):
    v = adjusted_parity(a, b)
    if np.isnan(v):
        assert a == 0 and b == 0
        return
    assert 0.0 <= v <= 2.0
    if a > 0 and b > 0:
        assert v + adjusted_parity(b, a) == pytest.approx(2.0)


rates = st.tuples(st.floats(0.0, 0.95), st.floats(0.0, 1.0))


@given(st.lists(rates, min_size=1, max_size=12), st.integers(0, 4))
def test_survival_decreases_and_k_bounds(pr, k):
    r = np.array([x[0] for x in pr])
    p = np.array([(1 - x[0]) * x[1] for x in pr])  # p + r <= 1
    sr = survival(p, r)
    assert sr[0] == 1.0 and np.all(np.diff(sr) <= 1e-12)
    srk = survival(p, r, k)
    assert np.all(srk <= sr + 1e-12)


@settings(max_examples=50)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0, 100)), min_size=2, max_size=10))
def test_minmax_scores_in_unit_interval(rows):
    df = pd.DataFrame(rows, columns=["a", "b", "c"])
    out = composite_index(df, [1, -1, 1])
    assert ((out["score"] >= -1e-12) & (out["score"] <= 1 + 1e-12)).all()
    assert out["rank"].min() == 1


@given(weighted())
def test_mld_and_atkinson_bounds_and_their_link(xn):
    """MLD >= 0; 0 <= Atkinson < 1; Atkinson at aversion 1 is 1 - exp(-MLD); more aversion, more inequality."""
    x, n = xn
    mld = mean_log_deviation(x, n)
    assert mld >= 0.0
    assert atkinson(x, n, 1.0) == pytest.approx(1.0 - np.exp(-mld), rel=1e-9, abs=1e-12)
    assert 0.0 <= atkinson(x, n, 0.5) <= atkinson(x, n, 1.0) + 1e-12 <= atkinson(x, n, 2.0) + 2e-12 < 1.0 + 2e-12


def test_mld_and_atkinson_on_a_textbook_case():
    """Two pupils with 1 and 3: mu = 2, MLD = (ln 2 + ln 2/3) / 2, A_2 = 1 - harmonic mean 1.5 / 2 = 0.25."""
    assert mean_log_deviation([1.0, 3.0]) == pytest.approx((np.log(2.0) + np.log(2.0 / 3.0)) / 2)
    assert atkinson([1.0, 3.0], epsilon=2.0) == pytest.approx(0.25)
    assert atkinson([5.0, 5.0, 5.0]) == pytest.approx(0.0, abs=1e-15)
    assert np.isnan(mean_log_deviation([0.0, 4.0])) and atkinson([0.0, 4.0]) == 1.0
