"""The versioned REST API (`/api/v1/`). Each app contributes a django-ninja `router` in its `api.py`.

Auth: a token (`Authorization: Bearer <key>`) or the browser session. Errors are JSON objects with a
`code` and a `message`, whatever raised them.
"""

from __future__ import annotations

import importlib
import logging

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

log = logging.getLogger(__name__)


def _authorize(request: HttpRequest, user):
    """Every operation: after authentication, the role and scope rule of `bilim.accounts.permissions`."""
    from bilim.accounts.permissions import check_api_request

    if user is not None:
        check_api_request(request, user)  # raises PermissionDenied -> 403 {code: forbidden}
    return user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        from bilim.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return _authorize(request, user)


class ScopedSessionAuth(SessionAuth):
    """The browser session (CSRF-checked for unsafe methods), then the permission rule."""

    def __call__(self, request: HttpRequest):
        # Without a signed-in session there is nothing to forge: answer 401 (sign in or send a
        # token) rather than ninja's 403 "CSRF check Failed", which sent clients looking for a token.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key):
        return _authorize(request, super().authenticate(request, key))


session_auth = ScopedSessionAuth()


api = NinjaAPI(
    title="Bilim API",
    version="1",
    description="Education Management Information System: registry, metadata, data values, analytics, "
    "governance. Codes follow the catalogue; every list is paginated; errors are JSON {code, message}.",
    auth=[TokenAuth(), session_auth],
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details=None):
    body = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
             422: "invalid_input"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(NinjaValidationError)
def _validation(request, exc: NinjaValidationError):
    return _error(request, 422, "invalid_input", "The request has invalid fields", exc.errors)


@api.exception_handler(AuthenticationError)
def _auth(request, exc):
    return _error(request, 401, "unauthorized", "Sign in or send a valid API token")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or "Not allowed for your role or scope")


@api.exception_handler(ObjectDoesNotExist)
def _missing(request, exc):
    return _error(request, 404, "not_found", str(exc) or "Not found")


@api.exception_handler(DjangoValidationError)
def _invalid(request, exc: DjangoValidationError):
    """A rule of a service or a model: the message in the caller's language and, when the error names
    its inputs (`ValidationError({field: [...]})`), `field` (the first) and `details` {field: [messages]}."""
    if not hasattr(exc, "error_dict"):
        return _error(request, 400, "invalid", "; ".join(exc.messages))
    fields = exc.message_dict
    text = "; ".join(f"{name}: {msg}" if name != "__all__" else msg for name, msgs in fields.items() for msg in msgs)
    body = {"code": "invalid", "message": text, "field": next(iter(fields)), "details": fields}
    return api.create_response(request, body, status=400)


@api.exception_handler(ValueError)
def _value(request, exc: ValueError):
    return _error(request, 400, "bad_request", str(exc))


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc: MultiPartParserError):
    # e.g. `Content-Type: multipart/form-data` without a boundary: the client's error, not ours
    return _error(request, 400, "bad_request", f"Malformed multipart body: {exc}")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc: SuspiciousOperation):
    # Django's own request limits (too many fields or files, body too large) raised while ninja reads
    # the body; outside the API Django answers these with a 400 too
    if isinstance(exc, RequestDataTooBig):
        return _error(request, 413, "too_large", str(exc) or "The request body is too large")
    return _error(request, 400, "bad_request", str(exc) or "Malformed request")


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    log.exception("API error")
    return _error(request, 500, "server_error", "Unexpected server error; it has been logged")


def _mount_app_routers() -> None:
    """Mount `router` from every Bilim app's `api` module at /api/v1/<prefix>/."""
    for app in settings.INSTALLED_APPS:
        if not app.startswith("bilim.") or app == "bilim.api":
            continue
        try:
            module = importlib.import_module(f"{app}.api")
        except ModuleNotFoundError as e:
            if e.name == f"{app}.api":
                continue
            raise
        router = getattr(module, "router", None)
        if router is not None:
            api.add_router(getattr(module, "PREFIX", "/" + app.split(".")[1]), router)
        # an app may serve a second family of paths (the registry: /orgunits and /registry)
        for prefix, extra in getattr(module, "EXTRA_ROUTERS", {}).items():
            api.add_router(prefix, extra)


_mount_app_routers()
