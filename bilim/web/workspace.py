"""The start page of a school, district or region account: what it has to do now.

A school sees its forms for the periods in collection, with deadline, status and a link to enter,
and the forms returned to it with the reason. A district or region sees the completeness of the
units below it, its own forms waiting for its approval (and why one cannot be approved yet), and the
overdue instructions addressed to it. Ministry, secretariat, administrators and the public start on
the national overview, which is also one click away for everyone else.

Thin: counts come from `bilim.approval.selectors` (the same completeness the completeness page shows,
cut to the user's subtree) and `bilim.governance.selectors.control_summary`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from bilim.accounts.models import Role
from bilim.accounts.permissions import has_capability, role_of

WORKSPACE_ROLES = (Role.ORGANIZATION, Role.DISTRICT, Role.REGION)


def has_workspace(user: Any) -> bool:
    """Whether `user` starts on a workspace rather than the national overview."""
    return role_of(user) in WORKSPACE_ROLES and getattr(user, "scope_id", None) is not None


def _school_rows(user: Any, today: dt.date) -> list[dict[str, Any]]:
    from bilim.approval import selectors as approval
    from bilim.approval.models import Status
    from bilim.metadata.models import DataSet

    unit = user.scope
    rows = []
    for ds in DataSet.objects.order_by("code"):
        if not approval.is_reporter(ds, unit):
            continue
        for period in approval.collection_periods(ds, today):
            state = approval.states(ds, period, [unit.pk]).get(unit.pk)
            status = state.status if state else Status.OPEN
            due = approval.deadline(ds, period)
            rows.append({
                "data_set": ds, "period": period, "deadline": due, "status": status,
                "status_label": Status(status).label,
                "overdue": status == Status.OPEN and due < today,
                "returned": bool(state and status == Status.OPEN and state.reason),
                "reason": state.reason if state else "",
                "url": reverse("approval:entry", args=[ds.code, unit.code, period]),
            })
    return rows


def _area_rows(user: Any, today: dt.date) -> list[dict[str, Any]]:
    from bilim.approval import selectors as approval
    from bilim.approval.models import Status
    from bilim.metadata.models import DataSet

    unit = user.scope
    rows = []
    for ds in DataSet.objects.order_by("code"):
        for period in approval.collection_periods(ds, today)[:1]:
            comp = approval.completeness(ds, period, unit)
            if not comp.total.expected:
                continue
            mine = comp.visible_to(user)
            state = approval.states(ds, period, [unit.pk]).get(unit.pk)
            status = state.status if state else Status.OPEN
            pending = approval.pending_below(ds, period, unit)
            rows.append({
                "data_set": ds, "period": period, "deadline": comp.deadline, "total": comp.total,
                "children": mine.children, "status": status, "status_label": Status(status).label,
                "pending": len(pending), "ready": status == Status.OPEN and not pending,
                "approval_url": reverse("approval:approval", args=[ds.code, unit.code, period]),
                "completeness_url": reverse("approval:completeness", args=[ds.code, period]) + f"?ou={unit.code}",
            })
    return rows


def render_workspace(request: HttpRequest) -> HttpResponse:
    from bilim.governance import selectors as governance

    user = request.user
    today = dt.date.today()
    ctx: dict[str, Any] = {"unit": user.scope, "today": today, "role": role_of(user)}
    if role_of(user) == Role.ORGANIZATION:
        ctx["forms"] = _school_rows(user, today)
    else:
        ctx["areas"] = _area_rows(user, today)
    if has_capability(user, "governance"):
        ctx["overdue"] = governance.control_summary(today, user=user)["overdue"][:20]
    return render(request, "web/workspace.html", ctx)
