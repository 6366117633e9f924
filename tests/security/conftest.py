"""One user per role with a scope on the mini registry, plus a second district with its own school."""

from __future__ import annotations

import datetime as dt

import pytest

ROLES = ("admin", "ministry", "region", "district", "organization", "secretariat", "public")


@pytest.fixture
def world(mini_registry, act):
    from bilim.registry import services as rs

    start = dt.date(2000, 1, 1)
    abai = mini_registry["abai"]
    other = rs.open_unit(rs.UnitSpec("KZ-10-002", "district", "Аягөз", "Аягоз", "Ayagoz District", parent=abai),
                         dt.date(2022, 6, 8), act)
    other_school = rs.open_unit(rs.UnitSpec("100000000002", "organization", "№2 мектеп", "Школа №2", "School No. 2",
                                            parent=other, attrs={"org_type": "SCHOOL", "area": "URBAN"}),
                                  dt.date(2022, 6, 8), act)
    east_district = rs.open_unit(rs.UnitSpec("KZ-63-003", "district", "Үлкен", "Улькен", "Far District",
                                             parent=mini_registry["east"]), start, act)
    return mini_registry | {"other_district": other, "other_school": other_school, "east_district": east_district}


@pytest.fixture
def users(world):
    from bilim.accounts.models import User

    scopes = {"region": world["abai"], "district": world["district"], "organization": world["school"]}
    out = {}
    for role in ROLES:
        out[role] = User.objects.create_user(f"u-{role}", password="a-long-test-password", role=role,
                                             scope=scopes.get(role), is_superuser=role == "admin",
                                             is_staff=role == "admin")
    return out


@pytest.fixture
def as_role(client, users):
    """as_role('district') -> a test client signed in as that role."""
    from django.test import Client

    def make(role: str) -> Client:
        c = Client()
        c.force_login(users[role])
        return c

    return make
