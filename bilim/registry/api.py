"""Registry endpoints: org units as of a date, their children, ancestors and history (/orgunits); legal
acts and restructuring events, previewed and recorded (/registry)."""


import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import field_validator

from bilim.accounts.permissions import can_write_unit, filter_units
from bilim.api.pagination import BoundedLimitOffsetPagination

from . import events, selectors
from .models import Area, Kind, LegalAct, OrgType, OrgUnit, Ownership, Restructuring

PREFIX = "/orgunits"
router = Router(tags=["registry"])


class OrgUnitOut(Schema):
    code: str
    kind: str
    org_type: str
    subtype: str
    name: str
    name_kk: str
    name_ru: str
    name_en: str
    area: str
    ownership: str
    languages: list[str]
    capacity: int | None
    shifts: int | None
    emergency: bool
    lat: float | None
    lon: float | None
    opened: dt.date | None
    closed: dt.date | None
    synthetic: bool


class OrgUnitDetail(OrgUnitOut):
    as_of: dt.date
    exists: bool
    parent: str | None = None
    ancestors: list[str] = []
    governing_body: str | None = None


class HistoryOut(Schema):
    date: dt.date
    relation: str
    value: str
    valid_to: dt.date | None
    event: str | None
    legal_act: str | None


class ListFilters(Schema):
    kind: Kind | None = None
    type: OrgType | None = Field(None, description="Organization type")
    area: str | None = Field(None, pattern="^(URBAN|RURAL)$")
    parent: str | None = Field(None, description="Code of a unit; lists its whole subtree on as_of")
    q: str | None = Field(None, max_length=100, description="Search in code and names")
    as_of: dt.date | None = Field(None, description="Only units open on this date (default today)")


def _unit(code: str) -> OrgUnit:
    try:
        return OrgUnit.objects.get(code=code)
    except OrgUnit.DoesNotExist as e:
        raise HttpError(404, f"No org unit with code {code}") from e


@router.get("", response=list[OrgUnitOut], summary="List org units open on a date")
@paginate(BoundedLimitOffsetPagination)
def list_orgunits(request, filters: Query[ListFilters]):
    day = filters.as_of or dt.date.today()
    qs = filter_units(selectors.units_on(day), request.auth)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.type:
        qs = qs.filter(org_type=filters.type)
    if filters.area:
        qs = qs.filter(area=filters.area)
    if filters.parent:
        qs = qs.filter(pk__in=selectors.descendant_ids(_unit(filters.parent), day))
    if filters.q:
        q = filters.q
        qs = qs.filter(Q(code__icontains=q) | Q(name_kk__icontains=q) | Q(name_ru__icontains=q) | Q(name_en__icontains=q))
    return qs.order_by("code")


@router.get("/{code}", response=OrgUnitDetail, summary="One org unit as of a date")
def get_orgunit(request, code: str, as_of: dt.date | None = None):
    unit = _unit(code)
    day = as_of or dt.date.today()
    out = OrgUnitOut.from_orm(unit).dict() | {"as_of": day, "exists": unit.exists_on(day)}
    if unit.exists_on(day):
        chain = selectors.ancestors(unit, day)
        body = selectors.governing_body_on(unit, day)
        out |= {"parent": chain[0].code if chain else None, "ancestors": [a.code for a in chain],
                "governing_body": body.code if body else None}
    return out


@router.get("/{code}/children", response=list[OrgUnitOut], summary="Direct children on a date")
@paginate(BoundedLimitOffsetPagination)
def children(request, code: str, as_of: dt.date | None = None, kind: Kind | None = None):
    """The children on `as_of`, among the units of the caller's subtree today: a past hierarchy
    must not show a unit that has since moved out of the scope."""
    kids = selectors.children(_unit(code), as_of or dt.date.today(), kind)
    return filter_units(kids, request.auth).order_by("code")


@router.get("/{code}/history", response=list[HistoryOut], summary="Every change with its legal act")
@paginate(BoundedLimitOffsetPagination)
def history(request, code: str):
    return [
        {"date": e.date, "relation": e.relation, "value": e.value, "valid_to": e.valid_to,
         "event": e.event.description if e.event else None,
         "legal_act": str(e.event.legal_act) if e.event else None}
        for e in selectors.history(_unit(code))
    ]


# --- writes: legal acts and restructuring events (mounted at /api/v1/registry/) ------------------------
#
# Thin over `registry.events`: the body is validated by its schema (422 naming the field), resolved to
# an `EventPlan` (400 naming the field for an unknown code or act), checked against the caller's scope
# (every unit named must be writable by them), then previewed or applied in one transaction.

