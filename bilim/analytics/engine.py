"""The indicator compiler: catalogue definitions -> Ibis expressions -> tidy results.

Every definition is compiled to backend-neutral Ibis expressions (no SQL strings), so the same
catalogue runs on DuckDB in tests and production, and on Spark when a country outgrows one machine.
Numerators and denominators are summed over the facts of all descendants of each requested unit
through the closure table valid on one date: the period's reference date (``historical``: figures
as the hierarchy stood then) or a single date (``current``: history restated onto today's map).

Only sums come back from the backend; the final division is done in pandas so that every backend
produces bit-comparable ratios and the numerator and denominator are always shown next to the value
(a rate without its counts cannot be checked).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .catalogue import (
    CATEGORY_COLUMNS,
    ORG_ATTRIBUTES,
    Catalogue,
    CatalogueError,
    Indicator,
    OrgCondition,
    Term,
    load_catalogue,
)
from .periods import ref_date, shift, to_calendar

__all__ = ["DIM_VALUES", "Mode", "By", "compute", "explain", "reference_dates", "resolve_targets"]

Mode = Literal["current", "historical"]
By = Literal["SEX", "AREA"] | None

DIM_VALUES = {"SEX": ("F", "M"), "AREA": ("URBAN", "RURAL")}
"""Groups a disaggregation can take; broadcast terms (``split: false``) are repeated for each."""

RESULT_COLUMNS = ["indicator", "period", "ou_code", "numerator", "denominator", "value", "mode"]

_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
        "!=": operator.ne}  # fmt: skip


@dataclass
class _Ctx:
    """What one compute() call shares between the indicators it compiles."""

    facts: ir.Table
    org_units: ir.Table
    closure: ir.Table
    has_area: bool
    periods: list[str]
    refs: dict[str, dt.date]
    targets: pd.DataFrame  # period, target_id, ou_code
    by: By
    fused: OrgSums | None = None  # per-organization sums shared by the passes of a cube build

    def __post_init__(self) -> None:
        self.period_maps: dict[tuple[int, str], ir.Table] = {}
        self.reach: ir.Table | None = None  # r_ou: the units the facts are narrowed to (see `narrow`)
        self.pref = ibis.memtable(
            pd.DataFrame({"c_period": self.periods, "ref_date": [self.refs[p] for p in self.periods]}),
            schema={"c_period": "string", "ref_date": "date"},
        )
        self.target_table = ibis.memtable(
            self.targets[["period", "target_id"]].rename(columns={"period": "t_period"}),
            schema={"t_period": "string", "target_id": "int64"},
        )

    @functools.cached_property
    def valid_closure(self) -> ir.Table:
        """Closure rows valid on each period's reference date (:func:`_valid_closure`); built when
        first used, as :meth:`narrow` replaces it (its expression alone took 10 ms to build)."""
        return _valid_closure(self.closure, self.pref)

    def rows(self, f: ir.Table) -> ir.Table:
        """Facts ``f`` (already filtered by data element and period) of the reached units only.

        ``IN (SELECT ...)`` of the reached units, not an IN list: DuckDB then reads the other columns
        of the matching rows only (with an IN list of four units it read them for every fact of the
        data elements, 5x slower). Applied after the filters of each use, not once for all: the same
        narrowed table read twice in a query became a common table expression that DuckDB
        materialised by scanning every fact of the data elements."""
        if self.reach is None:
            return f
        return f.filter(f.ou_id.isin(self.reach.r_ou))

    def narrow(self, con: ibis.BaseBackend) -> None:
        """Restrict the facts and the closure to the units that can count in the targets' answers,
        and read the (then small) valid closure once instead of in every query.

        Why: without it a question about one school joined every fact of its data elements (millions
        of rows) with the closure valid on each period before the join with the targets dropped all
        but a few, computed shares and conditions for every organization, and every query of the
        question recompiled and re-ran the closure's validity and closed-unit rules. A target's
        closure links reach only its descendants (``sum`` terms) and ancestors (``nearest_ancestor``
        terms), those of closed units included (:func:`_reach`); per-organization sums, shares,
        conditions and counts are per unit; closure rows are kept whole per descendant, so the last
        rows of a closed unit (:func:`_closed_since`) are the same: the figures are unchanged.
        Not narrowed when that is most of the registry (the republic, every district: the cube's
        questions), where a filter would cost more than it saves.
        """
        reach = _reach(con, self.closure, self.targets)
        if reach is None:
            return
        self.reach = ibis.memtable(pd.DataFrame({"r_ou": reach}), schema={"r_ou": "int64"})
        self.closure = self.closure.filter(self.closure.descendant_id.isin(self.reach.r_ou))
        valid = con.execute(_valid_closure(self.closure, self.pref))
        self.valid_closure = ibis.memtable(
            valid, schema={"c_period": "string", "anc": "int64", "desc": "int64", "depth": "int64"}
        )


REACH_LIMIT = 5000
"""Most units an on-demand question is narrowed to (:meth:`_Ctx.narrow`): a region's organizations
(2,770 in the largest region of the national demo) with their ancestors, not every district."""


def _reach(con: ibis.BaseBackend, closure: ir.Table, targets: pd.DataFrame) -> list[int] | None:
    """The targets' descendants and ancestors at any date (themselves included), or None when there
    are more than :data:`REACH_LIMIT`."""
    ids = sorted({int(i) for i in targets["target_id"]})
    if not ids or len(ids) > REACH_LIMIT:
        return None
    # a table, not an IN list: sqlglot copies every literal of a list several times (0.4 s for 550)
    asked = ibis.memtable(pd.DataFrame({"t_ou": ids}), schema={"t_ou": "int64"})
    down = closure.filter(closure.ancestor_id.isin(asked.t_ou)).select(u=closure.descendant_id)
    up = closure.filter(closure.descendant_id.isin(asked.t_ou)).select(u=closure.ancestor_id)
    reach = sorted({int(u) for u in con.execute(down.union(up))["u"]})
    return reach if len(reach) <= REACH_LIMIT else None


def _valid_closure(c: ir.Table, pref: ir.Table) -> ir.Table:
    """Closure rows valid on each period's reference date, and those of the units closed since
    (:func:`_closed_since`): ``c_period, anc, desc, depth``."""
    valid = c.join(
        pref, [c.valid_from <= pref.ref_date, c.valid_to.isnull() | (c.valid_to > pref.ref_date)]
    )
    valid = valid.select(c_period=pref.c_period, anc=c.ancestor_id, desc=c.descendant_id, depth=c.depth)
    return valid.union(_closed_since(c, pref, valid))


def _closed_since(c: ir.Table, pref: ir.Table, valid: ir.Table) -> ir.Table:
    """Closure rows for the units that no longer exist on a period's reference date: their last rows
    (as the hierarchy stood the day before they closed), kept only to ancestors that do exist then.

    So `current` mode restates history onto today's map without losing values: a school closed in
    2022 still counts, for its 2021 figures, in its district and region of today (the nearest
    surviving ancestors). In `historical` mode a unit that has values for a period existed on its
    reference date, so nothing is added."""
    ended = c.join(pref, [c.valid_to.notnull(), c.valid_to <= pref.ref_date]).select(
        c_period=pref.c_period, anc=c.ancestor_id, desc=c.descendant_id, depth=c.depth, valid_to=c.valid_to
    )
    last = ended.group_by(["c_period", "desc"]).aggregate(last_to=ended.valid_to.max()).rename(
        l_period="c_period", l_desc="desc").view()  # a self-join: ibis needs a distinct view
    rows = ended.join(last, [ended.c_period == last.l_period, ended.desc == last.l_desc,
                             ended.valid_to == last.last_to]).select(
        c_period=ended.c_period, anc=ended.anc, desc=ended.desc, depth=ended.depth
    )  # fmt: skip
    alive = valid.filter(valid.depth == 0).select(a_period=valid.c_period, unit=valid.desc)
    gone, kept = alive.view(), alive.view()
    cols = ["c_period", "anc", "desc", "depth"]
    # no semi/anti joins: ibis writes them as LEFT SEMI JOIN, which PostgreSQL does not know. A unit has
    # one self row per period, so the inner join keeps each row once.
    rows = rows.left_join(gone, [rows.c_period == gone.a_period, rows.desc == gone.unit])
    rows = rows.filter(rows.unit.isnull()).select(cols)
    rows = rows.join(kept, [rows.c_period == kept.a_period, rows.anc == kept.unit])
    return rows.select(cols)


def reference_dates(periods: Sequence[str], mode: Mode, as_of: dt.date | None = None) -> dict[str, dt.date]:
    """The date whose hierarchy each period is aggregated through (see module docstring)."""
    if mode == "historical":
        return {p: ref_date(p) for p in periods}
    if mode == "current":
        day = as_of or dt.date.today()
        return {p: day for p in periods}
    raise ValueError(f"mode must be 'current' or 'historical', not {mode!r}")


def _open(con: ibis.BaseBackend) -> tuple[ir.Table, ir.Table, ir.Table, bool]:
    facts = con.table("facts")
    return facts, con.table("org_units"), con.table("closure"), "area" in facts.columns


def resolve_targets(
    con: ibis.BaseBackend,
    periods: Sequence[str],
    refs: dict[str, dt.date],
    *,
    ou_codes: Iterable[str] | None = None,
    level: str | None = None,
    within: str | None = None,
) -> pd.DataFrame:
    """Requested units per period as ``period, target_id, ou_code``.

    ``level`` selects every unit of that kind that exists (has a self row in the closure) on the
    period's reference date; ``within`` restricts them to the descendants of one unit on that date.
    """
    return _resolve(con, _open(con), periods, refs, ou_codes=ou_codes, level=level, within=within)


def _resolve(
    con: ibis.BaseBackend,
    tables: tuple[ir.Table, ir.Table, ir.Table, bool],
    periods: Sequence[str],
    refs: dict[str, dt.date],
    *,
    ou_codes: Iterable[str] | None,
    level: str | None,
    within: str | None,
) -> pd.DataFrame:
    """:func:`resolve_targets` on tables opened already (each `con.table` asks the backend for the
    schema: a tenth of the work of a small question)."""
    if (ou_codes is None) == (level is None):
        raise ValueError("give exactly one of ou_codes or level")
    _facts, ou, closure, _ = tables
    if ou_codes is not None:
        codes = list(ou_codes)
        found = con.execute(ou.filter(ou.code.isin(codes)).select("ou_id", "code"))
        missing = set(codes) - set(found["code"])
        if missing:
            raise ValueError(f"unknown org units: {sorted(missing)}")
        rows = [(p, int(i), c) for p in periods for i, c in zip(found["ou_id"], found["code"], strict=True)]
        return pd.DataFrame(rows, columns=["period", "target_id", "ou_code"])
    pref = ibis.memtable(
        pd.DataFrame({"c_period": list(periods), "ref_date": [refs[p] for p in periods]}),
        schema={"c_period": "string", "ref_date": "date"},
    )
    valid = closure.join(
        pref,
        [closure.valid_from <= pref.ref_date, closure.valid_to.isnull() | (closure.valid_to > pref.ref_date)],
    )
    expr = valid.filter(valid.depth == 0).join(ou, valid.descendant_id == ou.ou_id).filter(ou.kind == level)
    expr = expr.select(period=pref.c_period, target_id=ou.ou_id, ou_code=ou.code)
    if within is not None:
        root = con.execute(ou.filter(ou.code == within).select("ou_id"))
        if root.empty:
            raise ValueError(f"unknown org unit {within!r}")
        under = valid.filter(valid.ancestor_id == int(root["ou_id"].iloc[0])).select(
            u_period=pref.c_period, u_id=valid.descendant_id
        ).view()  # fmt: skip
        # one query, not the units of the level everywhere and the descendants merged in pandas
        expr = expr.join(under, [expr.period == under.u_period, expr.target_id == under.u_id]).select(
            "period", "target_id", "ou_code"
        )
    out = con.execute(expr)
    return out.sort_values(["period", "ou_code"], ignore_index=True)


# --------------------------------------------------------------------------- term compilation


def _filter_values(col: ir.Column, values: Sequence[object]) -> ir.BooleanValue:
    present = [v for v in values if v is not None]
    cond: ir.BooleanValue = col.isin(present) if present else ibis.literal(False)
    if len(present) < len(values):
        cond = cond | col.isnull()
    return cond


def _period_map(ctx: _Ctx, term: Term) -> ir.Table:
    key = (term.period_offset, term.period_kind)
    if key in ctx.period_maps:
        return ctx.period_maps[key]
    rows = []
    for p in ctx.periods:
        shifted = shift(p, term.period_offset)
        fact = to_calendar(shifted) if term.period_kind == "calendar" else shifted
        rows.append((p, fact, shifted))
    ctx.period_maps[key] = ibis.memtable(
        pd.DataFrame(rows, columns=["req_period", "fact_period", "cond_period"]),
        schema={"req_period": "string", "fact_period": "string", "cond_period": "string"},
    )
    return ctx.period_maps[key]


def _per_org_sum(
    ctx: _Ctx, de: str, periods: list[str], filters: Sequence[tuple[str, tuple]] = ()
) -> ir.Table:
    f = ctx.facts
    f = f.filter(f.de == de, f.period.isin(periods))
    for cat, vals in filters:
        f = f.filter(_filter_values(f[cat], vals))
    f = ctx.rows(f)
    return f.group_by([f.ou_id, f.period]).agg(total=f.value.sum())


def _condition(ctx: _Ctx, cond: OrgCondition, periods: list[str]) -> ir.Table:
    """Organizations (and periods) passing an ``org_condition``: ``q_ou, q_period``."""
    left = _per_org_sum(ctx, cond.left_de, periods)
    left = left.select(q_ou=left.ou_id, q_period=left.period, lhs=left.total)
    rhs: ir.FloatingValue | None = None
    if cond.right_de:
        right = _per_org_sum(ctx, cond.right_de, periods)
        right = right.select(r_ou=right.ou_id, r_period=right.period, r_total=right.total)
        left = left.left_join(right, [left.q_ou == right.r_ou, left.q_period == right.r_period]).select(
            "q_ou", "q_period", "lhs", "r_total"
        )
        rhs = left.r_total
    if cond.right_attr:
        ou = ctx.org_units.select(
            a_ou=ctx.org_units.ou_id, attr=ctx.org_units[cond.right_attr].cast("float64")
        )
        keep = [c for c in left.columns]
        left = left.left_join(ou, left.q_ou == ou.a_ou).select(*keep, "attr")
        rhs = left.attr if rhs is None else ibis.coalesce(left.r_total, left.attr)
    if cond.right_value is not None:
        value = ibis.literal(cond.right_value, type="float64")
        rhs = value if rhs is None else ibis.coalesce(rhs, value)
    assert rhs is not None
    test = _OPS[cond.op](left.lhs, rhs)
    return left.filter(test.fill_null(False)).select("q_ou", "q_period")


def _term_rows(ctx: _Ctx, term: Term, *, by: By) -> ir.Table:
    """Rows of one term before hierarchy aggregation: ``period, fact_period, ou_id, dim, value``."""
    f = ctx.facts
    f = f.filter(f.de == term.de)
    for cat, vals in term.filters:
        f = f.filter(_filter_values(f[cat], vals))
    f = ctx.rows(f)
    pm = _period_map(ctx, term)
    j = f.join(pm, f.period == pm.fact_period)
    split = by is not None and term.split
    ou = ctx.org_units
    if term.org or (split and by == "AREA"):
        for attr, vals in term.org:
            ou = ou.filter(_filter_values(ou[attr], vals))
        j = j.join(ou, f.ou_id == ou.ou_id)
    cols = {
        "period": pm.req_period,
        "fact_period": f.period,
        "cond_period": pm.cond_period,
        "ou_id": f.ou_id,
        "value": f.value * term.sign,
    }
    if split and by == "SEX":
        cols["dim"] = f.sex
    elif split and by == "AREA":
        cols["dim"] = ibis.coalesce(f.area, ou.area) if ctx.has_area else ou.area
    else:
        cols["dim"] = ibis.null().cast("string")
    rows = j.select(**cols)
    if split:
        rows = rows.filter(rows.dim.notnull())
    cond_periods = sorted({shift(p, term.period_offset) for p in ctx.periods})
    if term.org_condition is not None:
        q = _condition(ctx, term.org_condition, cond_periods)
        rows = rows.join(q, [rows.ou_id == q.q_ou, rows.cond_period == q.q_period]).select(rows.columns)
    if term.apportion is not None:
        part = _per_org_sum(ctx, term.apportion.de, cond_periods, term.apportion.filters)
        part = part.select(s_ou=part.ou_id, s_period=part.period, part=part.total)
        whole = _per_org_sum(ctx, term.apportion.de, cond_periods)
        whole = whole.select(w_ou=whole.ou_id, w_period=whole.period, whole=whole.total)
        share = part.join(whole, [part.s_ou == whole.w_ou, part.s_period == whole.w_period])
        share = share.filter(share.whole > 0).select("s_ou", "s_period", share=share.part / share.whole)
        rows = rows.join(share, [rows.ou_id == share.s_ou, rows.cond_period == share.s_period])
        rows = rows.select(*[c for c in rows.columns if c not in ("s_ou", "s_period", "share", "value")],
                           value=rows.value * rows.share)  # fmt: skip
    if term.count_orgs:
        g = rows.group_by(["period", "fact_period", "cond_period", "ou_id", "dim"]).agg(
            total=(rows.value * term.sign).sum()
        )
        hit = ibis.literal(True) if term.min_value is None else g.total >= term.min_value
        g = g.mutate(value=ibis.ifelse(hit, 1.0, 0.0) * term.sign)
        rows = g.drop("total")
    return rows.select("period", "fact_period", "ou_id", "dim", "value")


def _aggregate(ctx: _Ctx, term: Term, rows: ir.Table) -> ir.Table:
    """Sum a term's rows up to the requested units: ``target_id, period, dim, value, n``."""
    vc, tg = ctx.valid_closure, ctx.target_table
    if term.lookup == "sum":
        links = vc.join(tg, [vc.c_period == tg.t_period, vc.anc == tg.target_id]).select(
            l_period=vc.c_period, l_target=vc.anc, l_ou=vc.desc
        )
        j = rows.join(links, [rows.period == links.l_period, rows.ou_id == links.l_ou])
        return j.group_by(target_id=j.l_target, period=j.period, dim=j.dim).agg(
            value=j.value.sum(), n=j.value.count()
        )
    # nearest_ancestor: the value attached to the unit itself or its closest ancestor.
    links = vc.join(tg, [vc.c_period == tg.t_period, vc.desc == tg.target_id]).select(
        l_period=vc.c_period, l_target=vc.desc, l_ou=vc.anc, l_depth=vc.depth
    )
    j = rows.join(links, [rows.period == links.l_period, rows.ou_id == links.l_ou])
    per_depth = j.group_by(target_id=j.l_target, period=j.period, dim=j.dim, depth=j.l_depth).agg(
        value=j.value.sum(), n=j.value.count()
    )
    nearest = per_depth.group_by(m_target="target_id", m_period="period", m_dim="dim").agg(
        m_depth=per_depth.depth.min()
    )
    pick = per_depth.join(
        nearest,
        [
            per_depth.target_id == nearest.m_target,
            per_depth.period == nearest.m_period,
            per_depth.dim.identical_to(nearest.m_dim),
            per_depth.depth == nearest.m_depth,
        ],
    )
    return pick.select("target_id", "period", "dim", "value", "n")


