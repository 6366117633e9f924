"""The registry: every organization and authority, where it is, and who governs it — with history.

Both relations are effective-dated (valid_from inclusive, valid_to exclusive, NULL = open-ended) and
are only ever changed by a `Restructuring` event applied through `registry.services`, so that the
past stays as it was recorded and any view can be taken "as of" a date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REPUBLIC = "republic", _("Republic")
    REGION = "region", _("Region")
    DISTRICT = "district", _("District")
    AUTHORITY = "authority", _("Authority")
    ORGANIZATION = "organization", _("Organization")


class OrgType(models.TextChoices):
    PRESCHOOL = "PRESCHOOL", _("Preschool organization")
    SCHOOL = "SCHOOL", _("General education school")
    BOARDING = "BOARDING", _("Boarding school")
    SPECIAL = "SPECIAL", _("Special school")
    COLLEGE = "COLLEGE", _("College")
    UNIVERSITY = "UNIVERSITY", _("University")
    ADDITIONAL = "ADDITIONAL", _("Additional education")


class Subtype(models.TextChoices):
    # additional-education subtypes (catalog.md)
    PALACE = "PALACE", _("Palace/house of schoolchildren")
    CREATIVE_CENTRE = "CREATIVE_CENTRE", _("Creative centre")
    YOUNG_TOURISTS = "YOUNG_TOURISTS", _("Young tourists' station")
    YOUNG_NATURALISTS = "YOUNG_NATURALISTS", _("Young naturalists' station")
    MUSIC_ART = "MUSIC_ART", _("Music and art school")
    SPORTS = "SPORTS", _("Sports school")
    # preschool subtypes
    KINDERGARTEN = "KINDERGARTEN", _("Kindergarten")
    MINI_CENTRE = "MINI_CENTRE", _("Mini-centre")
    # authority subtypes
    MINISTRY = "MINISTRY", _("Ministry")
    AKIMAT = "AKIMAT", _("Akimat")
    REGION_DEPT = "REGION_DEPT", _("Region education department")
    DISTRICT_OFFICE = "DISTRICT_OFFICE", _("District education office")


ORG_SUBTYPES = {
    OrgType.ADDITIONAL: {"PALACE", "CREATIVE_CENTRE", "YOUNG_TOURISTS", "YOUNG_NATURALISTS", "MUSIC_ART", "SPORTS"},
    OrgType.PRESCHOOL: {"KINDERGARTEN", "MINI_CENTRE"},
}
AUTHORITY_SUBTYPES = {"MINISTRY", "AKIMAT", "REGION_DEPT", "DISTRICT_OFFICE"}


class Area(models.TextChoices):
    URBAN = "URBAN", _("Urban")
    RURAL = "RURAL", _("Rural")


class Ownership(models.TextChoices):
    PUBLIC = "PUBLIC", _("Public")
    PRIVATE = "PRIVATE", _("Private")


LANGUAGES_OF_INSTRUCTION = ("KAZ", "RUS", "MIX", "OTH")

# Which kinds may sit directly under which, territorially.
ALLOWED_PARENT_KINDS: dict[str, set[str]] = {
    Kind.REPUBLIC: set(),
    Kind.REGION: {Kind.REPUBLIC},
    Kind.DISTRICT: {Kind.REGION},
    Kind.AUTHORITY: {Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT},
    Kind.ORGANIZATION: {Kind.REGION, Kind.DISTRICT},
}


class LegalAct(models.Model):
    """A normative act (law, decree, resolution, order) that gives a change its legal basis."""

    class ActKind(models.TextChoices):
        LAW = "law", _("Law")
        DECREE = "decree", _("Decree of the President")
        RESOLUTION = "resolution", _("Resolution of the Government")
        ORDER = "order", _("Order of the Minister")
        DECISION = "decision", _("Decision of the akimat/maslikhat")
        PROTOCOL = "protocol", _("Protocol")
        OTHER = "other", _("Other")

    kind = models.CharField(max_length=20, choices=ActKind.choices)
    number = models.CharField(max_length=64, blank=True)
    date = models.DateField()
    issuer = models.CharField(max_length=255)
    title_kk = models.TextField(blank=True)
    title_ru = models.TextField(blank=True)
    title_en = models.TextField(blank=True)
    url = models.URLField(blank=True, max_length=500)

    class Meta:
        ordering = ["date", "number"]
        verbose_name = _("legal act")

    def __str__(self) -> str:
        num = f" No. {self.number}" if self.number else ""
        return f"{self.get_kind_display()}{num} of {self.date.isoformat()} ({self.issuer}): {self.title}"

    @property
    def title(self) -> str:
        return localized(self, "title")


def localized(obj: object, field: str, lang: str | None = None) -> str:
    """The value of `<field>_<lang>` in the active language, falling back through en, ru, kk."""
    lang = (lang or get_language() or "kk")[:2]
    for code in (lang, "en", "ru", "kk"):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return ""


# Unicode categories refused in names: controls (Cc: NUL, tab, newline…), format characters (Cf:
# zero-width spaces and joiners, bidi overrides and isolates, soft hyphen), unassigned, private use
# and surrogates. They make a name look like another one or reorder the text around it.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})
DEFAULT_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"


def code_pattern() -> re.Pattern[str]:
    """The org-unit code pattern (`BILIM_ORGUNIT_CODE_PATTERN`): codes appear in URLs, file names and
    other systems' exports, so only upper-case letters, digits and hyphens are allowed by default."""
    return re.compile(getattr(settings, "BILIM_ORGUNIT_CODE_PATTERN", DEFAULT_CODE_PATTERN))


