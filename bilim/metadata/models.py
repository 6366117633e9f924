"""Metadata: what is collected (data elements), how it is broken down (categories), in which forms.

The default catalogue (catalog.md) is loaded from `default_catalogue.json` by a migration; a ministry
can edit it afterwards. Codes are stable public identifiers used by imports, exports and the API.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bilim.registry.models import localized

# Category codes in their canonical order; DataValue has one column per category.
CATEGORY_ORDER = ("SEX", "AGE", "GRADE", "QUAL", "EXP", "LANG")


class Named(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return localized(self, "name")


class Category(Named):
    """A disaggregation dimension such as SEX or GRADE."""

    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta(Named.Meta):
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class CategoryOption(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(max_length=16)
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="unique_option_code")]

    def __str__(self) -> str:
        return f"{self.category.code}={self.code}"

    @property
    def name(self) -> str:
        return localized(self, "name")


class DataElement(Named):
    """A quantity that is collected, e.g. ENROL (pupils enrolled at census date)."""

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Sum")
        AVERAGE = "avg", _("Average")
        MAX = "max", _("Maximum")

    description = models.TextField(blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="data_elements")
    attached_to = models.JSONField(default=list, help_text=_("Org unit kinds that report this element"))
    aggregation = models.CharField(max_length=8, choices=Aggregation.choices, default=Aggregation.SUM)
    period_type = models.CharField(max_length=16, default="school_year")

    class ValueType(models.TextChoices):
        COUNT = "count", _("Count (a whole number, not negative)")
        AMOUNT = "amount", _("Amount (a number, not negative)")

    # which numbers a value may be: `bilim.collection.validation.parse_value`, the one rule for entry and imports
    # (neither type is negative; a count is whole and written with the digits 0-9 only)
    value_type = models.CharField(max_length=8, choices=ValueType.choices, default=ValueType.COUNT)

    class Meta(Named.Meta):
        verbose_name = _("data element")

    def category_codes(self) -> set[str]:
        return {c.code for c in self.categories.all()}


class DataSet(Named):
    """A census form: the data elements an org unit of given types reports for a period."""

    data_elements = models.ManyToManyField(DataElement, related_name="data_sets")
    org_types = models.JSONField(default=list, help_text=_("Organization types (or kinds) that report it"))
    period_type = models.CharField(max_length=16, default="school_year")
    deadline_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Days after the census date by which the form is due")
    )

    class Meta(Named.Meta):
        verbose_name = _("data set")
