"""Decide and follow through: collegium meetings, their reports and proposals, and the instructions
(protocol items) that come out of them, with execution control.

An instruction's status moves only through `governance.services` (new → in progress → executed or
removed from control); every change, extension and execution report stays in its history. Whether
an instruction is overdue is not stored: it is computed for the day asked from its deadline and
status, so it is right every morning without a nightly job.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from bilim.registry.models import Kind, LegalAct, OrgUnit, localized


class Meeting(models.Model):
    class MeetingKind(models.TextChoices):
        COLLEGIUM = "collegium", _("Collegium")
        EXPANDED = "expanded_collegium", _("Expanded collegium")
        AKIMAT = "akimat_meeting", _("Meeting at the akimat")

    code = models.CharField(max_length=40, unique=True, help_text=_("Stable public identifier, e.g. MES-2019-09-05"))
    kind = models.CharField(max_length=20, choices=MeetingKind.choices)
    date = models.DateField(db_index=True)
    organizer = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="meetings_organized")
    title_kk = models.CharField(max_length=500)
    title_ru = models.CharField(max_length=500, blank=True)
    title_en = models.CharField(max_length=500, blank=True)
    venue_kk = models.CharField(max_length=255, blank=True)
    venue_ru = models.CharField(max_length=255, blank=True)
    venue_en = models.CharField(max_length=255, blank=True)
    chair_name = models.CharField(max_length=255, blank=True)
    chair_position_kk = models.CharField(max_length=255, blank=True)
    chair_position_ru = models.CharField(max_length=255, blank=True)
    chair_position_en = models.CharField(max_length=255, blank=True)
    summary_kk = models.TextField(blank=True)
    summary_ru = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)
    protocol = models.ForeignKey(LegalAct, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings",
                                 help_text=_("The protocol of the meeting (a legal act of kind 'protocol')"))

    class Meta:
        ordering = ["-date", "code"]
        verbose_name = _("meeting")

    def __str__(self) -> str:
        return f"{self.date} {self.title}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def venue(self) -> str:
        return localized(self, "venue")

    @property
    def chair_position(self) -> str:
        return localized(self, "chair_position")

    @property
    def summary(self) -> str:
        return localized(self, "summary")

    def clean(self) -> None:
        if self.organizer_id and self.organizer.kind != Kind.AUTHORITY:
            raise ValidationError({"organizer": _("A meeting is held by an authority.")})


class Participant(models.Model):
    """A body taking part and, optionally, the person representing it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    body = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    representative = models.CharField(max_length=255, blank=True)
    position_kk = models.CharField(max_length=255, blank=True)
    position_ru = models.CharField(max_length=255, blank=True)
    position_en = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=12, default="member",
                            choices=[("chair", _("Chair")), ("speaker", _("Speaker")), ("member", _("Member")),
                                     ("guest", _("Guest"))])

    class Meta:
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return f"{self.body.code if self.body else ''} {self.representative}".strip()

    @property
    def position(self) -> str:
        return localized(self, "position")


class AgendaItem(models.Model):
    class Part(models.TextChoices):
        PLENARY = "plenary", _("Plenary")
        SECTION = "section", _("Section")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveSmallIntegerField()
    part = models.CharField(max_length=8, choices=Part.choices, default=Part.PLENARY)
    section_kk = models.CharField(max_length=255, blank=True)
    section_ru = models.CharField(max_length=255, blank=True)
    section_en = models.CharField(max_length=255, blank=True)
    title_kk = models.CharField(max_length=500)
    title_ru = models.CharField(max_length=500, blank=True)
    title_en = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["meeting_id", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="agenda_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def section(self) -> str:
        return localized(self, "section")


class Report(models.Model):
    """A speech at a meeting: who spoke, for which body, on what, and the gist."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reports")
    agenda_item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    order = models.PositiveSmallIntegerField(default=0)
    speaker = models.CharField(max_length=255, blank=True)
    body = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    topic_kk = models.CharField(max_length=500)
    topic_ru = models.CharField(max_length=500, blank=True)
    topic_en = models.CharField(max_length=500, blank=True)
    summary_kk = models.TextField(blank=True)
    summary_ru = models.TextField(blank=True)
    summary_en = models.TextField(blank=True)

    class Meta:
        ordering = ["meeting_id", "order", "id"]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.topic}"

    @property
    def topic(self) -> str:
        return localized(self, "topic")

    @property
    def summary(self) -> str:
        return localized(self, "summary")


class Proposal(models.Model):
    """A proposal raised at a meeting; the protocol may turn it into instructions."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="proposals")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals")
    order = models.PositiveSmallIntegerField(default=0)
    proposed_by = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text_kk = models.TextField()
    text_ru = models.TextField(blank=True)
    text_en = models.TextField(blank=True)

    class Meta:
        ordering = ["meeting_id", "order", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def text(self) -> str:
        return localized(self, "text")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    EXECUTED = "executed", _("Executed")
    REMOVED = "removed", _("Removed from control")


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.EXECUTED, Status.REMOVED)
# Allowed transitions; `executed → in_progress` returns an instruction for rework and needs a reason.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.IN_PROGRESS, Status.REMOVED},
    Status.IN_PROGRESS: {Status.EXECUTED, Status.REMOVED},
    Status.EXECUTED: {Status.IN_PROGRESS},
    Status.REMOVED: set(),
}


