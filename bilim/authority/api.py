"""REST endpoints of the competence register (mounted at /api/v1/authority/): reads over the selectors,
writes over `authority.services` (one transaction each, audited). Every body named in a write
(grantor, grantee, scope) must be in the caller's scope; bad input is a 4xx naming its field."""


import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from bilim.accounts.permissions import can_write_unit, scoped_unit_ids
from bilim.api.pagination import BoundedLimitOffsetPagination
from bilim.registry.api import MAX_ID, ErrorOut, _Text
from bilim.registry.events import resolve_act, resolve_unit, resolve_units
from bilim.registry.models import OrgUnit

from . import selectors, services
from .models import Competence, Delegation, Level

router = Router(tags=["authority"])


def parse_date(text: str | None, name: str = "date") -> dt.date:
    """A query date (default today); a 400 that names the parameter if it is not YYYY-MM-DD."""
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise HttpError(400, f"{name}: '{text}' is not a date (expected YYYY-MM-DD)") from e


def get_unit_or_404(code: str) -> OrgUnit:
    try:
        return OrgUnit.objects.get(code=code)
    except OrgUnit.DoesNotExist as e:
        raise HttpError(404, f"No org unit with code '{code}'") from e


def _competence_or_404(code: str) -> Competence:
    try:
        return selectors.get_competence(code)
    except Competence.DoesNotExist as e:
        raise HttpError(404, f"No competence with code '{code}'") from e


@router.get("/competences", summary="Competences with the level that holds each on a date")
def competences(request, date: str | None = None) -> list[dict[str, Any]]:
    return selectors.competence_list(parse_date(date))


@router.get("/holder", summary="Who holds competence X over org unit Y on date D, and by which act")
def holder(request, competence: str, org_unit: str, date: str | None = None) -> dict[str, Any]:
    comp = _competence_or_404(competence)
    unit = get_unit_or_404(org_unit)
    return selectors.holder_on(comp, unit, parse_date(date)).as_dict()


@router.get("/bodies/{code}/powers", summary="What a body may do on a date (own and delegated powers)")
def powers(request, code: str, date: str | None = None) -> dict[str, Any]:
    body = get_unit_or_404(code)
    day = parse_date(date)
    return {"body": selectors.unit_ref(body), "date": day.isoformat(), "powers": selectors.powers_of(body, day)}


@router.get("/competences/{code}/history", summary="Assignments, delegations and revocations of a competence")
def history(request, code: str) -> dict[str, Any]:
    comp = _competence_or_404(code)
    return {"competence": {"code": comp.code, "name": comp.name, "description": comp.description},
            "events": selectors.competence_history(comp)}


# --- writes ------------------------------------------------------------------------------------------

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
Subtype = Literal["MINISTRY", "AKIMAT", "REGION_DEPT", "DISTRICT_OFFICE"]
ActId = Field(..., ge=1, le=MAX_ID, description="Id of a registered legal act (POST /api/v1/registry/acts)")


class CompetenceIn(_Text):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name_kk: str = Field(..., min_length=1, max_length=255)
    name_ru: str = Field("", max_length=255)
    name_en: str = Field("", max_length=255)
    description_kk: str = Field("", max_length=5000)
    description_ru: str = Field("", max_length=5000)
    description_en: str = Field("", max_length=5000)
    sort_order: int = Field(0, ge=0, le=32767)
    level: Level = Field(..., description="The level that holds it by default")
    body_subtype: Subtype = Field(..., description="The kind of body at that level")
    valid_from: dt.date
    legal_act: int = ActId


class CompetencePatch(_Text):
    name_kk: str | None = Field(None, min_length=1, max_length=255)
    name_ru: str | None = Field(None, max_length=255)
    name_en: str | None = Field(None, max_length=255)
    description_kk: str | None = Field(None, max_length=5000)
    description_ru: str | None = Field(None, max_length=5000)
    description_en: str | None = Field(None, max_length=5000)
    sort_order: int | None = Field(None, ge=0, le=32767)


class AssignmentIn(_Text):
    level: Level
    body_subtype: Subtype
    valid_from: dt.date
    legal_act: int = ActId


class DelegationIn(_Text):
    competence: str = Field(..., min_length=1, max_length=40)
    grantor: str = Field(..., min_length=1, max_length=32, description="The body that holds the power")
    grantee: str = Field(..., min_length=1, max_length=32, description="The body that receives it")
    scope_unit: str | None = Field(None, min_length=1, max_length=32,
                                   description="A territory (republic, region, district); or `organizations`")
    organizations: list[str] = Field(default_factory=list, max_length=5000)
    valid_from: dt.date
    valid_to: dt.date | None = Field(None, description="The end the act itself fixes (exclusive)")
    legal_act: int = ActId
    note_kk: str = Field("", max_length=5000)
    note_ru: str = Field("", max_length=5000)
    note_en: str = Field("", max_length=5000)


class DelegationPatch(_Text):
    note_kk: str | None = Field(None, max_length=5000)
    note_ru: str | None = Field(None, max_length=5000)
    note_en: str | None = Field(None, max_length=5000)


class RevocationIn(_Text):
    effective_date: dt.date = Field(..., description="The first day the delegation no longer applies")
    legal_act: int = ActId
    reason_kk: str = Field("", max_length=5000)
    reason_ru: str = Field("", max_length=5000)
    reason_en: str = Field("", max_length=5000)


def _actor(request) -> str:
    return getattr(request.auth, "username", "") or ""


def _require_units(user, units) -> None:
    for unit in units:
        if unit is not None and not can_write_unit(user, unit, "authority"):
            raise PermissionDenied(_("%(code)s is outside your scope") % {"code": unit.code})


