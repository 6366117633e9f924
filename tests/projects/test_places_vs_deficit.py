"""Deficit of places per region from enrolment against design capacity, and the dashboard showing it.

World (tests/authority/world.py): KZ-75 has SCH1 (capacity 1200, 2 shifts) and SCH2 (600, 1 shift);
KZ-19 has SCH3 (400, 3 shifts). Below we add a closed school, a school without capacity, a gymnasium
(not a SCHOOL: left out) and enrolment for two school years.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bilim.collection.models import DataValue
from bilim.metadata.models import DataElement
from bilim.projects import selectors, services
from bilim.projects.models import ProjectStatus
from bilim.registry import services as rs
from bilim.registry.models import OrgUnit

D = dt.date
TODAY = D(2025, 3, 1)  # within school year 2024S


def _enrol(unit: OrgUnit, period: str, *counts: int, element: str = "ENROL") -> None:
    """Store `counts` as a breakdown by grade (the sum is the school's total)."""
    de = DataElement.objects.get(code=element)
    DataValue.objects.bulk_create([DataValue(data_element=de, period=period, org_unit=unit, grade=f"G{i + 1:02d}",
                                             value=n) for i, n in enumerate(counts)])


@pytest.fixture
def schools(world):
    start = D(2000, 1, 1)
    closed = rs.open_unit(rs.UnitSpec("SCH4", "organization", "№4", name_en="School 4 (closed)",
                                      parent=world.KZ_75_01, attrs={"org_type": "SCHOOL", "capacity": 100}),
                          start, world.act)
    OrgUnit.objects.filter(pk=closed.pk).update(closed=D(2024, 6, 1))
    no_cap = rs.open_unit(rs.UnitSpec("SCH5", "organization", "№5", name_en="School 5 (no capacity)",
                                      parent=world.KZ_19_01, attrs={"org_type": "SCHOOL", "shifts": 3}),
                          start, world.act)
    gym = rs.open_unit(rs.UnitSpec("GYM1", "organization", "Гимназия", name_en="Gymnasium",
                                   parent=world.KZ_19_01, attrs={"org_type": "ADDITIONAL", "capacity": 10}),
                       start, world.act)
    # 2024S, the latest school year with data
    _enrol(world.SCH1, "2024S", 700, 650)        # 1350 pupils / 1200 places -> 150 over
    _enrol(world.SCH2, "2024S", 300, 250)        # 550 / 600 -> under capacity, counts 0
    _enrol(world.SCH3, "2024S", 500, 420, 10)    # 930 / 400 -> 530 over, three shifts
    _enrol(closed, "2024S", 900)                 # closed before the day: left out
    _enrol(no_cap, "2024S", 800)                 # no capacity: not over; three shifts, 800 pupils
    _enrol(gym, "2024S", 500)                    # not a school
    _enrol(world.SCH1, "2025S", 5000)            # a school year not begun on TODAY
    _enrol(world.SCH1, "2023S", 9000)            # an older year
    _enrol(world.SCH3, "2024S", 70, element="REPEAT")  # another element: not pupils
    return {"closed": closed, "no_cap": no_cap, "gym": gym}


def _hand(world, period: str, day: dt.date) -> dict[str, int]:
    """The deficit computed by hand from the rows, school by school."""
    out: dict[str, int] = {}
    for region, schools in {"KZ-75": ["SCH1", "SCH2", "SCH4"], "KZ-19": ["SCH3", "SCH5", "GYM1"]}.items():
        total = 0
        for code in schools:
            u = OrgUnit.objects.get(code=code)
            if u.org_type != "SCHOOL" or not u.exists_on(day) or u.capacity is None:
                continue
            pupils = sum(DataValue.objects.filter(org_unit=u, period=period, data_element__code="ENROL")
                         .values_list("value", flat=True))
            total += max(0, int(pupils) - u.capacity)
        out[region] = total
    return out


def test_deficit_equals_a_hand_computation(world, schools):
    got = selectors.enrolment_deficit(["KZ-75", "KZ-19"], TODAY)
    assert {c: r["pupils_over_capacity"] for c, r in got.items()} == _hand(world, "2024S", TODAY)
    assert got["KZ-75"]["pupils_over_capacity"] == 150
    assert got["KZ-19"]["pupils_over_capacity"] == 530
    assert got["KZ-19"]["shift3_schools"] == 2 and got["KZ-19"]["shift3_pupils"] == 930 + 800
    assert got["KZ-75"]["shift3_schools"] == 0 and got["KZ-75"]["shift3_pupils"] == 0
    assert got["KZ-75"]["schools"] == 2 and got["KZ-19"]["schools"] == 2  # the closed school and GYM1 left out
    assert got["KZ-75"]["period"] == "2024S"


def test_deficit_uses_the_latest_school_year_begun_and_the_hierarchy_of_the_day(world, schools):
    assert selectors.deficit_period(D(2025, 8, 31)) == "2024S"
    assert selectors.deficit_period(D(2025, 9, 1)) == "2025S"
    assert selectors.deficit_period(D(2024, 1, 1)) == "2023S"
    assert selectors.deficit_period(D(2010, 1, 1)) is None
    later = selectors.enrolment_deficit(["KZ-75"], D(2025, 10, 1))
    assert later["KZ-75"]["pupils_over_capacity"] == 5000 - 1200
    # before SCH4 closed, and with 2023S figures
    early = selectors.enrolment_deficit(["KZ-75"], D(2024, 1, 1))
    assert early["KZ-75"]["pupils_over_capacity"] == _hand(world, "2023S", D(2024, 1, 1))["KZ-75"] == 9000 - 1200
    from tests.authority.world import LegalActFactory

    rs.move_unit(world.KZ_19_01, world.KZ_75, D(2025, 1, 1), LegalActFactory())
    moved = selectors.enrolment_deficit(["KZ-75", "KZ-19"], TODAY)
    assert moved["KZ-75"]["pupils_over_capacity"] == 150 + 530
    assert moved["KZ-19"]["pupils_over_capacity"] == 0 and moved["KZ-19"]["schools"] == 0


def test_deficit_without_enrolment_is_unknown(world):
    got = selectors.enrolment_deficit(["KZ-19", "NOPE"], TODAY)
    assert set(got) == {"KZ-19"}
    assert got["KZ-19"]["pupils_over_capacity"] is None and got["KZ-19"]["shift3_schools"] == 1


def test_deficit_is_one_aggregated_query(world, schools):
    with CaptureQueriesContext(connection) as ctx:
        selectors.enrolment_deficit(["KZ-75", "KZ-19"], TODAY)
    heavy = [q["sql"] for q in ctx.captured_queries if "RECURSIVE" in q["sql"].upper()]
    assert len(heavy) == 1 and "GROUP BY" in heavy[0].upper()
    assert len(ctx.captured_queries) <= 5  # period probe(s), the element, the query, the region codes


@pytest.fixture
def completed(world, schools):
    p = services.create_project("P-NEW75", "new_construction", "Жаңа мектеп", world.KZ_75_01, [], on=TODAY,
                                title_en="New school", places=60)
    services.change_status(p, ProjectStatus.CONSTRUCTION, D(2024, 1, 1))
    services.change_status(p, ProjectStatus.COMPLETED, D(2024, 9, 1))
    return p


def test_dashboard_places_vs_deficit(world, completed):
    d = selectors.dashboard(TODAY)
    rows = {r["region"]["code"]: r for r in d["places_vs_deficit"]["rows"]}
    assert set(rows) == {"KZ-75", "KZ-19"}  # every region, with projects or not
    assert rows["KZ-75"]["places_added"] == 60 and rows["KZ-75"]["pupils_over_capacity"] == 150
    assert rows["KZ-75"]["places_vs_deficit_pct"] == 40.0
    assert rows["KZ-19"]["places_added"] == 0 and rows["KZ-19"]["places_vs_deficit_pct"] == 0.0
    assert d["places_vs_deficit"]["total"] == {"places_added": 60, "pupils_over_capacity": 680,
                                               "shift3_schools": 2, "places_vs_deficit_pct": 8.8}
    assert d["places_vs_deficit"]["period"] == "2024S"
    by_region = {r["region"]["code"]: r for r in d["by_region"]}
    assert by_region["KZ-75"]["places_vs_overcapacity_pct"] == 40.0
    only = selectors.dashboard(TODAY, region="KZ-19")["places_vs_deficit"]["rows"]
    assert [r["region"]["code"] for r in only] == ["KZ-19"]


def test_dashboard_page_shows_the_deficit(admin_client, world, completed):
    page = admin_client.get("/projects/", {"as_of": TODAY.isoformat()}).content.decode()
    assert 'id="deficit-table"' in page
    row = page.split('<tr data-region="KZ-75">', 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split('<td class="num"')[1:]]
    assert cells[:3] == ["60", "150", "40.0 %"]
    row19 = page.split('<tr data-region="KZ-19">', 1)[1].split("</tr>", 1)[0]
    assert ">530<" in row19 and ">2<" in row19 and ">1,730<" in row19
    assert "pupils enrolled in 2024S above the design capacity" in page


def test_readers_below_the_administrator_get_the_last_published_year(world, schools):
    """2024S is not accepted by the republic here: a ministry analyst's deficit rests on no year
    (no accepted census), an administrator's on 2024S; once 2024S is accepted both use it."""
    from bilim.accounts.models import User
    from bilim.approval.models import ApprovalState, Status
    from bilim.metadata.models import DataSet
    from bilim.registry.models import OrgUnit

    ministry = User.objects.create_user("m", password="a-long-password-1", role="ministry")
    admin = User.objects.create_superuser("a", "a@example.org", "a-long-password-1", role="admin")
    hidden = selectors.dashboard(TODAY, user=ministry)["places_vs_deficit"]["total"]
    assert hidden["pupils_over_capacity"] is None
    assert selectors.dashboard(TODAY, user=admin)["places_vs_deficit"]["total"]["pupils_over_capacity"] == 680
    ApprovalState.objects.create(data_set=DataSet.objects.get(code="SCHOOL_CENSUS"), period="2024S",
                                 org_unit=OrgUnit.objects.get(code="KZ"), status=Status.ACCEPTED)
    assert selectors.dashboard(TODAY, user=ministry)["places_vs_deficit"]["total"]["pupils_over_capacity"] == 680
