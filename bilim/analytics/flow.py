"""Cohort flow: repetition, promotion and dropout per grade, reconstructed-cohort survival.

The per-grade rates are ordinary ratio definitions (terms at t and t+1), so they run through the
same compiler as every other indicator and are aggregated through the same hierarchy.  Survival is
a product over grades and cannot be a ratio of sums; it is assembled here from those rates.

Conventions (UIS reconstructed cohort):
* ``r_g = R_g^{t+1} / E_g^t``; ``p_g = (E_{g+1}^{t+1} - R_{g+1}^{t+1}) / E_g^t``, except for the
  system's final grade where ``p_g = GRAD_g^t / E_g^t`` (graduates of year t are stored with
  period t); ``d_g = 1 - p_g - r_g``.
* ``SR_1 = 1``, ``SR_{g+1} = SR_g * p_g / (1 - r_g)`` (unlimited repetition); with at most ``k``
  repetitions per grade, ``p/(1-r)`` becomes ``p * sum_{j=0..k} r^j``.
* In ``historical`` mode both years are aggregated through the hierarchy on the census date of
  year t, so a school that moved between t and t+1 keeps its cohort together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from .catalogue import Indicator, Term
from .engine import By, Mode, _compute_defs

__all__ = ["flow_indicators", "flow_table", "survival", "survival_from_rates"]


def _t(de: str, grade: str | None = None, sign: float = 1.0, offset: int = 0, required: bool = False) -> Term:
    filters = (("grade", (grade,)),) if grade else ()
    return Term(de=de, filters=filters, sign=sign, period_offset=offset, required=required)


def flow_indicators(grades: Sequence[str], *, graduates_grade: str | None = "G11") -> list[Indicator]:
    """REPR/PROMR/DROPR definitions for ``grades`` (in order).

    The promotion from ``graduates_grade`` is measured by graduates; from any other grade by the
    next grade's new entrants at t+1 (``E - R``), the grade after the last one in ``grades``
    included.  These are the same definitions as in ``catalogue.json`` for G01..G11.
    """
    out: list[Indicator] = []
    census = (_t("ENROL", offset=1, required=True),)
    for i, g in enumerate(grades):
        nxt = grades[i + 1] if i + 1 < len(grades) else f"G{int(g[1:]) + 1:02d}"
        enrol = (_t("ENROL", g),)
        out.append(
            Indicator(f"REPR_{g}", numerator=(_t("REPEAT", g, offset=1),), denominator=enrol, factor=100,
                      direction=-1, method="flow", guard=census)
        )  # fmt: skip
        if g == graduates_grade:
            promoted: tuple[Term, ...] = (_t("GRAD", g),)
            guard = (_t("GRAD", required=True),)
            drop = (_t("ENROL", g), _t("GRAD", g, -1), _t("REPEAT", g, -1, 1))
            dguard = census + guard
        else:
            promoted = (_t("ENROL", nxt, offset=1), _t("REPEAT", nxt, -1, 1))
            guard = census
            drop = (_t("ENROL", g), _t("ENROL", nxt, -1, 1), _t("REPEAT", nxt, 1, 1), _t("REPEAT", g, -1, 1))
            dguard = census
        out.append(Indicator(f"PROMR_{g}", numerator=promoted, denominator=enrol, factor=100, method="flow",
                             guard=guard))  # fmt: skip
        out.append(Indicator(f"DROPR_{g}", numerator=drop, denominator=enrol, factor=100, direction=-1,
                             method="flow", guard=dguard))  # fmt: skip
    return out


def survival(p: Sequence[float], r: Sequence[float], k: int | None = None) -> np.ndarray:
    """Survival to each grade of a reconstructed cohort: ``[SR_1 = 1, SR_2, ..., SR_{n+1}]``.

    ``p``/``r`` are the promotion and repetition rates (fractions) of the grades the cohort passes
    through; ``k`` None = unlimited repetition, else at most ``k`` repetitions per grade.
    """
    p_arr = np.asarray(p, dtype="float64")
    r_arr = np.asarray(r, dtype="float64")
    if k is None:
        step = p_arr / (1.0 - r_arr)
    else:
        step = p_arr * sum(r_arr**j for j in range(k + 1))
    return np.concatenate([[1.0], np.cumprod(step)])


def flow_table(
    con: ibis.BaseBackend,
    periods: str | Sequence[str],
    *,
    grades: Sequence[str],
    ou_codes: Iterable[str] | None = None,
    level: str | None = None,
    within: str | None = None,
    by: By = None,
    mode: Mode = "current",
    as_of: dt.date | None = None,
    k: int | None = None,
    graduates_grade: str | None = "G11",
    targets: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The full per-grade flow table.

    Columns: ``period, ou_code, [sex|area], grade, enrol, repeaters_next, promoted, repetition,
    promotion, dropout, survival`` (+ ``survival_k`` when ``k`` is given); rates are fractions.
    ``survival`` is the share of the cohort entering ``grades[0]`` that reaches this grade.
    """
    periods = [periods] if isinstance(periods, str) else list(periods)
    defs = flow_indicators(grades, graduates_grade=graduates_grade)
    defs = [d for d in defs if not d.code.startswith("DROPR_")]
    res = _compute_defs(con, defs, periods, ou_codes=ou_codes, level=level, within=within, by=by, mode=mode,
                        as_of=as_of, targets=targets)  # fmt: skip
    return _table_from_rates(res, grades, by, k)


