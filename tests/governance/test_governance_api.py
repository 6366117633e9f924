from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from ninja.testing import TestClient

from bilim.governance import services
from bilim.governance.api import router

D = dt.date


@pytest.fixture
def client(world):
    m = services.create_meeting("COL-1", "expanded_collegium", D(2019, 9, 5), world.MIN, "Алқа",
                                title_en="Expanded collegium")
    services.add_participant(m, world.UO75, "Head")
    a = services.issue_instruction("COL-1/1", "Бірінші", world.UO75, D(2019, 12, 31), meeting=m, text_en="First")
    services.issue_instruction("COL-1/2", "Екінші", world.UO19, D(2030, 1, 1), meeting=m, text_en="Second")
    services.add_execution_report(a, D(2019, 10, 1), "Started")
    return TestClient(router)


def test_meetings(client):
    assert client.get("/meetings").json()[0]["code"] == "COL-1"
    with translation.override("kk"):                                    # Kazakh, the product default
        d = client.get("/meetings/COL-1").json()
    assert d["title"] == "Алқа" and len(d["instructions"]) == 2
    with translation.override("en"):
        assert client.get("/meetings/COL-1").json()["title"] == "Expanded collegium"
    assert d["participants"][0]["body"]["code"] == "UO75"
    r = client.get("/meetings/NOPE")
    assert r.status_code == 404 and "NOPE" in r.json()["detail"]


def test_instructions_filters_and_detail(client):
    assert [i["code"] for i in client.get("/instructions?overdue=true&date=2020-01-01").json()] == ["COL-1/1"]
    assert [i["code"] for i in client.get("/instructions?responsible=UO19").json()] == ["COL-1/2"]
    assert [i["code"] for i in client.get("/instructions?status=in_progress").json()] == ["COL-1/1"]
    assert client.get("/instructions?status=bogus").status_code == 400
    assert client.get("/instructions?date=yesterday").status_code == 400
    d = client.get("/instructions/COL-1/1").json()      # protocol item codes may contain '/'
    assert d["status_history"][0]["to"] == "in_progress" and d["execution_reports"][0]["text"] == "Started"
    assert client.get("/instructions/NOPE").status_code == 404


def test_control(client):
    s = client.get("/control?date=2020-01-01").json()
    assert s["totals"]["overdue"] == 1 and s["overdue"][0]["code"] == "COL-1/1"
    assert {r["body"]["code"] for r in s["by_body"]} == {"UO75", "UO19"}
