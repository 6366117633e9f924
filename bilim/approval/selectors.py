"""Reads: values of a form as a table, who must report a form, approval states and completeness."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import combinations

from django.db.models import Q
from django.utils.formats import date_format

from bilim.collection.models import DataValue
from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER, DataSet
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgUnit

from .models import STATUS_RANK, ApprovalState, FormDeadline, Status

CAT_FIELDS = tuple(c.lower() for c in CATEGORY_ORDER)
AREA_KINDS = (Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT)

Combo = tuple[str, ...]  # one option code (or '' = total) per category, in CATEGORY_ORDER


def combo_of(cats: dict[str, str]) -> Combo:
    return tuple(cats.get(c, "") for c in CATEGORY_ORDER)


def label_of(combo: Combo) -> str:
    return ",".join(f"{c}={v}" for c, v in zip(CATEGORY_ORDER, combo, strict=True) if v)


@dataclass
class StoredValue:
    value: float
    version: int
    comment: str = ""


@dataclass
class ValueTable:
    """Stored values of some elements for one org unit, by (element, period, combo)."""

    org_unit: str
    values: dict[tuple[str, str, Combo], StoredValue] = field(default_factory=dict)

    @classmethod
    def load(cls, org_unit: OrgUnit, elements: list[str], period_codes: list[str]) -> ValueTable:
        table = cls(org_unit.code)
        qs = DataValue.objects.filter(org_unit=org_unit, period__in=period_codes,
                                      data_element__code__in=elements)
        for row in qs.values_list("data_element__code", "period", *CAT_FIELDS, "value", "version", "comment"):
            de, pe, *cats, value, version, comment = row
            table.values[(de, pe, tuple(cats))] = StoredValue(value, version, comment)
        return table

    def get(self, element: str, period: str, combo: Combo) -> StoredValue | None:
        return self.values.get((element, period, combo))

    def total(self, element: str, period: str, filters: dict[str, str]) -> tuple[float | None, list[Combo]]:
        """Sum of the values matching `filters` (category -> option), and the combos summed.

        A category not in `filters` is totalled. When a value and a coarser value that covers it are
        both stored (F/G01 and the total of G01), the coarser one is used, so nothing counts twice.
        """
        idx = {c: i for i, c in enumerate(CATEGORY_ORDER)}
        cand = {combo: v for (de, pe, combo), v in self.values.items()
                if de == element and pe == period and all(combo[idx[c]] == o for c, o in filters.items())}
        if not cand:
            return None, []
        free = [i for i, c in enumerate(CATEGORY_ORDER) if c not in filters]
        used = []
        for combo in cand:
            filled = [i for i in free if combo[i]]
            shadowed = False
            for k in range(1, len(filled) + 1):
                for blank in combinations(filled, k):
                    coarse = tuple("" if i in blank else o for i, o in enumerate(combo))
                    if coarse in cand:
                        shadowed = True
                        break
                if shadowed:
                    break
            if not shadowed:
                used.append(combo)
        return sum(cand[c].value for c in used), sorted(used)

    def options_present(self, elements: list[str], period: str, category: str) -> set[str]:
        i = CATEGORY_ORDER.index(category)
        return {combo[i] for (de, pe, combo) in self.values if de in elements and pe == period and combo[i]}


# --- who reports a form ------------------------------------------------------------------------------

def census_date(period: str) -> dt.date:
    return periods.parse(period).census_date


def deadline(data_set: DataSet, period: str) -> dt.date:
    """When the form is due: a `FormDeadline` for the period, else census date + deadline_days."""
    code = periods.parse(period).code
    fixed = FormDeadline.objects.filter(data_set=data_set, period=code).values_list("due", flat=True).first()
    return fixed or census_date(code) + dt.timedelta(days=data_set.deadline_days)


def collection_periods(data_set: DataSet, today: dt.date | None = None, limit: int = 3) -> list[str]:
    """The periods of `data_set` in collection, newest first: those the ministry set a deadline for
    (`FormDeadline`), else those whose workflow has begun (approval states exist) — at most `limit`,
    and never a period whose census date is still ahead (nothing can be counted before it)."""
    today = today or dt.date.today()
    codes = set(FormDeadline.objects.filter(data_set=data_set).values_list("period", flat=True))
    if not codes:
        codes = set(ApprovalState.objects.filter(data_set=data_set).values_list("period", flat=True).distinct())
    out = []
    for c in codes:
        try:
            p = periods.parse(c)
        except periods.PeriodError:
            continue
        if p.census_date <= today:
            out.append((p.census_date, p.code))
    return [c for _d, c in sorted(out, reverse=True)[:limit]]


def entry_closed_reason(data_set: DataSet, period: str, today: dt.date | None = None) -> str:
    """Why values of `data_set` may not be entered for `period` ('' when they may): a period must be
    of the form's type and its census date reached. (Submitted and approved forms are locked by
    `services.is_locked`.)"""
    from django.utils.translation import gettext as _

    today = today or dt.date.today()
    try:
        p = periods.parse(period)
    except periods.PeriodError as e:
        return str(e)
    if data_set.period_type and p.type != data_set.period_type:
        return _("%(form)s is collected per %(type)s, not for %(period)s.") % {
            "form": data_set.code, "type": data_set.period_type.replace("_", " "), "period": periods.label(p.code)}
    if p.census_date > today:
        return _("The collection for %(period)s has not opened: its census date is %(date)s.") % {
            "period": periods.label(p.code), "date": date_format(p.census_date, "SHORT_DATE_FORMAT")}
    return ""


def pending_below(data_set: DataSet, period: str, unit: OrgUnit) -> list[OrgUnit]:
    """The units directly under `unit` that take part in `data_set` and are not done yet (reporters
    not submitted, units above reporters not approved): while any is left, `unit` cannot approve."""
    code = periods.parse(period).code
    tree = form_tree(data_set, code)
    kids = tree.participating_children(unit.pk)
    st = states(data_set, code, kids)
    pending = [k for k in kids if not is_done(k, tree, st)]
    return list(OrgUnit.objects.filter(pk__in=pending).order_by("code"))


def is_reporter(data_set: DataSet, unit: OrgUnit) -> bool:
    types = set(data_set.org_types or ())
    return (unit.kind == Kind.ORGANIZATION and unit.org_type in types) or unit.kind in types


def _reporter_q(data_set: DataSet) -> Q:
    types = list(data_set.org_types or ())
    return Q(kind=Kind.ORGANIZATION, org_type__in=types) | Q(kind__in=types)


@dataclass
class Tree:
    """The territorial tree on a day, for one form: who reports and who takes part in approval."""

    day: dt.date
    kids: dict[int, list[int]]
    parent: dict[int, int]
    reporters: set[int]
    participating: set[int]  # reporters and every unit above one

    def reporters_under(self, unit_id: int) -> list[int]:
        out, stack = [], [unit_id]
        while stack:
            n = stack.pop()
            if n in self.reporters:
                out.append(n)
            stack.extend(self.kids.get(n, ()))
        return out

    def participating_children(self, unit_id: int) -> list[int]:
        return [c for c in self.kids.get(unit_id, ()) if c in self.participating]


def approval_chain(unit_id: int, parent: dict[int, int]) -> list[int]:
    """The units a reporter's form climbs: the reporter, then its parents on the census date (up to
    the republic). One definition for the entry grid's read rule and the warehouse's visibility."""
    chain = [unit_id]
    p = parent.get(unit_id)
    while p is not None and len(chain) < 32:
        chain.append(p)
        p = parent.get(p)
    return chain


def climbed(chain: list[int], not_open: set[int] | frozenset[int]) -> int:
    """How many units of `chain`, from the reporter up, have moved the form past `open` (submitted,
    approved, accepted), stopping at the first that has not."""
    n = 0
    for pk in chain:
        if pk not in not_open:
            break
        n += 1
    return n


def form_tree(data_set: DataSet, period: str) -> Tree:
    day = census_date(period)
    parent = registry.parent_map(day)
    kids: dict[int, list[int]] = defaultdict(list)
    for c, p in parent.items():
        kids[p].append(c)
    reporters = set(registry.units_on(day).filter(_reporter_q(data_set)).values_list("pk", flat=True))
    participating: set[int] = set()
    for r in reporters:
        n: int | None = r
        guard = 0
        while n is not None and n not in participating and guard < 32:
            participating.add(n)
            n = parent.get(n)
            guard += 1
    return Tree(day, kids, parent, reporters, participating)


def states(data_set: DataSet, period: str, unit_ids: list[int] | set[int] | None = None) -> dict[int, ApprovalState]:
    qs = ApprovalState.objects.filter(data_set=data_set, period=periods.parse(period).code)
    if unit_ids is not None:
        qs = qs.filter(org_unit_id__in=list(unit_ids))
    return {s.org_unit_id: s for s in qs}


def status_of(data_set: DataSet, period: str, unit: OrgUnit) -> str:
    s = ApprovalState.objects.filter(data_set=data_set, period=periods.parse(period).code, org_unit=unit).first()
    return s.status if s else Status.OPEN


def is_done(unit_id: int, tree: Tree, st: dict[int, ApprovalState]) -> bool:
    """A reporter is done once submitted; a unit above reporters once approved (or accepted)."""
    s = st.get(unit_id)
    rank = STATUS_RANK[Status(s.status)] if s else 0
    return rank >= (STATUS_RANK[Status.SUBMITTED] if unit_id in tree.reporters else STATUS_RANK[Status.APPROVED])


# --- completeness --------------------------------------------------------------------------------------

@dataclass
class Reporter:
    code: str
    name: str
    kind: str
    org_type: str
    lat: float | None
    lon: float | None
    reported: bool
    status: str
    submitted_at: dt.datetime | None
    on_time: bool


@dataclass
class CompletenessRow:
    code: str
    name: str
    kind: str
    expected: int = 0
    reported: int = 0
    submitted: int = 0
    on_time: int = 0
    status: str = Status.OPEN

    @property
    def completeness(self) -> float | None:
        return round(100 * self.reported / self.expected, 1) if self.expected else None

    @property
    def timeliness(self) -> float | None:
        return round(100 * self.on_time / self.expected, 1) if self.expected else None


@dataclass
class Completeness:
    data_set: DataSet
    period: str
    unit: OrgUnit
    deadline: dt.date
    total: CompletenessRow
    children: list[CompletenessRow]
    reporters: list[Reporter]

    @property
    def missing(self) -> list[Reporter]:
        return [r for r in self.reporters if not r.reported]

    def visible_to(self, user) -> Completeness:
        """The rows and reporters `user` may see: units of its subtree today (the page and the API).

        The census date's tree may put under a unit of the scope a school that has since moved out
        of it; its row is dropped (the unit's total still counts it, as an aggregate)."""
        from bilim.accounts.permissions import filter_units, scoped_unit_ids

        if scoped_unit_ids(user) is None:
            return self
        named = [r.code for r in self.children] + [r.code for r in self.reporters]
        codes = set(filter_units(OrgUnit.objects.filter(code__in=named), user).values_list("code", flat=True))
        return replace(self, children=[r for r in self.children if r.code in codes],
                       reporters=[r for r in self.reporters if r.code in codes])


def completeness(data_set: DataSet, period: str, unit: OrgUnit) -> Completeness:
    """Expected reporters under `unit` (open on the census date), who reported any value of the form,
    who submitted, who submitted by the deadline — in total and per child unit."""
    code = periods.parse(period).code
    tree = form_tree(data_set, code)
    due = deadline(data_set, code)
    expected = tree.reporters_under(unit.pk)
    elements = list(data_set.data_elements.values_list("pk", flat=True))
    reported = set(DataValue.objects.filter(period=code, data_element_id__in=elements, org_unit_id__in=expected)
                   .values_list("org_unit_id", flat=True).distinct())
    st = states(data_set, code, set(expected) | set(tree.kids.get(unit.pk, ())) | {unit.pk})
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=expected)}
    reporters = []
    for pk in expected:
        u = units[pk]
        s = st.get(pk)
        sub_at = s.submitted_at if s else None
        submitted = bool(s and STATUS_RANK[Status(s.status)] >= 1)
        reporters.append(Reporter(u.code, u.name, u.kind, u.org_type, u.lat, u.lon, pk in reported,
                                  s.status if s else Status.OPEN, sub_at,
                                  bool(submitted and sub_at and sub_at.date() <= due)))
    reporters.sort(key=lambda r: r.code)
    by_code = {r.code: r for r in reporters}

    def row_for(node: OrgUnit, ids: list[int]) -> CompletenessRow:
        s = st.get(node.pk)
        row = CompletenessRow(node.code, node.name, node.kind, status=s.status if s else Status.OPEN)
        for pk in ids:
            r = by_code[units[pk].code]
            row.expected += 1
            row.reported += r.reported
            row.submitted += r.status != Status.OPEN
            row.on_time += r.on_time
        return row

    children = []
    kid_units = OrgUnit.objects.filter(pk__in=tree.participating_children(unit.pk)).order_by("code")
    for kid in kid_units:
        children.append(row_for(kid, tree.reporters_under(kid.pk)))
    return Completeness(data_set, code, unit, due, row_for(unit, expected), children, reporters)
