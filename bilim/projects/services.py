"""Writes for capital projects; each is one transaction with its audit record.

Rules kept here: status moves along `PROJECT_TRANSITIONS` and in date order; a project is completed
only when it has no open milestone; budget lines are one per year with non-negative amounts;
organizations named by a project are organizations inside its territory.

Scope: every write takes an optional `user`. Given one, it needs the `projects` write capability and
the project's territory in the user's scope (`selectors.require_write`); otherwise PermissionDenied
and nothing is written. Without a user (the CLI, the seeders) the write runs with the server's rights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bilim.audit import services as audit
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgUnit

from . import selectors
from .models import (
    PROJECT_TRANSITIONS,
    BudgetLine,
    Milestone,
    Programme,
    Project,
    ProjectStatus,
    Stage,
    StatusChange,
)


class ProjectError(ValidationError):
    """A change that would break a project's rules; the message says which and why."""


def _check_orgs(territory: OrgUnit, orgs: Sequence[OrgUnit], day: dt.date) -> None:
    for o in orgs:
        if o.kind != Kind.ORGANIZATION:
            raise ProjectError(f"{o.code} is a {o.kind}, not an organization")
        if o.pk != territory.pk and territory.pk not in {a.pk for a in registry.ancestors(o, day)}:
            raise ProjectError(f"{o.code} is not inside {territory.code} on {day.isoformat()}")


@transaction.atomic
def create_project(code: str, type: str, title_kk: str, territory: OrgUnit, organizations: Sequence[OrgUnit] = (),
                   on: dt.date | None = None, actor: str = "", user: Any = None, **fields: Any) -> Project:
    """Register a project (status `planned` unless given); `fields` are other Project fields."""
    selectors.require_write(user, code, territory)
    if Project.objects.filter(code=code).exists():
        raise ProjectError(f"Project {code} already exists")
    status = fields.pop("status", ProjectStatus.PLANNED)
    p = Project(code=code, type=type, title_kk=title_kk, territory=territory, status=status, **fields)
    p.full_clean()
    orgs = list(organizations)
    _check_orgs(territory, orgs, on or dt.date.today())
    p.save()
    p.organizations.set(orgs)
    audit.record(actor, "projects.create", "Project", code, None, {
        "type": type, "territory": territory.code, "organizations": [o.code for o in orgs], "status": status,
        "places": p.places})
    return p


@transaction.atomic
def set_budget(project: Project, year: int, planned: Decimal | int | str | None = None,
               spent: Decimal | int | str | None = None, actor: str = "", user: Any = None) -> BudgetLine:
    """Set the planned and/or spent amount of one budget year (creating the line if needed)."""
    selectors.require_write(user, project.code, project.territory)
    line, created = BudgetLine.objects.get_or_create(project=project, year=year)
    before = None if created else {"planned": str(line.planned), "spent": str(line.spent)}
    if planned is not None:
        line.planned = Decimal(str(planned))
    if spent is not None:
        line.spent = Decimal(str(spent))
    line.full_clean()
    line.save()
    audit.record(actor, "projects.budget", "Project", project.code, before,
                 {"year": year, "planned": str(line.planned), "spent": str(line.spent)})
    return line


@transaction.atomic
def add_milestone(project: Project, name_kk: str, planned_date: dt.date, kind: str = Milestone.MilestoneKind.OTHER,
                  order: int | None = None, actual_date: dt.date | None = None, actor: str = "",
                  user: Any = None, **fields: Any) -> Milestone:
    selectors.require_write(user, project.code, project.territory)
    if order is None:
        order = Milestone.objects.filter(project=project).count() + 1
    m = Milestone(project=project, name_kk=name_kk, planned_date=planned_date, kind=kind, order=order,
                  actual_date=actual_date, **fields)
    m.full_clean()
    m.save()
    audit.record(actor, "projects.milestone", "Project", project.code, None, {
        "order": order, "kind": kind, "planned": planned_date.isoformat(),
        "actual": actual_date.isoformat() if actual_date else None})
    return m


@transaction.atomic
def complete_milestone(milestone: Milestone, actual_date: dt.date, actor: str = "", user: Any = None) -> Milestone:
    selectors.require_write(user, milestone.project.code, milestone.project.territory)
    if milestone.actual_date is not None:
        raise ProjectError(f"Milestone '{milestone.name}' was already reached on {milestone.actual_date}")
    milestone.actual_date = actual_date
    milestone.save(update_fields=["actual_date"])
    audit.record(actor, "projects.milestone_done", "Project", milestone.project.code, {"order": milestone.order},
                 {"order": milestone.order, "actual": actual_date.isoformat()})
    return milestone


