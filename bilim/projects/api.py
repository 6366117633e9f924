"""REST endpoints for capital programmes (mounted at /api/v1/projects/).

Every endpoint answers with what the caller (`request.auth`) sees (`selectors` applies the scope); a
project outside the scope is a 403, an unknown code a 404."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.errors import HttpError

from bilim.authority.api import parse_date

from . import api_writes, selectors
from .models import Project, ProjectStatus, ProjectType

router = Router(tags=["projects"])
api_writes.register(router)


def _check_choice(name: str, value: str | None, allowed: list[str]) -> None:
    if value and value not in allowed:
        raise HttpError(400, f"{name}: '{value}' is not one of {', '.join(allowed)}")


@router.get("/projects", summary="Capital projects, filtered by region code, type and status")
def projects(request, region: str | None = None, type: str | None = None, status: str | None = None,
             date: str | None = None) -> list[dict[str, Any]]:
    _check_choice("type", type, ProjectType.values)
    _check_choice("status", status, ProjectStatus.values)
    return selectors.project_list(parse_date(date), region=region, type=type, status=status, user=request.auth)


@router.get("/projects/{code}", summary="A project: budget by year, milestones, status history, location")
def project(request, code: str, date: str | None = None) -> dict[str, Any]:
    try:
        p = selectors.get_project(code, request.auth)
    except Project.DoesNotExist as e:
        raise HttpError(404, f"No project with code '{code}'") from e
    return selectors.project_detail(p, parse_date(date), user=request.auth)


@router.get("/dashboard", summary="Programme dashboard by region and type: budget execution, delays, places")
def dashboard(request, date: str | None = None, region: str | None = None, year: int | None = None) -> dict[str, Any]:
    return selectors.dashboard(parse_date(date), region=region, year=year, user=request.auth)


@router.get("/map", summary="Project locations for the map")
def project_map(request, date: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
    return selectors.project_map(parse_date(date), region=region, user=request.auth)
