"""Competence register writes through the API (and the services they call): create, correct, reassign,
delegate, revoke; the holder answer follows at once; roles, scope and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.audit.models import AuditRecord
from bilim.authority import selectors, services
from bilim.authority.models import Competence, Delegation

from .world import LegalActFactory


def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def law(world):
    return LegalActFactory(kind="law", number="319-III", date=dt.date(2007, 7, 27), issuer="Parliament",
                           title_en="Law on Education")


@pytest.fixture
def ministry(client_as):
    return client_as("ministry")


def _create(client, law, code="EXTRA_EDU", level="ministry", subtype="MINISTRY"):
    return _post(client, "/api/v1/authority/competences", {
        "code": code, "name_kk": "Қосымша өкілеттік", "name_en": "Additional powers in education",
        "level": level, "body_subtype": subtype, "valid_from": "2007-07-27", "legal_act": law.pk})


def _holder(client, unit="SCH1", date="2024-01-01", code="EXTRA_EDU"):
    r = client.get(f"/api/v1/authority/holder?competence={code}&org_unit={unit}&date={date}")
    assert r.status_code == 200, r.content
    return r.json()["holder"]["code"]


def test_create_correct_and_delete_a_competence(world, law, ministry):
    r = _create(ministry, law)
    assert r.status_code == 201, r.content
    assert r.json()["level"] == "ministry"
    assert AuditRecord.objects.filter(action="authority.create_competence", actor=ministry.user.username).exists()
    r = ministry.patch("/api/v1/authority/competences/EXTRA_EDU", {"name_ru": "Дополнительные полномочия"},
                       content_type="application/json")
    assert r.status_code == 200 and Competence.objects.get(code="EXTRA_EDU").name_ru == "Дополнительные полномочия"
    assert _create(ministry, law).json()["field"] == "code"  # already exists
    assert ministry.delete("/api/v1/authority/competences/EXTRA_EDU").status_code == 204
    assert not Competence.objects.filter(code="EXTRA_EDU").exists()
    assert ministry.delete("/api/v1/authority/competences/EXTRA_EDU").status_code == 404


def test_delegation_to_the_almaty_akimat_changes_the_holder_at_once_and_revocation_restores_it(
        world, law, ministry):
    _create(ministry, law)
    assert _holder(ministry) == "MIN"
    order = LegalActFactory(kind="order", number="145", date=dt.date(2022, 3, 1), issuer="Minister",
                            title_en="On delegating additional powers to the Almaty city akimat")
    r = _post(ministry, "/api/v1/authority/delegations", {
        "competence": "EXTRA_EDU", "grantor": "MIN", "grantee": "AK75", "scope_unit": "KZ-75",
        "valid_from": "2022-04-01", "valid_to": "2027-04-01", "legal_act": order.pk,
        "note_en": "For the period of the pilot"})
    assert r.status_code == 201, r.content
    d_id = r.json()["id"]
    assert _holder(ministry) == "AK75"  # no stale answer: the next request sees the delegation
    assert _holder(ministry, date="2021-01-01") == "MIN"
    assert _holder(ministry, unit="SCH3") == "MIN"  # outside the scope of the delegation
    page = ministry.get("/competences/holder/?competence=EXTRA_EDU&unit=SCH1&date=2024-01-01").content.decode()
    assert "Almaty akimat" in page
    listed = ministry.get("/api/v1/authority/delegations?competence=EXTRA_EDU&date=2024-01-01").json()
    assert [d["id"] for d in listed["items"]] == [d_id]
    r = ministry.patch(f"/api/v1/authority/delegations/{d_id}", {"note_en": "Pilot, extended"},
                       content_type="application/json")
    assert r.status_code == 200 and r.json()["note"] == "Pilot, extended"
    r = ministry.patch(f"/api/v1/authority/delegations/{d_id}", {"grantee": "UO75"}, content_type="application/json")
    assert Delegation.objects.get(pk=d_id).grantee.code == "AK75"  # the grant itself is never edited
    revoke_act = LegalActFactory(kind="order", number="200", date=dt.date(2023, 12, 1), issuer="Minister")
    r = _post(ministry, f"/api/v1/authority/delegations/{d_id}/revocation",
              {"effective_date": "2024-01-01", "legal_act": revoke_act.pk, "reason_en": "Pilot ended"})
    assert r.status_code == 201, r.content
    assert r.json()["ends"] == "2024-01-01"
    assert _holder(ministry) == "MIN" and _holder(ministry, date="2023-12-31") == "AK75"
    again = _post(ministry, f"/api/v1/authority/delegations/{d_id}/revocation",
                  {"effective_date": "2024-02-01", "legal_act": revoke_act.pk})
    assert again.status_code == 400 and again.json()["field"] == "delegation"
    assert ministry.delete("/api/v1/authority/competences/EXTRA_EDU").json()["field"] == "code"
    assert AuditRecord.objects.filter(action="authority.revoke").count() == 1


def test_reassignment_by_a_new_act(world, law, ministry):
    _create(ministry, law)
    new_law = LegalActFactory(kind="law", number="2", date=dt.date(2020, 1, 1))
    r = _post(ministry, "/api/v1/authority/competences/EXTRA_EDU/assignments",
              {"level": "region", "body_subtype": "AKIMAT", "valid_from": "2020-01-01", "legal_act": new_law.pk})
    assert r.status_code == 201, r.content
    assert _holder(ministry) == "AK75" and _holder(ministry, date="2019-12-31") == "MIN"
    early = _post(ministry, "/api/v1/authority/competences/EXTRA_EDU/assignments",
                  {"level": "district", "body_subtype": "DISTRICT_OFFICE", "valid_from": "2019-01-01",
                   "legal_act": new_law.pk})
    assert early.status_code == 400 and early.json()["field"] == "valid_from"
    bad = _post(ministry, "/api/v1/authority/competences/EXTRA_EDU/assignments",
                {"level": "ministry", "body_subtype": "AKIMAT", "valid_from": "2021-01-01", "legal_act": new_law.pk})
    assert bad.status_code == 400 and bad.json()["field"] == "body_subtype"


def test_bad_input_names_the_field(world, law, ministry):
    _create(ministry, law)
    base = {"competence": "EXTRA_EDU", "grantor": "MIN", "grantee": "AK75", "scope_unit": "KZ-75",
            "valid_from": "2022-04-01", "legal_act": law.pk}
    for change, field, status in [
        ({"grantee": "NOPE"}, "grantee", 400),
        ({"grantor": "AK19"}, "grantor", 400),  # it does not hold the power
        ({"valid_to": "2021-01-01"}, "valid_to", 400),
        ({"legal_act": 987654}, "legal_act", 400),
        ({"scope_unit": None}, "scope_unit", 400),
        ({"valid_from": "2022-02-30"}, None, 422),
    ]:
        r = _post(ministry, "/api/v1/authority/delegations", {**base, **change})
        assert r.status_code == status, (change, r.content)
        if field:
            assert r.json()["field"] == field, (change, r.json())
    assert _post(ministry, "/api/v1/authority/delegations", {**base, "competence": "NOPE"}).status_code == 404
    assert not Delegation.objects.exists()


def test_roles_without_authority_writes_are_refused(world, law, client_as):
    services.create_competence("EXTRA_EDU", "Қосымша", "ministry", "MINISTRY", law, dt.date(2007, 7, 27))
    body = {"competence": "EXTRA_EDU", "grantor": "MIN", "grantee": "AK75", "scope_unit": "KZ-75",
            "valid_from": "2022-04-01", "legal_act": law.pk}
    for role, scope in (("region", world.KZ_75), ("district", world.KZ_75_01), ("secretariat", None)):
        r = _post(client_as(role, scope), "/api/v1/authority/delegations", body)
        assert r.status_code == 403, role
    limited = client_as("ministry", world.KZ_19)
    r = _post(limited, "/api/v1/authority/delegations", body)
    assert r.status_code == 403 and "outside your scope" in r.json()["message"]
    assert not Delegation.objects.exists()
    assert selectors.holder_on(Competence.objects.get(), world.SCH1, dt.date(2024, 1, 1)).holder.code == "MIN"