def _table_from_rates(res: pd.DataFrame, grades: Sequence[str], by: By, k: int | None) -> pd.DataFrame:
    res = res.copy()
    res[["rate", "grade"]] = res["indicator"].str.split("_", n=1, expand=True)
    res["dim"] = res["dim"].fillna("")
    keys = ["period", "ou_code", "dim", "grade"]
    wide = res.pivot_table(index=keys, columns="rate", values=["numerator", "denominator", "value"], dropna=False,
                           aggfunc="first")  # fmt: skip
    # every (part, rate) column, even when a rate has no cell at all (a school with grades 5-11 has
    # pupils promoted into G05 but no primary enrolment): its survival is then undefined, not an error
    wide = wide.reindex(columns=pd.MultiIndex.from_product([["numerator", "denominator", "value"],
                                                            ["PROMR", "REPR"]]))
    frame = pd.DataFrame(index=wide.index)
    frame["enrol"] = wide[("denominator", "REPR")]
    frame["repeaters_next"] = wide[("numerator", "REPR")]
    frame["promoted"] = wide[("numerator", "PROMR")]
    frame["repetition"] = wide[("value", "REPR")] / 100.0
    frame["promotion"] = wide[("value", "PROMR")] / 100.0
    frame["dropout"] = 1.0 - frame["promotion"] - frame["repetition"]
    frame = frame.reset_index()
    order = {g: i for i, g in enumerate(grades)}
    frame["_o"] = frame["grade"].map(order)
    frame = frame.sort_values(["period", "ou_code", "dim", "_o"], ignore_index=True)
    out = []
    for _key, grp in frame.groupby(["period", "ou_code", "dim"], sort=False):
        grp = grp.set_index("grade").reindex(grades).reset_index()
        for col in ("period", "ou_code", "dim"):
            grp[col] = grp[col].ffill().bfill()
        sr = survival(grp["promotion"].to_numpy()[:-1], grp["repetition"].to_numpy()[:-1])
        grp["survival"] = sr
        if k is not None:
            grp["survival_k"] = survival(
                grp["promotion"].to_numpy()[:-1], grp["repetition"].to_numpy()[:-1], k
            )
        out.append(grp)
    cols = ["period", "ou_code", "dim", "grade", "enrol", "repeaters_next", "promoted", "repetition",
            "promotion", "dropout", "survival"] + (["survival_k"] if k is not None else [])  # fmt: skip
    table = pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)
    if by is None:
        return table.drop(columns="dim")
    return table.rename(columns={"dim": by.lower()})


def survival_from_rates(ind: Indicator, rates: pd.DataFrame) -> pd.DataFrame:
    """A ``method: survival`` indicator in the engine's internal shape, from its flow rates.

    numerator = survivors to the last grade out of a reconstructed cohort of ``params.cohort``
    (default 1000) pupils, denominator = that cohort; value = factor x share (the share of the
    cohort entering ``grades[0]`` that reaches ``grades[-1]``).
    """
    grades = list(ind.params["grades"])
    k = ind.params.get("k")
    cohort = float(ind.params.get("cohort", 1000))
    cols = ["target_id", "period", "dim", "numerator", "denominator", "value"]
    if rates.empty:
        return pd.DataFrame(columns=cols)
    # Only the last grade's survival is needed: the product of the steps of the grades before it,
    # taken for every cell at once (a loop per unit and period took seconds for the cube).
    res = rates.copy()
    res[["rate", "grade"]] = res["indicator"].str.split("_", n=1, expand=True)
    res["dim"] = res["dim"].fillna("")
    keys = ["target_id", "period", "dim"]
    wide = res.pivot_table(index=keys, columns=["rate", "grade"], values="value", dropna=False, aggfunc="first")
    passed = grades[:-1]
    cells = wide.index
    p = wide.reindex(columns=pd.MultiIndex.from_product([["PROMR"], passed])).to_numpy(dtype="float64") / 100.0
    r = wide.reindex(columns=pd.MultiIndex.from_product([["REPR"], passed])).to_numpy(dtype="float64") / 100.0
    step = p / (1.0 - r) if k is None else p * sum(r**j for j in range(k + 1))
    share = pd.Series(np.prod(step, axis=1) if passed else np.ones(len(cells)), index=cells, dtype="float64")
    out = share.reset_index(name="share")
    return pd.DataFrame(
        {
            "target_id": out["target_id"].astype("int64"),
            "period": out["period"],
            "dim": out["dim"].replace("", None),
            "numerator": cohort * out["share"],
            "denominator": cohort,
            "value": ind.factor * out["share"],
        }
    ).reset_index(drop=True)
