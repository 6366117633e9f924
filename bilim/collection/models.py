"""Collected figures. A value is keyed by (data element, period, org unit, disaggregation).

Disaggregation is one column per category (catalog.md order); an empty string means "total over
that category", which keeps the unique key enforceable on every database (NULLs never collide).
`version` supports optimistic concurrency: a writer states the version it read.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bilim.metadata.models import DataElement
from bilim.registry.models import OrgUnit


class DataValue(models.Model):
    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    period = models.CharField(max_length=24, db_index=True)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="data_values")
    sex = models.CharField(max_length=4, blank=True, default="")
    age = models.CharField(max_length=4, blank=True, default="")
    grade = models.CharField(max_length=4, blank=True, default="")
    qual = models.CharField(max_length=12, blank=True, default="")
    exp = models.CharField(max_length=12, blank=True, default="")
    lang = models.CharField(max_length=4, blank=True, default="")
    value = models.FloatField()
    comment = models.TextField(blank=True, default="")
    stored_by = models.CharField(max_length=150, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("data value")
        constraints = [
            models.UniqueConstraint(
                fields=["data_element", "period", "org_unit", "sex", "age", "grade", "qual", "exp", "lang"],
                name="unique_data_value",
            )
        ]
        indexes = [models.Index(fields=["data_element", "period"]), models.Index(fields=["org_unit", "period"])]

    def __str__(self) -> str:
        return f"{self.data_element_id}/{self.period}/{self.org_unit_id}={self.value}"


class ValueChange(models.Model):
    """One row per changed value (inserted, updated or deleted), written by database triggers on
    `DataValue` (migration 0002), so that no write path — the ORM, bulk imports, raw SQL, a shell —
    can change a value without the analytics refresh learning which unit's figures moved.

    The refresh reads the rows up to the highest id it saw, brings only those (element, period,
    unit) slices of the warehouse up to date, then deletes what it read; it never re-aggregates the
    whole table to find out what changed. Plain integers, not foreign keys: the log must not block
    or cascade when units or elements are deleted, and it is append-only and short-lived.
    """

    data_element_id = models.BigIntegerField()
    period = models.CharField(max_length=24)
    org_unit_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("value change")

    def __str__(self) -> str:
        return f"{self.data_element_id}/{self.period}/{self.org_unit_id}"


class DataValueAudit(models.Model):
    """Every change of a value: old and new, who and when (cheap enough for million-row imports)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    data_element_code = models.CharField(max_length=40)
    period = models.CharField(max_length=24)
    org_unit_code = models.CharField(max_length=32)
    disaggregation = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    old_value = models.FloatField(null=True)
    new_value = models.FloatField(null=True)
    by = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    batch = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["org_unit_code", "period"])]

    def __str__(self) -> str:
        return (f"{self.action} {self.data_element_code}/{self.period}/{self.org_unit_code}"
                f"{'/' + self.disaggregation if self.disaggregation else ''}: {self.old_value} -> {self.new_value}")
