"""Forms of the registry and authority write pages.

They only collect input: a form turns its fields into the plain data of `registry.events.plan_from_data`
or the arguments of `authority.services`, and the rules (and their translated messages, naming the
field) stay in those services. A message about a field the form does not show goes to the top.

`UnitCodeField` is an org-unit code typed with the suggestions of a <datalist>; it is meant to give way
to the shared search picker (`bilim.web.forms.OrgUnitField`) once that is on main.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bilim.authority.models import LEVEL_SUBTYPES, Level
from bilim.registry import events
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, LegalAct, OrgType, Restructuring, Subtype

EK = Restructuring.EventKind
UNIT_LIST = "unit-codes"  # the id of the page's <datalist> of suggested codes


class UnitCodeField(forms.CharField):
    """An org-unit code, with the page's datalist of suggestions (resolved by the service layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": UNIT_LIST, "autocomplete": "off"}))
        super().__init__(*args, **kwargs)


class UnitCodesField(forms.CharField):
    """Several codes, separated by commas, spaces or new lines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200_000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(*args, **kwargs)


def _acts() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=LegalAct.objects.order_by("-date", "-id"), label=_("Legal act"),
                                  empty_label=_("— choose the act —"))


def date_field(label) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _place_errors(form: forms.Form, exc: ValidationError, aliases: dict[str, str]) -> None:
    """Put each message of a service error beside the field it names (or at the top)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        target = aliases.get(name, name)
        form.add_error(target if target in form.fields else None, messages)


class LegalActForm(forms.ModelForm):
    url = forms.URLField(label=_("Link to the published text"), required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = LegalAct
        fields = ["kind", "number", "date", "issuer", "title_kk", "title_ru", "title_en", "url"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "title_kk": forms.Textarea(attrs={"rows": 2}), "title_ru": forms.Textarea(attrs={"rows": 2}),
                   "title_en": forms.Textarea(attrs={"rows": 2})}


# Fields shown for each kind of event (beside the act, the date and the description).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    EK.OPEN: ("new_code", "new_kind", "new_org_type", "new_subtype", "new_name_kk", "new_name_ru", "new_name_en",
              "new_parent", "new_governing_body"),
    EK.CLOSE: ("unit",),
    EK.MOVE: ("unit", "parent"),
    EK.TRANSFER: ("units", "governed_by", "governed_type", "body"),
    EK.RENAME: ("unit", "name_kk", "name_ru", "name_en"),
    EK.SPLIT: ("source", "children", "target", "new_code", "new_kind", "new_name_kk", "new_name_ru", "new_name_en",
               "new_parent", "close_source"),
    EK.MERGE: ("sources", "target", "new_code", "new_kind", "new_name_kk", "new_name_ru", "new_name_en",
               "new_parent", "new_governing_body"),
}
NEW_UNIT = {"code": "new_code", "kind": "new_kind", "org_type": "new_org_type", "subtype": "new_subtype",
            "name_kk": "new_name_kk", "name_ru": "new_name_ru", "name_en": "new_name_en", "parent": "new_parent",
            "governing_body": "new_governing_body"}
ALIASES = {f"new_unit.{k}": v for k, v in NEW_UNIT.items()} | {f"parts.{k}": v for k, v in NEW_UNIT.items()} | {
    "parts": "children", "legal_act": "legal_act", "kind": None}

TYPE_CHOICES = [("", _("any type")), *[(f"type:{v}", label) for v, label in OrgType.choices],
                *[(f"subtype:{v}", label) for v, label in Subtype.choices]]


