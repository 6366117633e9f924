"""`bilim indicators --user USERNAME`: role and scope are checked like `GET /api/v1/analytics`."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db
WAREHOUSE_CUBE = False  # engine semantics; the cube is compared with the engine in test_cube.py

DISTRICT = "KZ-63-012"  # a demo district, today in Abai Region KZ-10


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def district_user(warehouse):
    from bilim.accounts.models import User
    from bilim.registry.models import OrgUnit

    User.objects.create_user("public-reader", password="a-long-test-password", role="public")
    return User.objects.create_user("district-office", password="a-long-test-password", role="district",
                                    scope=OrgUnit.objects.get(code=DISTRICT))


def in_district() -> set[str]:
    from bilim.registry.models import OrgUnit
    from bilim.registry.selectors import descendant_ids

    unit = OrgUnit.objects.get(code=DISTRICT)
    ids = {unit.pk, *descendant_ids(unit, dt.date.today())}
    return set(OrgUnit.objects.filter(pk__in=ids).values_list("code", flat=True))


def test_units_outside_the_scope_are_refused(district_user):
    with pytest.raises(CommandError, match="KZ is outside the scope of user district-office"):
        run("--indicator", "GER_ISCED1", "--ou", "KZ", "--user", "district-office")
    with pytest.raises(CommandError, match="KZ-10 is outside the scope of user district-office"):
        run("--indicator", "GER_ISCED1", "--level", "organization", "--within", "KZ-10", "--user",
            "district-office")
    with pytest.raises(CommandError, match="public account"):
        run("--indicator", "PTR_ISCED1", "--level", "organization", "--user", "public-reader")
    with pytest.raises(CommandError, match="public account"):
        run("--indicator", "GER_ISCED1", "--explain", "--user", "public-reader")


def test_only_units_in_the_scope_are_computed(district_user):
    rows = list(csv.DictReader(io.StringIO(run("--indicator", "PTR_ISCED1", "--level", "organization", "--period",
                                               "2024S", "--format", "csv", "--user", "district-office"))))
    assert rows and {r["ou_code"] for r in rows} <= in_district()
    # without --ou: the district itself, not the republic
    rows = list(csv.DictReader(io.StringIO(run("--indicator", "GER_ISCED1", "--format", "csv", "--user",
                                               "district-office"))))
    assert {r["ou_code"] for r in rows} == {DISTRICT}
    # the public still sees the republic
    assert "KZ" in run("--indicator", "GER_ISCED1", "--user", "public-reader")


def test_the_public_is_not_offered_the_open_year_but_the_operator_is(district_user):
    """2024S is open in the demo: only districts (their own) and the operator see its aggregates."""
    with pytest.raises(CommandError, match=r"No data for period\(s\): 2024S"):
        run("--indicator", "PTR_ISCED1", "--period", "2024S", "--user", "public-reader")
    assert "PTR_ISCED1" in run("--indicator", "PTR_ISCED1", "--period", "2024S")
    assert "PTR_ISCED1" in run("--indicator", "PTR_ISCED1", "--period", "2024S", "--ou", DISTRICT,
                               "--user", "district-office")
