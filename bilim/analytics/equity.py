"""Equity of per-pupil resources across organizations, pupil-weighted.

Each organization i has ``n_i`` pupils and a per-pupil value ``x_i``; every measure treats the
N = sum n_i pupils as the population (a pupil in a large school counts as much as one in a small
school).  The functions are plain numpy so they can be checked against textbook values;
:func:`equity` pulls the per-organization values from the warehouse through the indicator engine.

Percentiles (used by RESTR_RANGE, FRR, McLoone, Verstegen): pupils are sorted by x and organization
i occupies the cumulative pupil interval (C_{i-1}, C_i], C_i = n_1 + ... + n_i.  The p-th
percentile is the x of the pupil at position p·N, i.e. ``x_i`` for the first i with C_i >= p·N
(the inverse of the pupil-weighted distribution function, no interpolation between
organizations; p = 0 gives the minimum).  When a cut falls inside an organization its pupils are
split: for McLoone the part of that organization below the median position counts in the bottom
half, the rest in the top half.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from .catalogue import Catalogue, Indicator, Term, load_catalogue
from .engine import Mode, _compute_defs

__all__ = [
    "MEASURES",
    "coefficient_of_variation",
    "equity",
    "equity_measures",
    "equity_table",
    "federal_range_ratio",
    "atkinson",
    "gini",
    "mean_log_deviation",
    "mcloone",
    "org_values",
    "restricted_range",
    "theil_t",
    "value_range",
    "verstegen",
    "weighted_percentile",
]

MEASURES = ("RANGE", "RESTR_RANGE", "FRR", "CV", "MCLOONE", "VERSTEGEN", "GINI", "THEIL_T", "MLD", "ATKINSON")
# Atkinson's inequality aversion: 2 weighs a shortfall at the bottom more than Theil and the MLD do
# (at 1 the index would be 1 - exp(-MLD), adding nothing to the MLD).
ATKINSON_EPSILON = 2.0


def _clean(x: Sequence[float], n: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype="float64")
    na = np.ones_like(xa) if n is None else np.asarray(n, dtype="float64")
    if xa.shape != na.shape:
        raise ValueError("x and n must have the same length")
    keep = np.isfinite(xa) & np.isfinite(na) & (na > 0)
    xa, na = xa[keep], na[keep]
    if xa.size == 0:
        raise ValueError("no organization with pupils and a finite value")
    order = np.argsort(xa, kind="stable")
    return xa[order], na[order]


def weighted_mean(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    xa, na = _clean(x, n)
    return float(np.sum(na * xa) / np.sum(na))


def weighted_percentile(x: Sequence[float], n: Sequence[float] | None, q: float) -> float:
    """Pupil-weighted percentile, ``q`` in [0, 1] (see the module docstring for the definition)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be in [0, 1]")
    xa, na = _clean(x, n)
    cum = np.cumsum(na)
    if q == 0.0:
        return float(xa[0])
    pos = q * cum[-1]
    # tolerance so that pos landing exactly on a boundary is not pushed to the next unit by rounding
    idx = int(np.searchsorted(cum, pos - 1e-9 * cum[-1], side="left"))
    return float(xa[min(idx, len(xa) - 1)])


