"""Pages for competences, meetings and instructions, and capital projects (Django test client)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.authority.world import LegalActFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def governance(world):
    from bilim.governance import services

    m = services.create_meeting("COL-1", "expanded_collegium", D(2019, 9, 5), world.MIN, "Алқа",
                                title_en="Expanded collegium", title_ru="Расширенная коллегия")
    services.add_participant(m, world.UO75, "Head")
    item = services.add_agenda_item(m, 1, "Күн тәртібі", title_en="Plenary item")
    services.add_report(m, "Баяндама", speaker="Speaker A", body=world.UO75, agenda_item=item, topic_en="Shifts")
    a = services.issue_instruction("COL-1/1", "Бірінші", world.UO75, D(2019, 12, 31), meeting=m, text_en="First")
    services.issue_instruction("COL-1/2", "Екінші", world.UO19, D(2030, 1, 1), meeting=m, text_en="Second")
    services.add_execution_report(a, D(2019, 10, 1), "Started")
    return m


@pytest.fixture
def competences(world):
    from bilim.authority import services

    law = LegalActFactory(kind="law", title_en="Law on Education", date=D(2007, 7, 27), number="319-III")
    c = services.create_competence("ADDED_EDU", "Қосымша білім", "ministry", "MINISTRY", law, D(2007, 7, 27),
                                   name_en="Additional education programmes")
    services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(title_en="Delegation order"),
                      scope_unit=world.KZ_75)
    return c


@pytest.fixture
def projects(world):
    from bilim.projects import services

    p = services.create_project("P-PAL", "modernization", "Сарай", world.KZ_75, [world.PAL], title_en="Palace",
                                places=100)
    services.set_budget(p, 2022, planned=100_000_000, spent=80_000_000)
    services.create_project("P-NEW", "new_construction", "Мектеп", world.KZ_19, [], title_en="School")
    return p


def en(client):
    client.post("/language/", {"language": "en", "next": "/"})
    return client


def test_governance_pages_require_sign_in(client, db):
    for url in ("/meetings/", "/instructions/", "/control/", "/competences/", "/projects/", "/projects/map/"):
        assert client.get(url).status_code == 302


def test_meeting_list_and_detail(admin_client, governance):
    en(admin_client)
    page = admin_client.get("/meetings/").content.decode()
    assert "Expanded collegium" in page and "/meetings/COL-1/" in page
    page = admin_client.get("/meetings/COL-1/").content.decode()
    assert "Plenary item" in page and "Speaker A" in page and "COL-1/2" in page
    assert admin_client.get("/meetings/NOPE/").status_code == 404


def test_instruction_filters_detail_and_control(admin_client, governance):
    en(admin_client)
    page = admin_client.get("/instructions/?overdue=1&as_of=2020-01-01").content.decode()
    assert "/instructions/COL-1/1/" in page and "/instructions/COL-1/2/" not in page
    page = admin_client.get("/instructions/?responsible=UO19").content.decode()
    assert "/instructions/COL-1/2/" in page and "/instructions/COL-1/1/" not in page
    page = admin_client.get("/instructions/COL-1/1/").content.decode()  # codes with '/' resolve
    assert "Started" in page
    page = admin_client.get("/control/?as_of=2020-01-01").content.decode()
    assert 'id="overdue-count">1<' in page
    assert admin_client.get("/instructions/?as_of=nope").status_code == 404


def test_competence_pages(admin_client, competences, world):
    en(admin_client)
    page = admin_client.get("/competences/").content.decode()
    assert "ADDED_EDU" in page and "319-III" in page
    page = admin_client.get("/competences/holder/?competence=ADDED_EDU&unit=SCH1&date=2023-01-01").content.decode()
    assert "Almaty akimat" in page and 'id="delegation-chain"' in page
    page = admin_client.get("/competences/holder/?competence=ADDED_EDU&unit=SCH1&date=2021-01-01",
                            HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and "Ministry" in page and 'id="delegation-chain"' not in page
    page = admin_client.get("/competences/holder/?competence=ADDED_EDU&unit=NOPE").content.decode()
    assert 'class="error"' in page and "NOPE" in page
    page = admin_client.get("/competences/powers/?body=AK75&date=2023-01-01").content.decode()
    assert "Additional education programmes" in page
    page = admin_client.get("/competences/ADDED_EDU/").content.decode()
    assert "1 Apr 2022" in page and "27 Jul 2007" in page


def test_project_pages(admin_client, projects):
    en(admin_client)
    page = admin_client.get("/projects/").content.decode()
    assert "Almaty" in page and "programme-data" in page
    page = admin_client.get("/projects/list/?region=KZ-75").content.decode()
    assert "/projects/P-PAL/" in page and "/projects/P-NEW/" not in page
    page = admin_client.get("/projects/P-PAL/").content.decode()
    assert "Palace" in page and "80.0 %" in page and "100.00" in page  # 100 mln KZT planned
    page = admin_client.get("/projects/map/").content.decode()
    assert "https://www.amcharts.com/" in page and "P-PAL" in page
    assert admin_client.get("/projects/NOPE/").status_code == 404


def test_pages_follow_the_language(admin_client, governance):
    admin_client.post("/language/", {"language": "ru", "next": "/"})
    page = admin_client.get("/meetings/COL-1/").content.decode()
    assert '<html lang="ru" ' in page and "Расширенная коллегия" in page
