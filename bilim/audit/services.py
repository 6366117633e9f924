"""Writing and verifying the audit chain. Call `record` inside the transaction of the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditRecord

GENESIS = "0" * 64


def record(actor: str, action: str, object_type: str, object_id: Any, before: Any = None, after: Any = None) -> AuditRecord:
    """Append one record to the chain. Must run in the caller's transaction so it rolls back with it."""
    with transaction.atomic():
        last = AuditRecord.objects.select_for_update().order_by("-id").values_list("hash", flat=True).first()
        rec = AuditRecord(
            at=timezone.now(), actor=actor or "", action=action, object_type=object_type,
            object_id=str(object_id or ""), before=before, after=after, prev_hash=last or GENESIS,
        )
        rec.hash = rec.compute_hash()
        # bypass auto_now_add so the hashed timestamp is the stored one
        AuditRecord.objects.bulk_create([rec])
        return rec


def record_many(rows: list[tuple[str, str, str, Any, Any, Any]]) -> int:
    """Append many records (bulk imports) in one go, chained in order."""
    with transaction.atomic():
        last = AuditRecord.objects.select_for_update().order_by("-id").values_list("hash", flat=True).first() or GENESIS
        now = timezone.now()
        objs = []
        for actor, action, otype, oid, before, after in rows:
            rec = AuditRecord(at=now, actor=actor or "", action=action, object_type=otype,
                              object_id=str(oid or ""), before=before, after=after, prev_hash=last)
            rec.hash = rec.compute_hash()
            last = rec.hash
            objs.append(rec)
        AuditRecord.objects.bulk_create(objs, batch_size=5000)
        return len(objs)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Walk the chain in id order; report the first record whose hash or link does not match."""
    prev = GENESIS
    n = 0
    for rec in AuditRecord.objects.order_by("id").iterator(chunk_size=5000):
        n += 1
        if rec.prev_hash != prev:
            return VerifyResult(False, n, rec.id, "link to previous record broken (a record was removed or reordered)")
        if rec.compute_hash() != rec.hash:
            return VerifyResult(False, n, rec.id, "content does not match its hash (the record was altered)")
        prev = rec.hash
    return VerifyResult(True, n)
