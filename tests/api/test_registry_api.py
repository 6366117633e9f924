"""The registry endpoints: as-of reads, history with legal acts, pagination and JSON errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_orgunit_did_not_exist_before_it_opened(admin_client, mini_registry):
    body = admin_client.get("/api/v1/orgunits/KZ-10?as_of=2021-01-01").json()
    assert body["exists"] is False
    assert body["parent"] is None


def test_district_parent_follows_the_move(admin_client, mini_registry):
    before = admin_client.get("/api/v1/orgunits/KZ-63-001?as_of=2021-01-01").json()
    after = admin_client.get("/api/v1/orgunits/KZ-63-001?as_of=2023-01-01").json()
    assert before["ancestors"] == ["KZ-63", "KZ"]
    assert after["ancestors"] == ["KZ-10", "KZ"]


def test_school_governing_body_is_reported(admin_client, mini_registry):
    body = admin_client.get("/api/v1/orgunits/100000000001").json()
    assert body["governing_body"] == "KZ-63-001-EDU"


def test_history_lists_both_parents_with_the_act(admin_client, mini_registry):
    items = admin_client.get("/api/v1/orgunits/KZ-63-001/history").json()["items"]
    parents = [(i["value"].split()[0], i["valid_to"]) for i in items if i["relation"] == "territorial"]
    assert parents == [("KZ-63", "2022-06-08"), ("KZ-10", None)]
    assert any("887" in (i["legal_act"] or "") for i in items)


def test_list_is_paginated_and_filters_by_subtree(admin_client, mini_registry):
    body = admin_client.get("/api/v1/orgunits?parent=KZ-10&limit=1").json()
    assert body["count"] == 3  # district, office, school
    assert len(body["items"]) == 1


def test_unknown_code_gives_json_404(admin_client, mini_registry):
    resp = admin_client.get("/api/v1/orgunits/NOPE")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert "NOPE" in resp.json()["message"]


def test_bad_date_gives_json_error(admin_client, mini_registry):
    resp = admin_client.get("/api/v1/orgunits/KZ?as_of=yesterday")
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_input"


def test_anonymous_is_refused(client, mini_registry):
    resp = client.get("/api/v1/orgunits")
    assert resp.status_code == 401
    assert resp.json()["code"] == "unauthorized"


def test_token_auth_and_revocation(client, mini_registry):
    from bilim.accounts.models import ApiToken, User
    from bilim.accounts.services import issue_token, revoke_token

    user = User.objects.create_user("analyst", password="x-long-password", role="ministry")
    key = issue_token(user, "test")
    ok = client.get("/api/v1/orgunits/KZ", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert ok.status_code == 200
    revoke_token(ApiToken.objects.get(user=user), actor="test")
    assert client.get("/api/v1/orgunits/KZ", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_openapi_document_is_served(admin_client):
    doc = admin_client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/orgunits/{code}/history" in doc["paths"]


@pytest.mark.parametrize("path", ["/api/v1/orgunits", "/api/v1/orgunits/KZ/children", "/api/v1/orgunits/KZ/history"])
@pytest.mark.parametrize("param", ["offset=24099879940929220608", "limit=24099879940929220608"])
def test_huge_page_parameters_are_json_422_not_a_server_error(admin_client, mini_registry, path, param):
    """Found by schemathesis: an offset past 64 bits reached SQLite ("datatype mismatch", a 500)."""
    resp = admin_client.get(f"{path}?{param}")
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_input"


def test_largest_documented_offset_is_an_empty_page(admin_client, mini_registry):
    from bilim.api.pagination import MAX_OFFSET

    body = admin_client.get(f"/api/v1/orgunits?offset={MAX_OFFSET}&limit={MAX_OFFSET}").json()
    assert body["items"] == [] and body["count"] == 6
