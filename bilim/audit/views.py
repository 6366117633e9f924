"""The audit page: the filtered trail (newest first, 50 a page), a CSV of the filtered rows and the
hash-chain check. Thin: reads come from `selectors.audit_list`, the check from `services.verify`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bilim.accounts.permissions import READ, permission_required
from bilim.exchange.safecell import row as safe_row

from . import selectors
from . import services as audit

PAGE_SIZE = 50
VALUE_CHARS = 120  # a changed value longer than this is cut in the table (the CSV keeps it whole)
CSV_COLUMNS = ["id", "at", "actor", "action", "object_type", "object_id", "before", "after", "hash", "prev_hash"]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.CharField(label=_("Action starts with"), required=False, max_length=64)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=64)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=128)
    # "From" alone is the start of a validity period elsewhere ("Действует с"); here it bounds a search
    since = forms.DateField(label=pgettext_lazy("date filter", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=pgettext_lazy("date filter", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _filtered(request: HttpRequest):
    """(queryset, form): the records matching the valid filters of the query; invalid ones are ignored
    (the form shows why)."""
    form = AuditFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    filters: dict[str, Any] = {
        "actor": (data.get("actor") or "").strip(),
        "action_prefix": (data.get("action") or "").strip(),
        "object_type": (data.get("object_type") or "").strip(),
        "object_id": (data.get("object_id") or "").strip(),
        "since": data.get("since"),
        "until": data.get("until"),
    }
    return selectors.audit_list(filters), form


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def diff(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """(key, before, after) per changed key when both sides are objects, else one row for the whole
    value ('' key); a side that is absent is ''. Unchanged keys are left out."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(set(before) | set(after), key=str)
        return [(str(k), _compact(before[k]) if k in before else "", _compact(after[k]) if k in after else "")
                for k in keys if before.get(k) != after.get(k) or (k in before) != (k in after)]
    if isinstance(after, dict) and before is None:
        return [(str(k), "", _compact(v)) for k, v in sorted(after.items(), key=lambda kv: str(kv[0]))]
    if isinstance(before, dict) and after is None:
        return [(str(k), _compact(v), "") for k, v in sorted(before.items(), key=lambda kv: str(kv[0]))]
    if before is None and after is None:
        return []
    return [("", "" if before is None else _compact(before), "" if after is None else _compact(after))]


def _verify_context() -> dict[str, Any]:
    return {"verify": audit.verify()}


@permission_required("audit", READ)
def records(request: HttpRequest) -> HttpResponse:
    qs, form = _filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"rec": r, "diff": diff(r.before, r.after)} for r in page.object_list]
    params = request.GET.copy()
    for k in ("page", "verify"):
        params.pop(k, None)
    ctx: dict[str, Any] = {"form": form, "page": page, "rows": rows, "query": params.urlencode()}
    if request.GET.get("verify"):
        ctx.update(_verify_context())
    return render(request, "audit/records.html", ctx)


@permission_required("audit", READ)
def verify(request: HttpRequest) -> HttpResponse:
    """The chain check as a panel (htmx swaps it into the audit page)."""
    return render(request, "audit/_verify.html", _verify_context())


class _Echo:
    def write(self, value: str) -> str:
        return value


@permission_required("audit", READ)
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered records (all pages, newest first) as CSV, streamed; before/after as JSON."""
    qs, _form = _filtered(request)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(CSV_COLUMNS)
        for r in qs.iterator(chunk_size=2000):
            yield writer.writerow(safe_row([
                r.id, r.at.isoformat(), r.actor, r.action, r.object_type, r.object_id,
                "" if r.before is None else json.dumps(r.before, ensure_ascii=False, sort_keys=True, default=str),
                "" if r.after is None else json.dumps(r.after, ensure_ascii=False, sort_keys=True, default=str),
                r.hash, r.prev_hash,
            ]))

    resp = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="bilim-audit.csv"'
    return resp
