from __future__ import annotations

import datetime as dt

import pytest
from ninja.testing import TestClient

from bilim.projects import services
from bilim.projects.api import router

D = dt.date


@pytest.fixture
def client(world):
    p = services.create_project("P-PAL", "modernization", "Сарай", world.KZ_75, [world.PAL], title_en="Palace",
                                places=100)
    services.set_budget(p, 2022, planned=100, spent=80)
    services.create_project("P-NEW", "new_construction", "Мектеп", world.KZ_19, [], title_en="School")
    return TestClient(router)


def test_list_detail_dashboard_map(client):
    assert [p["code"] for p in client.get("/projects?region=KZ-75").json()] == ["P-PAL"]
    assert client.get("/projects?type=bogus").status_code == 400
    d = client.get("/projects/P-PAL").json()
    assert d["budget"] == [{"year": 2022, "planned": 100.0, "spent": 80.0, "execution_pct": 80.0}]
    assert client.get("/projects/NOPE").status_code == 404
    dash = client.get("/dashboard").json()
    assert {r["region"]["code"]: r["execution_pct"] for r in dash["by_region"]} == {"KZ-75": 80.0, "KZ-19": None}
    assert client.get("/dashboard?date=2022-02-30").status_code == 400
    assert [m["code"] for m in client.get("/map").json()] == ["P-PAL"]
