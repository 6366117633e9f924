"""Capital programmes: construction, modernization, demolition-and-rebuild, sports grounds, design,
equipment — with yearly budgets, milestones and the places they add.

A project sits in a territory (a region or district: a school still to be built has no organization
yet) and may name the organizations it works on. Its region for rollups is taken from the
territorial hierarchy as of the day asked, so a project follows its district into a new region
after a split. Status moves only through `projects.services`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from bilim.registry.models import Kind, OrgUnit, localized


class ProjectType(models.TextChoices):
    DESIGN = "design", _("Design (project documentation)")
    NEW_CONSTRUCTION = "new_construction", _("New construction")
    DEMOLITION_REBUILD = "demolition_rebuild", _("Demolition and rebuilding")
    MODERNIZATION = "modernization", _("Modernization")
    SPORTS_GROUND = "sports_ground", _("Renovation of sports grounds")
    DEMOLITION = "demolition", _("Demolition")
    STATION = "station", _("Young naturalists' and tourists' stations")
    EQUIPMENT = "equipment", _("Equipment")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DESIGN = "design", _("Design under way")
    CONSTRUCTION = "construction", _("Works under way")
    COMPLETED = "completed", _("Completed (commissioned)")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


PROJECT_TRANSITIONS: dict[str, set[str]] = {
    ProjectStatus.PLANNED: {ProjectStatus.DESIGN, ProjectStatus.CONSTRUCTION, ProjectStatus.CANCELLED},
    ProjectStatus.DESIGN: {ProjectStatus.CONSTRUCTION, ProjectStatus.COMPLETED, ProjectStatus.SUSPENDED,
                           ProjectStatus.CANCELLED},
    ProjectStatus.CONSTRUCTION: {ProjectStatus.COMPLETED, ProjectStatus.SUSPENDED, ProjectStatus.CANCELLED},
    ProjectStatus.SUSPENDED: {ProjectStatus.DESIGN, ProjectStatus.CONSTRUCTION, ProjectStatus.CANCELLED},
    ProjectStatus.COMPLETED: set(),
    ProjectStatus.CANCELLED: set(),
}


class Programme(models.Model):
    """A capital programme (e.g. the development of additional education in Almaty): a frame of years
    and an owner for the projects it carries; its money is the sum of its projects' budget lines."""

    code = models.CharField(max_length=40, unique=True)
    title_kk = models.CharField(max_length=500)
    title_ru = models.CharField(max_length=500, blank=True)
    title_en = models.CharField(max_length=500, blank=True)
    owner = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="programmes",
                              help_text=_("The body or territory running the programme"))
    start_year = models.PositiveSmallIntegerField()
    end_year = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["code"]
        verbose_name = _("capital programme")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_year is not None and not 1991 <= self.start_year <= 2100:
            errors["start_year"] = _("Year out of range.")
        if self.end_year is not None and self.start_year is not None and self.end_year < self.start_year:
            errors["end_year"] = _("A programme ends in or after the year it starts.")
        if errors:
            raise ValidationError(errors)


