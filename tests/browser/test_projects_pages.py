"""Capital programme pages in a real browser: dashboard, list, card with budget and milestones, map."""

from __future__ import annotations

from tests.browser.conftest import set_language, shot


def test_programme_dashboard(admin_page):
    page = admin_page
    page.goto(page.base + "/projects/")
    page.wait_for_selector("#region-chart[data-ready='1'] canvas")
    page.click("button[data-toggle=region-chart]")
    table = page.locator("#region-table").inner_text()
    assert "Almaty" in table and "Shymkent" in table
    assert int(page.locator("#programme-cards .card").first.locator(".value").inner_text()) == 11
    shot(page, "projects-dashboard")


def test_project_list_and_palace_card(admin_page):
    page = admin_page
    page.goto(page.base + "/projects/list/?region=KZ-75")
    assert page.locator("#projects-table tbody tr").count() == 9
    page.click("text=Palace of Schoolchildren")
    page.wait_for_load_state("networkidle")
    assert "Full modernization of the Almaty Palace of Schoolchildren" in page.locator("h1").inner_text()
    assert page.locator("#budget-table tbody tr").count() >= 1
    assert page.locator("#milestones-table tbody tr").count() >= 1
    shot(page, "projects-palace")
    set_language(page, "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Дворца школьников" in page.locator("h1").inner_text()


def test_project_map_has_points_and_credit(admin_page):
    page = admin_page
    page.goto(page.base + "/projects/map/")
    page.wait_for_selector("#project-map[data-ready='1'] canvas")
    assert page.locator("#map-table tbody tr").count() == 11
    credit = page.locator(".credit a")
    assert credit.get_attribute("href") == "https://www.amcharts.com/"
    shot(page, "projects-map")
    page.goto(page.base + "/projects/map/?region=KZ-75")
    page.wait_for_selector("#project-map[data-ready='1'] canvas")
    assert page.locator("#map-table tbody tr").count() == 9
    shot(page, "projects-map-almaty")