TERM_BATCH = 16
"""Non-simple terms evaluated per backend query.  One query per term costs a Spark job each
(minutes for the catalogue); a single huge union makes a plan Spark is slow to optimise."""


def _term_expr(ctx: _Ctx, term: Term, key: int) -> ir.Table:
    """A term summed to the requested units, tagged with ``tkey``."""
    agg = _aggregate(ctx, term, _term_rows(ctx, term, by=ctx.by))
    if ctx.by is not None and not term.split:
        groups = ibis.memtable(pd.DataFrame({"bdim": list(DIM_VALUES[ctx.by])}), schema={"bdim": "string"})
        agg = agg.cross_join(groups).select("target_id", "period", dim=groups.bdim, value=agg.value, n=agg.n)
    return agg.select(
        tkey=ibis.literal(key, type="int64"),
        target_id=agg.target_id.cast("int64"),
        period=agg.period.cast("string"),
        dim=agg.dim.cast("string"),
        value=agg.value.cast("float64"),
        n=agg.n.cast("int64"),
    )


def _is_simple(term: Term, by: By) -> bool:
    """Terms evaluated together in one scan of the facts (all but org counts and lookups)."""
    return term.lookup == "sum" and not term.count_orgs and (term.split or by is None)


def _per_org_wide(ctx: _Ctx, terms: Sequence[Term], periods: list[str]) -> ir.Table | None:
    """Per organization and period, the sums needed by apportioned and conditional terms."""
    aps = list(dict.fromkeys(t.apportion for t in terms if t.apportion is not None))
    conds = list(dict.fromkeys(t.org_condition for t in terms if t.org_condition is not None))
    if not aps and not conds:
        return None
    des = {a.de for a in aps} | {c.left_de for c in conds} | {c.right_de for c in conds if c.right_de}
    f = ctx.facts
    f = ctx.rows(f.filter(f.de.isin(sorted(des)), f.period.isin(periods)))
    aggs = {}
    for i, a in enumerate(aps):
        pred = f.de == a.de
        for cat, vals in a.filters:
            pred = pred & _filter_values(f[cat], vals)
        aggs[f"ap_part{i}"] = f.value.sum(where=pred)
        aggs[f"ap_whole{i}"] = f.value.sum(where=f.de == a.de)
    for i, c in enumerate(conds):
        aggs[f"c_left{i}"] = f.value.sum(where=f.de == c.left_de)
        if c.right_de:
            aggs[f"c_right{i}"] = f.value.sum(where=f.de == c.right_de)
    return f.group_by(w_ou=f.ou_id, w_period=f.period).agg(**aggs)