class EventForm(forms.Form):
    """One restructuring event of a given kind; `plan` is set once the form is valid."""

    legal_act = _acts()
    effective_date = date_field(_("Effective date"))
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    unit = UnitCodeField(label=_("Unit (code)"))
    units = UnitCodesField(label=_("Units (codes)"),
                           help_text=_("Separated by commas, spaces or new lines."))
    governed_by = UnitCodeField(label=_("…and every unit governed on that date by (body code)"))
    governed_type = forms.ChoiceField(label=_("of type"), choices=TYPE_CHOICES, required=False)
    parent = UnitCodeField(label=_("New territorial parent (code)"))
    body = UnitCodeField(label=_("New governing body (code)"))
    name_kk = forms.CharField(label=_("New name (Kazakh)"), required=False, max_length=255)
    name_ru = forms.CharField(label=_("New name (Russian)"), required=False, max_length=255)
    name_en = forms.CharField(label=_("New name (English)"), required=False, max_length=255)
    source = UnitCodeField(label=_("Unit that is split (code)"))
    children = UnitCodesField(label=_("Children that move (codes)"))
    target = UnitCodeField(label=_("Existing unit that receives them (code)"),
                           help_text=_("Or describe a new unit below."))
    sources = UnitCodesField(label=_("Units merged and closed (codes)"))
    close_source = forms.BooleanField(label=_("Close the unit that is split"), required=False)
    new_code = forms.CharField(label=_("New unit: code"), required=False, max_length=32)
    new_kind = forms.ChoiceField(label=_("New unit: kind"), required=False,
                                 choices=[("", "—"), *Kind.choices])
    new_org_type = forms.ChoiceField(label=_("New unit: organization type"), required=False,
                                     choices=[("", "—"), *OrgType.choices])
    new_subtype = forms.ChoiceField(label=_("New unit: subtype"), required=False,
                                    choices=[("", "—"), *Subtype.choices])
    new_name_kk = forms.CharField(label=_("New unit: name (Kazakh)"), required=False, max_length=255)
    new_name_ru = forms.CharField(label=_("New unit: name (Russian)"), required=False, max_length=255)
    new_name_en = forms.CharField(label=_("New unit: name (English)"), required=False, max_length=255)
    new_parent = UnitCodeField(label=_("New unit: territorial parent (code)"))
    new_governing_body = UnitCodeField(label=_("New unit: governing body (code)"))

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["legal_act"].queryset = LegalAct.objects.order_by("-date", "-id")
        keep = {"legal_act", "effective_date", "description", *KIND_FIELDS[kind]}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.plan: events.EventPlan | None = None

    def _expanded_units(self, data: dict[str, Any]) -> list[str]:
        """The typed codes plus, if asked, the units the named body governs on the date (of a type)."""
        codes = [c for c in str(data.get("units") or "").replace(";", ",").replace("\n", ",").replace(" ", ",")
                 .split(",") if c.strip()]
        body = events.resolve_unit(data.get("governed_by"), "governed_by")
        day = data.get("effective_date")
        if body is not None and isinstance(day, dt.date):
            # the units governed the day before the event (on the day itself they may already have moved)
            qs = registry.governed_by(body, day - dt.timedelta(days=1))
            how, _sep, value = (data.get("governed_type") or "").partition(":")
            if how == "type":
                qs = qs.filter(org_type=value)
            elif how == "subtype":
                qs = qs.filter(subtype=value)
            codes += list(qs.order_by("code").values_list("code", flat=True))
        return codes

    def plan_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        data: dict[str, Any] = {"kind": self.kind, "effective_date": d.get("effective_date"),
                                "legal_act": d["legal_act"].pk if d.get("legal_act") else None,
                                "description": d.get("description", "")}
        for name in ("unit", "parent", "body", "name_kk", "name_ru", "name_en", "source", "target"):
            if name in self.fields:
                data[name] = d.get(name)
        if "units" in self.fields:
            data["units"] = self._expanded_units(d)
        if "sources" in self.fields:
            data["sources"] = d.get("sources") or ""
        new = {k: d.get(v) for k, v in NEW_UNIT.items() if v in self.fields}
        has_new = bool(new.get("code"))
        if self.kind in (EK.OPEN, EK.MERGE) and (has_new or self.kind == EK.OPEN):
            data["new_unit"] = new
        if self.kind == EK.SPLIT:
            part: dict[str, Any] = {"target": d.get("target"), "children": d.get("children") or ""}
            if not d.get("target") and has_new:
                part["new_unit"] = new
            data["parts"] = [part]
            data["close_source"] = d.get("close_source")
        if isinstance(data.get("sources"), str):
            data["sources"] = [c for c in data["sources"].replace(",", " ").split() if c]
        for part in data.get("parts", []):
            if isinstance(part["children"], str):
                part["children"] = [c for c in part["children"].replace(",", " ").split() if c]
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.plan = events.plan_from_data(self.plan_data())
        except ValidationError as e:
            _place_errors(self, e, ALIASES)
        return cleaned

    def fingerprint(self) -> str:
        """A digest of what the form asks for: Apply records only what was previewed."""
        data = {k: (v.pk if hasattr(v, "pk") else v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in sorted(self.cleaned_data.items())}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def place(self, exc: ValidationError) -> None:
        _place_errors(self, exc, ALIASES)


class ReversalForm(forms.Form):
    legal_act = _acts()
    effective_date = date_field(_("Effective date of the reversal"))

    def fingerprint(self) -> str:
        d = self.cleaned_data
        return hashlib.sha256(f"{d['legal_act'].pk}|{d['effective_date']}".encode()).hexdigest()[:32]

    def place(self, exc: ValidationError) -> None:
        _place_errors(self, exc, {})


# --- authority ---------------------------------------------------------------------------------------

SUBTYPES = [(s, Subtype(s).label) for s in ("MINISTRY", "AKIMAT", "REGION_DEPT", "DISTRICT_OFFICE")]


class CompetenceForm(forms.Form):
    code = forms.RegexField(label=_("Code"), regex=r"^[A-Za-z0-9_.-]+$", max_length=40)
    name_kk = forms.CharField(label=_("Name (Kazakh)"), max_length=255)
    name_ru = forms.CharField(label=_("Name (Russian)"), max_length=255, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=255, required=False)
    description_kk = forms.CharField(label=_("Description (Kazakh)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    description_ru = forms.CharField(label=_("Description (Russian)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    description_en = forms.CharField(label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    level = forms.ChoiceField(label=_("Level that holds it"), choices=Level.choices)
    body_subtype = forms.ChoiceField(label=_("Body at that level"), choices=SUBTYPES)
    valid_from = date_field(_("From"))
    legal_act = _acts()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_act"].queryset = LegalAct.objects.order_by("-date", "-id")

    def place(self, exc: ValidationError) -> None:
        _place_errors(self, exc, {})


class AssignmentForm(forms.Form):
    level = forms.ChoiceField(label=_("Level that holds it"), choices=Level.choices)
    body_subtype = forms.ChoiceField(label=_("Body at that level"), choices=SUBTYPES)
    valid_from = date_field(_("From"))
    legal_act = _acts()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_act"].queryset = LegalAct.objects.order_by("-date", "-id")

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if d.get("level") and d.get("body_subtype") and d["body_subtype"] not in LEVEL_SUBTYPES[d["level"]]:
            self.add_error("body_subtype", _("This body cannot hold a power at that level."))
        return d

    def place(self, exc: ValidationError) -> None:
        _place_errors(self, exc, {})


class DelegationForm(forms.Form):
    competence = forms.ModelChoiceField(label=_("Competence"), queryset=None, to_field_name="code")  # type: ignore[arg-type]
    grantor = UnitCodeField(label=_("From body (code)"), required=True)
    grantee = UnitCodeField(label=_("To body (code)"), required=True)
    scope_unit = UnitCodeField(label=_("Over territory (code)"),
                               help_text=_("The republic, a region or a district; or list organizations below."))
    organizations = UnitCodesField(label=_("Or over these organizations (codes)"))
    valid_from = date_field(_("From"))
    valid_to = forms.DateField(label=_("Until (exclusive, optional)"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    legal_act = _acts()
    note_kk = forms.CharField(label=_("Note (Kazakh)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note_ru = forms.CharField(label=_("Note (Russian)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note_en = forms.CharField(label=_("Note (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from bilim.authority.models import Competence

        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = Competence.objects.all()
        self.fields["legal_act"].queryset = LegalAct.objects.order_by("-date", "-id")
        self.units: dict[str, Any] = {}

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        for name in ("grantor", "grantee", "scope_unit"):
            try:
                self.units[name] = events.resolve_unit(d.get(name), name)
            except ValidationError as e:
                self.place(e)
        try:
            self.units["organizations"] = events.resolve_units(d.get("organizations") or "", "organizations")
        except ValidationError as e:
            self.place(e)
        return d

    def place(self, exc: ValidationError) -> None:
        _place_errors(self, exc, {})


class RevocationForm(forms.Form):
    effective_date = date_field(_("No longer applies from"))
    legal_act = _acts()
    reason_kk = forms.CharField(label=_("Reason (Kazakh)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason_ru = forms.CharField(label=_("Reason (Russian)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason_en = forms.CharField(label=_("Reason (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_act"].queryset = LegalAct.objects.order_by("-date", "-id")

    def place(self, exc: ValidationError) -> None:
        _place_errors(self, exc, {})
