"""Unapproved values stay out of the aggregates of readers above the levels that may see them.

The small demo has every form of 2020S–2023S accepted up to the republic and 2024S open (nothing
submitted): 2024S is seen by districts and administrators only.
"""

from __future__ import annotations

import math

import duckdb
import pytest

from bilim.analytics import service
from bilim.analytics.visibility import PUBLIC, _visible_to

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics"

# school 10 -> district 20 -> region 30 -> republic 40
PARENT = {10: 20, 20: 30, 30: 40}
KINDS = {10: "organization", 20: "district", 30: "region", 40: "republic"}


@pytest.mark.parametrize(("done", "expected"), [
    (set(), 1),                 # open: the district directly above sees it (it keys in and checks)
    ({10}, 1),                  # submitted: still the district only
    ({10, 20}, 2),              # the district approved: the region sees it
    ({10, 20, 30}, 3),          # the region approved: the ministry sees it
    ({10, 20, 30, 40}, PUBLIC),  # the republic accepted: public
    ({20, 30, 40}, 1),          # approvals above an open form do not count
])
def test_visible_to_climbs_with_the_chain(done, expected):
    assert _visible_to(10, PARENT, done, KINDS) == expected


def test_a_district_reporter_is_seen_by_its_region_at_once():
    assert _visible_to(20, PARENT, set(), KINDS) == 2
    assert _visible_to(20, PARENT, {20, 30}, KINDS) == 3


def test_the_republic_reporting_for_itself_is_public_once_submitted():
    assert _visible_to(40, PARENT, {40}, KINDS) == PUBLIC
    assert _visible_to(40, PARENT, set(), KINDS) == 3


def test_the_warehouse_lists_only_values_not_yet_public(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as db:
        periods = {r[0] for r in db.execute("SELECT DISTINCT period FROM visibility").fetchall()}
        levels = {r[0] for r in db.execute("SELECT DISTINCT visible_to FROM visibility WHERE de = 'ENROL'").fetchall()}
    assert periods == {"2024S", "2024"}
    assert levels == {1}  # schools' forms are open: their districts only


def test_the_ministry_is_not_offered_the_open_year(warehouse):
    with service.as_reader(0):
        assert service.periods_available("ENROL")[-1] == "2024S"
    with service.as_reader(3):
        assert service.periods_available("ENROL")[-1] == "2023S"


def test_accepted_years_are_the_same_for_everyone(warehouse):
    values = {}
    for level in (0, 1, 3, 4):
        with service.as_reader(level):
            df = service.indicators(["GER_ISCED1", "PTR_ISCED1"], ["2023S"], ou_codes=["KZ"])
        values[level] = sorted(df["value"].round(9).tolist())
    assert values[0] == values[1] == values[3] == values[4]


def test_the_open_year_has_figures_for_administrators_only(warehouse):
    with service.as_reader(0):
        admin = service.indicators(["PTR_ISCED1"], ["2024S"], ou_codes=["KZ"])
    with service.as_reader(3):
        ministry = service.indicators(["PTR_ISCED1"], ["2024S"], ou_codes=["KZ"])
    assert admin["value"].notna().all() and len(admin) == 1
    assert ministry.empty or all(v is None or math.isnan(v) for v in ministry["value"])


def _user(role, scope=None):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(f"u-{role}", password="x-long-password-1", role=role, scope=scope)


def _value(client, pe, ou="KZ"):
    """The value, or None when the caller is not offered the period at all."""
    r = client.get(URL, {"dx": "PTR_ISCED1", "pe": pe, "ou": ou})
    if r.status_code == 400 and f"No data for period(s): {pe}" in r.json()["message"]:
        return None
    assert r.status_code == 200, r.content
    rows = r.json()["rows"]
    return rows[0][4] if rows else None


def test_api_answers_at_the_callers_level(admin_client, warehouse):
    from django.test import Client

    ministry = Client()  # not the `client` fixture: admin_client is that one, signed in as root
    ministry.force_login(_user("ministry"))
    assert _value(admin_client, "2024S") is not None
    assert _value(ministry, "2024S") is None
    assert _value(ministry, "2023S") == pytest.approx(_value(admin_client, "2023S"))


def test_a_district_sees_its_own_open_year(client, warehouse):
    from bilim.registry.models import OrgUnit

    district = OrgUnit.objects.filter(kind="district").order_by("code").first()
    client.force_login(_user("district", district))
    assert _value(client, "2024S", district.code) is not None


def test_a_region_sees_an_open_district_only_once_it_approved(client, warehouse):
    from bilim.registry.models import OrgUnit

    region = OrgUnit.objects.get(code="KZ-63")
    client.force_login(_user("region", region))
    assert _value(client, "2024S", "KZ-63") is None
    assert _value(client, "2023S", "KZ-63") is not None


def test_the_overview_shows_a_scoped_user_the_public_figures(client, warehouse):
    from bilim.registry.models import OrgUnit

    district = OrgUnit.objects.filter(kind="district").order_by("code").first()
    client.force_login(_user("district", district))
    html = client.get("/").content.decode()
    assert "2023" in html and "2024/25" not in html and "2024S" not in html