def code_error(code: str) -> str | None:
    """Why `code` is not a valid org-unit code, or None."""
    if not code_pattern().fullmatch(code or ""):
        return str(_("Code %(code)s is not valid: use upper-case Latin letters, digits and hyphens "
                     "(pattern %(pattern)s).") % {"code": ascii(code)[1:-1], "pattern": code_pattern().pattern})
    return None


def name_error(name: str) -> str | None:
    """Why `name` is not a valid org-unit name, or None: no markup and no control or invisible characters."""
    for ch in name or "":
        if unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            return str(_("The name contains an invisible or control character (U+%(cp)04X).") % {"cp": ord(ch)})
        if ch in "<>":
            return str(_("The name may not contain < or >."))
    return None


class OrgUnit(models.Model):
    """Any node of the education system: the republic, a region, a district, an authority, an organization."""

    code = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    org_type = models.CharField(max_length=16, choices=OrgType.choices, blank=True, db_index=True)
    subtype = models.CharField(max_length=24, choices=Subtype.choices, blank=True)
    small_school = models.BooleanField(default=False)
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)
    area = models.CharField(max_length=8, choices=Area.choices, blank=True, db_index=True)
    ownership = models.CharField(max_length=8, choices=Ownership.choices, blank=True)
    languages = models.JSONField(default=list, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    shifts = models.PositiveSmallIntegerField(null=True, blank=True)
    emergency = models.BooleanField(default=False)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    opened = models.DateField(null=True, blank=True)
    closed = models.DateField(null=True, blank=True)
    synthetic = models.BooleanField(default=False, help_text=_("Part of the synthetic demo data set"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("org unit")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return localized(self, "name")

    def exists_on(self, day: dt.date) -> bool:
        return (self.opened is None or self.opened <= day) and (self.closed is None or day < self.closed)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (bad_code := code_error(self.code)) is not None:
            errors["code"] = bad_code
        for field in ("name_kk", "name_ru", "name_en"):
            if (bad_name := name_error(getattr(self, field))) is not None:
                errors[field] = bad_name
        if self.kind == Kind.ORGANIZATION and not self.org_type:
            errors["org_type"] = _("An organization needs an organization type.")
        if self.kind != Kind.ORGANIZATION and self.org_type:
            errors["org_type"] = _("Only organizations have an organization type.")
        if self.subtype:
            if self.kind == Kind.AUTHORITY:
                if self.subtype not in AUTHORITY_SUBTYPES:
                    errors["subtype"] = _("Not a subtype of an authority.")
            elif self.subtype not in ORG_SUBTYPES.get(self.org_type, set()):
                errors["subtype"] = _("Subtype %(s)s does not belong to type %(t)s.") % {
                    "s": self.subtype,
                    "t": self.org_type or self.kind,
                }
        if self.small_school and self.org_type != OrgType.SCHOOL:
            errors["small_school"] = _("Only a school can be a small-class school.")
        for lang in self.languages or []:
            if lang not in LANGUAGES_OF_INSTRUCTION:
                errors["languages"] = _("Unknown language of instruction: %(l)s") % {"l": lang}
        if self.shifts is not None and not 1 <= self.shifts <= 3:
            errors["shifts"] = _("Shifts must be 1, 2 or 3.")
        if self.opened and self.closed and self.closed <= self.opened:
            errors["closed"] = _("A unit must close after it opened.")
        if self.lat is not None and not -90 <= self.lat <= 90:
            errors["lat"] = _("Latitude out of range.")
        if self.lon is not None and not -180 <= self.lon <= 180:
            errors["lon"] = _("Longitude out of range.")
        if errors:
            raise ValidationError(errors)


class Restructuring(models.Model):
    """One change to the registry with its effective date and legal basis.

    Events are append-only: a mistake or a change of policy is undone by a later event (see
    `reverses`), never by editing the relations a past event wrote.
    """

    class EventKind(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSE = "close", _("Close")
        MOVE = "move", _("Move (change territorial parent)")
        TRANSFER = "transfer", _("Transfer (change governing body)")
        RENAME = "rename", _("Rename")
        SPLIT = "split", _("Split")
        MERGE = "merge", _("Merge")

    kind = models.CharField(max_length=12, choices=EventKind.choices)
    effective_date = models.DateField(db_index=True)
    legal_act = models.ForeignKey(LegalAct, on_delete=models.PROTECT, related_name="restructurings")
    description = models.TextField(blank=True)
    subjects = models.ManyToManyField(OrgUnit, related_name="restructurings", blank=True)
    details = models.JSONField(default=dict, blank=True)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["effective_date", "id"]
        verbose_name = _("restructuring")

    def __str__(self) -> str:
        return f"{self.effective_date} {self.get_kind_display()}: {self.description}"


class EffectiveDated(models.Model):
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    event = models.ForeignKey(Restructuring, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def clean(self) -> None:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": _("valid_to must be after valid_from.")})


class TerritorialRelation(EffectiveDated):
    """Where a unit is: its territorial parent during [valid_from, valid_to)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="parent_links")
    parent = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="child_links")

    class Meta:
        ordering = ["unit_id", "valid_from"]
        indexes = [models.Index(fields=["parent", "valid_from"]), models.Index(fields=["unit", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="territorial_interval_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} in {self.parent_id} [{self.valid_from}, {self.valid_to or '…'})"


class GoverningRelation(EffectiveDated):
    """Who manages and funds a unit: its governing body (an authority) during [valid_from, valid_to)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="body_links")
    body = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="governed_links")

    class Meta:
        ordering = ["unit_id", "valid_from"]
        indexes = [models.Index(fields=["body", "valid_from"]), models.Index(fields=["unit", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="governing_interval_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} governed by {self.body_id} [{self.valid_from}, {self.valid_to or '…'})"


class NameRecord(EffectiveDated):
    """A unit's names during an interval; written by open and rename so past names stay visible."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="name_records")
    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255, blank=True)
    name_en = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["unit_id", "valid_from"]

    def __str__(self) -> str:
        return f"{self.name} [{self.valid_from}, {self.valid_to or '…'})"

    @property
    def name(self) -> str:
        return localized(self, "name")