def _period_keys(periods: Sequence[str], terms: Sequence[Term]) -> tuple[ir.Table, list[tuple[str, str, str, str]]]:
    """The period map of a fused pass: for every requested period and every (offset, kind) its terms
    use, the fact period read, the period conditions are tested on, and the key ``{offset}{kind}``."""
    rows = []
    for offset, kind in sorted({(t.period_offset, t.period_kind) for t in terms}):
        for p in periods:
            shifted = shift(p, offset)
            rows.append((p, to_calendar(shifted) if kind == "calendar" else shifted, shifted, f"{offset}{kind}"))
    table = ibis.memtable(
        pd.DataFrame(rows, columns=["req_period", "fact_period", "cond_period", "pkey"]),
        schema={"req_period": "string", "fact_period": "string", "cond_period": "string", "pkey": "string"},
    )
    return table, rows


def _target_links(ctx: _Ctx) -> ir.Table:
    """Closure rows from each requested unit down to its descendants, per period: ``l_period,
    l_target, l_ou``."""
    vc, tg = ctx.valid_closure, ctx.target_table
    return vc.join(tg, [vc.c_period == tg.t_period, vc.anc == tg.target_id]).select(
        l_period=vc.c_period, l_target=vc.anc, l_ou=vc.desc
    )


def _org_terms(j: ir.Table, term: Term, conds: list[OrgCondition], aps: list[Term],
               attr: Callable[[str], ir.Column]) -> tuple[ir.BooleanValue | None, ir.FloatingValue | None]:
    """A term's organization test and apportioned share on a joined pass (the per-organization columns
    ``c_left{i}``/``c_right{i}`` and ``ap_part{i}``/``ap_whole{i}`` of :func:`_per_org_wide`; ``attr``
    names an organization attribute's column): ``(test or None, share or None)``."""
    test = share = None
    if term.org_condition is not None:
        i = conds.index(term.org_condition)
        c = term.org_condition
        rhs = []
        if c.right_de:
            rhs.append(j[f"c_right{i}"])
        if c.right_attr:
            rhs.append(attr(c.right_attr).cast("float64"))
        if c.right_value is not None:
            rhs.append(ibis.literal(c.right_value, type="float64"))
        right = rhs[0] if len(rhs) == 1 else ibis.coalesce(*rhs)
        test = _OPS[c.op](j[f"c_left{i}"], right).fill_null(False)
    if term.apportion is not None:
        i = aps.index(term.apportion)
        whole = j[f"ap_whole{i}"]
        share = ibis.ifelse(whole > 0, j[f"ap_part{i}"].fill_null(0) / whole, ibis.null().cast("float64"))
    return test, share


