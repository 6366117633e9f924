"""Capital projects are filtered to the signed-in user's scope on every page, API endpoint and aggregate.

World (tests/authority/world.py): SCH1 lies in the Almaly district (KZ-75-01) of Almaty (KZ-75), the
palace PAL directly under Almaty, SCH3 in the Ile district (KZ-19-01) of another region (KZ-19). A project
belongs to the scope of its territory and of the organizations it works on.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from bilim.projects import services
from bilim.projects.models import BudgetLine, Project, ProjectStatus

pytestmark = pytest.mark.django_db
D = dt.date


def _completed(code, territory, orgs, places, **fields) -> Project:
    p = services.create_project(code, "new_construction", "Мектеп", territory, orgs, places=places, **fields)
    services.change_status(p, ProjectStatus.CONSTRUCTION, D(2022, 1, 1))
    services.change_status(p, ProjectStatus.COMPLETED, D(2023, 1, 1))
    return p


@pytest.fixture
def records(world):
    """A completed project in the Almaly district, one in another region, one of the city of Almaty itself."""
    _completed("P-IN", world.KZ_75_01, [world.SCH1], 100, title_en="Almaly school", lat=43.25, lon=76.9)
    _completed("P-OUT", world.KZ_19_01, [world.SCH3], 600, title_en="Ile school")
    services.create_project("P-CITY", "modernization", "Сарай", world.KZ_75, [world.PAL], title_en="Palace")
    return world


@pytest.fixture
def district(client_as, records):
    return client_as("district", records.KZ_75_01)


@pytest.fixture
def region(client_as, records):
    return client_as("region", records.KZ_75)


@pytest.fixture
def national(client_as, records):
    return client_as("ministry")


def _codes(resp) -> set[str]:
    assert resp.status_code == 200, resp.content[:300]
    return {row["code"] for row in resp.json()}


# --- pages -------------------------------------------------------------------------------------------

def test_project_list_page_of_a_district_lists_its_own_project_only(district):
    page = district.get("/projects/list/").content.decode()
    assert "/projects/P-IN/" in page
    assert "/projects/P-OUT/" not in page and "/projects/P-CITY/" not in page


def test_project_list_page_of_a_national_user_lists_every_project(national):
    page = national.get("/projects/list/").content.decode()
    assert all(f"/projects/{c}/" in page for c in ("P-IN", "P-OUT", "P-CITY"))


def test_project_card_outside_the_scope_is_forbidden(district):
    resp = district.get("/projects/P-OUT/")
    assert resp.status_code == 403 and b'id="forbidden"' in resp.content
    assert b"Ile school" not in resp.content


def test_project_card_in_scope_is_shown(district):
    resp = district.get("/projects/P-IN/")
    assert resp.status_code == 200 and "Almaly school" in resp.content.decode()


def test_project_map_page_of_a_district_places_its_own_project_only(district):
    page = district.get("/projects/map/").content.decode()
    assert '"P-IN"' in page and '"P-OUT"' not in page


def test_dashboard_page_of_a_district_offers_no_region_outside_its_scope(district):
    page = district.get("/projects/").content.decode()
    assert 'value="KZ-19"' not in page and "region=KZ-19" not in page


# --- API ---------------------------------------------------------------------------------------------

def test_project_api_list_of_a_district_holds_its_own_project_only(district):
    assert _codes(district.get("/api/v1/projects/projects")) == {"P-IN"}


def test_project_api_list_of_a_national_user_holds_every_project(national):
    assert _codes(national.get("/api/v1/projects/projects")) == {"P-IN", "P-OUT", "P-CITY"}


def test_project_api_list_of_a_region_holds_its_city_and_district_projects(region):
    assert _codes(region.get("/api/v1/projects/projects")) == {"P-IN", "P-CITY"}


def test_project_api_detail_in_scope_is_answered(district):
    resp = district.get("/api/v1/projects/projects/P-IN")
    assert resp.status_code == 200 and resp.json()["code"] == "P-IN"


def test_project_api_detail_outside_the_scope_is_forbidden(district):
    resp = district.get("/api/v1/projects/projects/P-OUT")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"


def test_project_api_map_of_a_district_holds_its_own_project_only(district):
    assert _codes(district.get("/api/v1/projects/map")) == {"P-IN"}


def test_naming_a_region_outside_the_scope_is_refused(district):
    assert district.get("/api/v1/projects/projects?region=KZ-19").status_code == 403


def test_an_organization_in_scope_makes_a_city_project_visible(district, records):
    services.create_project("P-CITY-2", "sports_ground", "Алаң", records.KZ_75, [records.SCH1])
    assert "P-CITY-2" in _codes(district.get("/api/v1/projects/projects"))


def test_the_card_hides_an_instruction_outside_the_scope(district, records):
    from bilim.governance import services as governance

    ins = governance.issue_instruction("I-OUT", "Іле", records.RO19, D(2030, 1, 1), issued_on=D(2023, 1, 1),
                                       source="programme")
    Project.objects.filter(code="P-IN").update(instruction=ins)
    assert district.get("/api/v1/projects/projects/P-IN").json()["instruction"] is None


def test_the_card_names_the_instruction_for_a_national_user(national, records):
    from bilim.governance import services as governance

    ins = governance.issue_instruction("I-OUT", "Іле", records.RO19, D(2030, 1, 1), issued_on=D(2023, 1, 1),
                                       source="programme")
    Project.objects.filter(code="P-IN").update(instruction=ins)
    assert national.get("/api/v1/projects/projects/P-IN").json()["instruction"]["code"] == "I-OUT"


# --- dashboard ---------------------------------------------------------------------------------------

def test_dashboard_of_a_district_adds_up_its_own_projects_only(district):
    totals = district.get("/api/v1/projects/dashboard").json()["totals"]
    assert (totals["projects"], totals["places_added"]) == (1, 100)


def test_dashboard_of_a_district_has_no_places_vs_deficit_table(district):
    assert district.get("/api/v1/projects/dashboard").json()["places_vs_deficit"] is None


def test_dashboard_of_a_region_compares_places_with_the_deficit_of_its_region_only(region):
    d = region.get("/api/v1/projects/dashboard").json()
    assert [r["region"]["code"] for r in d["places_vs_deficit"]["rows"]] == ["KZ-75"]
    assert d["places_vs_deficit"]["total"]["places_added"] == 100


def test_dashboard_of_a_region_rolls_up_its_own_region_only(region):
    assert [r["region"]["code"] for r in region.get("/api/v1/projects/dashboard").json()["by_region"]] == ["KZ-75"]


def test_dashboard_of_a_national_user_covers_every_region(national):
    d = national.get("/api/v1/projects/dashboard").json()
    assert d["totals"]["places_added"] == 700
    assert {r["region"]["code"] for r in d["places_vs_deficit"]["rows"]} == {"KZ-75", "KZ-19"}


# --- writes ------------------------------------------------------------------------------------------

def test_budget_change_outside_the_scope_is_refused(region):
    with pytest.raises(PermissionDenied):
        services.set_budget(Project.objects.get(code="P-OUT"), 2024, planned=1, user=region.user)
    assert not BudgetLine.objects.filter(project__code="P-OUT").exists()


def test_budget_change_inside_the_scope_is_recorded(region):
    services.set_budget(Project.objects.get(code="P-CITY"), 2024, planned=1, user=region.user)
    assert BudgetLine.objects.filter(project__code="P-CITY", year=2024).exists()


def test_status_change_outside_the_scope_is_refused(region):
    with pytest.raises(PermissionDenied):
        services.change_status(Project.objects.get(code="P-OUT"), ProjectStatus.CANCELLED, D(2024, 1, 1),
                               note="No", user=region.user)
    assert Project.objects.get(code="P-OUT").status == ProjectStatus.COMPLETED


def test_creating_a_project_outside_the_scope_is_refused(region, records):
    with pytest.raises(PermissionDenied):
        services.create_project("P-NEW", "design", "Жоба", records.KZ_19, [], user=region.user)
    assert not Project.objects.filter(code="P-NEW").exists()


def test_a_district_may_not_change_a_project_even_in_its_scope(district):
    """District offices read projects only (CAPABILITIES): the write is refused by role."""
    with pytest.raises(PermissionDenied):
        services.set_budget(Project.objects.get(code="P-IN"), 2024, planned=1, user=district.user)
