"""Indicator access on the small demo's warehouse (issue 11, items 1 and 3; issue 12, item 4).

Every way of naming units goes through one `IndicatorQuery` and one `decide_access`:

* the public never receives a single organization — not by code, `LEVEL-organization`,
  `CHILDREN-<district>`, explain, per-organization values or CSV;
* a scoped user's answers keep only the units of its subtree *today*, whatever date or mode is asked
  (`as_of`, `mode=historical`, `CHILDREN-`, explain, SDMX, the CLI, the registry's children, the
  completeness API).

`KZ-63-012` was a district of East Kazakhstan (KZ-63) until 2022-06-08 and is one of Abai (KZ-10) today.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.analytics_django.conftest import small_demo, warehouse  # noqa: F401 - module fixtures

pytestmark = pytest.mark.django_db

MOVED = "KZ-63-012"
URL = "/api/v1/analytics"


@pytest.fixture
def people(warehouse):  # noqa: F811
    from bilim.accounts.models import User
    from bilim.registry.models import OrgUnit

    east = OrgUnit.objects.get(code="KZ-63")
    users = {"public": User.objects.create_user("t-public", password="a-long-test-password", role="public"),
             "region": User.objects.create_user("t-east", password="a-long-test-password", role="region",
                                                scope=east)}
    clients = {}
    for role, user in users.items():
        c = Client()
        c.force_login(user)
        clients[role] = c
    return clients


def moved_units() -> set[str]:
    """The moved district and everything under it today (all outside KZ-63 today)."""
    from bilim.registry.models import OrgUnit
    from bilim.registry.selectors import descendant_ids

    unit = OrgUnit.objects.get(code=MOVED)
    ids = {unit.pk, *descendant_ids(unit, dt.date.today())}
    return set(OrgUnit.objects.filter(pk__in=ids).values_list("code", flat=True))


def kinds(codes) -> set[str]:
    from bilim.registry.models import OrgUnit

    return set(OrgUnit.objects.filter(code__in=list(codes)).values_list("kind", flat=True))


def row_units(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row[2] for row in response.json()["rows"]}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


# --- item 1: the public never sees a single organization ------------------------------------------

@pytest.mark.parametrize("query", [
    "dx=PTR_ISCED1&pe=2023S&ou=CHILDREN-KZ-63-012",             # the children of a district: its schools
    "dx=PTR_ISCED1&pe=2023S&ou=CHILDREN-KZ-63-012&format=csv",
    "dx=PTR_ISCED1&pe=2023S&ou=KZ-63;children-KZ-63-012",        # any spelling of the prefix
    "dx=PTR_ISCED1&pe=2023S&ou=LEVEL-organization;KZ-63",
    "dx=PTR_ISCED1&pe=2023S&ou=LEVEL-authority",
])
def test_public_is_refused_organizations_however_named(people, query):
    r = people["public"].get(f"{URL}?{query}")
    assert r.status_code == 403, r.content
    assert r.json()["code"] == "forbidden" and "aggregates" in r.json()["message"]


def test_public_is_refused_explain_and_per_organization_values(people):
    r = people["public"].get(f"{URL}/explain?dx=PTR_ISCED1&ou=KZ-63-012&pe=2023S")
    assert r.status_code == 403, r.content
    r = people["public"].get(f"{URL}/equity?dx=EXP_PER_PUPIL&ou=KZ-63&pe=2023S&orgs=true")
    assert r.status_code == 403, r.content


def test_public_children_of_a_region_are_its_districts_only(people):
    units = row_units(people["public"].get(f"{URL}?dx=PTR_ISCED1&pe=2023S&ou=CHILDREN-KZ-10;CHILDREN-KZ"))
    assert units and kinds(units) <= {"region", "district"}
    assert row_units(people["public"].get(f"{URL}?dx=PTR_ISCED1&pe=2023S&ou=LEVEL-district;KZ-10"))


def test_public_cli_is_refused_children_of_a_district(people):
    with pytest.raises(CommandError, match="public account"):
        run("--indicator", "PTR_ISCED1", "--ou", "CHILDREN-KZ-63-012", "--period", "2023S", "--user", "t-public")


# --- item 3: the scope is the subtree today, whatever date is asked ---------------------------------

@pytest.mark.parametrize("query", [
    "dx=PTR_ISCED1&pe=2023S&ou=LEVEL-organization;KZ-63&as_of=2021-01-01",
    "dx=PTR_ISCED1&pe=2021S&ou=LEVEL-organization;KZ-63&mode=historical",
    "dx=PTR_ISCED1&pe=2021S&ou=LEVEL-district;KZ-63&mode=historical",
    "dx=PTR_ISCED1&pe=2021S&ou=CHILDREN-KZ-63&mode=historical",
    "dx=PTR_ISCED1&pe=2023S&ou=CHILDREN-KZ-63&as_of=2021-01-01",
])
def test_region_answers_keep_todays_subtree(people, query):
    units = row_units(people["region"].get(f"{URL}?{query}"))
    assert units, "the question has answers inside the scope"
    assert not units & moved_units()


def test_region_csv_keeps_todays_subtree(people):
    r = people["region"].get(f"{URL}?dx=PTR_ISCED1&pe=2021S&ou=LEVEL-district;KZ-63&mode=historical&format=csv")
    assert r.status_code == 200
    units = {row["ou"] for row in csv.DictReader(io.StringIO(r.content.decode()))}
    assert units and not units & moved_units()


def test_region_is_still_refused_a_moved_unit_by_code(people):
    r = people["region"].get(f"{URL}?dx=PTR_ISCED1&pe=2021S&ou={MOVED}&mode=historical")
    assert r.status_code == 403 and MOVED in r.json()["message"]


def test_region_explain_folds_units_outside_the_scope(people):
    r = people["region"].get(f"{URL}/explain?dx=GER_ISCED1&ou=KZ-63&pe=2021S&mode=historical")
    assert r.status_code == 200, r.content
    body = r.json()
    named = {c["ou_code"] for part in body["parts"].values() for c in part["contributions"]}
    assert named and not named & moved_units()
    assert "" in named  # the folded row of the units outside the scope
    assert body["parts"]["numerator"]["total"] == pytest.approx(body["numerator"])


def test_region_sdmx_keeps_todays_subtree(people):
    r = people["region"].get("/api/v1/exchange/sdmx?dx=PTR_ISCED1&pe=2021S&ou=LEVEL-district;KZ-63"
                             "&mode=historical&format=json&by=none")
    assert r.status_code == 200, r.content
    text = r.content.decode()
    assert "KZ-63-001" in text or "KZ-63-0" in text
    assert MOVED not in text


def test_region_sdmx_structure_keeps_todays_subtree_and_agrees_with_the_data(people):
    import sdmx

    sel = "dx=PTR_ISCED1&pe=2021S&ou=LEVEL-district;KZ-63&mode=historical"
    s = people["region"].get(f"/api/v1/exchange/sdmx/structure?{sel}")
    assert s.status_code == 200, s.content
    structure = sdmx.read_sdmx(io.BytesIO(s.content))
    areas = {c.id for c in structure.codelist["CL_REF_AREA"]}
    assert areas and MOVED not in areas and kinds(areas) == {"district"}
    r = people["region"].get(f"/api/v1/exchange/sdmx?{sel}&format=xml&by=none")
    assert r.status_code == 200, r.content
    data = sdmx.read_sdmx(io.BytesIO(r.content), structure=structure.structure["DSD_EDU"])
    assert {str(k.values["REF_AREA"].value) for k in data.data[0].series} <= areas


def test_region_cli_keeps_todays_subtree(people):
    out = run("--indicator", "PTR_ISCED1", "--level", "district", "--within", "KZ-63", "--period", "2021S",
              "--mode", "historical", "--format", "csv", "--user", "t-east")
    units = {row["ou_code"] for row in csv.DictReader(io.StringIO(out))}
    assert units and not units & moved_units()


def test_registry_children_on_a_past_date_keep_todays_subtree(people):
    r = people["region"].get("/api/v1/orgunits/KZ-63/children?as_of=2021-01-01&limit=500")
    assert r.status_code == 200, r.content
    body = r.json()
    items = body["items"] if isinstance(body, dict) else body
    codes = {u["code"] for u in items}
    assert codes and MOVED not in codes


def test_completeness_api_keeps_todays_subtree(people):
    r = people["region"].get("/api/v1/collection/completeness/SCHOOL_CENSUS/2021S?org_unit=KZ-63")
    assert r.status_code == 200, r.content
    body = r.json()
    codes = {c["code"] for c in body["children"]} | {m["code"] for m in body["missing"]}
    assert body["children"] and not codes & moved_units()


# --- a NUL or another control character in a selection is a 400 naming the parameter ----------------

@pytest.mark.parametrize("path", [
    URL + "?dx=PTR_ISCED1&pe=2023S&ou=KZ%00",
    URL + "?dx=PTR_ISCED1&pe=2023S&ou=%00",
    URL + "/explain?dx=PTR_ISCED1&pe=2023S&ou=KZ-63%00",
    "/api/v1/exchange/sdmx?dx=PTR_ISCED1&pe=2023S&ou=KZ%00",
    "/api/v1/exchange/sdmx?dx=PTR_ISCED1&pe=2023S%00&ou=KZ",
    URL + "?dx=PTR_ISCED1&pe=2023S&ou=KZ%E2%80%AE",  # a right-to-left override
])
def test_control_characters_in_a_selection_are_a_400(admin_client, warehouse, path):  # noqa: F811
    r = admin_client.get(path)
    assert r.status_code == 400, (r.status_code, r.content[:300])
    body = r.json()
    assert body["code"] == "bad_request" and ("ou" in body["message"] or "pe" in body["message"])
    assert "character" in body["message"]
