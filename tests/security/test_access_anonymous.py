"""An anonymous write to the API is a 401 with the API's JSON error, never ninja's 403 "CSRF check
Failed" (issue 11, Low): there is no session to forge, the caller must sign in or send a token."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security.test_api_rules import _fill, _operations

pytestmark = pytest.mark.django_db


def test_anonymous_writes_are_401_json_even_with_csrf_checks(world):
    c = Client(enforce_csrf_checks=True)
    writes = [(m, p) for m, p, _ in _operations() if m != "GET"]
    assert writes
    for method, path in writes:
        r = c.generic(method, _fill(path, "KZ"))
        assert r.status_code == 401, f"{method} {path}: {r.status_code} {r.content[:200]!r}"
        assert r.json()["code"] == "unauthorized", f"{method} {path}"


def test_signed_in_writes_without_csrf_token_are_still_refused(world, users):
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["admin"])
    r = c.post("/api/v1/exchange/import")
    assert r.status_code == 403 and "CSRF" in r.json()["message"]


def test_anonymous_post_with_a_bad_token_is_401(world):
    r = Client(enforce_csrf_checks=True).post("/api/v1/exchange/import", HTTP_AUTHORIZATION="Bearer nope")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
