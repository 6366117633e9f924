"""Small display filters shared by the pages: ISO dates from selectors, money, percentages."""

from __future__ import annotations

import datetime as dt

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def isodate(value, fmt: str = "DATE_FORMAT"):
    """An ISO date string (as the selectors return them) shown in the active language's format."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return date_filter(value, fmt)


@register.filter
def mln(value, digits: int = 1):
    """KZT amount in millions with grouping in the active locale (e.g. 1 234,5)."""
    if value is None or value == "":
        return "—"
    return floatformat(float(value) / 1e6, f"{digits}g")


@register.filter
def num(value, digits: int = 1):
    """A number with grouping and `digits` decimals (no decimals when whole and digits is negative)."""
    if value is None or value == "":
        return "—"
    return floatformat(value, f"{digits}g")


@register.filter
def pct(value, digits: int = 1):
    if value is None or value == "":
        return "—"
    return floatformat(value, f"{digits}g") + " %"


@register.filter
def get(mapping, key):
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def status_class(status: str) -> str:
    return {"executed": "good", "completed": "good", "removed": "muted", "cancelled": "muted",
            "suspended": "bad", "new": "", "in_progress": "info", "planned": "", "design": "info",
            "construction": "info"}.get(status or "", "")


@register.filter
def basis_label(basis: str) -> str:
    return {"default": _("by law (default holder)"), "delegation": _("by delegation"),
            "none": _("no holder found")}.get(basis, basis)


@register.filter
def level_label(level: str | None) -> str:
    from bilim.authority.models import Level

    if not level:
        return "—"
    try:
        return str(Level(level).label)
    except ValueError:
        return level


@register.filter
def subtype_label(code: str | None) -> str:
    labels = {"MINISTRY": _("Ministry"), "AKIMAT": _("Akimat"), "REGION_DEPT": _("Region education department"),
              "DISTRICT_OFFICE": _("District education office")}
    return str(labels.get(code or "", code or "—"))


@register.filter
def issuer_label(issuer: str) -> str:
    """An act's issuer in the reader's language where the catalogue has the name, else as entered."""
    return _(issuer) if issuer else ""


@register.filter
def act_text(act) -> str:
    """A legal act (a `LegalAct`, or the reference `authority.selectors.act_ref` gives) on one line, its
    date in the page language's format and its issuer translated where the catalogue has it."""
    if not act:
        return "—"
    from bilim.registry.models import LegalAct

    if isinstance(act, LegalAct):
        from bilim.authority.selectors import act_ref

        act = act_ref(act)

    try:
        kind = str(LegalAct.ActKind(act.get("kind")).label)
    except ValueError:
        kind = act.get("kind") or ""
    head = kind
    if act.get("number"):
        head += " " + _("No. %(n)s") % {"n": act["number"]}
    if act.get("date"):
        head += " " + _("of %(d)s") % {"d": isodate(act["date"])}
    if act.get("issuer"):
        head += f" ({issuer_label(act['issuer'])})"
    title = act.get("title") or ""
    return f"{head}: {title}" if title else head


@register.filter
def role_label(role: str) -> str:
    return str({"chair": _("Chair"), "speaker": _("Speaker"), "member": _("Member"),
                "guest": _("Guest")}.get(role, role))


@register.filter
def control_label(level: str) -> str:
    from bilim.governance.models import Instruction

    try:
        return str(Instruction.ControlLevel(level).label)
    except ValueError:
        return level or "—"


@register.filter
def period_label(code) -> str:
    """A period code as a person reads it ("2024S" -> "2024/25"); see `bilim.metadata.periods.label`."""
    from bilim.metadata.periods import label

    return label(str(code)) if code else ""


@register.simple_tag(takes_context=True)
def export_url(context, fmt: str, table: str = "") -> str:
    """This page's URL with `format` (and `table`) added: an export of one of its tables keeps the page's
    own selection, mode and as-of date (see `bilim.web.exports`)."""
    request = context["request"]
    query = request.GET.copy()
    query["format"] = fmt
    if table:
        query["table"] = table
    else:
        query.pop("table", None)
    return f"{request.path}?{query.urlencode()}"
