"""Write operations of the projects API (mounted with the reads at /api/v1/projects/).

Thin over `projects.services` with `user=request.auth` (the pages' rules: the projects write
capability and the territory or owner in scope); one transaction and one audit record each; bad
input is a 400 naming the field (`bilim.api.errors`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from bilim.api.errors import choice_field, field_errors, unit_field, unit_list

from . import selectors, services
from .models import Programme, Project, ProjectStatus, ProjectType, Stage


class ProgrammeIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    title_kk: str = Field(..., min_length=1, max_length=500)
    title_ru: str = Field("", max_length=500)
    title_en: str = Field("", max_length=500)
    owner: str = Field(..., description="Code of the body or territory running the programme")
    start_year: int = Field(..., ge=1991, le=2100)
    end_year: int = Field(..., ge=1991, le=2100)


class ProgrammePatch(Schema):
    title_kk: str | None = Field(None, min_length=1, max_length=500)
    title_ru: str | None = Field(None, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    start_year: int | None = Field(None, ge=1991, le=2100)
    end_year: int | None = Field(None, ge=1991, le=2100)


class ProjectIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    type: str = Field(..., description="modernization, new_construction, demolition, sports_ground, station, ...")
    title_kk: str = Field(..., min_length=1, max_length=500)
    title_ru: str = Field("", max_length=500)
    title_en: str = Field("", max_length=500)
    territory: str = Field(..., description="Code of the region or district of the works")
    organizations: list[str] = []
    programme: str | None = Field(None, description="Code of the programme")
    places: int = Field(0, ge=0, le=1_000_000)


class ProjectPatch(Schema):
    type: str | None = None
    title_kk: str | None = Field(None, min_length=1, max_length=500)
    title_ru: str | None = Field(None, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    description_kk: str | None = None
    description_ru: str | None = None
    description_en: str | None = None
    programme: str | None = None
    places: int | None = Field(None, ge=0, le=1_000_000)
    organizations: list[str] | None = None


class StatusIn(Schema):
    status: str
    date: dt.date
    note: str = ""


class BudgetIn(Schema):
    planned: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    spent: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)


class StageIn(Schema):
    kind: str = Field(..., description="design, demolition, construction or commissioning")
    planned_start: dt.date
    planned_end: dt.date
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    note: str = ""


class StagePatch(Schema):
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    note: str | None = None


def _actor(request) -> str:
    return getattr(request.auth, "username", "") or ""


def _project(request, code: str) -> Project:
    try:
        return selectors.get_project(code, request.auth)
    except Project.DoesNotExist as e:
        raise HttpError(404, _("No project with code %(c)s") % {"c": code}) from e


def _programme(request, code: str) -> Programme:
    try:
        return selectors.get_programme(code, request.auth)
    except Programme.DoesNotExist as e:
        raise HttpError(404, _("No programme with code %(c)s") % {"c": code}) from e


def _programme_field(request, code: str | None) -> Programme | None:
    if not code:
        return None
    prog = Programme.objects.filter(code=code).first()
    if prog is None:
        raise HttpError(400, "programme: " + _("No programme with code %(c)s") % {"c": code})
    return prog


def _out(request, p: Project) -> dict[str, Any]:
    return selectors.project_detail(selectors._projects().get(pk=p.pk), user=request.auth)


def _stage(p: Project, stage_id: int) -> Stage:
    stage = p.stages.filter(pk=stage_id).first()
    if stage is None:
        raise HttpError(404, _("The project has no such stage."))
    return stage


def register(router: Router) -> None:
    @router.get("/programmes", summary="Capital programmes with their projects' money")
    def programmes(request) -> list[dict[str, Any]]:
        return selectors.programme_list(request.auth)

    @router.get("/timeline", summary="Projects' stages, planned and actual, for the timeline (Gantt)")
    def timeline(request, region: str | None = None, programme: str | None = None,
                 schedule: str | None = None) -> dict[str, Any]:
        return selectors.timeline(region=region, programme=programme, schedule=schedule, user=request.auth)

    @router.post("/programmes", response={201: dict[str, Any]}, summary="Register a capital programme")
    def create_programme(request, payload: ProgrammeIn):
        data = payload.dict()
        owner = unit_field("owner", data.pop("owner"))
        with field_errors():
            prog = services.create_programme(data.pop("code"), data.pop("title_kk"), owner, data.pop("start_year"),
                                             data.pop("end_year"), actor=_actor(request), user=request.auth, **data)
        return Answer(201, {"code": prog.code, "title": prog.title})

    @router.patch("/programmes/{code}", response={200: dict[str, Any]}, summary="Change a programme")
    def update_programme(request, code: str, payload: ProgrammePatch):
        prog = _programme(request, code)
        changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
        with field_errors():
            prog = services.update_programme(prog, actor=_actor(request), user=request.auth, **changes)
        return {"code": prog.code, "title": prog.title, "start_year": prog.start_year, "end_year": prog.end_year}

    @router.delete("/programmes/{code}", response={204: None}, summary="Delete a programme without projects")
    def delete_programme(request, code: str):
        prog = _programme(request, code)
        with field_errors():
            services.delete_programme(prog, actor=_actor(request), user=request.auth)
        return Answer(204, None)

    @router.post("/projects", response={201: dict[str, Any]}, summary="Register a capital project")
    def create_project(request, payload: ProjectIn):
        data = payload.dict()
        choice_field("type", data["type"], ProjectType.values)
        territory = unit_field("territory", data.pop("territory"))
        orgs = unit_list("organizations", data.pop("organizations"))
        prog = _programme_field(request, data.pop("programme"))
        with field_errors():
            p = services.create_project(data.pop("code"), data.pop("type"), data.pop("title_kk"), territory, orgs,
                                        actor=_actor(request), user=request.auth, programme_ref=prog, **data)
        return Answer(201, _out(request, p))

    @router.post("/projects/{code}/status", response={201: dict[str, Any]},
                 summary="Move a project along its status workflow")
    def change_status(request, code: str, payload: StatusIn):
        p = _project(request, code)
        choice_field("status", payload.status, ProjectStatus.values)
        with field_errors():
            services.change_status(p, payload.status, payload.date, payload.note, actor=_actor(request),
                                   user=request.auth)
        return Answer(201, _out(request, p))

    @router.put("/projects/{code}/budget/{year}", response={200: dict[str, Any]},
                summary="Set the planned and/or spent money of one budget year (KZT)")
    def set_budget(request, code: str, year: int, payload: BudgetIn):
        p = _project(request, code)
        with field_errors():
            services.set_budget(p, year, payload.planned, payload.spent, actor=_actor(request), user=request.auth)
        return _out(request, p)

    @router.delete("/projects/{code}/budget/{year}", response={204: None}, summary="Remove a budget year")
    def delete_budget(request, code: str, year: int):
        p = _project(request, code)
        with field_errors():
            services.delete_budget_line(p, year, actor=_actor(request), user=request.auth)
        return Answer(204, None)

    @router.post("/projects/{code}/stages", response={201: dict[str, Any]},
                 summary="Add a stage (design, demolition, construction, commissioning)")
    def add_stage(request, code: str, payload: StageIn):
        p = _project(request, code)
        choice_field("kind", payload.kind, Stage.StageKind.values)
        with field_errors():
            services.add_stage(p, payload.kind, payload.planned_start, payload.planned_end, payload.actual_start,
                               payload.actual_end, payload.note, actor=_actor(request), user=request.auth)
        return Answer(201, _out(request, p))

    @router.patch("/projects/{code}/stages/{stage_id}", response={200: dict[str, Any]},
                  summary="Change a stage's dates (e.g. its actual start or end)")
    def update_stage(request, code: str, stage_id: int, payload: StagePatch):
        p = _project(request, code)
        stage = _stage(p, stage_id)
        changes = payload.dict(exclude_unset=True)
        with field_errors():
            services.update_stage(stage, actor=_actor(request), user=request.auth, **changes)
        return _out(request, p)

    @router.delete("/projects/{code}/stages/{stage_id}", response={204: None}, summary="Remove a stage")
    def delete_stage(request, code: str, stage_id: int):
        p = _project(request, code)
        with field_errors():
            services.delete_stage(_stage(p, stage_id), actor=_actor(request), user=request.auth)
        return Answer(204, None)

    @router.patch("/projects/{code}", response={200: dict[str, Any]}, summary="Change a project's description")
    def update_project(request, code: str, payload: ProjectPatch):
        p = _project(request, code)
        changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
        choice_field("type", changes.get("type"), ProjectType.values)
        orgs = unit_list("organizations", changes.pop("organizations")) if "organizations" in changes else None
        if "programme" in changes:
            changes["programme_ref"] = _programme_field(request, changes.pop("programme"))
        with field_errors():
            services.update_project(p, organizations=orgs, actor=_actor(request), user=request.auth, **changes)
        return _out(request, p)

    @router.delete("/projects/{code}", response={204: None}, summary="Delete a project registered by mistake")
    def delete_project(request, code: str):
        p = _project(request, code)
        with field_errors():
            services.delete_project(p, actor=_actor(request), user=request.auth)
        return Answer(204, None)
