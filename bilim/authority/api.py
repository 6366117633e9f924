"""REST endpoints of the competence register (mounted at /api/v1/authority/); thin over selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Router
from ninja.errors import HttpError

from bilim.registry.models import OrgUnit

from . import selectors
from .models import Competence

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