class Instruction(models.Model):
    """A protocol item: what must be done, by whom, by when, and how it is going."""

    class Source(models.TextChoices):
        MEETING = "meeting", _("Meeting protocol")
        ADDRESS = "address", _("Address of the Head of State")
        PROGRAMME = "programme", _("State programme")
        OTHER = "other", _("Other")

    class ControlLevel(models.TextChoices):
        PRESIDENT = "president", _("Administration of the President")
        GOVERNMENT = "government", _("Office of the Prime Minister")
        MINISTER = "minister", _("Minister")
        VICE_MINISTER = "vice_minister", _("Vice minister")
        DEPARTMENT = "department", _("Department")

    code = models.CharField(max_length=40, unique=True, help_text=_("e.g. MES-2019-09-05/3"))
    number = models.CharField(max_length=20, blank=True, help_text=_("Item number in the protocol"))
    text_kk = models.TextField()
    text_ru = models.TextField(blank=True)
    text_en = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MEETING)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="instructions")
    proposal = models.ForeignKey(Proposal, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="instructions")
    source_title_kk = models.CharField(max_length=500, blank=True)
    source_title_ru = models.CharField(max_length=500, blank=True)
    source_title_en = models.CharField(max_length=500, blank=True)
    issued_on = models.DateField(help_text=_("Date of the decision"))
    responsible = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="instructions_responsible")
    co_executors = models.ManyToManyField(OrgUnit, blank=True, related_name="instructions_co_executing")
    initial_deadline = models.DateField()
    deadline = models.DateField(db_index=True, help_text=_("Deadline in force (after extensions)"))
    control_level = models.CharField(max_length=16, choices=ControlLevel.choices, default=ControlLevel.MINISTER)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    closed_on = models.DateField(null=True, blank=True, help_text=_("When it was executed or removed from control"))
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text=_("Where the linked indicators are measured"))
    indicator_codes = models.JSONField(default=list, blank=True, help_text=_("e.g. [\"GER_ISCED1\", \"SHIFT3_PCT\"]"))

    class Meta:
        ordering = ["deadline", "code"]
        verbose_name = _("instruction")

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"

    @property
    def text(self) -> str:
        return localized(self, "text")

    @property
    def source_title(self) -> str:
        return localized(self, "source_title")

    def state_on(self, day: dt.date) -> tuple[str, dt.date, dt.date | None]:
        """(status, deadline in force, closing date) as they stood on `day`, from the recorded history.

        Uses `status_changes` and `extensions` (prefetch them when listing many instructions).
        """
        status, closed = Status.NEW.value, None
        for ch in sorted(self.status_changes.all(), key=lambda c: (c.date, c.pk)):
            if ch.date > day:
                break
            status = ch.to_status
            closed = ch.date if status in CLOSED_STATUSES else None
        deadline = self.initial_deadline
        for ext in sorted(self.extensions.all(), key=lambda e: (e.date, e.pk)):
            if ext.date <= day:
                deadline = ext.new_deadline
        return status, deadline, closed

    def is_overdue(self, day: dt.date | None = None) -> bool:
        """Open on `day` (default today) and past the deadline then in force."""
        day = day or dt.date.today()
        status, deadline, _closed = self.state_on(day)
        return status in OPEN_STATUSES and deadline < day

    def executed_on_time(self, day: dt.date | None = None) -> bool | None:
        """Whether it was executed by its deadline, as known on `day`; None if not executed by then."""
        status, deadline, closed = self.state_on(day or dt.date.today())
        if status != Status.EXECUTED or closed is None:
            return None
        return closed <= deadline

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.source == self.Source.MEETING and not self.meeting_id:
            errors["meeting"] = _("An instruction from a meeting names the meeting.")
        if self.responsible_id and self.responsible.kind != Kind.AUTHORITY:
            errors["responsible"] = _("The responsible executor is an authority.")
        if self.initial_deadline and self.issued_on and self.initial_deadline < self.issued_on:
            errors["initial_deadline"] = _("A deadline cannot precede the decision.")
        if self.deadline and self.initial_deadline and self.deadline < self.initial_deadline:
            errors["deadline"] = _("Extensions only move a deadline later.")
        if not isinstance(self.indicator_codes, list) or not all(
                isinstance(c, str) and c for c in self.indicator_codes):
            errors["indicator_codes"] = _("Indicator codes are a list of strings.")
        if errors:
            raise ValidationError(errors)


# The note of the status change Bilim makes itself when a first execution report arrives: stored in
# English (the record is the same for every reader), shown in the reader's language by the selectors.
REPORT_RECEIVED = gettext_noop("Execution report received")
SYSTEM_NOTES = frozenset({REPORT_RECEIVED})


class StatusChange(models.Model):
    instruction = models.ForeignKey(Instruction, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=Status.choices)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    date = models.DateField()
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["instruction_id", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.from_status} → {self.to_status}"


class Extension(models.Model):
    """A deadline moved later, with the reason and the decision that allowed it."""

    instruction = models.ForeignKey(Instruction, on_delete=models.CASCADE, related_name="extensions")
    date = models.DateField()
    old_deadline = models.DateField()
    new_deadline = models.DateField()
    reason = models.TextField()
    legal_act = models.ForeignKey(LegalAct, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=500, blank=True, help_text=_("Who allowed it, if not by a legal act"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["instruction_id", "date", "id"]

    def __str__(self) -> str:
        return f"{self.old_deadline} → {self.new_deadline}"

    def clean(self) -> None:
        if self.new_deadline <= self.old_deadline:
            raise ValidationError({"new_deadline": _("An extension moves the deadline later.")})
        if not self.reason.strip():
            raise ValidationError({"reason": _("An extension needs a reason.")})


class ExecutionReport(models.Model):
    """What the executor reports it has done. Attachments are referenced by name (and hash), the file
    itself lives in the document store, so the database stays portable."""

    instruction = models.ForeignKey(Instruction, on_delete=models.CASCADE, related_name="execution_reports")
    date = models.DateField()
    body = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["instruction_id", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.text[:60]}"