def value_range(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """Maximum minus minimum over organizations with pupils."""
    xa, _ = _clean(x, n)
    return float(xa[-1] - xa[0])


def restricted_range(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """P95 - P5 (pupil-weighted)."""
    return weighted_percentile(x, n, 0.95) - weighted_percentile(x, n, 0.05)


def federal_range_ratio(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """(P95 - P5) / P5."""
    p5 = weighted_percentile(x, n, 0.05)
    return float("nan") if p5 == 0 else (weighted_percentile(x, n, 0.95) - p5) / p5


def coefficient_of_variation(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """Population standard deviation over the pupil-weighted mean."""
    xa, na = _clean(x, n)
    mu = np.sum(na * xa) / np.sum(na)
    sigma = np.sqrt(np.sum(na * (xa - mu) ** 2) / np.sum(na))
    return float(sigma / mu)


def gini(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """Gini = sum_i sum_j n_i n_j |x_i - x_j| / (2 N^2 mu), no small-sample correction.

    Computed in O(k log k) from the sorted values: sum_{i<j} n_i n_j (x_j - x_i) =
    sum_j n_j x_j C_{j-1} - n_j S_{j-1} with C, S the cumulative pupils and spending.
    """
    xa, na = _clean(x, n)
    total = np.sum(na)
    mu = np.sum(na * xa) / total
    if mu == 0:
        return 0.0
    cum_n = np.concatenate([[0.0], np.cumsum(na)[:-1]])
    cum_s = np.concatenate([[0.0], np.cumsum(na * xa)[:-1]])
    pair_sum = np.sum(na * (xa * cum_n - cum_s))  # sum over i<j of n_i n_j (x_j - x_i)
    # rounding can leave -1e-18 for equal values; the Gini is never negative
    return max(0.0, float(2.0 * pair_sum / (2.0 * total**2 * mu)))


def theil_t(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """Theil T = (1/N) sum n_i (x_i/mu) ln(x_i/mu); zero values contribute 0 (limit of s ln s)."""
    xa, na = _clean(x, n)
    if np.any(xa < 0):
        raise ValueError("Theil T needs non-negative values")
    mu = np.sum(na * xa) / np.sum(na)
    s = xa / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(s), 0.0)
    return float(np.sum(na * terms) / np.sum(na))


def mean_log_deviation(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """MLD (Theil L) = (1/N) sum n_i ln(mu / x_i); 0 = equal. Undefined (NaN) when an organization has 0:
    its ln(mu/0) is infinite."""
    xa, na = _clean(x, n)
    if np.any(xa < 0):
        raise ValueError("the mean log deviation needs non-negative values")
    if np.any(xa == 0):
        return float("nan")
    mu = np.sum(na * xa) / np.sum(na)
    return max(0.0, float(np.sum(na * np.log(mu / xa)) / np.sum(na)))


def atkinson(x: Sequence[float], n: Sequence[float] | None = None, epsilon: float = ATKINSON_EPSILON) -> float:
    """Atkinson A_e = 1 - (equally distributed equivalent) / mu, with the generalised mean
    (sum n_i x_i^(1-e) / N)^(1/(1-e)) (the geometric mean for e = 1); 0 = equal, towards 1 = unequal.
    For e > 1 an organization with 0 makes the equivalent 0 and the index 1."""
    xa, na = _clean(x, n)
    if np.any(xa < 0):
        raise ValueError("Atkinson's index needs non-negative values")
    if epsilon < 0:
        raise ValueError("the inequality aversion must be >= 0")
    total = np.sum(na)
    mu = np.sum(na * xa) / total
    if mu == 0:
        return 0.0
    if epsilon == 1.0:
        if np.any(xa == 0):
            return 1.0
        ede = float(np.exp(np.sum(na * np.log(xa)) / total))
    elif epsilon > 1.0 and np.any(xa == 0):
        return 1.0
    else:
        ede = float((np.sum(na * xa ** (1.0 - epsilon)) / total) ** (1.0 / (1.0 - epsilon)))
    return min(1.0, max(0.0, 1.0 - ede / mu))


def _half_sums(x: Sequence[float], n: Sequence[float] | None) -> tuple[float, float, float, float]:
    """(median, spending on the bottom half of pupils, on the top half, pupils in a half)."""
    xa, na = _clean(x, n)
    median = weighted_percentile(xa, na, 0.5)
    cum = np.cumsum(na)
    half = cum[-1] / 2.0
    prev = cum - na
    below = np.clip(half - prev, 0.0, na)  # pupils of each unit below the median position
    bottom = float(np.sum(below * xa))
    top = float(np.sum((na - below) * xa))
    return median, bottom, top, half


def mcloone(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """Spending on pupils below the median / (median x their number); 1 = full equity."""
    median, bottom, _top, half = _half_sums(x, n)
    return float("nan") if median == 0 else bottom / (median * half)


def verstegen(x: Sequence[float], n: Sequence[float] | None = None) -> float:
    """Spending on pupils above the median / (median x their number); 1 = full equity."""
    median, _bottom, top, half = _half_sums(x, n)
    return float("nan") if median == 0 else top / (median * half)


_FUNCS = {
    "RANGE": value_range,
    "RESTR_RANGE": restricted_range,
    "FRR": federal_range_ratio,
    "CV": coefficient_of_variation,
    "MCLOONE": mcloone,
    "VERSTEGEN": verstegen,
    "GINI": gini,
    "THEIL_T": theil_t,
    "MLD": mean_log_deviation,
    "ATKINSON": atkinson,
}


def equity_measures(
    x: Sequence[float], n: Sequence[float] | None = None, measures: Iterable[str] = MEASURES
) -> dict[str, float]:
    """The requested measures (default all of `MEASURES`) for values ``x`` with pupil weights ``n``."""
    return {m: _FUNCS[m](x, n) for m in measures}


def org_values(
    con: ibis.BaseBackend,
    code: str,
    ou_code: str,
    periods: str | Sequence[str],
    *,
    weight_de: str = "ENROL",
    mode: Mode = "current",
    as_of: dt.date | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Per-organization values of an indicator inside one unit, with pupil weights.

    Columns ``period, ou_code, value, pupils``: every organization under ``ou_code`` on the
    reference date, its indicator value (e.g. EXP_PER_PUPIL) and its pupils (sum of ``weight_de``).
    """
    cat = catalogue or load_catalogue()
    periods = [periods] if isinstance(periods, str) else list(periods)
    weight = Indicator("_PUPILS", numerator=(Term(weight_de),))
    res = _compute_defs(con, [cat[code], weight], periods, level="organization", within=ou_code, mode=mode,
                        as_of=as_of)
    vals = res[res["indicator"] == code][["period", "ou_code", "value"]]
    pupils = res[res["indicator"] == "_PUPILS"][["period", "ou_code", "value"]].rename(
        columns={"value": "pupils"}
    )
    return vals.merge(pupils, on=["period", "ou_code"], how="left").sort_values(
        ["period", "ou_code"], ignore_index=True
    )


def equity(
    con: ibis.BaseBackend,
    code: str,
    ou_codes: Iterable[str],
    periods: str | Sequence[str],
    *,
    measures: Iterable[str] = MEASURES,
    weight_de: str = "ENROL",
    mode: Mode = "current",
    as_of: dt.date | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Equity measures of a per-organization indicator within each unit.

    Columns ``indicator, period, ou_code, organizations, pupils, measure, value``.  Organizations
    without pupils or without a value are left out (and counted out of ``organizations``).
    """
    values = [(ou, org_values(con, code, ou, periods, weight_de=weight_de, mode=mode, as_of=as_of,
                              catalogue=catalogue)) for ou in ou_codes]  # fmt: skip
    return equity_table(code, values, measures)


def equity_table(
    code: str, values: Iterable[tuple[str, pd.DataFrame]], measures: Iterable[str] = MEASURES
) -> pd.DataFrame:
    """The rows of :func:`equity` from each unit's :func:`org_values` (the query service passes its
    memoised ones, so a page showing both computes them once)."""
    measures = list(measures)
    rows = []
    for ou, vals in values:
        for period, grp in vals.groupby("period"):
            grp = grp[np.isfinite(grp["value"].astype(float)) & (grp["pupils"].fillna(0) > 0)]
            if grp.empty:
                continue
            result = equity_measures(grp["value"].to_numpy(float), grp["pupils"].to_numpy(float), measures)
            for m in measures:
                rows.append((code, period, ou, len(grp), float(grp["pupils"].sum()), m, result[m]))
    return pd.DataFrame(
        rows, columns=["indicator", "period", "ou_code", "organizations", "pupils", "measure", "value"]
    )
