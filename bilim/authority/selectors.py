"""Reads: who holds a competence over a unit on a date, what a body may do, a competence's history.

Every answer is plain data (`as_dict()` or lists of dicts) so pages, the API and the CLI render the
same thing. Resolution, in order:

1. the `CompetenceAssignment` in force on the day gives the level and the kind of body;
2. the unit's territorial chain on the day ([unit, parent, grandparent, ...]) gives the republic,
   region or district of that level, and the authority of that subtype placed there is the default
   holder (a district-level power over a unit with no district above it falls to the region);
3. delegations in force on the day whose scope covers the unit are applied from the widest scope to
   the narrowest (an explicit set of organizations is narrowest); each applies only if its grantor
   holds the power at that point of the chain, so a re-delegation works and a stale one is reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from bilim.registry import selectors as registry
from bilim.registry.models import Kind, LegalAct, OrgUnit

from .models import (
    FALLBACK_SUBTYPE,
    LEVEL_KIND,
    Competence,
    CompetenceAssignment,
    Delegation,
    Level,
    Revocation,
)


def unit_ref(unit: OrgUnit | None, day: dt.date | None = None) -> dict[str, Any] | None:
    """Code, name, kind and subtype of `unit`; with `day`, the name it bore that day (a 2019 meeting was
    organized by the Ministry of Education and Science, whatever the ministry is called now)."""
    if unit is None:
        return None
    name = unit.name
    if day is not None:
        record = registry.name_on(unit, day)
        if record is not None:
            name = record.name
    return {"code": unit.code, "name": name, "kind": unit.kind, "subtype": unit.subtype}


def act_ref(act: LegalAct | None) -> dict[str, Any] | None:
    if act is None:
        return None
    return {"id": act.pk, "kind": act.kind, "number": act.number, "date": act.date.isoformat(),
            "issuer": act.issuer, "title": act.title}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def get_competence(code: str) -> Competence:
    return Competence.objects.get(code=code)


def assignment_on(competence: Competence, day: dt.date) -> CompetenceAssignment | None:
    return (CompetenceAssignment.objects.filter(competence=competence, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).select_related("legal_act").first())


def authority_at(territory: OrgUnit, subtype: str, day: dt.date) -> OrgUnit | None:
    """The authority of `subtype` whose territorial parent on `day` is `territory` (lowest code if several)."""
    return (registry.children(territory, day, kind=Kind.AUTHORITY).filter(subtype=subtype)
            .order_by("code").first())


def territorial_chain(unit: OrgUnit, day: dt.date) -> list[OrgUnit]:
    """[unit, parent, grandparent, ...] on `day`."""
    return [unit, *registry.ancestors(unit, day)]


def active_delegations(day: dt.date, **filters: Any) -> QuerySet[Delegation]:
    """Delegations in force on `day`: started, not past their own end, not revoked by then."""
    return (Delegation.objects.filter(valid_from__lte=day, **filters)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
            .exclude(revocation__effective_date__lte=day)
            .select_related("competence", "grantor", "grantee", "scope_unit", "legal_act", "revocation__legal_act"))


@dataclass
class HolderAnswer:
    competence: Competence
    unit: OrgUnit
    day: dt.date
    assignment: CompetenceAssignment | None = None
    territory: OrgUnit | None = None
    default_holder: OrgUnit | None = None
    delegations: list[Delegation] = field(default_factory=list)  # applied, widest scope first
    notes: list[str] = field(default_factory=list)

    @property
    def holder(self) -> OrgUnit | None:
        return self.delegations[-1].grantee if self.delegations else self.default_holder

    @property
    def delegation(self) -> Delegation | None:
        """The delegation that decides the answer (the narrowest applied), if any."""
        return self.delegations[-1] if self.delegations else None

    @property
    def basis(self) -> str:
        if self.holder is None:
            return "none"
        return "delegation" if self.delegations else "default"

    def as_dict(self) -> dict[str, Any]:
        a = self.assignment
        return {
            "competence": {"code": self.competence.code, "name": self.competence.name},
            "org_unit": unit_ref(self.unit),
            "date": self.day.isoformat(),
            "holder": unit_ref(self.holder),
            "basis": self.basis,
            "default": {
                "level": a.level if a else None,
                "body_subtype": a.body_subtype if a else None,
                "territory": unit_ref(self.territory),
                "holder": unit_ref(self.default_holder),
                "act": act_ref(a.legal_act if a else None),
            },
            "delegations": [delegation_dict(d) for d in self.delegations],
            "act": act_ref(self.delegation.legal_act if self.delegation else (a.legal_act if a else None)),
            "notes": list(self.notes),
        }


def _default_holder(ans: HolderAnswer, chain: list[OrgUnit]) -> None:
    a = ans.assignment
    assert a is not None
    wanted_kind = LEVEL_KIND[a.level]
    subtype = a.body_subtype
    territory = next((u for u in chain if u.kind == wanted_kind), None)
    if territory is None and a.level == Level.DISTRICT:
        territory = next((u for u in chain if u.kind == Kind.REGION), None)
        if territory is not None:
            subtype = FALLBACK_SUBTYPE.get(subtype, subtype)
            ans.notes.append(f"{ans.unit.code} has no district above it on {ans.day.isoformat()}; "
                             f"the district-level power falls to the region ({subtype})")
    if territory is None:
        ans.notes.append(f"{ans.unit.code} lies under no {wanted_kind} on {ans.day.isoformat()}")
        return
    ans.territory = territory
    ans.default_holder = authority_at(territory, subtype, ans.day)
    if ans.default_holder is None:
        ans.notes.append(f"No {subtype} is registered in {territory.code} on {ans.day.isoformat()}")


def holder_on(competence: Competence, unit: OrgUnit, day: dt.date) -> HolderAnswer:
    """Who holds `competence` over `unit` on `day`, with the default holder, the act and any delegations."""
    ans = HolderAnswer(competence, unit, day)
    ans.assignment = assignment_on(competence, day)
    chain = territorial_chain(unit, day)
    if ans.assignment is None:
        ans.notes.append(f"{competence.code} is assigned to no level on {day.isoformat()}")
    else:
        _default_holder(ans, chain)
    depth = {u.pk: i for i, u in enumerate(chain)}
    applicable: list[tuple[int, dt.date, int, Delegation]] = []
    for d in active_delegations(day, competence=competence).prefetch_related("organizations"):
        if d.scope_unit_id is not None and d.scope_unit_id in depth:
            applicable.append((-depth[d.scope_unit_id], d.valid_from, d.pk, d))
        elif d.scope_unit_id is None and any(o.pk == unit.pk for o in d.organizations.all()):
            applicable.append((1, d.valid_from, d.pk, d))
    current = ans.default_holder
    for *_key, d in sorted(applicable, key=lambda t: t[:3]):
        if current is not None and d.grantor_id == current.pk:
            ans.delegations.append(d)
            current = d.grantee
        else:
            ans.notes.append(f"Delegation #{d.pk} from {d.grantor.code} does not apply: the grantor does not "
                             f"hold {competence.code} over {unit.code} on {day.isoformat()}")
    return ans


def delegation_dict(d: Delegation) -> dict[str, Any]:
    rev: Revocation | None = getattr(d, "revocation", None)
    return {
        "id": d.pk,
        "competence": d.competence.code,
        "grantor": unit_ref(d.grantor),
        "grantee": unit_ref(d.grantee),
        "scope": {"unit": unit_ref(d.scope_unit),
                  "organizations": [unit_ref(o) for o in d.organizations.all()] if d.scope_unit_id is None else []},
        "valid_from": d.valid_from.isoformat(),
        "valid_to": _iso(d.valid_to),
        "ends": _iso(d.end),
        "act": act_ref(d.legal_act),
        "note": d.note,
        "revocation": None if rev is None else {
            "effective_date": rev.effective_date.isoformat(), "act": act_ref(rev.legal_act), "reason": rev.reason},
    }


def competence_list(day: dt.date | None = None) -> list[dict[str, Any]]:
    """Every competence with the assignment in force on `day` (default today)."""
    day = day or dt.date.today()
    out = []
    for c in Competence.objects.all():
        a = assignment_on(c, day)
        out.append({"code": c.code, "name": c.name, "description": c.description,
                    "level": a.level if a else None, "body_subtype": a.body_subtype if a else None,
                    "act": act_ref(a.legal_act if a else None),
                    "active_delegations": active_delegations(day, competence=c).count()})
    return out


def powers_of(body: OrgUnit, day: dt.date) -> list[dict[str, Any]]:
    """What `body` may do on `day`: powers it holds by default over its territory and by delegation,
    each with its scope and act, and the delegations it has handed on (so a page can say "except")."""
    territory = registry.parent_on(body, day)
    out: list[dict[str, Any]] = []
    if territory is not None and body.kind == Kind.AUTHORITY:
        for a in (CompetenceAssignment.objects.filter(body_subtype=body.subtype, valid_from__lte=day)
                  .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).select_related("competence", "legal_act")):
            if LEVEL_KIND[a.level] != territory.kind:
                continue
            handed = [delegation_dict(d) for d in active_delegations(day, competence=a.competence, grantor=body)
                      .prefetch_related("organizations")]
            out.append({"competence": {"code": a.competence.code, "name": a.competence.name},
                        "basis": "default", "scope": {"unit": unit_ref(territory), "organizations": []},
                        "act": act_ref(a.legal_act), "valid_from": a.valid_from.isoformat(),
                        "valid_to": _iso(a.valid_to), "delegated_away": handed})
    for d in active_delegations(day, grantee=body).prefetch_related("organizations"):
        dd = delegation_dict(d)
        out.append({"competence": {"code": d.competence.code, "name": d.competence.name},
                    "basis": "delegation", "scope": dd["scope"], "act": dd["act"],
                    "valid_from": dd["valid_from"], "valid_to": dd["ends"], "grantor": dd["grantor"],
                    "delegation_id": d.pk, "delegated_away": []})
    out.sort(key=lambda p: (p["competence"]["code"], p["basis"]))
    return out


def competence_history(competence: Competence) -> list[dict[str, Any]]:
    """Assignments, delegations and revocations of `competence` in date order."""
    events: list[dict[str, Any]] = []
    for a in competence.assignments.select_related("legal_act"):
        events.append({"date": a.valid_from.isoformat(), "event": "assignment", "level": a.level,
                       "body_subtype": a.body_subtype, "valid_to": _iso(a.valid_to), "act": act_ref(a.legal_act)})
    for d in (competence.delegations.select_related("grantor", "grantee", "scope_unit", "legal_act",
                                                    "revocation__legal_act").prefetch_related("organizations")):
        dd = delegation_dict(d)
        events.append({"date": dd["valid_from"], "event": "delegation", "delegation": dd, "act": dd["act"]})
        rev = getattr(d, "revocation", None)
        if rev is not None:
            events.append({"date": rev.effective_date.isoformat(), "event": "revocation", "delegation_id": d.pk,
                           "grantee": unit_ref(d.grantee), "reason": rev.reason, "act": act_ref(rev.legal_act)})
        elif d.valid_to is not None:
            events.append({"date": d.valid_to.isoformat(), "event": "expiry", "delegation_id": d.pk,
                           "grantee": unit_ref(d.grantee), "act": dd["act"]})
    order = {"assignment": 0, "expiry": 1, "revocation": 1, "delegation": 2}
    events.sort(key=lambda e: (e["date"], order[e["event"]]))
    return events
