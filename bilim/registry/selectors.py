"""Reads of the registry, always as of a date: the tree, ancestors, descendants, history, governing body."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from .models import GoverningRelation, Kind, NameRecord, OrgUnit, Restructuring, TerritorialRelation


def _valid_on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def get_unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def exists_on(unit: OrgUnit, day: dt.date) -> bool:
    return unit.exists_on(day)


def parent_on(unit: OrgUnit, day: dt.date) -> OrgUnit | None:
    link = TerritorialRelation.objects.filter(_valid_on(day), unit=unit).select_related("parent").first()
    return link.parent if link else None


def governing_body_on(unit: OrgUnit, day: dt.date) -> OrgUnit | None:
    """Who manages and funds `unit` on `day`."""
    link = GoverningRelation.objects.filter(_valid_on(day), unit=unit).select_related("body").first()
    return link.body if link else None


def name_on(unit: OrgUnit, day: dt.date) -> NameRecord | None:
    return NameRecord.objects.filter(_valid_on(day), unit=unit).first()


def ancestors(unit: OrgUnit, day: dt.date) -> list[OrgUnit]:
    """Territorial ancestors on `day`, nearest first."""
    out: list[OrgUnit] = []
    node = parent_on(unit, day)
    while node is not None and len(out) < 32:
        out.append(node)
        node = parent_on(node, day)
    return out


def children(unit: OrgUnit, day: dt.date, kind: str | None = None) -> QuerySet[OrgUnit]:
    ids = TerritorialRelation.objects.filter(_valid_on(day), parent=unit).values("unit_id")
    qs = OrgUnit.objects.filter(pk__in=ids)
    return qs.filter(kind=kind) if kind else qs


def parent_map(day: dt.date) -> dict[int, int]:
    """unit id -> parent id for every territorial link valid on `day` (one query; used for trees)."""
    return dict(TerritorialRelation.objects.filter(_valid_on(day)).values_list("unit_id", "parent_id"))


def descendant_ids(unit: OrgUnit, day: dt.date, kind: str | None = None) -> list[int]:
    """Ids of every unit below `unit` on `day` (not including it)."""
    kids: dict[int, list[int]] = defaultdict(list)
    for child, parent in parent_map(day).items():
        kids[parent].append(child)
    out: list[int] = []
    stack = list(kids.get(unit.pk, []))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(kids.get(n, []))
    if kind:
        out = list(OrgUnit.objects.filter(pk__in=out, kind=kind).values_list("pk", flat=True))
    return out


def selection_ids(codes: Iterable[str] = (), levels: Iterable[str] = (), children: Iterable[str] = (),
                  day: dt.date | None = None, *, subtree: bool = False) -> set[int]:
    """Ids of the units a selection names on `day` (default today), for reads of stored values.

    The parts are those of `bilim.analytics.query.Selection` (the one parser of `LEVEL-`/`CHILDREN-`),
    with the same meaning as in the analytics API, but taken on the registry rather than on the
    warehouse, because raw values are read from the database: unit `codes`; `LEVEL-<kind>` —
    every unit of those kinds, within the `codes` when some are given (the boundaries themselves are
    then not part of the answer); `CHILDREN-<code>` — the direct children of those units. `subtree`
    adds every unit below each selected one (DHIS2's `children=true`). Codes that name no unit are
    skipped: the caller says they are unknown.
    """
    day = day or dt.date.today()
    codes, levels, children = list(codes), list(levels), list(children)
    pk_of = dict(OrgUnit.objects.filter(code__in=[*codes, *children]).values_list("code", "pk"))
    kids: dict[int, list[int]] = defaultdict(list)
    for child, parent in parent_map(day).items():
        kids[parent].append(child)

    def below(roots: Iterable[int]) -> set[int]:
        out: set[int] = set()
        stack = [k for r in roots for k in kids.get(r, [])]
        while stack:
            n = stack.pop()
            if n not in out:
                out.add(n)
                stack.extend(kids.get(n, []))
        return out

    roots = [pk_of[c] for c in codes if c in pk_of]
    picked: set[int]
    if levels:
        picked = set(units_on(day).filter(kind__in=levels).values_list("pk", flat=True))
        if codes:
            picked &= below(roots)  # in Python: a region's subtree is too long a list for SQL
    else:
        picked = set(roots)
    for code in children:
        if code in pk_of:
            picked.update(kids.get(pk_of[code], []))
    if subtree:
        picked |= below(picked)
    return picked


def descendants(unit: OrgUnit, day: dt.date, kind: str | None = None) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(pk__in=descendant_ids(unit, day, kind))


@dataclass
class TreeNode:
    unit: OrgUnit
    children: list[TreeNode] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"code": self.unit.code, "kind": self.unit.kind, "name": self.unit.name,
                "children": [c.as_dict() for c in self.children]}


def tree(day: dt.date, root: OrgUnit | None = None, max_depth: int | None = None,
         kinds: tuple[str, ...] | None = None) -> TreeNode | None:
    """The territorial tree on `day` under `root` (default: the republic), optionally cut at a depth."""
    if root is None:
        root = OrgUnit.objects.filter(kind=Kind.REPUBLIC).first()
        if root is None:
            return None
    if not root.exists_on(day):
        return None
    kids: dict[int, list[int]] = defaultdict(list)
    for child, parent in parent_map(day).items():
        kids[parent].append(child)
    wanted: list[int] = []
    frontier = [(root.pk, 0)]
    depth_of = {root.pk: 0}
    while frontier:
        n, d = frontier.pop()
        if max_depth is not None and d >= max_depth:
            continue
        for c in kids.get(n, []):
            depth_of[c] = d + 1
            wanted.append(c)
            frontier.append((c, d + 1))
    qs = OrgUnit.objects.filter(pk__in=wanted)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    units = {u.pk: u for u in qs}
    units[root.pk] = root
    nodes = {pk: TreeNode(u) for pk, u in units.items()}
    for parent, cs in kids.items():
        if parent in nodes:
            for c in sorted(cs, key=lambda pk: units[pk].code if pk in units else ""):
                if c in nodes:
                    nodes[parent].children.append(nodes[c])
    return nodes[root.pk]


@dataclass
class HistoryEntry:
    date: dt.date
    relation: str  # "territorial", "governing", "name", "opened", "closed"
    value: str
    valid_to: dt.date | None
    event: Restructuring | None

    @property
    def legal_act(self):
        return self.event.legal_act if self.event else None


def history(unit: OrgUnit) -> list[HistoryEntry]:
    """Everything that happened to `unit`, in date order, each with the event and its legal act."""
    out: list[HistoryEntry] = []
    for link in TerritorialRelation.objects.filter(unit=unit).select_related("parent", "event__legal_act"):
        out.append(HistoryEntry(link.valid_from, "territorial", f"{link.parent.code} {link.parent.name}",
                                link.valid_to, link.event))
    for link in GoverningRelation.objects.filter(unit=unit).select_related("body", "event__legal_act"):
        out.append(HistoryEntry(link.valid_from, "governing", f"{link.body.code} {link.body.name}",
                                link.valid_to, link.event))
    for rec in NameRecord.objects.filter(unit=unit).select_related("event__legal_act"):
        out.append(HistoryEntry(rec.valid_from, "name", rec.name, rec.valid_to, rec.event))
    if unit.closed:
        ev = unit.restructurings.filter(effective_date=unit.closed).select_related("legal_act").first()
        out.append(HistoryEntry(unit.closed, "closed", "", None, ev))
    order = {"name": 0, "territorial": 1, "governing": 2, "closed": 3}
    out.sort(key=lambda e: (e.date, order.get(e.relation, 9)))
    return out


def units_on(day: dt.date, kind: str | None = None) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.filter(Q(opened__isnull=True) | Q(opened__lte=day)).filter(
        Q(closed__isnull=True) | Q(closed__gt=day))
    return qs.filter(kind=kind) if kind else qs


def governed_by(body: OrgUnit, day: dt.date) -> QuerySet[OrgUnit]:
    ids = GoverningRelation.objects.filter(_valid_on(day), body=body).values("unit_id")
    return OrgUnit.objects.filter(pk__in=ids)


def republic() -> OrgUnit | None:
    """The root of the territorial hierarchy (the country), whatever its code in this deployment."""
    return OrgUnit.objects.filter(kind=Kind.REPUBLIC).order_by("pk").first()


def republic_code() -> str:
    """The country's code ('' before a registry is loaded): the subject of national reports."""
    root = republic()
    return root.code if root else ""


def events_visible_to(user) -> QuerySet[Restructuring]:
    """Restructurings a user may read: all for national accounts; for a scoped account those that
    concern a unit of its subtree or one above it (a move of its district changed its place too)."""
    from bilim.accounts.permissions import scoped_unit_ids

    qs = Restructuring.objects.select_related("legal_act").prefetch_related("subjects", "reversed_by")
    ids = scoped_unit_ids(user)
    if ids is None:
        return qs
    above = [u.pk for u in ancestors(user.scope, dt.date.today())] if user.scope_id else []
    return qs.filter(subjects__in=[*ids, *above]).distinct()
