"""Malformed requests get the API's JSON error {code, message} with a 4xx, never a server error.

Found by schemathesis (tests/api/test_schemathesis.py): Django's request-body errors raised while
django-ninja reads the body fell through to the catch-all handler and answered 500.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/exchange/import"
UNAPPROVE = "/api/v1/collection/approvals/SCHOOL_CENSUS/KZ/2024S/unapprove"


def test_multipart_without_boundary_is_400(admin_client):
    resp = admin_client.generic("POST", IMPORT, b"file=x", content_type="multipart/form-data")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "bad_request" and "multipart" in body["message"].lower()


def test_too_many_form_fields_is_400(admin_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    resp = admin_client.post(IMPORT, {"dry_run": "true", "a": "1", "b": "2", "c": "3"})
    assert resp.status_code == 400
    assert resp.json()["code"] == "bad_request"


def test_too_large_body_is_413(admin_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    resp = admin_client.post(UNAPPROVE, {"reason": "x" * 100}, content_type="application/json")
    assert resp.status_code == 413
    assert resp.json()["code"] == "too_large"
