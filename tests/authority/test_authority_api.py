from __future__ import annotations

import datetime as dt

import pytest
from ninja.testing import TestClient

from bilim.authority import services
from bilim.authority.api import router

from .world import LegalActFactory

D = dt.date


@pytest.fixture
def client(world):
    law = LegalActFactory(kind="law", title_en="Law on Education", date=D(2007, 7, 27))
    c = services.create_competence("ADDED_EDU", "Қосымша білім", "ministry", "MINISTRY", law, D(2007, 7, 27),
                                   name_en="Additional education programmes")
    d = services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(title_en="Delegation order"),
                          scope_unit=world.KZ_75)
    services.revoke(d, D(2024, 1, 1), LegalActFactory(title_en="Revocation"))
    return TestClient(router)


def test_holder_endpoint_follows_the_dates(client):
    r = client.get("/holder?competence=ADDED_EDU&org_unit=SCH1&date=2022-03-31")
    assert r.status_code == 200 and r.json()["holder"]["code"] == "MIN"
    body = client.get("/holder?competence=ADDED_EDU&org_unit=SCH1&date=2022-04-01").json()
    assert body["holder"]["code"] == "AK75" and body["basis"] == "delegation"
    assert body["act"]["title"] == "Delegation order"
    assert body["default"]["act"]["title"] == "Law on Education"
    assert client.get("/holder?competence=ADDED_EDU&org_unit=SCH1&date=2024-01-01").json()["holder"]["code"] == "MIN"


def test_errors_are_clear(client):
    r = client.get("/holder?competence=NOPE&org_unit=SCH1&date=2022-04-01")
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]
    r = client.get("/holder?competence=ADDED_EDU&org_unit=XXX&date=2022-04-01")
    assert r.status_code == 404 and "XXX" in r.json()["detail"]
    r = client.get("/holder?competence=ADDED_EDU&org_unit=SCH1&date=2022-13-01")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.json()["detail"]
    assert client.get("/competences/NOPE/history").status_code == 404
    assert client.get("/bodies/XXX/powers").status_code == 404


def test_list_powers_and_history(client):
    comps = client.get("/competences?date=2023-01-01").json()
    assert comps[0]["code"] == "ADDED_EDU" and comps[0]["level"] == "ministry" and comps[0]["active_delegations"] == 1
    powers = client.get("/bodies/AK75/powers?date=2023-01-01").json()
    assert powers["powers"][0]["basis"] == "delegation" and powers["powers"][0]["grantor"]["code"] == "MIN"
    assert client.get("/bodies/AK75/powers?date=2024-06-01").json()["powers"] == []
    hist = client.get("/competences/ADDED_EDU/history").json()
    assert [e["event"] for e in hist["events"]] == ["assignment", "delegation", "revocation"]
