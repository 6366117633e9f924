"""Parity indices (GPI, GPIA, LPIA) for any indicator.

A parity index is the ratio of an indicator computed for two groups, so it goes through the same
compiler with ``by='SEX'`` or ``by='AREA'``; nothing here re-implements an indicator.  The adjusted
form (UIS) keeps the index symmetric around 1 and bounded in [0, 2], so that a 20 % advantage for
either group reads the same distance from parity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from .catalogue import Catalogue, load_catalogue
from .engine import Mode, compute

__all__ = ["PARITY_BAND", "PARITY_INDICES", "adjusted_parity", "parity", "parity_of", "parity_ratio", "parity_split"]

PARITY_BAND = (0.97, 1.03)
"""UIS convention: an index within this band counts as parity."""

PARITY_INDICES = {
    "GPI": ("SEX", "F", "M", False),
    "GPIA": ("SEX", "F", "M", True),
    "LPI": ("AREA", "RURAL", "URBAN", False),
    "LPIA": ("AREA", "RURAL", "URBAN", True),
}
"""index -> (disaggregation, disadvantaged-by-convention group, reference group, adjusted)."""


def parity_ratio(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Unadjusted parity a / b (NaN when b is 0)."""
    a_arr = np.asarray(a, dtype="float64")
    b_arr = np.asarray(b, dtype="float64")
    with np.errstate(all="ignore"):
        return np.where(b_arr == 0, np.nan, a_arr / b_arr)


def adjusted_parity(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Adjusted parity: a/b if a <= b, else 2 - b/a (in [0, 2] for non-negative inputs)."""
    a_arr = np.asarray(a, dtype="float64")
    b_arr = np.asarray(b, dtype="float64")
    with np.errstate(all="ignore"):
        low = np.where(b_arr == 0, np.nan, a_arr / b_arr)
        high = np.where(a_arr == 0, np.nan, 2.0 - b_arr / a_arr)
    return np.where(a_arr <= b_arr, low, high)


def parity(
    con: ibis.BaseBackend,
    codes: str | Sequence[str],
    periods: str | Sequence[str],
    *,
    index: str = "GPIA",
    ou_codes: Iterable[str] | None = None,
    level: str | None = None,
    within: str | None = None,
    mode: Mode = "current",
    as_of: dt.date | None = None,
    catalogue: Catalogue | None = None,
    band: tuple[float, float] = PARITY_BAND,
) -> pd.DataFrame:
    """A parity index of indicators per unit and period.

    Columns ``indicator, period, ou_code, index, group_a, value_a, group_b, value_b, value,
    within_band``; ``value_a``/``value_b`` are the indicator for each group (F and M, or RURAL and
    URBAN).  Indicators that cannot be split that way are left out.
    """
    dim = parity_split(index)
    cat = catalogue or load_catalogue()
    res = compute(con, codes, periods, ou_codes=ou_codes, level=level, within=within, by=dim, mode=mode,
                  as_of=as_of, catalogue=cat)  # fmt: skip
    return parity_of(res, codes, index=index, band=band)


def parity_split(index: str) -> str:
    """The disaggregation (SEX or AREA) a parity index compares the groups of; ValueError if unknown."""
    if index not in PARITY_INDICES:
        raise ValueError(f"index must be one of {sorted(PARITY_INDICES)}")
    return PARITY_INDICES[index][0]


def parity_of(
    res: pd.DataFrame, codes: str | Sequence[str], *, index: str = "GPIA", band: tuple[float, float] = PARITY_BAND
) -> pd.DataFrame:
    """The parity table (see :func:`parity`) from indicator rows split by the index's disaggregation,
    as `engine.compute` or the query service's `indicators` return them: the service reads the split
    figures of regions and the republic from the cube instead of computing them again."""
    dim, group_a, group_b, adjusted = PARITY_INDICES[index]
    col = dim.lower()
    cols = ["indicator", "period", "ou_code", "index", "group_a", "value_a", "group_b", "value_b", "value",
            "within_band"]  # fmt: skip
    if res.empty:
        return pd.DataFrame(columns=cols)
    wide = res.pivot_table(index=["indicator", "period", "ou_code"], columns=col, values="value",
                           aggfunc="first", dropna=False).reset_index()  # fmt: skip
    for g in (group_a, group_b):
        if g not in wide.columns:
            wide[g] = np.nan
    a = wide[group_a].to_numpy(dtype="float64")
    b = wide[group_b].to_numpy(dtype="float64")
    value = adjusted_parity(a, b) if adjusted else parity_ratio(a, b)
    out = pd.DataFrame(
        {
            "indicator": wide["indicator"],
            "period": wide["period"],
            "ou_code": wide["ou_code"],
            "index": index,
            "group_a": group_a,
            "value_a": a,
            "group_b": group_b,
            "value_b": b,
            "value": value,
        }
    )
    out["within_band"] = (out["value"] >= band[0]) & (out["value"] <= band[1])
    order = {c: i for i, c in enumerate([codes] if isinstance(codes, str) else codes)}
    out["_o"] = out["indicator"].map(order)
    return out.sort_values(["_o", "period", "ou_code"], ignore_index=True).drop(columns="_o")[cols]
