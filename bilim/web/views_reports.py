"""PDF downloads of the printed reports (`bilim.reports`), one route per kind so that each carries
the permission family of what it prints: indicators (analytics), meetings and instructions
(governance), capital projects (projects)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language

from bilim.accounts.permissions import permission_required
from bilim.reports import kinds, render


def _make(kind: str) -> Callable[[HttpRequest, str], HttpResponse]:
    @permission_required(kinds.FAMILY[kind])
    def view(request: HttpRequest, code: str) -> HttpResponse:
        lang = request.GET.get("lang") or (get_language() or "kk")[:2]
        if lang not in ("kk", "ru", "en"):
            lang = "kk"
        mode = request.GET.get("mode", "current")
        as_of = None
        if request.GET.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(request.GET["as_of"])
            except ValueError:
                as_of = None
        req = kinds.Request(kind, code, lang=lang, mode=mode if mode in ("current", "historical") else "current",
                            as_of=as_of, user=request.user)
        try:
            data = render.pdf(req)
        except kinds.ReportError as e:
            raise Http404(str(e)) from e
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{req.file_name()}"'
        return response

    view.__name__ = f"report_{kind}"
    return view


VIEWS = {kind: _make(kind) for kind in kinds.KINDS}
