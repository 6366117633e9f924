"""Writing and verifying the audit chain. Call `record` inside the transaction of the change.

Every append locks the head checkpoint (one row), so concurrent writers queue and the chain never
forks; it then signs the new record (`keys.mac`), moves the head and, every
BILIM_AUDIT_CHECKPOINT_EVERY records, leaves a periodic checkpoint. `verify` checks the links, the
hashes, the MACs, the head (the last record must be where the head says: a truncated chain fails),
the periodic checkpoints, and the value history batch by batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import keys
from .models import AuditCheckpoint, AuditRecord

GENESIS = "0" * 64
HEAD_RECREATED = "audit.head_recreated"


# --- value history digests -----------------------------------------------------------------------

def _value_row_text(row: tuple) -> str:
    pk, de, pe, ou, dis, action, old, new, by, at, batch = row
    if isinstance(at, str):  # raw SQLite text; normalise like the ORM would read it
        from django.utils.dateparse import parse_datetime

        at = parse_datetime(at)
    at_text = at.isoformat() if hasattr(at, "isoformat") else str(at)
    return "|".join([str(pk), de, pe, ou, dis, action, repr(None if old is None else float(old)),
                     repr(None if new is None else float(new)), by, at_text, batch])


_VALUE_COLS = "id, data_element_code, period, org_unit_code, disaggregation, action, old_value, new_value, by, at, batch"


def _value_rows(where: str = "", params: Iterable[Any] = ()) -> Iterable[tuple]:
    from bilim.collection.models import DataValueAudit

    qs = DataValueAudit.objects.order_by("id").values_list(*[c.strip() for c in _VALUE_COLS.split(",")])
    if where == "batch":
        qs = qs.filter(batch=next(iter(params)))
    elif where == "after":
        qs = qs.filter(id__gt=next(iter(params)))
    return qs.iterator(chunk_size=20000)


class _Digest:
    def __init__(self) -> None:
        self.h = hashlib.sha256()
        self.n = 0

    def add(self, row: tuple) -> None:
        self.h.update(_value_row_text(row).encode())
        self.h.update(b"\n")
        self.n += 1

    def text(self) -> str:
        return f"{self.n}:{self.h.hexdigest()}"


def values_digest(batch: str) -> str:
    """'<rows>:<sha256>' of the value-history rows of `batch`, in id order."""
    d = _Digest()
    for row in _value_rows("batch", [batch]):
        d.add(row)
    return d.text()


# --- appending -----------------------------------------------------------------------------------

def _head_mac(head: AuditCheckpoint) -> str:
    return keys.mac(head.payload())


def _lock_head() -> AuditCheckpoint:
    """The head checkpoint, locked for this transaction; recreated (and the gap recorded) if missing."""
    head = AuditCheckpoint.objects.select_for_update().filter(kind=AuditCheckpoint.Kind.HEAD).first()
    if head is not None:
        return head
    last = AuditRecord.objects.order_by("-id").values_list("id", "hash").first()
    head = AuditCheckpoint(kind=AuditCheckpoint.Kind.HEAD)
    if last is not None:
        # records exist but their head is gone: someone deleted it. Start a new head at the end as it
        # stands, and leave a record of the gap that `verify` reports from now on.
        head.position, head.last_hash = last
        head.count = AuditRecord.objects.count()
    head.mac = _head_mac(head)
    head.save()
    if last is not None:
        _append([("system", HEAD_RECREATED, "AuditCheckpoint", head.pk, None,
                  {"position": head.position, "count": head.count}, "")], head)
    return head


def _append(rows: list[tuple[str, str, str, Any, Any, Any, str]], head: AuditCheckpoint,
            at: dt.datetime | None = None) -> list[AuditRecord]:
    now = at or timezone.now()
    prev = head.last_hash or GENESIS
    objs = []
    for actor, action, otype, oid, before, after, batch in rows:
        rec = AuditRecord(at=now, actor=actor or "", action=action, object_type=otype,
                          object_id=str(oid if oid is not None else ""), before=before, after=after,
                          prev_hash=prev, values_batch=batch or "",
                          values_digest=values_digest(batch) if batch else "")
        rec.hash = rec.compute_hash()
        rec.mac = keys.mac(rec.hash)
        prev = rec.hash
        objs.append(rec)
    # bulk_create: bypasses the append-only save() and keeps the hashed timestamp
    AuditRecord.objects.bulk_create(objs, batch_size=5000)
    if objs and objs[-1].pk is None:  # backends that return no ids (none of ours, but be exact)
        ids = list(AuditRecord.objects.order_by("-id").values_list("id", flat=True)[: len(objs)])[::-1]
        for rec, pk in zip(objs, ids, strict=True):
            rec.pk = rec.id = pk
    every = max(1, int(getattr(settings, "BILIM_AUDIT_CHECKPOINT_EVERY", 1000)))
    before_count = head.count
    head.position, head.last_hash, head.count = objs[-1].pk, objs[-1].hash, head.count + len(objs)
    head.at = timezone.now()
    head.mac = _head_mac(head)
    head.save(update_fields=["position", "last_hash", "count", "at", "mac"])
    if head.count // every > before_count // every:
        _checkpoint(head)
    return objs


def _checkpoint(head: AuditCheckpoint) -> AuditCheckpoint:
    prev = AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.PERIODIC).order_by("-id") \
        .values_list("mac", flat=True).first() or ""
    cp = AuditCheckpoint(kind=AuditCheckpoint.Kind.PERIODIC, at=timezone.now(), position=head.position,
                         last_hash=head.last_hash, count=head.count, values_floor=head.values_floor,
                         prev_mac=prev)
    cp.mac = keys.mac(cp.payload())
    cp.save()
    return cp


def record(actor: str, action: str, object_type: str, object_id: Any, before: Any = None, after: Any = None,
           *, values_batch: str = "", at: dt.datetime | None = None) -> AuditRecord:
    """Append one record to the chain. Must run in the caller's transaction so it rolls back with it.

    `values_batch`: the DataValueAudit batch this change wrote (its digest is chained with the record).
    `at`: when the change happened, if not now (records carried over from another system, tests); the
    record is still appended at the end of the chain.
    """
    with transaction.atomic():
        head = _lock_head()
        return _append([(actor, action, object_type, object_id, before, after, values_batch)], head, at)[0]


def record_many(rows: list[tuple[str, str, str, Any, Any, Any]]) -> int:
    """Append many records (bulk imports) in one go, chained in order."""
    if not rows:
        return 0
    with transaction.atomic():
        head = _lock_head()
        return len(_append([(*r, "") for r in rows], head))


def checkpoint() -> AuditCheckpoint:
    """Leave a periodic checkpoint at the head now (`bilim audit checkpoint`, e.g. from cron)."""
    with transaction.atomic():
        return _checkpoint(_lock_head())


# --- verifying -----------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    checkpoints: int = 0
    values: int = 0


def verify() -> VerifyResult:
    """Check the whole chain; the first problem found is reported (ok False, the record and why)."""
    prev = GENESIS
    n = 0
    ordinal: dict[int, tuple[int, str]] = {}  # record id -> (records up to it, hash), at checkpoints only
    batches: dict[str, tuple[int, str]] = {}
    wanted = set(AuditCheckpoint.objects.values_list("position", flat=True))
    gaps: list[int] = []
    last_id: int | None = None
    for rec in AuditRecord.objects.order_by("id").iterator(chunk_size=5000):
        n += 1
        if rec.prev_hash != prev:
            return VerifyResult(False, n, rec.id, "link to previous record broken (a record was removed or reordered)")
        if rec.compute_hash() != rec.hash:
            return VerifyResult(False, n, rec.id, "content does not match its hash (the record was altered)")
        if not keys.matches(rec.hash, rec.mac):
            return VerifyResult(False, n, rec.id, "signature (MAC) does not match: the record was rewritten or "
                                                  "re-hashed without the audit key, or the key is not this "
                                                  "installation's")
        if rec.values_batch:
            batches[rec.values_batch] = (rec.id, rec.values_digest)
        if rec.action == HEAD_RECREATED:
            gaps.append(rec.id)
        if rec.id in wanted:
            ordinal[rec.id] = (n, rec.hash)
        prev = rec.hash
        last_id = rec.id
    if gaps:
        return VerifyResult(False, n, gaps[0], "the head checkpoint had been deleted before this record; "
                                               "records at the end of the chain may have been removed then")

    head = AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.HEAD).first()
    if head is None:
        if n:
            return VerifyResult(False, n, last_id, "the head checkpoint is missing (deleted?)")
    else:
        if not keys.matches(head.payload(), head.mac):
            return VerifyResult(False, n, head.position or None, "the head checkpoint's signature does not match "
                                                                 "(it was forged or altered)")
        if head.count != n or (head.position or None) != last_id or (n and head.last_hash != prev):
            return VerifyResult(False, n, head.position or last_id,
                                f"the chain ends at record #{last_id} ({n} records) but its signed head says "
                                f"#{head.position} ({head.count} records): records were removed at the end "
                                "or the chain was rebuilt")

    periodic = list(AuditCheckpoint.objects.filter(kind=AuditCheckpoint.Kind.PERIODIC).order_by("id"))
    prev_mac = ""
    prev_count = 0
    for cp in periodic:
        if not keys.matches(cp.payload(), cp.mac) or cp.prev_mac != prev_mac:
            return VerifyResult(False, n, cp.position, f"checkpoint at record #{cp.position} is not signed in "
                                                       "sequence (forged, altered or one was removed)",
                                len(periodic))
        if cp.count < prev_count or ordinal.get(cp.position) != (cp.count, cp.last_hash):
            return VerifyResult(False, n, cp.position, f"the chain no longer matches its checkpoint at record "
                                                       f"#{cp.position} ({cp.count} records)", len(periodic))
        prev_mac, prev_count = cp.mac, cp.count

    floor = max([head.values_floor if head else 0] + [cp.values_floor for cp in periodic])
    values = 0
    digests: dict[str, _Digest] = {}
    for row in _value_rows("after", [floor]):
        values += 1
        batch = row[10]
        if batch not in batches:
            return VerifyResult(False, n, None, f"value history row #{row[0]} ({row[1]}/{row[2]}/{row[3]}) belongs "
                                                "to no audit record: it was added outside Bilim",
                                len(periodic), values)
        digests.setdefault(batch, _Digest()).add(row)
    for batch, (rec_id, expected) in batches.items():
        got = digests[batch].text() if batch in digests else _Digest().text()
        if got != expected:
            return VerifyResult(False, n, rec_id, f"the value history of batch {batch} does not match its digest "
                                                  "(rows were altered, added or removed)", len(periodic), values)
    return VerifyResult(True, n, checkpoints=len(periodic), values=values)
