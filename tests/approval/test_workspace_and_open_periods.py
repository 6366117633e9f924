"""Issue 13: a home for every role, Approve disabled with its reason, no entry into periods not open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bilim.approval import selectors
from bilim.approval.models import FormDeadline
from bilim.approval.services import approve, submit, unapprove
from bilim.collection.models import DataValue

pytestmark = pytest.mark.django_db


def client_for(role: str, scope, username: str | None = None) -> Client:
    from bilim.accounts.models import User

    user = User.objects.create_user(username or f"u-{role}", password="a-long-test-password", role=role, scope=scope)
    c = Client()
    c.force_login(user)
    return c


def test_collection_periods_follow_the_ministrys_deadlines_newest_first(country):
    from bilim.metadata.models import DataSet

    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    for p in ("2023S", "2024S", "2099S"):
        FormDeadline.objects.create(data_set=ds, period=p, due=dt.date(2025, 1, 1))
    assert selectors.collection_periods(ds, dt.date(2026, 12, 3)) == ["2024S", "2023S"]  # 2099 has not begun


def test_a_school_starts_on_its_forms_with_deadline_status_and_the_returned_reason(country, save):
    from bilim.metadata.models import DataSet

    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    FormDeadline.objects.create(data_set=ds, period="2024S", due=dt.date(2024, 10, 15))
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    save("S1", "TEACH", 2)
    submit("SCHOOL_CENSUS", "S1", "2024S")
    unapprove("SCHOOL_CENSUS", "S1", "2024S", "pupils by grade do not add up")
    page = client_for("organization", country["S1"]).get("/").content.decode()
    assert 'id="my-forms"' in page and 'id="overview-cards"' not in page
    assert 'data-form="SCHOOL_CENSUS" data-period="2024S"' in page
    assert "2024/25" in page and "pupils by grade do not add up" in page
    assert "/collection/entry/SCHOOL_CENSUS/S1/2024S/" in page


def test_a_district_sees_completeness_and_what_waits_for_its_approval(country, save):
    from bilim.metadata.models import DataSet

    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    FormDeadline.objects.create(data_set=ds, period="2024S", due=dt.date(2024, 10, 15))
    district = client_for("district", country["d1"])
    page = district.get("/").content.decode()
    assert "2 units below have not submitted or been approved yet" in page
    for s in ("S1", "S2"):
        save(s, "ENROL", 12, SEX="F", GRADE="G01")
        save(s, "TEACH", 2)
        submit("SCHOOL_CENSUS", s, "2024S")
    page = district.get("/").content.decode()
    assert "Ready for your approval" in page
    assert "/collection/approval/SCHOOL_CENSUS/KZ-11-001/2024S/" in page


def test_ministry_and_public_start_on_the_national_overview(country):
    for role in ("ministry", "public"):
        r = client_for(role, None).get("/")
        assert r.status_code == 200
        assert 'id="my-forms"' not in r.content.decode() and "Collection in your area" not in r.content.decode()


def test_the_overview_stays_one_click_away_for_a_school(country):
    c = client_for("organization", country["S1"])
    assert 'href="/overview/"' in c.get("/").content.decode()
    assert c.get("/overview/").status_code == 200


def test_menus_lead_to_collection_upload_and_the_api_docs(country):
    nav = client_for("district", country["d1"]).get("/overview/").content.decode().split("</nav>")[0]
    for href in ('href="/collection/"', 'href="/exchange/upload/"', 'href="/api/v1/docs"'):
        assert href in nav
    public_nav = client_for("public", None).get("/").content.decode().split("</nav>")[0]
    assert 'href="/exchange/upload/"' not in public_nav and 'href="/collection/"' not in public_nav


def test_approve_is_disabled_with_the_reason_while_units_below_are_open(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    save("S1", "TEACH", 2)
    submit("SCHOOL_CENSUS", "S1", "2024S")
    html = admin_client.get("/collection/entry/SCHOOL_CENSUS/KZ-11-001/2024S/").content.decode()
    assert 'id="approve-blocked"' in html and "disabled" in html.split('id="approve-blocked"')[1][:200]
    assert "1 unit below has not submitted or been approved yet" in html and "S2" in html
    save("S2", "ENROL", 5, SEX="F", GRADE="G01")
    save("S2", "TEACH", 1)
    submit("SCHOOL_CENSUS", "S2", "2024S")
    html = admin_client.get("/collection/entry/SCHOOL_CENSUS/KZ-11-001/2024S/").content.decode()
    assert 'id="approve-blocked"' not in html and 'value="approve"' in html
    approve("SCHOOL_CENSUS", "KZ-11-001", "2024S")


def test_no_entry_into_a_period_whose_collection_has_not_opened(admin_client, country):
    future = f"{dt.date.today().year + 2}S"
    url = f"/collection/entry/SCHOOL_CENSUS/S1/{future}/"
    page = admin_client.get(url)
    assert page.status_code == 200 and 'id="entry-closed"' in page.content.decode()
    r = admin_client.post(url, {"v:CAPACITY:": "100", "orig:CAPACITY:": "", "ver:CAPACITY:": ""})
    assert r.status_code == 400
    assert not DataValue.objects.filter(period=future).exists()


def test_no_entry_for_a_period_of_another_type(admin_client, country):
    r = admin_client.post("/collection/entry/SCHOOL_CENSUS/S1/2024Q1/", {"v:CAPACITY:": "100", "orig:CAPACITY:": "",
                                                                        "ver:CAPACITY:": ""})
    assert r.status_code == 400
    assert not DataValue.objects.exists()


def test_workflow_errors_are_in_the_users_language(country):
    from django.utils import translation

    from bilim.approval.services import ApprovalError

    with translation.override("ru"), pytest.raises(ApprovalError) as e:
        unapprove("SCHOOL_CENSUS", "S1", "2024S", "")
    assert "reason is required" not in str(e.value)
