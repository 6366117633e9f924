"""Validation rules (as data), form deadlines and the approval state of a form for a unit and period.

Approval climbs the territorial hierarchy: an organization submits its form, its district approves,
the region approves, the ministry accepts (the republic's state). A unit can be approved only when
every unit under it that takes part has been; submitted or approved data is locked.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from bilim.metadata.models import DataSet
from bilim.registry.models import OrgUnit, localized


class ValidationRule(models.Model):
    """`left operator right`, each side an expression over data values (see `expressions`)."""

    class Operator(models.TextChoices):
        LE = "<=", "≤"
        LT = "<", "<"
        EQ = "==", "="
        GE = ">=", "≥"
        GT = ">", ">"
        NE = "!=", "≠"

    class Importance(models.TextChoices):
        BLOCKING = "blocking", _("Blocking")
        WARNING = "warning", _("Warning")

    code = models.CharField(max_length=40, unique=True)
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)
    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="validation_rules")
    left = models.CharField(max_length=1000, help_text=_("Expression, e.g. ENROL[SEX=F,GRADE=$]"))
    operator = models.CharField(max_length=2, choices=Operator.choices)
    right = models.CharField(max_length=1000, help_text=_("Expression, e.g. 3 * CAPACITY"))
    right_period_offset = models.SmallIntegerField(
        default=0, help_text=_("Periods added to every reference on the right side (-1 = previous year)"))
    for_each = models.CharField(max_length=8, blank=True,
                                help_text=_("Evaluate once per option of this category (written $ in filters)"))
    for_each_options = models.CharField(
        max_length=200, blank=True,
        help_text=_("Only these options of that category: codes separated by commas, or a range such as "
                    "G01..G10 in the category's order; empty: every option"))
    condition = models.CharField(max_length=1000, blank=True,
                                 help_text=_("Only check when this comparison holds, e.g. ENROL > 0"))
    skip_if_missing = models.BooleanField(
        default=True, help_text=_("Skip the rule when a side has no values; otherwise missing counts as 0"))
    importance = models.CharField(max_length=8, choices=Importance.choices, default=Importance.WARNING)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["data_set__code", "code"]
        verbose_name = _("validation rule")

    def __str__(self) -> str:
        return f"{self.code}: {self.left} {self.operator} {self.right}"

    @property
    def name(self) -> str:
        return localized(self, "name")


class FormDeadline(models.Model):
    """A deadline for one form and period that replaces census date + `DataSet.deadline_days`."""

    data_set = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="deadlines")
    period = models.CharField(max_length=24)
    due = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["data_set", "period"], name="unique_form_deadline")]

    def __str__(self) -> str:
        return f"{self.data_set_id}/{self.period} due {self.due}"


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    ACCEPTED = "accepted", _("Accepted")


STATUS_RANK = {Status.OPEN: 0, Status.SUBMITTED: 1, Status.APPROVED: 2, Status.ACCEPTED: 3}


class ApprovalState(models.Model):
    """Where a form of one unit and period stands. No row means open."""

    data_set = models.ForeignKey(DataSet, on_delete=models.PROTECT, related_name="approval_states")
    period = models.CharField(max_length=24)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="approval_states")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    submitted_at = models.DateTimeField(null=True, blank=True, help_text=_("First submission (timeliness)"))
    changed_at = models.DateTimeField(auto_now=True)
    changed_by = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True, help_text=_("Why it was last returned"))

    class Meta:
        verbose_name = _("approval state")
        constraints = [models.UniqueConstraint(fields=["data_set", "period", "org_unit"], name="unique_approval_state")]
        indexes = [models.Index(fields=["data_set", "period", "status"])]

    def __str__(self) -> str:
        return f"{self.data_set_id}/{self.period}/{self.org_unit_id}: {self.status}"


class ApprovalStep(models.Model):
    """One step of the workflow, kept for ever (also written to the audit chain)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        ACCEPT = "accept", _("Accepted")
        UNAPPROVE = "unapprove", _("Returned")

    state = models.ForeignKey(ApprovalState, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=10, choices=Action.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    by = models.CharField(max_length=150, blank=True)
    by_unit = models.CharField(max_length=32, blank=True, help_text=_("Code of the level that acted"))
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}->{self.to_status} by {self.by}"
