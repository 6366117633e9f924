"""Audit endpoints: the filtered, paginated trail and a chain check (administrators and ministry)."""

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from bilim.api.pagination import BoundedLimitOffsetPagination

from . import selectors
from . import services as audit

PREFIX = "/audit"
router = Router(tags=["audit"])


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: Any = None
    after: Any = None
    hash: str
    prev_hash: str


class AuditFilters(Schema):
    actor: str | None = Field(None, max_length=150)
    action: str | None = Field(None, max_length=64, description="Exact action, or a prefix ending in '.'")
    object_type: str | None = Field(None, max_length=64)
    object_id: str | None = Field(None, max_length=128)
    since: dt.date | None = None
    until: dt.date | None = None
    q: str | None = Field(None, max_length=100)


@router.get("/records", response=list[AuditOut], summary="Audit records, newest first, with filters")
@paginate(BoundedLimitOffsetPagination)
def records(request, filters: Query[AuditFilters]):
    return selectors.audit_list(filters.dict())


@router.get("/verify", summary="Check the chain (hashes, links, signatures, checkpoints, value history); "
                               "reports the first broken record")
def verify(request) -> dict[str, Any]:
    r = audit.verify()
    return {"ok": r.ok, "checked": r.checked, "first_bad_id": r.first_bad_id, "reason": r.reason,
            "checkpoints": r.checkpoints, "values": r.values}