@transaction.atomic
def change_status(project: Project, to: str, date: dt.date, note: str = "", actor: str = "",
                  user: Any = None) -> StatusChange:
    project = Project.objects.select_for_update().get(pk=project.pk)
    selectors.require_write(user, project.code, project.territory)
    frm = project.status
    if to not in PROJECT_TRANSITIONS.get(frm, set()):
        allowed = ", ".join(sorted(PROJECT_TRANSITIONS.get(frm, set()))) or "none (final)"
        raise ProjectError(f"{project.code}: cannot go from '{frm}' to '{to}'; allowed: {allowed}")
    last = StatusChange.objects.filter(project=project).order_by("-date", "-id").first()
    if last is not None and date < last.date:
        raise ProjectError(f"{project.code}: the last status change is dated {last.date}; record changes in order")
    if to == ProjectStatus.COMPLETED:
        open_ms = Milestone.objects.filter(project=project, actual_date__isnull=True).first()
        if open_ms is not None:
            raise ProjectError(f"{project.code}: milestone '{open_ms.name}' is not reached yet")
    if to in (ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED) and not note.strip():
        raise ProjectError(f"{project.code}: give the reason for '{to}'")
    project.status = to
    project.completed_on = date if to == ProjectStatus.COMPLETED else None
    project.save(update_fields=["status", "completed_on"])
    ch = StatusChange.objects.create(project=project, from_status=frm, to_status=to, date=date, note=note,
                                     recorded_by=actor)
    audit.record(actor, "projects.status", "Project", project.code, {"status": frm},
                 {"status": to, "date": date.isoformat(), "note": note})
    return ch


# --- programmes, project edits, stages (the write pages and the API) --------------------------------

def _err(field: str, message: str) -> ProjectError:
    """An error naming the field it is about (pages put it next to the field; the API names it)."""
    return ProjectError({field: [message]})


def _programme_write(user: Any, programme: Programme) -> None:
    selectors.require_write(user, programme.code, programme.owner)


PROJECT_FIELDS = ("type", "title_kk", "title_ru", "title_en", "description_kk", "description_ru", "description_en",
                  "territory", "programme_ref", "places", "lat", "lon", "instruction")
PROGRAMME_FIELDS = ("title_kk", "title_ru", "title_en", "owner", "start_year", "end_year")
STAGE_FIELDS = ("kind", "planned_start", "planned_end", "actual_start", "actual_end", "note")


def _plain(value: Any) -> Any:
    if isinstance(value, OrgUnit | Programme):
        return value.code
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "code"):
        return value.code
    return value


def _snapshot(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f)) for f in fields}


@transaction.atomic
def create_programme(code: str, title_kk: str, owner: OrgUnit, start_year: int, end_year: int, actor: str = "",
                     user: Any = None, **fields: Any) -> Programme:
    """Register a capital programme; the owner must be in the user's scope."""
    selectors.require_write(user, code, owner)
    if not code.strip():
        raise _err("code", _("Give the programme a code."))
    if Programme.objects.filter(code=code).exists():
        raise _err("code", _("Programme %(code)s already exists.") % {"code": code})
    p = Programme(code=code, title_kk=title_kk, owner=owner, start_year=start_year, end_year=end_year, **fields)
    p.full_clean()
    p.save()
    audit.record(actor, "projects.programme_create", "Programme", code, None, _snapshot(p, PROGRAMME_FIELDS))
    return p


@transaction.atomic
def update_programme(programme: Programme, actor: str = "", user: Any = None, **changes: Any) -> Programme:
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    _programme_write(user, programme)
    unknown = set(changes) - set(PROGRAMME_FIELDS)
    if unknown:
        raise _err(sorted(unknown)[0], _("This field cannot be changed."))
    if "owner" in changes:
        selectors.require_write(user, programme.code, changes["owner"])
    before = _snapshot(programme, PROGRAMME_FIELDS)
    for k, v in changes.items():
        setattr(programme, k, v)
    programme.full_clean()
    programme.save()
    audit.record(actor, "projects.programme_update", "Programme", programme.code, before,
                 _snapshot(programme, PROGRAMME_FIELDS))
    return programme


@transaction.atomic
def delete_programme(programme: Programme, actor: str = "", user: Any = None) -> None:
    """Delete a programme that carries no project (move or delete its projects first)."""
    _programme_write(user, programme)
    if programme.projects.exists():
        raise _err("programme", _("Programme %(code)s still has projects; move or delete them first.")
                   % {"code": programme.code})
    before = _snapshot(programme, PROGRAMME_FIELDS)
    code = programme.code
    programme.delete()
    audit.record(actor, "projects.programme_delete", "Programme", code, before, None)