writes = Router(tags=["registry"])
EXTRA_ROUTERS = {"/registry": writes}
MAX_ID = 2**31 - 1


class _Text(Schema):
    """Text fields may not carry NUL characters (PostgreSQL cannot store them)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        if isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
            raise ValueError("NUL characters are not allowed")
        return value


Code = Field(None, min_length=1, max_length=32, description="Org unit code")
Codes = Field(default_factory=list, max_length=5000, description="Org unit codes")


class LegalActIn(_Text):
    kind: LegalAct.ActKind
    number: str = Field("", max_length=64)
    date: dt.date
    issuer: str = Field(..., min_length=1, max_length=255)
    title_kk: str = Field("", max_length=2000)
    title_ru: str = Field("", max_length=2000)
    title_en: str = Field("", max_length=2000)
    url: str = Field("", max_length=500, description="A link to the published text (http or https)")


class LegalActPatch(_Text):
    kind: LegalAct.ActKind | None = None
    number: str | None = Field(None, max_length=64)
    date: dt.date | None = None
    issuer: str | None = Field(None, min_length=1, max_length=255)
    title_kk: str | None = Field(None, max_length=2000)
    title_ru: str | None = Field(None, max_length=2000)
    title_en: str | None = Field(None, max_length=2000)
    url: str | None = Field(None, max_length=500)


class LegalActOut(Schema):
    id: int
    kind: str
    number: str
    date: dt.date
    issuer: str
    title: str
    title_kk: str
    title_ru: str
    title_en: str
    url: str
    citations: int


class UnitIn(_Text):
    code: str = Field(..., min_length=1, max_length=32)
    kind: Kind
    org_type: OrgType | None = None
    subtype: str = Field("", max_length=24)
    name_kk: str = Field(..., min_length=1, max_length=255)
    name_ru: str = Field("", max_length=255)
    name_en: str = Field("", max_length=255)
    parent: str | None = Code
    governing_body: str | None = Code
    area: Area | None = None
    ownership: Ownership | None = None


class PartIn(_Text):
    target: str | None = Field(None, min_length=1, max_length=32, description="An existing unit that receives children")
    new_unit: UnitIn | None = Field(None, description="Or a new unit opened by the split")
    children: list[str] = Codes


class EventIn(_Text):
    """One restructuring. Which fields a kind needs: open → new_unit; close → unit; move → unit, parent;
    transfer → units, body; rename → unit, name_kk (name_ru, name_en); split → source, parts
    (close_source); merge → sources and target or new_unit. Reversal: POST /events/{id}/reversal."""

    kind: Literal["open", "close", "move", "transfer", "rename", "split", "merge"]
    effective_date: dt.date
    legal_act: int = Field(..., ge=1, le=MAX_ID, description="Id of a registered legal act")
    description: str = Field("", max_length=2000)
    unit: str | None = Code
    units: list[str] = Codes
    parent: str | None = Code
    body: str | None = Code
    name_kk: str = Field("", max_length=255)
    name_ru: str = Field("", max_length=255)
    name_en: str = Field("", max_length=255)
    new_unit: UnitIn | None = None
    source: str | None = Code
    parts: list[PartIn] = Field(default_factory=list, max_length=100)
    close_source: bool = False
    sources: list[str] = Codes
    target: str | None = Code


class ReversalIn(_Text):
    effective_date: dt.date
    legal_act: int = Field(..., ge=1, le=MAX_ID)


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    effective_date: dt.date
    description: str
    legal_act: dict
    subjects: list[str]
    details: dict
    reverses: int | None
    reversed_by: list[int]
    recorded_by: str
    recorded_at: str


class PreviewOut(Schema):
    kind: str
    effective_date: str | None
    legal_act: str
    events: list[dict]
    changes: list[dict]
    changes_total: int
    today: str
    modes: dict
    note: str


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    details: dict | list | None = None


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _actor(request) -> str:
    return getattr(request.auth, "username", "") or ""


def _act_out(act: LegalAct) -> dict:
    return {"id": act.pk, "kind": act.kind, "number": act.number, "date": act.date, "issuer": act.issuer,
            "title": act.title, "title_kk": act.title_kk, "title_ru": act.title_ru, "title_en": act.title_en,
            "url": act.url, "citations": events.act_citations(act)}


def _act(act_id: int) -> LegalAct:
    act = LegalAct.objects.filter(pk=act_id).first() if 1 <= act_id <= MAX_ID else None
    if act is None:
        raise HttpError(404, _("No legal act with id %(id)s") % {"id": act_id})
    return act


def _event(event_id: int) -> Restructuring:
    ev = Restructuring.objects.filter(pk=event_id).first() if 1 <= event_id <= MAX_ID else None
    if ev is None:
        raise HttpError(404, _("No restructuring event with id %(id)s") % {"id": event_id})
    return ev


def require_plan_units(user, plan: events.EventPlan) -> None:
    """Every unit the event names must be in the caller's scope, for writing the registry."""
    for unit in plan.named_units():
        if not can_write_unit(user, unit, "registry"):
            raise PermissionDenied(_("%(code)s is outside your scope") % {"code": unit.code})