def _simple_sums(ctx: _Ctx, terms: Sequence[Term]) -> ir.Table:
    """All simple terms in one pass: facts x period map x org attributes x per-org sums x closure,
    then one conditional aggregate per term (``s{k}``, ``n{k}``).  This keeps Spark to one job
    instead of one per term (the difference between seconds and minutes for the catalogue).

    Must agree with :func:`_term_rows` + :func:`_aggregate` (used by explain); tests check it.
    """
    pm, pm_rows = _period_keys(ctx.periods, terms)
    aps = list(dict.fromkeys(t.apportion for t in terms if t.apportion is not None))
    conds = list(dict.fromkeys(t.org_condition for t in terms if t.org_condition is not None))
    wide = _per_org_wide(ctx, terms, sorted(set(pm_rows_c[2] for pm_rows_c in pm_rows)))
    f = ctx.facts
    f = ctx.rows(f.filter(f.de.isin(sorted({t.de for t in terms}))))
    ou = ctx.org_units
    j = f.join(pm, f.period == pm.fact_period).left_join(ou, f.ou_id == ou.ou_id)
    if wide is not None:
        j = j.left_join(wide, [f.ou_id == wide.w_ou, pm.cond_period == wide.w_period])
    cols = {
        "period": pm.req_period,
        "pkey": pm.pkey,
        "ou_id": f.ou_id,
        "de": f.de,
        "value": f.value.cast("float64"),
        **{c: f[c] for c in CATEGORY_COLUMNS},
        **{f"o_{a}": ou[a] for a in (*ORG_ATTRIBUTES, "capacity")},
    }
    if wide is not None:
        cols.update({c: wide[c] for c in wide.columns if c not in ("w_ou", "w_period")})
    if ctx.by == "SEX":
        cols["dim"] = f.sex
    elif ctx.by == "AREA":
        cols["dim"] = ibis.coalesce(f.area, ou.area) if ctx.has_area else ou.area
    else:
        cols["dim"] = ibis.null().cast("string")
    rows = j.select(**cols)
    if ctx.by is not None:
        rows = rows.filter(rows.dim.notnull())
    links = _target_links(ctx)
    j2 = rows.join(links, [rows.period == links.l_period, rows.ou_id == links.l_ou])
    aggs = {}
    for k, term in enumerate(terms):
        pred = (j2.de == term.de) & (j2.pkey == f"{term.period_offset}{term.period_kind}")
        for cat, vals in term.filters:
            pred = pred & _filter_values(j2[cat], vals)
        for attr, vals in term.org:
            pred = pred & _filter_values(j2[f"o_{attr}"], vals)
        value = j2.value
        test, share = _org_terms(j2, term, conds, aps, lambda a: j2[f"o_{a}"])
        if test is not None:
            pred = pred & test
        if share is not None:
            value = value * share
        aggs[f"s{k}"] = value.sum(where=pred)
        aggs[f"n{k}"] = value.count(where=pred)
    return j2.group_by(target_id=j2.l_target, period=j2.period, dim=j2.dim.cast("string")).agg(**aggs)


