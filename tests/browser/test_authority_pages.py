"""The competence register in a real browser: list, "who holds X over Y on D", powers, history."""

from __future__ import annotations

from tests.browser.conftest import set_language, shot


def test_competences_list(admin_page):
    page = admin_page
    page.goto(page.base + "/competences/")
    rows = page.locator("#competence-table tbody tr")
    assert rows.count() == 10
    assert "319-III" in page.locator("#competence-table").inner_text()
    shot(page, "authority-competences")


def test_who_holds_innovation_sites_over_almaty(admin_page):
    page = admin_page
    page.goto(page.base + "/competences/")
    page.select_option("#holder-form select[name=competence]", "INNOVATION_SITES")
    page.fill("#holder-form input[name=unit]", "KZ-75")
    page.fill("#holder-form input[name=date]", "2023-01-01")
    page.click("#holder-form button[type=submit]")
    page.wait_for_selector("#holder-result")
    result = page.locator("#holder-result").inner_text()
    assert "Almaty" in result and "akimat" in result.lower()
    chain = page.locator("#delegation-chain li")
    assert chain.count() == 2  # the ministry by law, then the Almaty city akimat by the 2022 order
    assert "2022" in chain.nth(1).inner_text()
    shot(page, "authority-holder-almaty")
    # before the delegation the ministry holds it by law
    page.fill("#holder-form input[name=date]", "2021-01-01")
    page.click("#holder-form button[type=submit]")
    page.wait_for_function("() => !document.querySelector('#delegation-chain')")
    assert "Ministry" in page.locator("#holder-result .lead").inner_text()


def test_powers_of_the_almaty_akimat_and_history(admin_page):
    page = admin_page
    page.goto(page.base + "/competences/")
    page.fill("#powers-form input[name=body]", "KZ-75-AKIMAT")
    page.fill("#powers-form input[name=date]", "2023-01-01")
    page.click("#powers-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    powers = page.locator("#powers-table").inner_text()
    assert "Granting the status of innovation and experimental site" in powers
    assert "by delegation" in powers and "Approving the school network" in powers
    shot(page, "authority-powers-almaty-akimat")
    page.goto(page.base + "/competences/INNOVATION_SITES/")
    text = page.locator("#history-table").inner_text()
    assert "27 Jul 2007" in text and "1 Apr 2022" in text  # dates in the page language's format
    shot(page, "authority-history")
    set_language(page, "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "01.04.2022" in page.locator("#history-table").inner_text()