@writes.get("/acts", response=list[LegalActOut], summary="Legal acts, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_acts(request, q: str | None = Query(None, max_length=100)):
    qs = LegalAct.objects.order_by("-date", "-id")
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(issuer__icontains=q) | Q(title_kk__icontains=q)
                       | Q(title_ru__icontains=q) | Q(title_en__icontains=q))
    return [_act_out(a) for a in qs[:5000]]


@writes.post("/acts", response={201: LegalActOut, **ERRORS}, summary="Register a legal act")
def create_act(request, payload: LegalActIn):
    act = events.create_act(_actor(request), **payload.dict())
    return Status(201, _act_out(act))


@writes.get("/acts/{act_id}", response={200: LegalActOut, **ERRORS}, summary="One legal act")
def get_act(request, act_id: int):
    return _act_out(_act(act_id))


@writes.patch("/acts/{act_id}", response={200: LegalActOut, **ERRORS}, summary="Correct a legal act's details")
def update_act(request, act_id: int, payload: LegalActPatch):
    act = events.update_act(_act(act_id), _actor(request), **payload.dict(exclude_unset=True, exclude_none=True))
    return _act_out(act)


@writes.delete("/acts/{act_id}", response={204: None, **ERRORS},
               summary="Delete a legal act entered by mistake (refused once anything cites it)")
def delete_act(request, act_id: int):
    events.delete_act(_act(act_id), _actor(request))
    return Status(204, None)


def _plan(request, payload: EventIn) -> events.EventPlan:
    data = payload.dict()
    data["parts"] = [p for p in data.get("parts") or []]
    plan = events.plan_from_data(data)
    require_plan_units(request.auth, plan)
    return plan


def _visible_events(user):
    return selectors.events_visible_to(user)


@writes.get("/events", response=list[EventOut], summary="Restructuring events, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_events(request, unit: str | None = Query(None, max_length=32), kind: Restructuring.EventKind | None = None):
    qs = _visible_events(request.auth).order_by("-effective_date", "-id")
    if unit:
        qs = qs.filter(subjects__code=unit)
    if kind:
        qs = qs.filter(kind=kind)
    return [events.event_dict(e) for e in qs[:5000]]


@writes.post("/events/preview", response={200: PreviewOut, **ERRORS},
             summary="What an event would change, without recording it",
             description="Units whose parent, governing body or name change, and per mode (historical, "
                         "current) the aggregates that gain or lose values, the values per data element and "
                         "period, and the indicators that read them. Nothing is written.")
def preview_event(request, payload: EventIn):
    return events.preview(_plan(request, payload))


@writes.get("/events/{event_id}", response={200: EventOut, **ERRORS}, summary="One restructuring event")
def get_event(request, event_id: int):
    ev = _event(event_id)
    if not _visible_events(request.auth).filter(pk=ev.pk).exists():
        raise PermissionDenied(_("This event concerns no unit of your scope"))
    return events.event_dict(ev)


@writes.post("/events", response={201: EventOut, **ERRORS}, summary="Record a restructuring event",
             description="One transaction, audited; the analytics warehouse is refreshed after the commit.")
def create_event(request, payload: EventIn):
    ev = events.apply(_plan(request, payload), _actor(request))
    return Status(201, events.event_dict(ev))


def _reversal(request, event_id: int, payload: ReversalIn) -> events.EventPlan:
    plan = events.plan_from_data({"kind": events.REVERSE, "effective_date": payload.effective_date,
                                  "legal_act": payload.legal_act, "reverses": _event(event_id).pk})
    require_plan_units(request.auth, plan)
    return plan


@writes.post("/events/{event_id}/reversal/preview", response={200: PreviewOut, **ERRORS},
             summary="What reversing an event would change, without recording it")
def preview_reversal(request, event_id: int, payload: ReversalIn):
    return events.preview(_reversal(request, event_id, payload))


@writes.post("/events/{event_id}/reversal", response={201: EventOut, **ERRORS},
             summary="Reverse a move, transfer or rename by a later event (history is never edited)")
def reverse_event(request, event_id: int, payload: ReversalIn):
    ev = events.apply(_reversal(request, event_id, payload), _actor(request))
    return Status(201, events.event_dict(ev))

