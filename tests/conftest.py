"""Shared fixtures: a legal act and a tiny registry usable by every app's tests."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(scope="session", autouse=True)
def data_dir_of_its_own(tmp_path_factory):
    """Warehouse, catalogue file and audit key under a temporary directory of this test process, not
    var/: `make test` runs two pytest-xdist workers, and two processes refreshing one DuckDB file would
    take each other's lock (and a developer's demo warehouse would be overwritten)."""
    from django.test.utils import override_settings

    data = tmp_path_factory.mktemp("data")
    with override_settings(DATA_DIR=data, BILIM_WAREHOUSE_PATH=data / "warehouse.duckdb",
                           BILIM_AUDIT_KEY_FILE=str(data / "audit-key")):
        yield data


@pytest.fixture(autouse=True)
def english_by_default(settings):
    """Tests assert English messages; Kazakh stays the product default (checked in tests/web)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def analytics_in_the_foreground(monkeypatch):
    """No queued refresh (test data sits in an open transaction a worker could not see) and no
    warm-before-swap: a test that refreshes reads the new snapshot at once.
    tests/analytics_django/test_refresher.py turns the queue back on and runs the worker itself."""
    from bilim.analytics import refresher, service
    from bilim.projects import selectors as projects

    monkeypatch.setattr(refresher, "MODE", "off")
    monkeypatch.setattr(service, "WARM_BEFORE_SWAP", False)
    monkeypatch.setattr(projects, "DEFICIT_CACHE_SECONDS", 0.0)  # tests change values and look again


@pytest.fixture(autouse=True)
def no_cli_user(monkeypatch):
    """Commands run as the operator unless a test names a user: ignore a BILIM_USER of the shell."""
    monkeypatch.delenv("BILIM_USER", raising=False)


@pytest.fixture
def act(db):
    from bilim.registry.models import LegalAct

    return LegalAct.objects.create(kind="decree", number="1", date=dt.date(2000, 1, 1), issuer="President",
                                   title_en="Test act")


@pytest.fixture
def mini_registry(db, act):
    """KZ with two regions, a district that moves between them on 2022-06-08, a school and its office."""
    from bilim.registry import services as rs
    from bilim.registry.models import LegalAct

    start = dt.date(2000, 1, 1)
    kz = rs.open_unit(rs.UnitSpec("KZ", "republic", "Қазақстан", "Казахстан", "Kazakhstan"), start, act)
    east = rs.open_unit(rs.UnitSpec("KZ-63", "region", "Шығыс", "Восточно", "East Kazakhstan Region", parent=kz), start, act)
    abai = rs.open_unit(rs.UnitSpec("KZ-10", "region", "Абай", "Абай", "Abai Region", parent=kz),
                        dt.date(2022, 6, 8), act)
    district = rs.open_unit(rs.UnitSpec("KZ-63-001", "district", "Ұржар", "Урджар", "Urzhar District", parent=east),
                            start, act)
    office = rs.open_unit(rs.UnitSpec("KZ-63-001-EDU", "authority", "Білім бөлімі", "Отдел образования",
                                      "Urzhar education office", parent=district, attrs={"subtype": "DISTRICT_OFFICE"}),
                          start, act)
    school = rs.open_unit(rs.UnitSpec("100000000001", "organization", "№1 мектеп", "Школа №1", "School No. 1",
                                      parent=district, governing_body=office,
                                      attrs={"org_type": "SCHOOL", "area": "RURAL", "languages": ["KAZ"],
                                             "capacity": 300, "shifts": 2}), start, act)
    move_act = LegalAct.objects.create(kind="decree", number="887", date=dt.date(2022, 5, 3), issuer="President",
                                       title_en="On the formation of Abai Region")
    rs.move_unit(district, abai, dt.date(2022, 6, 8), move_act)
    return {"kz": kz, "east": east, "abai": abai, "district": district, "office": office, "school": school}


@pytest.fixture
def admin_client(client, db):
    from bilim.accounts.models import User

    user = User.objects.create_superuser("root", "root@example.org", "pw-for-tests-only", role="admin",
                                         language="en")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def client_as(db):
    """client_as('district', unit) -> a test client signed in as a new user of that role and scope."""
    from django.test import Client

    from bilim.accounts.models import User

    made: list = []

    def make(role: str, scope=None) -> Client:
        user = User.objects.create_user(f"{role}-{len(made)}", password="a-long-test-password", role=role,
                                        scope=scope, language="en", is_superuser=role == "admin",
                                        is_staff=role == "admin")
        made.append(user)
        c = Client()
        c.force_login(user)
        c.user = user
        return c

    return make


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks (it tags node ids with the group)
def pytest_collection_modifyitems(items):
    """One pytest-xdist work unit per module (its module fixtures, such as a built demo or a Spark session,
    are set up once), and one for all browser tests, which share a live demo server."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group("browser" if path.startswith("tests/browser/") else path))