class OrgSums:
    """Per-organization sums of the simple terms, computed once and read by every pass of a cube build.

    Joining the facts to the closure before aggregating (:func:`_simple_sums`) repeats each fact row
    once per requested ancestor and per period key: tens of millions of rows when every district,
    region and the republic is asked at once. Summed first per (organization, period, sex, area) and
    per data element, the facts shrink to a few hundred thousand rows, and every mode and
    disaggregation of the cube climbs the hierarchy from those. Category filters are taken here;
    organization attributes, conditions and apportioned shares are constant per organization and
    period, so they apply unchanged to the sums (:func:`_fused_sums`).
    """

    def __init__(self, con: ibis.BaseBackend, terms: Sequence[Term], periods: Iterable[str] | None = None) -> None:
        """``periods``: the fact periods to sum (default every period with facts)."""
        facts, org_units, closure, has_area = _open(con)
        self.terms = [t for t in dict.fromkeys(terms) if t.lookup == "sum" and not t.count_orgs]
        known = sorted(con.execute(facts.select("period").distinct())["period"])
        self.wanted = set(known) if periods is None else set(periods)
        self.periods = sorted(self.wanted & set(known)) or ["-"]  # "-": no period at all, no rows
        f = facts.filter(facts.period.isin(self.periods))
        if has_area:
            f = f.left_join(org_units.select(a_ou=org_units.ou_id, a_area=org_units.area), f.ou_id == org_units.ou_id)
            area = ibis.coalesce(f.area, f.a_area)
        else:
            f = f.left_join(org_units.select(a_ou=org_units.ou_id, area=org_units.area), f.ou_id == org_units.ou_id)
            area = f.area
        self.column: dict[Term, tuple[str, int]] = {}
        self.tables: dict[str, ir.Table] = {}
        for de in sorted({t.de for t in self.terms}):
            rows = f.filter(f.de == de)
            aggs = {}
            for k, term in enumerate(t for t in self.terms if t.de == de):
                pred: ir.BooleanValue = ibis.literal(True)
                for cat, vals in term.filters:
                    pred = pred & _filter_values(rows[cat], vals)
                aggs[f"a{k}"] = rows.value.cast("float64").sum(where=pred)
                aggs[f"c{k}"] = rows.value.count(where=pred)
                self.column[term] = (de, k)
            self.tables[de] = rows.group_by(
                g_ou=rows.ou_id, g_period=rows.period, sex=rows.sex.cast("string"),
                area=(area if has_area else rows.area).cast("string"),
            ).agg(**aggs).cache()  # fmt: skip
        ctx = _Ctx(facts, org_units, closure, has_area, self.periods, {p: dt.date.today() for p in self.periods},
                   pd.DataFrame(columns=["period", "target_id", "ou_code"]), None)  # fmt: skip
        wide = _per_org_wide(ctx, self.terms, self.periods)
        self.wide = wide.cache() if wide is not None else None
        self.aps = list(dict.fromkeys(t.apportion for t in self.terms if t.apportion is not None))
        self.conds = list(dict.fromkeys(t.org_condition for t in self.terms if t.org_condition is not None))

    def covers(self, terms: Sequence[Term], periods: Sequence[str]) -> bool:
        """Whether every term is summed here for every fact period that ``periods`` read."""
        if not all(t in self.column for t in terms):
            return False
        needed = {_fact_period(p, t) for t in terms for p in periods}
        return needed <= self.wanted

    def release(self) -> None:
        """Let the backend drop the cached sums (they go with their last reference)."""
        self.tables, self.wide = {}, None


def _fact_period(period: str, term: Term) -> str:
    shifted = shift(period, term.period_offset)
    return to_calendar(shifted) if term.period_kind == "calendar" else shifted


def _fused_sums(ctx: _Ctx, terms: Sequence[Term]) -> Iterator[tuple[ir.Table, list[Term]]]:
    """The simple terms of :func:`_simple_sums` from the per-organization sums of ``ctx.fused``, one
    query per data element: ``target_id, period, sex, area, s{k}, n{k}`` for the terms yielded with
    it, split by both dimensions at once so that every disaggregation is a sum of these rows
    (:func:`_split_sums`)."""
    sums = ctx.fused
    assert isinstance(sums, OrgSums)
    links = _target_links(ctx)
    if links._find_backend().name != "pyspark":  # noqa: SLF001 - ibis's PySpark cache does not register memtables
        links = links.cache()  # one hierarchy per pass, read by the query of every data element
    by_de: dict[str, list[Term]] = {}
    for term in terms:
        by_de.setdefault(term.de, []).append(term)
    for de, de_terms in by_de.items():
        pm, _rows = _period_keys(ctx.periods, de_terms)
        per_org = sums.tables[de].rename(g_sex="sex", g_area="area")
        ou = ctx.org_units
        j = per_org.join(pm, per_org.g_period == pm.fact_period).left_join(ou, per_org.g_ou == ou.ou_id)
        uses_wide = any(t.org_condition is not None or t.apportion is not None for t in de_terms)
        if uses_wide and sums.wide is not None:
            wide = sums.wide
            j = j.left_join(wide, [per_org.g_ou == wide.w_ou, pm.cond_period == wide.w_period])
        j = j.join(links, [pm.req_period == links.l_period, per_org.g_ou == links.l_ou])
        aggs = {}
        for n, term in enumerate(de_terms):
            _de, k = sums.column[term]
            pred = j.pkey == f"{term.period_offset}{term.period_kind}"
            for attr, vals in term.org:
                pred = pred & _filter_values(j[attr], vals)
            value, count = j[f"a{k}"], j[f"c{k}"]
            test, share = _org_terms(j, term, sums.conds, sums.aps, lambda a, j=j: j[a])
            if test is not None:
                pred = pred & test
            if share is not None:
                value = value * share
                count = ibis.ifelse(share.isnull(), 0, count)
            aggs[f"s{n}"] = value.sum(where=pred)
            aggs[f"n{n}"] = count.sum(where=pred)
        yield j.group_by(target_id=j.l_target, period=j.req_period, sex=j.g_sex, area=j.g_area).agg(**aggs), de_terms


