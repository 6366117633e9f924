"""Pickers: small JSON look-ups behind the form widgets, so nobody types a 12-digit code.

The org-unit picker searches the units open today that the caller may use (their scope, as
`filter_units` decides; the public only aggregates), by code or by name in the page's language,
and answers at most `PICKER_LIMIT` units — enough to choose from while typing, never a registry
dump. The widget (`bilim.web.forms.OrgUnitWidget`, `static/bilim/picker.js`) calls it; the form
field checks the chosen code again on submit, so the picker is a convenience, not the guard.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Q, Value, When
from django.http import HttpRequest, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bilim.accounts.permissions import filter_units, permission_required, today
from bilim.registry.models import Kind, OrgUnit, TerritorialRelation
from bilim.registry.selectors import units_on

PICKER_LIMIT = 20
MAX_QUERY = 100
KIND_ORDER = [Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT, Kind.AUTHORITY, Kind.ORGANIZATION]


class PickerError(ValueError):
    """Bad picker input; `field` names the parameter for the 400 answer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_kinds(text: str) -> tuple[str, ...]:
    """'authority,district' -> ('authority', 'district'); an unknown kind is an error naming it."""
    kinds = tuple(k.strip().lower() for k in (text or "").split(",") if k.strip())
    valid = set(Kind.values)
    for k in kinds:
        if k not in valid:
            raise PickerError("kind", _("Unknown kind of org unit: %(k)s (one of %(all)s).")
                              % {"k": k, "all": ", ".join(Kind.values)})
    return kinds


def _variants(word: str) -> set[str]:
    """Case variants of a word: SQLite's LIKE folds only ASCII, so 'алматы' must also be tried as
    'Алматы' and 'АЛМАТЫ' (PostgreSQL folds Unicode itself; the variants cost it nothing)."""
    return {word, word.lower(), word.upper(), word.capitalize(), word.title()}


def name_field(lang: str | None = None) -> str:
    lang = (lang or get_language() or "kk")[:2]
    return f"name_{lang}" if lang in ("kk", "ru", "en") else "name_kk"


def search_units(user, q: str = "", kinds: tuple[str, ...] = (), day: dt.date | None = None,
                 limit: int = PICKER_LIMIT) -> tuple[list[dict], bool]:
    """The units `user` may use whose code starts with, or whose name (in the active language, else
    Kazakh) contains, every word of `q`; exact code first, then by level and code.

    Returns (rows, more): at most `limit` rows and whether more units matched."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise PickerError("q", _("The search text is too long (at most %(n)d characters).") % {"n": MAX_QUERY})
    day = day or today()
    qs = filter_units(units_on(day), user)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    field = name_field()
    for word in q.split():
        cond = Q(code__istartswith=word)
        for v in _variants(word):
            cond |= Q(**{f"{field}__icontains": v})
            if field != "name_kk":
                cond |= Q(**{f"{field}": ""}) & Q(name_kk__icontains=v)
        qs = qs.filter(cond)
    qs = qs.annotate(
        _exact=Case(When(code__iexact=q, then=Value(0)), default=Value(1), output_field=IntegerField()),
        _level=Case(*[When(kind=k, then=Value(i)) for i, k in enumerate(KIND_ORDER)], default=Value(9),
                    output_field=IntegerField()),
    ).order_by("_exact", "_level", "code")
    units = list(qs[: limit + 1])
    more = len(units) > limit
    units = units[:limit]
    return [unit_row(u, p) for u, p in zip(units, _parents(units, day), strict=True)], more


def _parents(units: list[OrgUnit], day: dt.date) -> list[OrgUnit | None]:
    """Each unit's territorial parent on `day`, in one query (the picker shows it to tell apart
    the many 'School No. 1')."""
    links = (TerritorialRelation.objects.filter(unit__in=units, valid_from__lte=day)
             .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).select_related("parent"))
    by_unit = {link.unit_id: link.parent for link in links}
    return [by_unit.get(u.pk) for u in units]


def unit_row(unit: OrgUnit, parent: OrgUnit | None = None) -> dict:
    return {"code": unit.code, "name": unit.name, "kind": unit.kind, "kind_label": str(unit.get_kind_display()),
            "parent": parent.name if parent is not None else "", "label": f"{unit.code} {unit.name}"}


@permission_required("registry")
def units(request: HttpRequest) -> JsonResponse:
    """GET /pickers/units/?q=&kind= — the org-unit picker's answer (JSON)."""
    try:
        kinds = parse_kinds(request.GET.get("kind", ""))
        rows, more = search_units(request.user, request.GET.get("q", ""), kinds)
    except PickerError as e:
        return JsonResponse({"detail": e.message, "field": e.field}, status=400)
    return JsonResponse({"results": rows, "more": more})