def _competence_dict(comp: Competence) -> dict[str, Any]:
    day = dt.date.today()
    a = selectors.assignment_on(comp, day)
    return {"code": comp.code, "name": comp.name, "name_kk": comp.name_kk, "name_ru": comp.name_ru,
            "name_en": comp.name_en, "description": comp.description, "sort_order": comp.sort_order,
            "level": a.level if a else None, "body_subtype": a.body_subtype if a else None,
            "act": selectors.act_ref(a.legal_act if a else None)}


def _delegation(delegation_id: int) -> Delegation:
    d = (Delegation.objects.select_related("competence", "grantor", "grantee", "scope_unit", "legal_act")
         .filter(pk=delegation_id).first()) if 1 <= delegation_id <= MAX_ID else None
    if d is None:
        raise HttpError(404, _("No delegation with id %(id)s") % {"id": delegation_id})
    return d


def _readable(user, d: Delegation) -> bool:
    ids = scoped_unit_ids(user)
    if ids is None:
        return True
    return any(pk in ids for pk in (d.grantor_id, d.grantee_id, d.scope_unit_id)) or \
        d.organizations.filter(pk__in=ids).exists()


@router.post("/competences", response={201: dict, **ERRORS}, summary="Register a competence and its default holder")
def create_competence(request, payload: CompetenceIn):
    data = payload.dict()
    act = resolve_act(data.pop("legal_act"))
    comp = services.create_competence(act=act, actor=_actor(request), **data)
    return Status(201, _competence_dict(comp))


@router.patch("/competences/{code}", response={200: dict, **ERRORS},
              summary="Correct a competence's names, descriptions or order")
def update_competence(request, code: str, payload: CompetencePatch):
    comp = services.update_competence(_competence_or_404(code), _actor(request),
                                      **payload.dict(exclude_unset=True, exclude_none=True))
    return _competence_dict(comp)


@router.delete("/competences/{code}", response={204: None, **ERRORS},
               summary="Delete a competence entered by mistake (refused once it was delegated)")
def delete_competence(request, code: str):
    services.delete_competence(_competence_or_404(code), _actor(request))
    return Status(204, None)


@router.post("/competences/{code}/assignments", response={201: dict, **ERRORS},
             summary="Move a competence's default holder to another level from a date, by an act")
def reassign(request, code: str, payload: AssignmentIn):
    comp = _competence_or_404(code)
    services.reassign_competence(comp, payload.level, payload.body_subtype, payload.valid_from,
                                 resolve_act(payload.legal_act), _actor(request))
    return Status(201, _competence_dict(comp))


@router.get("/delegations", response=list[dict], summary="Delegations, newest first (optionally in force on a date)")
@paginate(BoundedLimitOffsetPagination)
def delegations(request, competence: str | None = Query(None, max_length=40),
                date: dt.date | None = None):
    qs = (selectors.active_delegations(date) if date else Delegation.objects.select_related(
        "competence", "grantor", "grantee", "scope_unit", "legal_act", "revocation__legal_act"))
    if competence:
        qs = qs.filter(competence__code=competence)
    ids = scoped_unit_ids(request.auth)
    rows = [d for d in qs.prefetch_related("organizations").order_by("-valid_from", "-id")[:5000]
            if ids is None or _readable(request.auth, d)]
    return [selectors.delegation_dict(d) for d in rows]


@router.post("/delegations", response={201: dict, **ERRORS},
             summary="Delegate a power from one body to another over a scope, for a period")
def create_delegation(request, payload: DelegationIn):
    comp = _competence_or_404(payload.competence)
    grantor = resolve_unit(payload.grantor, "grantor")
    grantee = resolve_unit(payload.grantee, "grantee")
    scope = resolve_unit(payload.scope_unit, "scope_unit")
    orgs = resolve_units(payload.organizations, "organizations")
    _require_units(request.auth, [grantor, grantee, scope, *orgs])
    d = services.delegate(comp, grantor, grantee, payload.valid_from, resolve_act(payload.legal_act),
                          scope_unit=scope, organizations=orgs, valid_to=payload.valid_to, note_kk=payload.note_kk,
                          note_ru=payload.note_ru, note_en=payload.note_en, actor=_actor(request))
    return Status(201, selectors.delegation_dict(_delegation(d.pk)))


@router.get("/delegations/{delegation_id}", response={200: dict, **ERRORS}, summary="One delegation")
def delegation(request, delegation_id: int):
    d = _delegation(delegation_id)
    if not _readable(request.auth, d):
        raise PermissionDenied(_("This delegation concerns no unit of your scope"))
    return selectors.delegation_dict(d)


@router.patch("/delegations/{delegation_id}", response={200: dict, **ERRORS},
              summary="Correct a delegation's note (what was granted is never edited)")
def update_delegation(request, delegation_id: int, payload: DelegationPatch):
    d = _delegation(delegation_id)
    _require_units(request.auth, [d.grantor])
    services.update_delegation_note(d, _actor(request), **payload.dict(exclude_unset=True, exclude_none=True))
    return selectors.delegation_dict(_delegation(d.pk))


@router.post("/delegations/{delegation_id}/revocation", response={201: dict, **ERRORS},
             summary="Revoke a delegation from a date, by an act; the power returns to the grantor")
def revoke(request, delegation_id: int, payload: RevocationIn):
    d = _delegation(delegation_id)
    _require_units(request.auth, [d.grantor])
    services.revoke(d, payload.effective_date, resolve_act(payload.legal_act), payload.reason_kk, payload.reason_ru,
                    payload.reason_en, _actor(request))
    return Status(201, selectors.delegation_dict(_delegation(d.pk)))
