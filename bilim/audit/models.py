"""Append-only, hash-chained audit trail of every change.

Each record stores the hash of its predecessor, so deleting or editing any past record breaks the
chain and `bilim audit verify` finds where.
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
        return json.dumps(
            [self.at.isoformat(), self.actor, self.action, self.object_type, self.object_id,
             self.before, self.after, self.prev_hash],
            sort_keys=True, ensure_ascii=False, default=str,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()

