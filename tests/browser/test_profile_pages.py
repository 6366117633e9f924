"""Org-unit profiles at every level (region, district, organization) in a real browser.

Identity, both hierarchies (territorial parent and governing body) with their history, key indicators
with trends, child units and data completeness. Expected values come from the live demo: the registry and
collection JSON API (read with the browser's session) and the analytics query service in-process.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from bilim.metadata.periods import label
from tests.browser.conftest import api, shot


def en_date(iso: str) -> str:
    """An API date (2022-06-08) as an English page shows it (8 Jun 2022: the en DATE_FORMAT)."""
    d = dt.date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%b')} {d.year}"

REGION = "KZ-19"  # Almaty Region: lost Taldykorgan to the new Jetisu Region on 2022-06-08
MOVED_DISTRICT = "KZ-19-011"


def en(v: float, code: str, catalogue) -> str:
    unit = catalogue.indicators[code].unit
    text = f"{v:,.{0 if unit == 'KZT' else 1}f}"
    return f"{text} %" if unit == "%" else text


@pytest.fixture
def latest(demo_service):
    return demo_service.periods_available("ENROL")[-1]


def check_cards(page, demo_service, code: str, period: str) -> int:
    """Every key indicator with a value for `period` shows it on its card; returns how many were checked."""
    from bilim.web.analytics_bridge import KEY_INDICATORS

    cat = demo_service.catalogue()
    df = demo_service.indicators(KEY_INDICATORS, [period], ou_codes=[code])
    checked = 0
    for row in df.itertuples(index=False):
        if row.value is None or not math.isfinite(float(row.value)):
            continue
        card = page.locator(f"#profile-cards .card[data-code={row.indicator}]")
        assert card.locator(".value").inner_text() == en(float(row.value), row.indicator, cat), row.indicator
        assert label(period, "en") in card.locator(".meta").inner_text()  # 2024S is shown as 2024/25
        checked += 1
    return checked


def check_completeness(page, code: str) -> None:
    """Each form's expected and reported counts on the profile are those of the collection API."""
    rows = page.locator("#completeness tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        form = cells.nth(0).locator("code").inner_text()
        period = cells.nth(1).get_attribute("data-period")  # the code; the cell shows 2024/25
        total = api(page, f"/collection/completeness/{form}/{period}", org_unit=code)["total"]
        assert (int(cells.nth(2).inner_text()), int(cells.nth(3).inner_text())) == \
            (total["expected"], total["reported"]), form


def test_region_profile_identity_indicators_children_and_completeness(admin_page, demo_service, latest):
    page = admin_page
    unit = api(page, f"/orgunits/{REGION}")
    kids = api(page, f"/orgunits/{REGION}/children", limit=500)
    page.goto(page.base + f"/ou/{REGION}/")
    assert page.locator("h1").inner_text().startswith(unit["name_en"])
    identity = page.locator("#identity").inner_text()
    assert "Region" in identity
    assert all(unit[f"name_{lang}"] in identity for lang in ("kk", "ru", "en"))
    assert page.locator(f"#identity a[href='/ou/{unit['parent']}/']").count() == 1  # territorial parent
    # key indicators with their five-year trends
    assert check_cards(page, demo_service, REGION, latest) >= 6
    page.wait_for_selector("#spark-GER_ISCED1[data-ready='1'] canvas")
    head = page.locator("#profile-indicators thead th").all_inner_texts()
    assert len(head) == 6 and head[-1] == label(latest, "en")
    # child units: districts and the region's own bodies, today
    assert page.locator("h2", has_text="Child units").inner_text().endswith(f"({kids['count']})")
    codes = page.locator("#children tbody td:first-child a").all_inner_texts()
    assert sorted(codes) == sorted(k["code"] for k in kids["items"]) and MOVED_DISTRICT not in codes
    check_completeness(page, REGION)
    shot(page, "profile-region-almaty-region")


def test_district_profile_shows_its_move_between_regions(admin_page, demo_service, latest):
    page = admin_page
    history = api(page, f"/orgunits/{MOVED_DISTRICT}/history", limit=100)["items"]
    moves = [h for h in history if h["relation"] == "territorial"]
    assert len(moves) == 2 and moves[0]["valid_to"] == moves[1]["date"]
    old_parent, new_parent = moves[0]["value"].split()[0], moves[1]["value"].split()[0]
    day_before = "2022-06-07" if moves[1]["date"] == "2022-06-08" else moves[0]["date"]
    kids = api(page, f"/orgunits/{MOVED_DISTRICT}/children", limit=500)

    page.goto(page.base + f"/ou/{MOVED_DISTRICT}/")
    crumbs = page.locator("main > p.meta a")
    assert crumbs.last.get_attribute("href").startswith(f"/ou/{new_parent}/")
    table = page.locator("#history tbody tr")
    assert table.count() == len(history)
    moved = page.locator("#history tbody tr", has_text=moves[1]["value"])
    assert moved.locator("td").first.inner_text() == en_date(moves[1]["date"])
    left = page.locator("#history tbody tr", has_text=moves[0]["value"])
    assert left.locator("td").nth(1).inner_text() == en_date(moves[0]["valid_to"])
    assert "887" in moved.inner_text()  # the presidential decree that formed the new region
    assert check_cards(page, demo_service, MOVED_DISTRICT, latest) >= 6
    assert page.locator("#children tbody tr").count() == min(kids["count"], 100)
    check_completeness(page, MOVED_DISTRICT)
    shot(page, "profile-district-taldykorgan")

    # the same page as on the day before the move: the old region is the territorial parent
    page.goto(page.base + f"/ou/{MOVED_DISTRICT}/?as_of={day_before}")
    assert page.locator("main > p.meta a").last.get_attribute("href").startswith(f"/ou/{old_parent}/")
    assert page.locator(f"#identity a[href='/ou/{old_parent}/']").count() == 1
    # and the old region listed it among its children on that day (today it does not: see the region test)
    page.goto(page.base + f"/ou/{old_parent}/?as_of={day_before}")
    assert page.locator("#children tbody td:first-child a", has_text=MOVED_DISTRICT).count() == 1


def test_school_profile_identity_and_indicators(admin_page, demo_service, latest):
    page = admin_page
    school = api(page, "/orgunits", kind="organization", type="SCHOOL", parent=REGION, limit=1)["items"][0]
    detail = api(page, f"/orgunits/{school['code']}")
    page.goto(page.base + f"/ou/{school['code']}/")
    assert page.locator("h1").inner_text().startswith(school["name_en"])
    identity = page.locator("#identity")
    assert identity.locator("tr", has_text="Design capacity").locator("td").inner_text() == f"{school['capacity']:,}"
    assert identity.locator("tr", has_text="Languages of instruction").locator("td").inner_text() == \
        ", ".join(school["languages"])
    assert identity.locator(f"a[href='/ou/{detail['parent']}/']").count() == 1
    assert identity.locator(f"a[href='/ou/{detail['governing_body']}/']").count() == 1
    crumbs = page.locator("main > p.meta a")
    assert [a.split("/")[2] for a in (crumbs.nth(i).get_attribute("href") for i in range(crumbs.count()))] == \
        list(reversed(detail["ancestors"]))
    assert check_cards(page, demo_service, school["code"], latest) >= 2
    page.wait_for_selector("#profile-cards .spark[data-ready='1'] canvas")
    check_completeness(page, school["code"])
    assert page.locator("#children").count() == 0  # an organization has no units below it
    shot(page, "profile-organization-school")


def test_kindergarten_profile_shows_a_change_of_governing_body(admin_page):
    """Karaganda Region's kindergartens passed from district akimats to the region's education department."""
    page = admin_page
    kg = api(page, "/orgunits", kind="organization", type="PRESCHOOL", parent="KZ-35", limit=1)["items"][0]
    history = api(page, f"/orgunits/{kg['code']}/history", limit=100)["items"]
    governing = [h for h in history if h["relation"] == "governing"]
    assert len(governing) == 2
    before = api(page, f"/orgunits/{kg['code']}", as_of="2020-01-01")["governing_body"]
    today = api(page, f"/orgunits/{kg['code']}")["governing_body"]
    assert before != today
    page.goto(page.base + f"/ou/{kg['code']}/")
    assert page.locator(f"#identity a[href='/ou/{today}/']").count() == 1
    rows = page.locator("#history tbody tr", has_text="governing body")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(1).inner_text() == en_date(governing[0]["valid_to"])
    assert rows.nth(1).locator("td").nth(0).inner_text() == en_date(governing[1]["date"])
    assert today in rows.nth(1).inner_text() and before in rows.nth(0).inner_text()
    # no key indicator applies to a kindergarten, but its form's completeness is still shown
    assert page.locator("#no-indicators").is_visible()
    check_completeness(page, kg["code"])
    shot(page, "profile-organization-kindergarten")
    page.goto(page.base + f"/ou/{kg['code']}/?as_of=2020-01-01")
    assert page.locator(f"#identity a[href='/ou/{before}/']").count() == 1


def test_profile_on_a_phone(admin_phone):
    page = admin_phone
    page.goto(page.base + f"/ou/{MOVED_DISTRICT}/")
    page.wait_for_selector("#spark-GER_ISCED1[data-ready='1'] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380  # wide tables scroll in their panels
    assert page.locator("#profile-cards .card").first.is_visible()
    shot(page, "profile-district-phone", full=False)
