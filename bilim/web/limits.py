"""Request hygiene applied to every request before a view runs: body size, caching, idle sessions.

Why here and not per view: issue 11 found a 210 MB body read by the API without a refusal, data pages
cached by browsers and proxies, and sessions that lived 14 days. One middleware each keeps the rule in
one place; the settings (`BILIM_MAX_BODY_BYTES`, `BILIM_MAX_UPLOAD_BYTES`, `BILIM_UPLOAD_PATHS`,
`BILIM_SESSION_IDLE_SECONDS`) are documented in docs/security.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _

Middleware = Callable[[HttpRequest], HttpResponse]


def body_limit(path: str) -> int:
    """The largest body accepted on `path`: uploads (the import page and API) may send files."""
    if any(path.startswith(p) for p in settings.BILIM_UPLOAD_PATHS):
        return settings.BILIM_MAX_UPLOAD_BYTES + 1024 * 1024  # the file plus its multipart envelope
    return settings.BILIM_MAX_BODY_BYTES


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


class RequestSizeMiddleware:
    """413 for a body longer than the path allows, decided from Content-Length before anything reads it.

    A body without Content-Length (chunked) is read by Django as empty under WSGI, so it cannot get past.
    """

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        if length is None:
            return self._refuse(request, 400, _("The Content-Length header is not a number."))
        limit = body_limit(request.path)
        if length > limit:
            mb = f"{limit / 1024 / 1024:.0f}"
            msg = _("The request body is %(size)s MB; at most %(limit)s MB is accepted here.") % {
                "size": f"{length / 1024 / 1024:.0f}", "limit": mb}
            return self._refuse(request, 413, msg)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
        # the body is not read: the client may still be sending it, so the connection is closed
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"code": "too_large" if status == 413 else "bad_request", "message": message}, status=status)
        else:
            response = HttpResponse(render_to_string("web/error.html", {"status": status, "message": message},
                                                     request=request), status=status)
        response["Connection"] = "close"
        add_never_cache_headers(response)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer of the application (pages, API, files it generates).

    Static files are served by WhiteNoise before this middleware and keep their long cache lifetime;
    a view that sets its own Cache-Control keeps it.
    """

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class SessionIdleMiddleware:
    """Sessions end after `BILIM_SESSION_IDLE_SECONDS` without a request (default 8 hours).

    Django's own way (`SESSION_SAVE_EVERY_REQUEST`) writes the session row on every request, which
    would make every read wait for the database's write lock; the expiry is pushed forward at most
    once every `BILIM_SESSION_TOUCH_SECONDS` instead, so the idle limit holds to within that interval.
    """

    KEY = "_bilim_seen"

    def __init__(self, get_response: Middleware) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.session_key and getattr(request, "user", None) is not None \
                and request.user.is_authenticated:
            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= settings.BILIM_SESSION_TOUCH_SECONDS:
                session[self.KEY] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)