def _split_sums(batches: Sequence[tuple[pd.DataFrame, Sequence[Term]]], bys: Sequence[By]) -> dict[By, dict[Term, pd.DataFrame]]:
    """Term frames (indexed by target, period, dim) for each disaggregation, from sums split by sex
    and area together. A term that is not split (``split: false``) is its total repeated for every
    group; rows without the dimension count only in the total, as in :func:`_simple_sums`."""
    out: dict[By, dict[Term, pd.DataFrame]] = {b: {} for b in bys}
    for wide, group in batches:
        for by in bys:
            if by is None:
                keyed = wide.assign(dim="")
            else:
                col = by.lower()
                keyed = wide[wide[col].notna()].assign(dim=lambda f, c=col: f[c].astype(str))
            cols = [c for c in wide.columns if c[0] in "sn" and c[1:].isdigit()]
            summed = keyed.groupby(["target_id", "period", "dim"])[cols].sum(min_count=1)
            total = None
            for k, term in enumerate(group):
                if by is not None and not term.split:
                    if total is None:
                        total = wide.groupby(["target_id", "period"])[cols].sum(min_count=1)
                    frame = pd.concat({g: total for g in DIM_VALUES[by]}, names=["dim"])
                    frame = frame.reorder_levels(["target_id", "period", "dim"])
                else:
                    frame = summed
                part = pd.DataFrame({"value": frame[f"s{k}"].astype("float64") * term.sign,
                                     "n": frame[f"n{k}"].astype("float64").fillna(0)})  # fmt: skip
                out[by][term] = part[part["n"] > 0].sort_index()
    return out


def _other_sums(con: ibis.BaseBackend, ctx: _Ctx, other: Sequence[Term], terms: Sequence[Term]) -> dict[Term, pd.DataFrame]:
    """Terms the fused sums cannot give (organization counts, nearest-ancestor lookups), one batch of
    backend queries for ``ctx``'s disaggregation."""
    if not other:
        return {}
    frames = []
    exprs = [_term_expr(ctx, term, terms.index(term)) for term in other]
    for i in range(0, len(exprs), TERM_BATCH):
        chunk = exprs[i : i + TERM_BATCH]
        frames.append(con.execute(ibis.union(*chunk, distinct=False) if len(chunk) > 1 else chunk[0]))
    df = pd.concat(frames, ignore_index=True)
    df["dim"] = df["dim"].fillna("").astype(str)
    df["value"] = df["value"].astype("float64")
    df["n"] = df["n"].astype("float64").fillna(0)
    df["target_id"] = df["target_id"].astype("int64")
    return {terms[int(key)]: grp.set_index(["target_id", "period", "dim"])[["value", "n"]].sort_index()
            for key, grp in df.groupby("tkey")}  # fmt: skip


def _term_sums(con: ibis.BaseBackend, ctx: _Ctx, terms: Sequence[Term]) -> dict[Term, pd.DataFrame]:
    """Evaluate distinct terms in as few backend queries as possible; frames indexed by cell.

    Values are signed (``value * sign``), so the terms of a part are simply added.
    """
    if ctx.fused is not None:
        both = [t for t in terms if t.lookup == "sum" and not t.count_orgs]
        if both and ctx.fused.covers(both, ctx.periods):
            batches = [(con.execute(expr), group) for expr, group in _fused_sums(ctx, both)]
            out = _split_sums(batches, [ctx.by])[ctx.by]
            rest = [t for t in terms if t not in both]
            return {**out, **_other_sums(con, ctx, rest, terms)}
    simple = [t for t in terms if _is_simple(t, ctx.by)]
    other = [t for t in terms if not _is_simple(t, ctx.by)]
    out = _pass_terms(con.execute(_simple_sums(ctx, simple)), simple) if simple else {}
    return {**out, **_other_sums(con, ctx, other, terms)}


def _pass_terms(wide: pd.DataFrame, terms: Sequence[Term]) -> dict[Term, pd.DataFrame]:
    """Per-term frames from a pass with one ``s{k}``, ``n{k}`` pair of columns per term (the cells
    with rows only). Indexed once and sliced per term: going through one long frame grouped by term
    was a third of an on-demand question about one school."""
    index = pd.MultiIndex.from_arrays(
        [wide["target_id"].astype("int64"), wide["period"], wide["dim"].fillna("").astype(str)],
        names=["target_id", "period", "dim"],
    )
    out = {}
    for k, term in enumerate(terms):
        n = wide[f"n{k}"].astype("float64").fillna(0).to_numpy()
        keep = n > 0
        value = wide[f"s{k}"].astype("float64").to_numpy()[keep] * term.sign
        out[term] = pd.DataFrame({"value": value, "n": n[keep]}, index=index[keep]).sort_index()
    return out


_EMPTY = pd.DataFrame(
    {"value": pd.Series(dtype="float64"), "n": pd.Series(dtype="float64")},
    index=pd.MultiIndex.from_tuples([], names=["target_id", "period", "dim"]),
)


