"""Who may decide what: competences (powers), the level that holds each by default, and delegations.

A competence is held by default at one level of government (the ministry, a region, a district) by
one kind of body there (the ministry, an akimat, an education department or office). Which level is
an effective-dated `CompetenceAssignment` — a new law moves a power by ending one assignment and
starting another. A holder may hand a power over a scope (a territorial unit or a set of
organizations) to another body by a `Delegation`; a `Revocation` ends it early. Delegations are
never edited: the record of what was granted stays as it was granted.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bilim.registry.models import Kind, LegalAct, OrgUnit, localized


class Level(models.TextChoices):
    MINISTRY = "ministry", _("Ministry (republic)")
    REGION = "region", _("Region or city of republican significance")
    DISTRICT = "district", _("District or city of regional significance")


# Which authority subtypes may hold a power at which level, and which territorial kind the level is.
LEVEL_SUBTYPES: dict[str, set[str]] = {
    Level.MINISTRY: {"MINISTRY"},
    Level.REGION: {"AKIMAT", "REGION_DEPT"},
    Level.DISTRICT: {"AKIMAT", "DISTRICT_OFFICE"},
}
LEVEL_KIND: dict[str, str] = {Level.MINISTRY: Kind.REPUBLIC, Level.REGION: Kind.REGION,
                              Level.DISTRICT: Kind.DISTRICT}
# A power held at district level over a unit with no district above it (an organization directly
# under a region) falls to the region body of the matching subtype.
FALLBACK_SUBTYPE = {"DISTRICT_OFFICE": "REGION_DEPT", "AKIMAT": "AKIMAT"}


class Competence(models.Model):
    """A power in education, e.g. approving the school network or licensing private schools."""

    code = models.CharField(max_length=40, unique=True)
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)
    description_kk = models.TextField(blank=True)
    description_ru = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("competence")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def description(self) -> str:
        return localized(self, "description")


class CompetenceAssignment(models.Model):
    """The default holder of a competence during [valid_from, valid_to), and the act that assigns it."""

    competence = models.ForeignKey(Competence, on_delete=models.CASCADE, related_name="assignments")
    level = models.CharField(max_length=10, choices=Level.choices)
    body_subtype = models.CharField(max_length=24, help_text=_("MINISTRY, AKIMAT, REGION_DEPT or DISTRICT_OFFICE"))
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    legal_act = models.ForeignKey(LegalAct, on_delete=models.PROTECT, related_name="competence_assignments")
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["competence_id", "valid_from"]
        verbose_name = _("competence assignment")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="assignment_interval_positive",
            ),
            models.UniqueConstraint(fields=["competence", "valid_from"], name="assignment_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.competence.code}: {self.level}/{self.body_subtype} from {self.valid_from}"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.body_subtype not in LEVEL_SUBTYPES.get(self.level, set()):
            errors["body_subtype"] = _("A %(s)s cannot hold a power at %(l)s level.") % {
                "s": self.body_subtype, "l": self.level}
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            errors["valid_to"] = _("valid_to must be after valid_from.")
        if errors:
            raise ValidationError(errors)


class Delegation(models.Model):
    """A holder hands a competence over a scope to another body, from a date and perhaps until one.

    The scope is either a territorial unit (`scope_unit`: the republic, a region or a district — it
    covers whatever lies under it on the day asked) or an explicit set of organizations
    (`organizations`). `valid_to` is the end fixed by the act itself; an early end is a `Revocation`.
    """

    competence = models.ForeignKey(Competence, on_delete=models.PROTECT, related_name="delegations")
    grantor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="delegations_granted")
    grantee = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="delegations_received")
    scope_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organizations = models.ManyToManyField(OrgUnit, blank=True, related_name="delegations_covering")
    valid_from = models.DateField(db_index=True)
    valid_to = models.DateField(null=True, blank=True)
    legal_act = models.ForeignKey(LegalAct, on_delete=models.PROTECT, related_name="delegations")
    note_kk = models.TextField(blank=True)
    note_ru = models.TextField(blank=True)
    note_en = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["valid_from", "id"]
        verbose_name = _("delegation")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="delegation_interval_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.competence.code}: {self.grantor.code} → {self.grantee.code} from {self.valid_from}"

    @property
    def note(self) -> str:
        return localized(self, "note")

    @property
    def end(self) -> dt.date | None:
        """The day it stops applying (exclusive): its own end or an earlier revocation."""
        rev = getattr(self, "revocation", None)
        if rev is not None and (self.valid_to is None or rev.effective_date < self.valid_to):
            return rev.effective_date
        return self.valid_to

    def covers(self, day: dt.date) -> bool:
        end = self.end
        return self.valid_from <= day and (end is None or day < end)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            errors["valid_to"] = _("valid_to must be after valid_from.")
        if self.grantee_id and self.grantee.kind != Kind.AUTHORITY:
            errors["grantee"] = _("Only an authority can receive a power.")
        if self.grantor_id and self.grantor.kind != Kind.AUTHORITY:
            errors["grantor"] = _("Only an authority can delegate a power.")
        if self.grantor_id and self.grantor_id == self.grantee_id:
            errors["grantee"] = _("A body cannot delegate a power to itself.")
        if self.scope_unit_id and self.scope_unit.kind not in (Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT):
            errors["scope_unit"] = _("A territorial scope must be the republic, a region or a district.")
        if errors:
            raise ValidationError(errors)


class Revocation(models.Model):
    """The early end of a delegation, by its own act and date; the delegation itself is left as granted."""

    delegation = models.OneToOneField(Delegation, on_delete=models.PROTECT, related_name="revocation")
    effective_date = models.DateField()
    legal_act = models.ForeignKey(LegalAct, on_delete=models.PROTECT, related_name="revocations")
    reason_kk = models.TextField(blank=True)
    reason_ru = models.TextField(blank=True)
    reason_en = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["effective_date", "id"]
        verbose_name = _("revocation")

    def __str__(self) -> str:
        return f"Revocation of {self.delegation} on {self.effective_date}"

    @property
    def reason(self) -> str:
        return localized(self, "reason")

    def clean(self) -> None:
        d = self.delegation
        if self.effective_date <= d.valid_from:
            raise ValidationError({"effective_date": _("A revocation must take effect after the delegation starts.")})
        if d.valid_to is not None and self.effective_date >= d.valid_to:
            raise ValidationError({"effective_date": _("The delegation has already ended by then.")})
