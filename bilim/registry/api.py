"""Registry endpoints: org units as of a date, their children, ancestors and history."""


import datetime as dt

from django.db.models import Q
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from bilim.accounts.permissions import filter_units
from bilim.api.pagination import BoundedLimitOffsetPagination

from . import selectors
from .models import Kind, OrgType, OrgUnit

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