class _WideSums:
    """Term sums side by side (one column per term, one row per cell), so that assembling the
    catalogue's indicators is column arithmetic instead of a reindex of frames per indicator: the
    cube assembles 70 indicators x 3 disaggregations x 2 modes per refresh, and an on-demand
    question about one school spent a tenth of its time reindexing.

    Combine term sums into cells and divide (in numpy, so identical on every backend). A part is
    NULL when none of its terms has rows in the cell (e.g. no population figure), not 0, except a
    numerator that narrows the denominator's own rows (a share of organizations qualifying); a cell
    is kept when its numerator or denominator has rows, and its value is NaN when the denominator is
    zero/missing or a required term (a guard) has no rows."""

    def __init__(self, sums: dict[Term, pd.DataFrame]) -> None:
        self.col = {term: i for i, term in enumerate(sums)}
        frames = [f.assign(_t=i) for i, f in enumerate(sums.values()) if len(f)]
        if frames:
            long = pd.concat(frames).set_index("_t", append=True)
            value = long["value"].unstack("_t")
            count = long["n"].unstack("_t")
            self.index = value.index
            self.value = value.reindex(columns=range(len(self.col))).to_numpy(dtype="float64")
            self.n = count.reindex(columns=range(len(self.col))).fillna(0).to_numpy(dtype="float64")
        else:
            self.index = _EMPTY.index
            self.value = np.empty((0, len(self.col)))
            self.n = np.empty((0, len(self.col)))

    def _cols(self, term: Term) -> tuple[np.ndarray, np.ndarray]:
        i = self.col.get(term)
        if i is None:
            return np.full(len(self.index), np.nan), np.zeros(len(self.index))
        return self.value[:, i], self.n[:, i]

    def assemble(self, ind: Indicator) -> pd.DataFrame:
        rows = len(self.index)
        present = np.zeros(rows, dtype=bool)
        totals: dict[str, np.ndarray] = {}
        ok = np.ones(rows, dtype=bool)
        for part, term in ind.parts():
            vals, n = self._cols(term)
            if part in ("numerator", "denominator"):
                present |= n > 0
            if part in totals:
                both = np.isnan(totals[part]) & np.isnan(vals)
                total = np.nan_to_num(totals[part]) + np.nan_to_num(vals)
                total[both] = np.nan
                totals[part] = total
            else:
                totals[part] = vals.copy()
            if term.required:
                ok &= n > 0
        num = totals.get("numerator", np.full(rows, np.nan))
        den = totals["denominator"] if ind.denominator else np.ones(rows)
        if ind.numerator_narrows_denominator:
            num = np.where(np.isnan(num) & ~np.isnan(den), 0.0, num)
        if ind.denominator_factor:
            den = den * totals["denominator_factor"]
        ok &= ~np.isnan(den) & (den != 0) & ~np.isnan(num)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(ok, ind.factor * num / np.where(ok, den, 1.0), np.nan)
        keep = present
        if not keep.any():
            return pd.DataFrame(columns=["target_id", "period", "dim", "numerator", "denominator", "value"])
        cells = self.index[keep]
        out = pd.DataFrame({"target_id": cells.get_level_values(0), "period": cells.get_level_values(1),
                            "dim": cells.get_level_values(2), "numerator": num[keep],
                            "denominator": den[keep], "value": value[keep]})  # fmt: skip
        out["dim"] = out["dim"].replace("", None)
        return out