class Project(models.Model):
    code = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=20, choices=ProjectType.choices, db_index=True)
    title_kk = models.CharField(max_length=500)
    title_ru = models.CharField(max_length=500, blank=True)
    title_en = models.CharField(max_length=500, blank=True)
    description_kk = models.TextField(blank=True)
    description_ru = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    territory = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="projects_in",
                                  help_text=_("The region or district where the works are"))
    organizations = models.ManyToManyField(OrgUnit, blank=True, related_name="projects")
    instruction = models.ForeignKey("governance.Instruction", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="projects")
    programme_ref = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="projects")
    programme_kk = models.CharField(max_length=500, blank=True)
    programme_ru = models.CharField(max_length=500, blank=True)
    programme_en = models.CharField(max_length=500, blank=True)
    places = models.PositiveIntegerField(default=0, help_text=_("Places (pupil seats) the project adds"))
    status = models.CharField(max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED,
                              db_index=True)
    completed_on = models.DateField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    synthetic = models.BooleanField(default=False, help_text=_("Part of the synthetic demo data set"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("capital project")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def programme(self) -> str:
        """The programme's title (its record, else the free text the project was registered with)."""
        if self.programme_ref_id is not None:
            return self.programme_ref.title
        return localized(self, "programme")

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.territory_id and self.territory.kind not in (Kind.REGION, Kind.DISTRICT):
            errors["territory"] = _("A project's territory is a region or a district.")
        if self.lat is not None and not -90 <= self.lat <= 90:
            errors["lat"] = _("Latitude out of range.")
        if self.lon is not None and not -180 <= self.lon <= 180:
            errors["lon"] = _("Longitude out of range.")
        if errors:
            raise ValidationError(errors)


class BudgetLine(models.Model):
    """Planned and spent money for one project in one budget year (KZT)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_lines")
    year = models.PositiveSmallIntegerField()
    planned = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    spent = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        ordering = ["project_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="budget_line_per_year"),
            models.CheckConstraint(condition=models.Q(planned__gte=0) & models.Q(spent__gte=0),
                                   name="budget_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.planned} / {self.spent}"

    def clean(self) -> None:
        if not 1991 <= self.year <= 2100:
            raise ValidationError({"year": _("Budget year out of range.")})
        if self.planned < 0 or self.spent < 0:
            raise ValidationError(_("Budget amounts cannot be negative."))


class Milestone(models.Model):
    class MilestoneKind(models.TextChoices):
        DESIGN = "design", _("Design documentation")
        EXPERTISE = "expertise", _("State expertise")
        PROCUREMENT = "procurement", _("Procurement")
        DEMOLITION = "demolition", _("Demolition")
        WORKS = "works", _("Construction and installation works")
        COMMISSIONING = "commissioning", _("Commissioning")
        OTHER = "other", _("Other")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=14, choices=MilestoneKind.choices, default=MilestoneKind.OTHER)
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)
    planned_date = models.DateField()
    actual_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["project_id", "order", "planned_date"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name} ({self.planned_date})"

    @property
    def name(self) -> str:
        return localized(self, "name")

    def is_delayed(self, day: dt.date | None = None) -> bool:
        """Reached after its planned date, or not reached by `day` (default today) though planned earlier."""
        day = day or dt.date.today()
        if self.actual_date is not None and self.actual_date <= day:
            return self.actual_date > self.planned_date
        return self.planned_date < day

    def delay_days(self, day: dt.date | None = None) -> int:
        day = day or dt.date.today()
        if not self.is_delayed(day):
            return 0
        end = self.actual_date if self.actual_date is not None and self.actual_date <= day else day
        return (end - self.planned_date).days


class StatusChange(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ProjectStatus.choices)
    to_status = models.CharField(max_length=12, choices=ProjectStatus.choices)
    date = models.DateField()
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["project_id", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.from_status} → {self.to_status}"


class Schedule(models.TextChoices):
    """Where a stage (or a project) stands against its plan on a day."""

    NOT_STARTED = "not_started", _("Not started")
    ON_SCHEDULE = "on_schedule", _("On schedule")
    BEHIND = "behind", _("Behind schedule")
    ON_TIME = "finished_on_time", _("Finished on time")
    LATE = "finished_late", _("Finished late")


class Stage(models.Model):
    """A stage of the works with its planned and actual dates (the timeline's bars).

    "Behind schedule now" (not finished though its planned end has passed, or not started though its
    planned start has) is a state of today that the stage can still leave by finishing; "finished
    late" is history: it finished after its planned end. Both are computed for the day asked."""

    class StageKind(models.TextChoices):
        DESIGN = "design", _("Design")
        DEMOLITION = "demolition", _("Demolition")
        CONSTRUCTION = "construction", _("Construction")
        COMMISSIONING = "commissioning", _("Commissioning")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stages")
    kind = models.CharField(max_length=14, choices=StageKind.choices)
    planned_start = models.DateField()
    planned_end = models.DateField()
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["project_id", "planned_start", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="stage_kind_per_project")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.planned_start}–{self.planned_end}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The planned end cannot precede the planned start.")
        if self.actual_end and not self.actual_start:
            errors["actual_start"] = _("A stage that has finished has started: give the actual start.")
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors["actual_end"] = _("The actual end cannot precede the actual start.")
        if errors:
            raise ValidationError(errors)

    def schedule(self, day: dt.date | None = None) -> str:
        day = day or dt.date.today()
        if self.actual_end is not None and self.actual_end <= day:
            return Schedule.LATE if self.actual_end > self.planned_end else Schedule.ON_TIME
        if self.planned_end < day:
            return Schedule.BEHIND
        started = self.actual_start is not None and self.actual_start <= day
        if not started:
            return Schedule.BEHIND if self.planned_start < day else Schedule.NOT_STARTED
        return Schedule.ON_SCHEDULE

    def delay_days(self, day: dt.date | None = None) -> int:
        """Days past the planned end: finished late by, or overrunning by (0 when not late)."""
        day = day or dt.date.today()
        end = self.actual_end if self.actual_end is not None and self.actual_end <= day else day
        return max(0, (end - self.planned_end).days)


def project_schedule(stages: list[Stage], day: dt.date) -> str:
    """A project's schedule from its stages: behind when a stage is behind now; once every stage has
    finished, late when the works ended (the last actual end) after the planned end of the works (the
    last planned end); otherwise on schedule (or not started while no stage has)."""
    if not stages:
        return Schedule.NOT_STARTED
    states = [s.schedule(day) for s in stages]
    if Schedule.BEHIND in states:
        return Schedule.BEHIND
    if all(st in (Schedule.ON_TIME, Schedule.LATE) for st in states):
        finished = max(s.actual_end for s in stages if s.actual_end is not None)
        return Schedule.LATE if finished > max(s.planned_end for s in stages) else Schedule.ON_TIME
    if all(st == Schedule.NOT_STARTED for st in states):
        return Schedule.NOT_STARTED
    return Schedule.ON_SCHEDULE
