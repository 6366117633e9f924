"""Restructuring events as the pages and the API record them: one plan, previewed, then applied.

Why a plan: a page shows what an event would do before it is recorded (the units it moves, the
values and indicators whose aggregates change). The plan is what the user asked for, resolved to
units and an act; `preview` applies it with the real services inside a savepoint that is rolled
back, so the preview can never disagree with what `apply` will do, and `apply` records it for good.
Both the web forms and the API build an `EventPlan`; the rules of each event stay in
`registry.services`, and the rule "which inputs an event needs" is `EventPlan.check`.

Legal acts are written here too: they are the basis every event and competence assignment cites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from bilim.audit import services as audit

from . import services
from .models import LegalAct, OrgUnit, Restructuring
from .services import RegistryError, UnitSpec, _fail

EK = Restructuring.EventKind
REVERSE = "reverse"
KINDS = (*EK.values, REVERSE)

# The inputs each kind of event needs ("a|b": one of them). One place: forms and the API read it.
REQUIRED: dict[str, tuple[str, ...]] = {
    EK.OPEN: ("new_unit",),
    EK.CLOSE: ("unit",),
    EK.MOVE: ("unit", "parent"),
    EK.TRANSFER: ("units", "body"),
    EK.RENAME: ("unit", "name_kk"),
    EK.SPLIT: ("source", "parts"),
    EK.MERGE: ("sources", "target|new_unit"),
    REVERSE: ("reverses",),
}


@dataclass
class EventPlan:
    """One event as asked for: its kind, date, legal act and the units it concerns (resolved)."""

    kind: str
    effective_date: dt.date
    legal_act: LegalAct
    description: str = ""
    unit: OrgUnit | None = None  # close, move, rename
    units: list[OrgUnit] = field(default_factory=list)  # transfer
    parent: OrgUnit | None = None  # move
    body: OrgUnit | None = None  # transfer
    name_kk: str = ""  # rename
    name_ru: str = ""
    name_en: str = ""
    new_unit: UnitSpec | None = None  # open; the new unit a merge creates
    source: OrgUnit | None = None  # split
    parts: list[tuple[UnitSpec | OrgUnit, list[OrgUnit]]] = field(default_factory=list)  # split
    close_source: bool = False  # split
    sources: list[OrgUnit] = field(default_factory=list)  # merge
    target: OrgUnit | None = None  # merge into an existing unit
    reverses: Restructuring | None = None  # reverse

    def check(self) -> None:
        """Every input the kind needs is there (a translated error naming the first missing one)."""
        if self.kind not in REQUIRED:
            raise _fail("kind", _("Unknown event kind %(kind)s; one of %(kinds)s")
                        % {"kind": self.kind, "kinds": ", ".join(KINDS)})
        for need in REQUIRED[self.kind]:
            names = need.split("|")
            if not any(getattr(self, n) for n in names):
                raise _fail(names[0], _("This field is required for a %(kind)s event.") % {"kind": self.kind})

    def named_units(self) -> list[OrgUnit]:
        """Every existing unit the event names (the caller's scope must cover them all)."""
        out = [u for u in (self.unit, self.parent, self.body, self.source, self.target) if u is not None]
        out += [*self.units, *self.sources]
        for target, children in self.parts:
            if isinstance(target, OrgUnit):
                out.append(target)
            elif target.parent is not None:
                out.append(target.parent)
            out += children
        spec = self.new_unit
        if spec is not None:
            out += [u for u in (spec.parent, spec.governing_body) if u is not None]
        if self.reverses is not None:
            out += list(self.reverses.subjects.all())
        return out


def _dispatch(plan: EventPlan, actor: str) -> Restructuring:
    d, act, desc = plan.effective_date, plan.legal_act, plan.description
    k = plan.kind
    if k == EK.OPEN:
        assert plan.new_unit is not None
        unit = services.open_unit(plan.new_unit, d, act, actor, desc)
        return unit.restructurings.order_by("-pk").first()  # type: ignore[return-value]
    if k == EK.CLOSE:
        return services.close_unit(plan.unit, d, act, actor, desc)  # type: ignore[arg-type]
    if k == EK.MOVE:
        return services.move_unit(plan.unit, plan.parent, d, act, actor, desc)  # type: ignore[arg-type]
    if k == EK.TRANSFER:
        return services.transfer_units(plan.units, plan.body, d, act, actor, desc)  # type: ignore[arg-type]
    if k == EK.RENAME:
        return services.rename_unit(plan.unit, d, act, plan.name_kk, plan.name_ru, plan.name_en,  # type: ignore[arg-type]
                                    actor, desc)
    if k == EK.SPLIT:
        return services.split_unit(plan.source, plan.parts, d, act, plan.close_source, actor, desc)  # type: ignore[arg-type]
    if k == EK.MERGE:
        target = plan.target or plan.new_unit
        return services.merge_units(plan.sources, target, d, act, actor, desc)  # type: ignore[arg-type]
    assert plan.reverses is not None
    return services.reverse_event(plan.reverses, d, act, actor)


@transaction.atomic
def apply(plan: EventPlan, actor: str = "") -> Restructuring:
    """Record the event (one transaction, audited by the service), then ask for an analytics refresh
    once it has committed: moves, splits and merges change what the aggregates add up."""
    plan.check()
    event = _dispatch(plan, actor)
    from bilim.analytics import refresher

    transaction.on_commit(refresher.request)
    return event


class _Rollback(Exception):  # noqa: N818 - control flow, never seen outside this module
    pass


def preview(plan: EventPlan, today: dt.date | None = None) -> dict[str, Any]:
    """What `apply(plan)` would change, computed by applying it in a savepoint that is rolled back.

    Returns plain data for pages and the API: the units whose parent, governing body or name change
    (`changes`), and per mode (`historical`: each period through the hierarchy of its reference
    date; `current`: every period through today's map) the units whose aggregates gain or lose
    values, the values concerned per data element and period, and the indicators that read them.
    Nothing is written: the audit chain, the event and the relations are all rolled back.
    """
    from . import preview as calc

    plan.check()
    today = today or dt.date.today()
    dates = calc.dates_of_interest(today)
    last_event = Restructuring.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    captured: dict[str, Any] = {}
    with transaction.atomic():
        try:
            with transaction.atomic():
                _dispatch(plan, actor="preview")
                captured = calc.capture(last_event, dates)
                raise _Rollback
        except _Rollback:
            pass
        transaction.set_rollback(True)
    before = calc.state(captured["candidates"], dates)
    return calc.compare(plan, before, captured, dates, today)


# --- legal acts ------------------------------------------------------------------------------------

ACT_FIELDS = ("kind", "number", "date", "issuer", "title_kk", "title_ru", "title_en", "url")


def _act_snapshot(act: LegalAct) -> dict[str, Any]:
    return {f: (getattr(act, f).isoformat() if f == "date" else getattr(act, f)) for f in ACT_FIELDS}


def _clean_act(act: LegalAct) -> None:
    from django.core.exceptions import ValidationError

    try:
        act.full_clean()
    except ValidationError as e:
        raise RegistryError(e.message_dict) from e
    if not (act.title_kk or act.title_ru or act.title_en):
        raise _fail("title_kk", _("Give the act's title in at least one language."))


@transaction.atomic
def create_act(actor: str = "", **fields: Any) -> LegalAct:
    """Register a legal act (law, decree, resolution, order, decision) that events and assignments cite."""
    unknown = set(fields) - set(ACT_FIELDS)
    if unknown:
        raise _fail(sorted(unknown)[0], _("Unknown field."))
    act = LegalAct(**fields)
    _clean_act(act)
    act.save()
    audit.record(actor, "registry.act_create", "LegalAct", act.pk, None, _act_snapshot(act))
    return act


@transaction.atomic
def update_act(act: LegalAct, actor: str = "", **fields: Any) -> LegalAct:
    """Correct an act's details (a typo in its number or title); what cites it keeps citing it."""
    before = _act_snapshot(act)
    for name, value in fields.items():
        if name not in ACT_FIELDS:
            raise _fail(name, _("Unknown field."))
        setattr(act, name, value)
    _clean_act(act)
    act.save()
    audit.record(actor, "registry.act_update", "LegalAct", act.pk, before, _act_snapshot(act))
    return act


def act_citations(act: LegalAct) -> int:
    """How many events, assignments, delegations and revocations cite `act`."""
    return (act.restructurings.count() + act.competence_assignments.count() + act.delegations.count()
            + act.revocations.count())


@transaction.atomic
def delete_act(act: LegalAct, actor: str = "") -> None:
    """Delete an act entered by mistake; an act that anything cites is history and stays."""
    n = act_citations(act)
    if n:
        raise _fail("act", _("This act is cited by %(n)s record(s) and cannot be deleted.") % {"n": n})
    before = _act_snapshot(act)
    pk = act.pk
    act.delete()
    audit.record(actor, "registry.act_delete", "LegalAct", pk, before, None)


# --- resolving input -------------------------------------------------------------------------------

def resolve_unit(code: str | None, field_name: str) -> OrgUnit | None:
    """The unit with `code` (None for an empty code); a translated error naming the field otherwise."""
    code = (code or "").strip()
    if not code:
        return None
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise _fail(field_name, _("No org unit with code %(code)s.") % {"code": code})
    return unit


def resolve_units(codes: Iterable[str] | str, field_name: str) -> list[OrgUnit]:
    """Units by codes (a list, or text separated by commas, semicolons, spaces or new lines)."""
    import re

    if isinstance(codes, str):
        codes = re.split(r"[\s,;]+", codes)
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {u.code: u for u in OrgUnit.objects.filter(code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise _fail(field_name, _("No org unit with code %(code)s.") % {"code": ", ".join(missing[:5])})
    return [found[c] for c in wanted]


def resolve_act(act_id: int | str | None, field_name: str = "legal_act") -> LegalAct:
    try:
        act = LegalAct.objects.filter(pk=int(act_id)).first() if act_id not in (None, "") else None
    except (TypeError, ValueError):
        act = None
    if act is None:
        raise _fail(field_name, _("Choose a registered legal act."))
    return act


def resolve_event(event_id: int | str | None, field_name: str = "reverses") -> Restructuring:
    try:
        ev = Restructuring.objects.filter(pk=int(event_id)).first() if event_id not in (None, "") else None
    except (TypeError, ValueError):
        ev = None
    if ev is None:
        raise _fail(field_name, _("No restructuring event with this number."))
    return ev


def unit_spec(data: dict[str, Any], field_name: str = "new_unit") -> UnitSpec:
    """A `UnitSpec` from plain input: code, kind, names, parent and governing body codes, attributes."""
    code = (data.get("code") or "").strip()
    if not code:
        raise _fail(f"{field_name}.code", _("This field is required."))
    kind = (data.get("kind") or "").strip()
    from .models import Kind

    if kind not in Kind.values:
        raise _fail(f"{field_name}.kind", _("Choose one of %(kinds)s.") % {"kinds": ", ".join(Kind.values)})
    if not (data.get("name_kk") or "").strip():
        raise _fail(f"{field_name}.name_kk", _("This field is required."))
    attrs = {k: data[k] for k in ("org_type", "subtype", "area", "ownership") if data.get(k)}
    return UnitSpec(code=code, kind=kind, name_kk=data["name_kk"].strip(), name_ru=(data.get("name_ru") or "").strip(),
                    name_en=(data.get("name_en") or "").strip(),
                    parent=resolve_unit(data.get("parent"), f"{field_name}.parent"),
                    governing_body=resolve_unit(data.get("governing_body"), f"{field_name}.governing_body"),
                    attrs=attrs)


def plan_from_data(data: dict[str, Any]) -> EventPlan:
    """An `EventPlan` from plain input (API body or page form): codes, ids, ISO dates.

    Every unknown code, missing act or bad date is a translated `RegistryError` naming its field.
    """
    kind = (data.get("kind") or "").strip()
    day = data.get("effective_date")
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            day = None
    if not isinstance(day, dt.date):
        raise _fail("effective_date", _("Enter a date as YYYY-MM-DD."))
    plan = EventPlan(kind=kind, effective_date=day, legal_act=resolve_act(data.get("legal_act")),
                     description=(data.get("description") or "").strip())
    plan.unit = resolve_unit(data.get("unit"), "unit")
    plan.units = resolve_units(data.get("units") or [], "units")
    plan.parent = resolve_unit(data.get("parent"), "parent")
    plan.body = resolve_unit(data.get("body"), "body")
    plan.name_kk = (data.get("name_kk") or "").strip()
    plan.name_ru = (data.get("name_ru") or "").strip()
    plan.name_en = (data.get("name_en") or "").strip()
    if data.get("new_unit") and (kind in (EK.OPEN, EK.MERGE)):
        plan.new_unit = unit_spec(data["new_unit"], "new_unit")
    plan.source = resolve_unit(data.get("source"), "source")
    parts: Sequence[dict[str, Any]] = data.get("parts") or []
    for part in parts:
        target: UnitSpec | OrgUnit | None = resolve_unit(part.get("target"), "parts")
        if target is None and part.get("new_unit"):
            target = unit_spec(part["new_unit"], "parts")
        if target is None:
            raise _fail("parts", _("Each part needs an existing target or a new unit."))
        plan.parts.append((target, resolve_units(part.get("children") or [], "parts")))
    plan.close_source = bool(data.get("close_source"))
    plan.sources = resolve_units(data.get("sources") or [], "sources")
    plan.target = resolve_unit(data.get("target"), "target")
    if data.get("reverses") not in (None, ""):
        plan.reverses = resolve_event(data.get("reverses"))
    plan.check()
    return plan


def event_dict(ev: Restructuring) -> dict[str, Any]:
    """An event as plain data (pages and API)."""
    return {"id": ev.pk, "kind": ev.kind, "kind_label": str(ev.get_kind_display()),
            "effective_date": ev.effective_date.isoformat(), "description": ev.description,
            "legal_act": {"id": ev.legal_act_id, "text": str(ev.legal_act)},
            "subjects": [u.code for u in ev.subjects.all()], "details": ev.details,
            "reverses": ev.reverses_id, "reversed_by": [r.pk for r in ev.reversed_by.all()],
            "recorded_by": ev.recorded_by, "recorded_at": ev.recorded_at.isoformat()}