def _compute_defs(
    con: ibis.BaseBackend,
    inds: Sequence[Indicator],
    periods: Sequence[str],
    *,
    ou_codes: Iterable[str] | None = None,
    level: str | None = None,
    within: str | None = None,
    by: By = None,
    mode: Mode = "current",
    as_of: dt.date | None = None,
    targets: pd.DataFrame | None = None,
    fused: OrgSums | None = None,
    sums: dict[Term, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Compute definitions (not codes); returns the tidy frame with ``target_id`` and ``dim``.

    ``fused`` gives per-organization sums computed once (:class:`OrgSums`) to climb the hierarchy
    from: the same cells, far cheaper when the targets are every aggregate unit (the cube).
    ``sums`` are term sums computed already for these targets, mode and ``by`` (:func:`cube_sums`)."""
    from .flow import flow_indicators, survival_from_rates  # survival is built on the flow rates

    if by not in (None, "SEX", "AREA"):
        raise ValueError(f"by must be None, 'SEX' or 'AREA', not {by!r}")
    periods = list(dict.fromkeys(periods))
    refs = reference_dates(periods, mode, as_of)
    tables = _open(con)
    if targets is None:
        targets = _resolve(con, tables, periods, refs, ou_codes=ou_codes, level=level, within=within)
    facts, org_units, closure, has_area = tables
    ctx = _Ctx(facts, org_units, closure, has_area, periods, refs, targets, by, fused)
    if fused is None and sums is None:
        ctx.narrow(con)
    code_of = dict(zip(targets["target_id"], targets["ou_code"], strict=False))
    wanted = [ind for ind in inds if by is None or by in ind.disaggregations]
    components: dict[str, list[Indicator]] = {}
    for ind in wanted:
        if ind.method == "survival":
            components[ind.code] = flow_indicators(
                ind.params["grades"], graduates_grade=ind.params.get("graduates_grade", "G11")
            )
    ratio_defs = [i for i in wanted if i.method != "survival"] + [c for cs in components.values() for c in cs]
    terms = list(dict.fromkeys(term for ind in ratio_defs for _part, term in ind.parts()))
    if sums is None:
        sums = _term_sums(con, ctx, terms)
    assemble = _WideSums(sums).assemble
    frames = []
    for ind in wanted:
        if ind.method == "survival":
            rates = []
            for comp in components[ind.code]:
                if comp.code.startswith(("REPR_", "PROMR_")):
                    r = assemble(comp)
                    r.insert(0, "indicator", comp.code)
                    rates.append(r)
            out = survival_from_rates(ind, pd.concat([r for r in rates if len(r)], ignore_index=True)
                                      if any(len(r) for r in rates) else rates[0])
        else:
            out = assemble(ind)
        if out.empty:
            continue
        out.insert(0, "indicator", ind.code)
        frames.append(out)
    cols = ["indicator", "target_id", "period", "dim", "numerator", "denominator", "value"]
    res = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    res["target_id"] = res["target_id"].astype("int64")
    res["ou_code"] = res["target_id"].map(code_of)
    res["mode"] = mode
    order = {ind.code: i for i, ind in enumerate(inds)}
    res["_o"] = res["indicator"].map(order)
    res = res.sort_values(["_o", "period", "ou_code", "dim"], ignore_index=True, na_position="first")
    for col in ("numerator", "denominator", "value"):
        res[col] = res[col].astype("float64")
    return res.drop(columns="_o")


def terms_of(inds: Sequence[Indicator]) -> list[Term]:
    """Every term the indicators are computed from (survival through its flow rates)."""
    from .flow import flow_indicators

    out: list[Term] = []
    for ind in inds:
        comps = (flow_indicators(ind.params["grades"], graduates_grade=ind.params.get("graduates_grade", "G11"))
                 if ind.method == "survival" else [ind])  # fmt: skip
        out += [t for comp in comps for _p, t in comp.parts()]
    return list(dict.fromkeys(out))


def cube_sums(
    con: ibis.BaseBackend,
    inds: Sequence[Indicator],
    periods: Sequence[str],
    *,
    mode: Mode,
    as_of: dt.date | None,
    targets: pd.DataFrame,
    fused: OrgSums,
    bys: Sequence[By] = (None, "SEX", "AREA"),
) -> dict[By, dict[Term, pd.DataFrame]]:
    """Term sums of every disaggregation in one pass: one query per data element split by sex and
    area at once (:func:`_fused_sums`), plus the few terms that need a query of their own. Feed each
    to :func:`_compute_defs` (``sums=``) with the same targets and mode."""
    periods = list(dict.fromkeys(periods))
    refs = reference_dates(periods, mode, as_of)
    facts, org_units, closure, has_area = _open(con)
    terms = terms_of(inds)
    both = [t for t in terms if t.lookup == "sum" and not t.count_orgs]
    ctx = _Ctx(facts, org_units, closure, has_area, periods, refs, targets, None, fused)
    if not fused.covers(both, periods):
        raise ValueError("the per-organization sums do not cover these terms and periods")
    batches = [(con.execute(expr), group) for expr, group in _fused_sums(ctx, both)]
    out = _split_sums(batches, bys)
    rest = [t for t in terms if t not in both]
    for by in bys:
        if rest:
            ctx_by = _Ctx(facts, org_units, closure, has_area, periods, refs, targets, by, fused)
            out[by].update(_other_sums(con, ctx_by, rest, terms))
    return out


def compute(
    con: ibis.BaseBackend,
    codes: str | Sequence[str],
    periods: str | Sequence[str],
    *,
    ou_codes: Iterable[str] | None = None,
    level: str | None = None,
    within: str | None = None,
    by: By = None,
    mode: Mode = "current",
    as_of: dt.date | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Compute catalogue indicators for org units and periods.

    Give ``ou_codes`` (explicit units, any kind) or ``level`` (every unit of that kind existing on the
    reference date, optionally only those ``within`` one unit).  ``by`` splits by ``SEX`` or
    ``AREA``; indicators whose definition does not allow that split are left out.  In ``current`` mode
    ``as_of`` (default today) is the hierarchy date for every period.

    Returns columns ``indicator, period, ou_code, [sex|area], numerator, denominator, value, mode``;
    ``value`` is NaN when the denominator is zero/missing or a guard (e.g. the next census) is
    missing.  Cells with no data at all are absent.
    """
    cat = catalogue or load_catalogue()
    codes = [codes] if isinstance(codes, str) else list(codes)
    periods = [periods] if isinstance(periods, str) else list(periods)
    inds = [cat[c] for c in codes]
    res = _compute_defs(
        con, inds, periods, ou_codes=ou_codes, level=level, within=within, by=by, mode=mode, as_of=as_of
    )
    return _public(res, by)


def _public(res: pd.DataFrame, by: By) -> pd.DataFrame:
    cols = ["indicator", "period", "ou_code"]
    if by is not None:
        res = res.rename(columns={"dim": by.lower()})
        cols.append(by.lower())
    cols += ["numerator", "denominator", "value", "mode"]
    return res[cols].reset_index(drop=True)


def explain(
    con: ibis.BaseBackend,
    code: str,
    ou_code: str,
    period: str,
    *,
    by: By = None,
    group: str | None = None,
    mode: Mode = "current",
    as_of: dt.date | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """The contributions behind one cell: which org units and periods, with what values.

    One row per (part, term, attached org unit, fact period); ``value`` is signed and already
    apportioned/counted as the indicator uses it, so the numerator of :func:`compute` equals the
    sum of the ``numerator`` rows.  ``by``/``group`` select a disaggregated cell (e.g. SEX/"F").
    Survival rates are explained through the flow rates they are built from (``component``).
    """
    cat = catalogue or load_catalogue()
    ind = cat[code]
    if ind.method == "survival":
        from .flow import flow_indicators

        frames = []
        for comp in flow_indicators(
            ind.params["grades"], graduates_grade=ind.params.get("graduates_grade", "G11")
        ):
            if (
                comp.code.startswith(("REPR_", "PROMR_"))
                and comp.code.split("_")[1] != ind.params["grades"][-1]
            ):
                sub = explain(con, comp.code, ou_code, period, by=by, group=group, mode=mode, as_of=as_of,
                              catalogue=Catalogue.from_indicators([comp]))  # fmt: skip
                sub.insert(0, "component", comp.code)
                frames.append(sub)
        return pd.concat(frames, ignore_index=True)
    refs = reference_dates([period], mode, as_of)
    targets = resolve_targets(con, [period], refs, ou_codes=[ou_code])
    facts, org_units, closure, has_area = _open(con)
    ctx = _Ctx(facts, org_units, closure, has_area, [period], refs, targets, by)
    ctx.narrow(con)
    vc = ctx.valid_closure
    target_id = int(targets["target_id"].iloc[0])
    frames = []
    for i, (part, term) in enumerate(ind.parts()):
        rows = _term_rows(ctx, term, by=by)
        if by is not None and group is not None and term.split:
            rows = rows.filter(rows.dim == group)
        if term.lookup == "sum":
            links = vc.filter(vc.anc == target_id)
            j = rows.join(links, [rows.period == links.c_period, rows.ou_id == links.desc])
        else:
            links = vc.filter(vc.desc == target_id)
            j = rows.join(links, [rows.period == links.c_period, rows.ou_id == links.anc])
        g = j.group_by(["ou_id", "fact_period", "depth"]).agg(value=j.value.sum(), rows=j.value.count())
        df = con.execute(g)
        if term.lookup == "nearest_ancestor" and not df.empty:
            df = df[df["depth"] == df["depth"].min()]
        df.insert(0, "de", term.de)
        df.insert(0, "term", i)
        df.insert(0, "part", part)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    names = con.execute(org_units.select("ou_id", "code", "kind", "name_en"))
    out = out.merge(names, on="ou_id", how="left").rename(
        columns={"code": "ou_code", "fact_period": "period"}
    )
    out = out[["part", "term", "de", "period", "ou_code", "kind", "name_en", "rows", "value"]]
    return out.sort_values(["part", "term", "period", "ou_code"], ignore_index=True)


def catalogue_codes(catalogue: Catalogue | None = None) -> list[str]:
    """All indicator codes, in catalogue order."""
    return (catalogue or load_catalogue()).codes()


__all__ += ["catalogue_codes", "CatalogueError"]
