"""Activate the signed-in user's remembered language (falls back to the cookie, then Kazakh)."""

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
