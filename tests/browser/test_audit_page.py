"""The audit trail page in a real browser: filtered records, the hash-chain check and the CSV export.

Each language choice is an audited change ("accounts.language"), so the administrator's own choice made
by the `admin_page` fixture is a record to find. Expected counts come from the audit JSON API.
"""

from __future__ import annotations

import csv
import io

from tests.browser.conftest import api, choose_language, shot


def test_audit_trail_filters_shows_the_change_and_exports(admin_page):
    page = admin_page
    choose_language(page, "ru")
    choose_language(page, "en")  # the newest record: ru -> en
    expected = api(page, "/audit/records", actor="admin", action="accounts.language", limit=50)
    assert expected["count"] >= 2
    page.goto(page.base + "/audit/")
    assert page.locator("#audit-table tbody tr").count() >= 2
    page.fill("#audit-filters input[name=actor]", "admin")
    page.fill("#audit-filters input[name=action]", "accounts.language")
    with page.expect_navigation():
        page.click("#audit-filters button[type=submit]")
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() == min(expected["count"], 50)
    assert [r.get_attribute("id") for r in rows.all()] == [f"audit-{x['id']}" for x in expected["items"]]
    newest = rows.first.locator("td.change").inner_text()
    assert newest.index('"ru"') < newest.index("→") < newest.index('"en"')  # before → after
    assert page.locator("p.meta", has_text="record").first.inner_text().startswith(f"{expected['count']} ")
    shot(page, "audit-trail-language-changes")
    with page.expect_download() as dl:
        page.click("#audit-csv")
    with open(dl.value.path(), encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(io.StringIO(f.read())))
    assert [int(r["id"]) for r in lines] == [x["id"] for x in expected["items"]]
    assert {r["action"] for r in lines} == {"accounts.language"}


def test_audit_chain_check(admin_page):
    page = admin_page
    page.goto(page.base + "/audit/")
    checked = api(page, "/audit/verify")
    assert checked["ok"] is True
    page.click("#verify-button")
    result = page.locator("#verify-result")
    result.wait_for()
    assert result.locator("[data-ok]").get_attribute("data-ok") == "true"
    assert f"{checked['checked']:,}".replace(",", "") in result.inner_text().replace(",", "").replace("\u00a0", "")
    shot(page, "audit-chain-ok", full=False)
