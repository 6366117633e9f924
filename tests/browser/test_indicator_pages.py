"""Overview, region comparison, equity and profile indicators show the analytics service's numbers.

Expected values are computed here through the same query service, in-process, against the live
demo's warehouse, then looked for on the page in the page's number format.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import set_language, shot


def en(v: float, digits: int = 1) -> str:
    return f"{v:,.{digits}f}"


def ru(v: float, digits: int = 1) -> str:
    return f"{v:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


@pytest.fixture
def latest(demo_service):
    return demo_service.periods_available("ENROL")[-1]


def value(service, code: str, ou: str, period: str, mode: str = "current") -> float:
    df = service.indicators([code], [period], ou_codes=[ou], mode=mode)
    return float(df["value"].iloc[0])


def test_overview_cards_show_national_values(admin_page, demo_service, latest):
    ger = value(demo_service, "GER_ISCED1", "KZ", latest)
    exp = value(demo_service, "EXP_PER_PUPIL", "KZ", latest)
    page = admin_page
    page.goto(page.base + "/")
    cards = page.locator("#overview-cards .card")
    assert cards.count() == 9
    assert page.locator(".card[data-code=GER_ISCED1] .value").inner_text() == f"{en(ger)} %"
    assert page.locator(".card[data-code=EXP_PER_PUPIL] .value").inner_text() == en(exp, 0)
    page.wait_for_selector("#spark-GER_ISCED1[data-ready='1'] canvas")
    assert "2020/21" in page.locator("#overview-table thead").inner_text()
    assert "current" in page.locator("#mode-note").inner_text().lower()
    shot(page, "overview")
    set_language(page, "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator(".card[data-code=GER_ISCED1] .value").inner_text().replace(" ", "\u00a0") == f"{ru(ger)}\u00a0%"
    shot(page, "overview-ru")


def test_overview_mode_switch_to_historical(admin_page, demo_service, latest):
    ger = value(demo_service, "GER_ISCED1", "KZ", latest, mode="historical")
    page = admin_page
    page.goto(page.base + "/")
    with page.expect_navigation():
        page.check("input[name=mode][value=historical]")
    assert "mode=historical" in page.url
    assert "historical" in page.locator("#mode-note").inner_text().lower()
    assert page.locator(".card[data-code=GER_ISCED1] .value").inner_text() == f"{en(ger)} %"


def test_overview_on_a_phone(admin_phone):
    page = admin_phone
    page.goto(page.base + "/")
    page.wait_for_selector("#spark-UNT_MEAN[data-ready='1'] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "overview-phone")


def test_region_comparison_table_map_and_composite(admin_page, demo_service, latest):
    df = demo_service.indicators(["GER_ISCED1"], [latest], level="region")
    almaty = float(df.set_index("ou_code").loc["KZ-75", "value"])
    page = admin_page
    page.goto(page.base + f"/compare/?ind=GER_ISCED1&period={latest}")
    assert page.locator("#regions-table tbody tr").count() == len(df)
    assert page.locator("#regions-table tr[data-code='KZ-75'] td").nth(1).inner_text() == f"{en(almaty)} %"
    page.wait_for_selector("#compare-chart[data-ready='1'] canvas")
    page.wait_for_selector("#compare-map[data-ready='1'] canvas")
    assert page.locator(".credit a[href='https://www.amcharts.com/']").count() == 1
    # sorting by the value column puts the highest first on the second click
    header = page.locator("#regions-table thead th").nth(1)
    header.click()
    header.click()
    best = df.sort_values("value", ascending=False).iloc[0]["ou_code"]
    assert page.locator("#regions-table tbody tr").first.get_attribute("data-code") == best
    assert page.locator("#composite-table tbody tr").count() >= 3
    shot(page, "compare")
    page.select_option("#composite-form select[name=norm]", "zscore")
    page.select_option("#composite-form select[name=agg]", "geometric")
    with page.expect_navigation():
        page.click("#composite-form button[type=submit]")
    assert "norm=zscore" in page.url
    page.wait_for_selector("#composite-chart[data-ready='1'] canvas")
    set_language(page, "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("#regions-table tr[data-code='KZ-75']").count() == 1


def test_region_comparison_on_a_phone(admin_phone):
    page = admin_phone
    page.goto(page.base + "/compare/")
    page.wait_for_selector("#compare-map[data-ready='1'] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "compare-phone")


def test_equity_parity_and_funding(admin_page, demo_service, latest):
    gpia = demo_service.parity(["GER_ISCED1"], [latest], index="GPIA", ou_codes=["KZ"])
    kz_gpia = float(gpia["value"].iloc[0])
    eq = demo_service.equity("EXP_PER_PUPIL", ["KZ-75"], [latest]).set_index("measure")
    gini = float(eq.loc["GINI", "value"])
    page = admin_page
    page.goto(page.base + f"/equity/?ind=GER_ISCED1&period={latest}&region=KZ-75")
    assert f"{kz_gpia:.3f}" in page.locator("#parity-table tr[data-code=KZ]").inner_text()
    assert page.locator("#measures-table tr[data-code=GINI] td").nth(2).inner_text() == f"{gini:.3f}"
    page.wait_for_selector("#lorenz-chart[data-ready='1'] canvas")
    page.wait_for_selector("#hist-chart[data-ready='1'] canvas")
    shot(page, "equity")


def test_profile_key_indicators_and_completeness(admin_page, demo_service, latest):
    ger = value(demo_service, "GER_ISCED1", "KZ-75", latest)
    page = admin_page
    page.goto(page.base + "/ou/KZ-75/")
    assert page.locator("#profile-cards .card[data-code=GER_ISCED1] .value").inner_text() == f"{en(ger)} %"
    rows = page.locator("#completeness tbody tr")
    assert rows.count() >= 3
    assert "SCHOOL_CENSUS" in page.locator("#completeness").inner_text()
    shot(page, "profile-almaty-indicators")