@transaction.atomic
def update_project(project: Project, organizations: Sequence[OrgUnit] | None = None, actor: str = "",
                   user: Any = None, **changes: Any) -> Project:
    """Change a project's description, territory, programme, places or location (status has its own
    workflow, `change_status`). A new territory must be in the user's scope too."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    selectors.require_write(user, project.code, project.territory)
    unknown = set(changes) - set(PROJECT_FIELDS)
    if unknown:
        raise _err(sorted(unknown)[0], _("This field cannot be changed."))
    if "territory" in changes:
        selectors.require_write(user, project.code, changes["territory"])
    before = _snapshot(project, PROJECT_FIELDS) | {"organizations": sorted(o.code for o in project.organizations.all())}
    for k, v in changes.items():
        setattr(project, k, v)
    project.full_clean()
    orgs = list(project.organizations.all()) if organizations is None else list(organizations)
    _check_orgs(project.territory, orgs, dt.date.today())
    project.save()
    project.organizations.set(orgs)
    after = _snapshot(project, PROJECT_FIELDS) | {"organizations": sorted(o.code for o in orgs)}
    audit.record(actor, "projects.update", "Project", project.code, before, after)
    return project


@transaction.atomic
def delete_project(project: Project, actor: str = "", user: Any = None) -> None:
    """Delete a project registered by mistake: only while it is planned and nothing was spent on it;
    a project under way is cancelled (`change_status`) so that its history stays."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    selectors.require_write(user, project.code, project.territory)
    if project.status != ProjectStatus.PLANNED or project.budget_lines.filter(spent__gt=0).exists():
        raise _err("status", _("Project %(code)s is under way or has spending; cancel it instead of deleting it.")
                   % {"code": project.code})
    code, before = project.code, _snapshot(project, PROJECT_FIELDS)
    project.delete()
    audit.record(actor, "projects.delete", "Project", code, before, None)


@transaction.atomic
def delete_budget_line(project: Project, year: int, actor: str = "", user: Any = None) -> None:
    selectors.require_write(user, project.code, project.territory)
    line = BudgetLine.objects.filter(project=project, year=year).first()
    if line is None:
        raise _err("year", _("Project %(code)s has no budget line for %(year)s.") % {"code": project.code, "year": year})
    before = {"year": year, "planned": str(line.planned), "spent": str(line.spent)}
    line.delete()
    audit.record(actor, "projects.budget_delete", "Project", project.code, before, None)


@transaction.atomic
def add_stage(project: Project, kind: str, planned_start: dt.date, planned_end: dt.date,
              actual_start: dt.date | None = None, actual_end: dt.date | None = None, note: str = "",
              actor: str = "", user: Any = None) -> Stage:
    """Add a stage (one per kind) with its planned and, if known, actual dates."""
    selectors.require_write(user, project.code, project.territory)
    if Stage.objects.filter(project=project, kind=kind).exists():
        raise _err("kind", _("Project %(code)s already has a %(stage)s stage.")
                   % {"code": project.code, "stage": Stage.StageKind(kind).label if kind in Stage.StageKind.values
                      else kind})
    stage = Stage(project=project, kind=kind, planned_start=planned_start, planned_end=planned_end,
                  actual_start=actual_start, actual_end=actual_end, note=note)
    stage.full_clean()
    stage.save()
    audit.record(actor, "projects.stage_add", "Project", project.code, None, _snapshot(stage, STAGE_FIELDS))
    return stage


@transaction.atomic
def update_stage(stage: Stage, actor: str = "", user: Any = None, **changes: Any) -> Stage:
    """Change a stage's dates (e.g. an akimat records the actual start of construction)."""
    stage = Stage.objects.select_for_update().select_related("project__territory").get(pk=stage.pk)
    selectors.require_write(user, stage.project.code, stage.project.territory)
    unknown = set(changes) - set(STAGE_FIELDS) - {"kind"}
    if unknown or "kind" in changes:
        raise _err(sorted(unknown | ({"kind"} & set(changes)))[0], _("This field cannot be changed."))
    before = _snapshot(stage, STAGE_FIELDS)
    for k, v in changes.items():
        setattr(stage, k, v)
    stage.full_clean()
    stage.save()
    audit.record(actor, "projects.stage_update", "Project", stage.project.code, before, _snapshot(stage, STAGE_FIELDS))
    return stage


@transaction.atomic
def delete_stage(stage: Stage, actor: str = "", user: Any = None) -> None:
    project = stage.project
    selectors.require_write(user, project.code, project.territory)
    before = _snapshot(stage, STAGE_FIELDS)
    stage.delete()
    audit.record(actor, "projects.stage_delete", "Project", project.code, before, None)
