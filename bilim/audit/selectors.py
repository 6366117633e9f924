"""Reads of the audit trail, filtered — shared by the audit page, the API and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from .models import AuditRecord

FILTERS = ("actor", "action", "action_prefix", "object_type", "object_id", "since", "until", "q")


def audit_list(filters: dict[str, Any] | None = None) -> QuerySet[AuditRecord]:
    """Records newest first. Filters (all optional): actor, action (exact, or a prefix ending in '.',
    e.g. 'accounts.'), action_prefix (any prefix, e.g. 'proj'), object_type, object_id, since/until
    (dates or datetimes, inclusive), q (substring of action, object type or id)."""
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    qs = AuditRecord.objects.all()
    if "actor" in f:
        qs = qs.filter(actor=f["actor"])
    if "action" in f:
        action = str(f["action"])
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if "action_prefix" in f:
        qs = qs.filter(action__startswith=str(f["action_prefix"]))
    if "object_type" in f:
        qs = qs.filter(object_type=f["object_type"])
    if "object_id" in f:
        qs = qs.filter(object_id=str(f["object_id"]))
    if "since" in f:
        qs = qs.filter(at__date__gte=_date(f["since"])) if _is_date(f["since"]) else qs.filter(at__gte=f["since"])
    if "until" in f:
        qs = qs.filter(at__date__lte=_date(f["until"])) if _is_date(f["until"]) else qs.filter(at__lte=f["until"])
    if "q" in f:
        from django.db.models import Q

        q = str(f["q"])
        qs = qs.filter(Q(action__icontains=q) | Q(object_type__icontains=q) | Q(object_id__icontains=q))
    return qs.order_by("-id")


def _is_date(v: Any) -> bool:
    return isinstance(v, dt.date) and not isinstance(v, dt.datetime) or (isinstance(v, str) and len(v) == 10)


def _date(v: Any) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(v)
