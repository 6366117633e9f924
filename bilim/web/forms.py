"""Form building blocks shared by every write page.

`OrgUnitField` is how a form asks for an org unit: the page shows a search box (the picker,
`/pickers/units/`, `static/bilim/picker.js`) and posts the chosen unit's code in a hidden input;
the field turns the code back into an `OrgUnit` and checks it — it exists, is of an allowed kind,
and lies in the user's scope (the picker only offers such units, but a post can say anything).
Without JavaScript the search box itself is read: a code typed there is accepted.

`UserForm` hands the signed-in user to every `OrgUnitField` of a form, so a view writes
`MyForm(request.POST, user=request.user)` and the scope check happens in `is_valid()`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from bilim.accounts.permissions import can_read_unit, can_write_unit
from bilim.registry.models import Kind, OrgUnit


class OrgUnitWidget(forms.Widget):
    """A search box plus a hidden input carrying the code (see picker.js)."""

    template_name = "web/widgets/orgunit.html"

    class Media:
        css = {"all": ["bilim/picker.css"]}
        js = ["bilim/picker.js"]

    def __init__(self, attrs=None, kinds: tuple[str, ...] = ()) -> None:
        super().__init__(attrs)
        self.kinds = tuple(kinds)

    def format_value(self, value):
        if isinstance(value, OrgUnit):
            return value.code
        return "" if value in (None, "") else str(value)

    def get_context(self, name, value, attrs):
        ctx = super().get_context(name, value, attrs)
        code = ctx["widget"]["value"]
        unit = OrgUnit.objects.filter(code=code).first() if code else None
        ctx["widget"].update({
            "label": f"{unit.code} {unit.name}" if unit else (code or ""),
            "url": reverse("web:picker_units"),
            "kinds": ",".join(self.kinds),
            "search_name": f"{name}_q",
        })
        return ctx

    def value_from_datadict(self, data, files, name):
        """The hidden code; else what was typed in the search box (no JavaScript, or a typed code)."""
        code = (data.get(name) or "").strip()
        if code:
            return code
        return (data.get(f"{name}_q") or "").strip()

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_q" not in data


class OrgUnitField(forms.Field):
    """An org unit chosen with the picker; cleaned to an `OrgUnit`.

    kinds: the allowed kinds (empty: any); user: the signed-in user whose scope bounds the choice
    (set by `UserForm`); family: when given, the user must be allowed to write that family at the
    unit (else reading it is enough)."""

    widget = OrgUnitWidget
    default_error_messages = {
        "unknown": _("No org unit with code %(code)s: choose one from the list."),
        "kind": _("%(unit)s is not of an allowed kind (%(kinds)s)."),
        "scope": _("%(code)s is outside your scope."),
    }

    def __init__(self, *, kinds: tuple[str, ...] | list[str] = (), user=None, family: str | None = None,
                 **kwargs) -> None:
        self.kinds = tuple(kinds)
        self.user = user
        self.family = family
        super().__init__(**kwargs)
        self.widget.kinds = self.kinds

    def prepare_value(self, value):
        return value.code if isinstance(value, OrgUnit) else value

    def to_python(self, value) -> OrgUnit | None:
        if isinstance(value, OrgUnit):
            return value
        text = (value or "").strip()
        if not text:
            return None
        code = text.split()[0]
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"code": code})
        return unit

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        if self.kinds and value.kind not in self.kinds:
            labels = ", ".join(str(Kind(k).label) for k in self.kinds)
            raise forms.ValidationError(self.error_messages["kind"], code="kind",
                                        params={"unit": value.code, "kinds": labels})
        if self.user is not None:
            ok = (can_write_unit(self.user, value, self.family) if self.family
                  else can_read_unit(self.user, value))
            if not ok:
                raise forms.ValidationError(self.error_messages["scope"], code="scope", params={"code": value.code})


class DateInput(forms.DateInput):
    """The browser's date picker; the value stays ISO (YYYY-MM-DD) whatever the page language."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class UserFormMixin:
    """A form that knows the signed-in user: every `OrgUnitField` is bounded by the user's scope."""

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.user = user
        for field in self.fields.values():  # type: ignore[attr-defined]
            if isinstance(field, OrgUnitField):
                field.user = user


class UserForm(UserFormMixin, forms.Form):
    pass


class UserModelForm(UserFormMixin, forms.ModelForm):
    pass


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to the field it names when the form has
    that field, else at the top with the field's name."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            for msg in errors:
                form.add_error(None, msg if field == "__all__" else f"{field}: {msg}")
