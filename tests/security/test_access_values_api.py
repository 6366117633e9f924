"""`GET /api/v1/exchange/values` reads as `bilim export --user` does: role, today's scope, approval.

On the mini registry of `conftest.py`: `u-district` has the scope KZ-63-001 (its office and school
100000000001, MINE), today under Abai Region KZ-10, which also holds KZ-10-002 and its school
100000000002 (OTHER). The values are those of tests/security/test_cli_user.py, so the API and the
CLI answer the same question; the test against the CLI's output keeps them together.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client

from bilim.accounts.services import issue_token
from bilim.exchange.services import import_file

pytestmark = pytest.mark.django_db

URL = "/api/v1/exchange/values"
HEADER = "dataElement,period,orgUnit,value,SEX,GRADE,comment\n"
MINE, OTHER = "100000000001", "100000000002"


@pytest.fixture
def values(world):
    """Values of both schools for 2024S (forms still open, each complete enough to submit), imported by
    the operator."""
    text = HEADER + (f"ENROL,2024S,{MINE},10,F,G01,\nENROL,2024S,{MINE},11,M,G01,\nTEACH,2024S,{MINE},2,,,\n"
                     f"ENROL,2024S,{OTHER},20,F,G01,\nTEACH,2024S,{OTHER},3,,,\n")
    report = import_file(text.encode(), actor="seed", name="seed.csv")
    assert report.ok, report.errors
    return report


def token_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION="Bearer " + issue_token(user, "values"))


def units_seen(resp) -> list[str]:
    assert resp.status_code == 200, resp.content[:300]
    return [v["orgUnit"] for v in resp.json()["dataValues"]]


def test_a_district_token_sees_its_subtree_only(values, users):
    c = token_client(users["district"])
    resp = c.get(URL)
    assert units_seen(resp) == [MINE, MINE, MINE]
    assert resp.json()["pager"]["total"] == 3 and resp["X-Total-Count"] == "3"
    # a selection inside the scope: the scope bounds a bare LEVEL- too
    assert set(units_seen(c.get(URL, {"orgUnit": "LEVEL-organization"}))) == {MINE}
    assert set(units_seen(c.get(URL, {"orgUnit": "CHILDREN-KZ-63-001"}))) == {MINE}
    assert set(units_seen(c.get(URL, {"orgUnit": MINE, "children": "false"}))) == {MINE}


@pytest.mark.parametrize("ou", ["KZ-10-002", OTHER, "KZ", "KZ-10", f"{MINE};{OTHER}", "CHILDREN-KZ-10",
                                "KZ-10;LEVEL-organization"])
def test_a_district_token_naming_a_unit_outside_its_scope_gets_403(values, users, ou):
    resp = token_client(users["district"]).get(URL, {"orgUnit": ou})
    assert resp.status_code == 403, (resp.status_code, resp.content[:300])
    body = resp.json()
    assert body["code"] == "forbidden"
    assert "is outside the scope of user u-district" in body["message"]
    assert "dataValues" not in body  # nothing of the answer leaks with the refusal


def test_unapproved_values_are_hidden_from_the_levels_above(values, users):
    """The region sees a school's values once its district approved the form; the ministry once the
    region approved. Before, the values are not in the answer nor in its total."""
    from bilim.approval.services import approve, submit

    region, ministry = token_client(users["region"]), token_client(users["ministry"])
    admin = token_client(users["admin"])
    assert units_seen(region.get(URL)) == []
    assert region.get(URL).json()["pager"]["total"] == 0
    assert units_seen(ministry.get(URL)) == []
    assert units_seen(token_client(users["district"]).get(URL)) == [MINE] * 3  # the level above sees at once
    assert set(units_seen(admin.get(URL))) == {MINE, OTHER}  # administrators see everything
    submit("SCHOOL_CENSUS", MINE, "2024S")
    assert units_seen(region.get(URL)) == []  # submitted: still the district's turn
    approve("SCHOOL_CENSUS", "KZ-63-001", "2024S")
    assert units_seen(region.get(URL)) == [MINE] * 3
    assert units_seen(ministry.get(URL)) == []  # the region has not approved yet
    submit("SCHOOL_CENSUS", OTHER, "2024S")
    approve("SCHOOL_CENSUS", "KZ-10-002", "2024S")
    both = [MINE, MINE, OTHER, MINE, OTHER]  # the export's order: element, period, unit, categories
    assert units_seen(region.get(URL)) == both
    assert units_seen(ministry.get(URL)) == []
    approve("SCHOOL_CENSUS", "KZ-10", "2024S")
    assert units_seen(ministry.get(URL)) == both


def test_the_api_answers_what_the_cli_export_writes_for_the_same_user(values, users, tmp_path):
    from bilim.approval.services import approve, submit

    submit("SCHOOL_CENSUS", MINE, "2024S")
    approve("SCHOOL_CENSUS", "KZ-63-001", "2024S")
    for name in ("district", "region", "ministry", "organization"):
        out = tmp_path / f"{name}.csv"
        call_command("export", "--user", users[name].username, "-o", str(out), stdout=io.StringIO(),
                     stderr=io.StringIO())
        api = token_client(users[name]).get(URL, {"format": "csv"})
        assert api.status_code == 200
        assert api.content.decode() == out.read_text(), name
        assert len(list(csv.DictReader(io.StringIO(out.read_text())))) == int(api["X-Total-Count"])


def test_roles_without_data_read_are_refused(values, users):
    for role in ("public", "secretariat"):
        resp = token_client(users[role]).get(URL)
        assert resp.status_code == 403 and resp.json()["code"] == "forbidden", role


def test_an_organization_sees_only_itself(values, users):
    c = token_client(users["organization"])
    assert set(units_seen(c.get(URL))) == {MINE}
    assert c.get(URL, {"orgUnit": "KZ-63-001"}).status_code == 403


def test_a_scoped_role_without_a_scope_is_refused(values, world):
    from bilim.accounts.models import User

    lost = User.objects.create_user("lost", password="a-long-test-password", role="district")
    resp = token_client(lost).get(URL)
    assert resp.status_code == 403 and "has a limited scope" in resp.json()["message"]


def test_anonymous_and_bad_tokens_get_401(values):
    assert Client().get(URL).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer bil_nope").get(URL).status_code == 401
