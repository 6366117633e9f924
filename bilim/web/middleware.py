"""Per-request context: the signed-in user's remembered language (falls back to the cookie, then
Kazakh) and the approval level of the analytics they read."""

from __future__ import annotations

from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", ""):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class AnalyticsLevelMiddleware:
    """Answer analytics questions at the approval level of the signed-in user (the public level for
    anonymous callers); the API raises it for a bearer token's user in `check_api_request`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from bilim.accounts.permissions import analytics_level
        from bilim.analytics.service import reader_level

        token = reader_level.set(analytics_level(getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            reader_level.reset(token)
