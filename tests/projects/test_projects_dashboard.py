"""Budgets roll up by region (as of the day asked), delays, places added, status workflow, map."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from bilim.audit.models import AuditRecord
from bilim.projects import selectors, services
from bilim.projects.models import ProjectStatus
from bilim.projects.services import ProjectError
from bilim.registry.services import move_unit
from tests.authority.world import LegalActFactory

D = dt.date
TODAY = D(2023, 6, 1)


@pytest.fixture
def projects(world):
    palace = services.create_project("P-PAL", "modernization", "Сарайды жаңғырту", world.KZ_75, [world.PAL],
                                     on=TODAY, title_en="Palace modernization", places=300)
    services.set_budget(palace, 2021, planned=1_000_000, spent=900_000)
    services.set_budget(palace, 2022, planned="500000.50", spent=500_000)
    services.add_milestone(palace, "Жобалау", D(2021, 3, 1), kind="design", actual_date=D(2021, 2, 20))
    services.add_milestone(palace, "Пайдалануға беру", D(2022, 9, 1), kind="commissioning",
                           actual_date=D(2022, 12, 1))
    services.change_status(palace, ProjectStatus.CONSTRUCTION, D(2021, 4, 1))
    services.change_status(palace, ProjectStatus.COMPLETED, D(2022, 12, 1))
    sch = services.create_project("P-SCH1", "sports_ground", "Спорт алаңы", world.KZ_75_01, [world.SCH1, world.SCH2],
                                  on=TODAY, title_en="Sports grounds")
    services.set_budget(sch, 2023, planned=200_000, spent=50_000)
    services.add_milestone(sch, "Жұмыстар", D(2023, 5, 1), kind="works")     # not reached: delayed
    new = services.create_project("P-NEW", "new_construction", "Жаңа мектеп", world.KZ_19_01, [], on=TODAY,
                                  title_en="New school", places=600)
    services.set_budget(new, 2023, planned=3_000_000, spent=0)
    services.add_milestone(new, "Жобалау", D(2023, 12, 1), kind="design")    # not yet due
    return {"palace": palace, "sch": sch, "new": new}


def test_budget_totals_roll_up_by_region(world, projects):
    dash = selectors.dashboard(TODAY)
    rows = {r["region"]["code"]: r for r in dash["by_region"]}
    assert rows["KZ-75"]["planned"] == 1_700_000.5
    assert rows["KZ-75"]["spent"] == 1_450_000.0
    assert rows["KZ-75"]["execution_pct"] == pytest.approx(85.3)
    assert rows["KZ-75"]["projects"] == 2
    assert rows["KZ-19"]["planned"] == 3_000_000 and rows["KZ-19"]["spent"] == 0
    assert dash["totals"]["planned"] == 4_700_000.5
    assert dash["totals"]["planned"] == sum(r["planned"] for r in dash["by_region"])
    assert dash["totals"]["spent"] == sum(r["spent"] for r in dash["by_type"])
    assert selectors.dashboard(TODAY, year=2023)["totals"]["planned"] == 3_200_000


def test_region_follows_the_hierarchy_as_of_the_day(world, projects):
    move_unit(world.KZ_19_01, world.KZ_75, D(2023, 1, 1), LegalActFactory())
    before = {r["region"]["code"]: r["planned"] for r in selectors.dashboard(D(2022, 12, 31))["by_region"]}
    after = {r["region"]["code"]: r["planned"] for r in selectors.dashboard(D(2023, 1, 1))["by_region"]}
    assert before == {"KZ-19": 3_000_000, "KZ-75": 1_700_000.5}
    assert after == {"KZ-75": 4_700_000.5}


def test_delays_places_and_deficit(world, projects):
    dash = selectors.dashboard(TODAY)
    rows = {r["region"]["code"]: r for r in dash["by_region"]}
    assert rows["KZ-75"]["delayed_milestones"] == 2           # palace commissioned late + grounds works overdue
    assert rows["KZ-75"]["delayed_projects"] == 2
    assert rows["KZ-19"]["delayed_milestones"] == 0
    assert rows["KZ-75"]["places_added"] == 300 and rows["KZ-19"]["places_added"] == 0
    assert rows["KZ-19"]["places_planned"] == 600
    assert rows["KZ-19"]["deficit"]["shift3_schools"] == 1    # SCH3 has three shifts (registry default)
    assert selectors.dashboard(D(2022, 11, 30))["totals"]["places_added"] == 0   # not yet commissioned

    def deficit(codes, day):
        return {c: {"pupils_over_capacity": 1200, "shift3_schools": 4, "shift3_pupils": 900} for c in codes}

    rows = {r["region"]["code"]: r for r in selectors.dashboard(TODAY, deficit=deficit)["by_region"]}
    assert rows["KZ-75"]["places_vs_overcapacity_pct"] == 25.0
    types = {r["type"]: r for r in selectors.dashboard(TODAY)["by_type"]}
    assert set(types) == {"modernization", "sports_ground", "new_construction"}
    assert selectors.dashboard(TODAY, region="KZ-19")["totals"]["projects"] == 1


def test_project_detail_list_and_map(world, projects):
    d = selectors.project_detail(selectors.get_project("P-PAL"), TODAY)
    assert [b["year"] for b in d["budget"]] == [2021, 2022]
    assert d["milestones"][1]["delayed"] and d["milestones"][1]["delay_days"] == 91
    assert [h["to"] for h in d["status_history"]] == ["construction", "completed"]
    assert d["location"] == {"lat": 43.23, "lon": 76.95}
    assert [p["code"] for p in selectors.project_list(TODAY, region="KZ-75")] == ["P-PAL", "P-SCH1"]
    assert [p["code"] for p in selectors.project_list(TODAY, type="new_construction")] == ["P-NEW"]
    assert {m["code"] for m in selectors.project_map(TODAY)} == {"P-PAL"}   # others have no coordinates


def test_status_workflow_and_rules(world, projects):
    new = projects["new"]
    with pytest.raises(ProjectError, match="cannot go from 'planned' to 'completed'"):
        services.change_status(new, ProjectStatus.COMPLETED, TODAY)
    services.change_status(new, ProjectStatus.DESIGN, TODAY)
    with pytest.raises(ProjectError, match="not reached"):
        services.change_status(new, ProjectStatus.COMPLETED, TODAY)
    with pytest.raises(ProjectError, match="reason"):
        services.change_status(new, ProjectStatus.SUSPENDED, TODAY)
    with pytest.raises(ProjectError, match="in order"):
        services.change_status(new, ProjectStatus.SUSPENDED, D(2023, 1, 1), note="Funds")
    with pytest.raises(ProjectError, match="not inside"):
        services.create_project("P-X", "equipment", "X", world.KZ_19, [world.SCH1], on=TODAY)
    with pytest.raises(ProjectError, match="not an organization"):
        services.create_project("P-X", "equipment", "X", world.KZ_19, [world.UO19], on=TODAY)
    with pytest.raises(ValidationError, match="territory"):
        services.create_project("P-X", "equipment", "X", world.SCH1, [], on=TODAY)
    with pytest.raises(ValidationError):
        services.set_budget(new, 2023, planned=-5)
    assert AuditRecord.objects.filter(action="projects.status", object_id="P-PAL").count() == 2
