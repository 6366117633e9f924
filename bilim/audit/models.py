"""Append-only, hash-chained audit trail of every change, anchored by a key outside the database.

Each record stores the hash of its predecessor, so deleting or editing any past record breaks the
chain and `bilim audit verify` finds where. A hash chain alone is no proof against someone who can
write to the database: they can rewrite a record and re-hash everything after it with this module's
own function, or simply delete the newest records. So every record also carries a MAC of its hash
under the audit key (`bilim.audit.keys`: a file under the data directory or BILIM_AUDIT_KEY, never
in the database), and the chain is anchored by signed checkpoints (`AuditCheckpoint`): a head that
follows the last record (its position, hash and the number of records) and periodic ones that stay.

The per-value history (`collection.DataValueAudit`, millions of rows written set-wise by imports)
is chained through the records: each record that wrote value history names its batch and a digest
of that batch's rows (`values_batch`, `values_digest`), which `verify` recomputes.
"""

from __future__ import annotations

import hashlib
import json

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, blank=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=128, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # HMAC-SHA256 of `hash` under the audit key: a re-hashed chain without the key does not verify
    mac = models.CharField(max_length=64, blank=True)
    # the DataValueAudit batch this record wrote, and "<rows>:<sha256>" of those rows in id order
    values_batch = models.CharField(max_length=64, blank=True, db_index=True)
    values_digest = models.CharField(max_length=96, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit record")

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):  # type: ignore[override]
        if self.pk is not None:
            raise RuntimeError("Audit records are append-only")
        super().save(*args, **kwargs)

    def payload(self) -> str:
        fields = [self.at.isoformat(), self.actor, self.action, self.object_type, self.object_id,
                  self.before, self.after, self.prev_hash]
        if self.values_batch:  # records written before value history was chained keep their hash
            fields += [self.values_batch, self.values_digest]
        return json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()



class AuditCheckpoint(models.Model):
    """A signed statement "the chain had `count` records, the last one #`position` with `last_hash`".

    The head (kind "head", one row) moves with every record, so deleting the newest records leaves
    it pointing past the end; periodic checkpoints (every BILIM_AUDIT_CHECKPOINT_EVERY records and
    on `bilim audit checkpoint`) stay, each signing its predecessor's MAC, so the history of the
    chain's length survives a forged or replayed head. `values_floor`: value-history rows up to this
    id predate the chaining of value history (an upgraded database) and are not checked.
    """

    class Kind(models.TextChoices):
        HEAD = "head", _("Head")
        PERIODIC = "periodic", _("Periodic")

    kind = models.CharField(max_length=8, choices=Kind.choices, db_index=True)
    at = models.DateTimeField(default=timezone.now)
    position = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    count = models.BigIntegerField(default=0)
    values_floor = models.BigIntegerField(default=0)
    prev_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit checkpoint")
        constraints = [models.UniqueConstraint(fields=["kind"], condition=models.Q(kind="head"),
                                               name="audit_one_head")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.position} ({self.count} records)"

    def payload(self) -> str:
        return json.dumps([self.kind, self.position, self.last_hash, self.count, self.values_floor,
                           self.prev_mac, self.at.isoformat() if self.kind == self.Kind.PERIODIC else ""])
