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

from bilim.audit import services as audit
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgUnit

from . import selectors
from .models import PROJECT_TRANSITIONS, BudgetLine, Milestone, Project, ProjectStatus, StatusChange


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
