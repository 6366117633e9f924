"""Sign-in, the interface language (per user) and the organization registry browser, in a real browser.

Expected figures come from the live demo itself: the analytics query service in-process (`demo_service`)
and the registry's JSON API read with the browser's own session (`api`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.browser.conftest import api, choose_language, set_language, shot, sign_in
from tests.livedemo import ADMIN

ANALYST = ("analyst", "analyst-demo-only-2026")
TITLES = {"kk": "Республикалық шолу", "ru": "Республиканский обзор", "en": "National overview"}
REGISTRY = {"kk": "Ұйымдар тізілімі", "ru": "Реестр организаций", "en": "Registry of organizations"}


@pytest.fixture(scope="session")
def analyst(live_demo):
    """A second, non-administrator account (ministry analyst) with no language chosen yet."""
    live_demo.run("shell", "-c", (
        "from bilim.accounts.models import User\n"
        f"u, _ = User.objects.get_or_create(username={ANALYST[0]!r})\n"
        f"u.role = 'ministry'; u.language = ''; u.is_active = True; u.set_password({ANALYST[1]!r}); u.save()\n"))
    return ANALYST


def local(v: float, lang: str, digits: int = 1) -> str:
    """A number as the pages print it: en 1,234.5 · ru and kk 1 234,5 (bilim/formats/kk)."""
    text = f"{v:,.{digits}f}"
    if lang == "en":
        return text
    return text.replace(",", " ").replace(".", ",")


def plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ").strip()


def table_codes(page, table: str = "#registry-table") -> list[str]:
    return page.locator(f"{table} tbody tr td:first-child a").all_inner_texts()


def sign_out(page) -> None:
    with page.expect_navigation():
        page.click("header form[action$='/logout/'] button")
    page.wait_for_load_state("networkidle")


# --- sign-in ------------------------------------------------------------------------------------------

def test_sign_in_rejects_a_wrong_password_then_signs_in(page, analyst):
    page.goto(page.base + "/accounts/login/?next=/registry/")
    assert page.locator("html").get_attribute("lang") == "kk"  # the product default
    assert page.locator("input[name=username]").is_visible() and page.locator("input[name=password]").is_visible()
    assert page.locator("header nav").count() == 0  # nothing but the language picker before signing in
    shot(page, "signin")
    page.fill("input[name=username]", analyst[0])
    page.fill("input[name=password]", analyst[1] + "-wrong")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" in page.url
    assert page.locator("#login-error").is_visible()
    assert page.locator("input[name=username]").input_value() == analyst[0]  # kept, the password is not
    assert page.locator("header form[action$='/logout/']").count() == 0
    shot(page, "signin-wrong-password")
    page.fill("input[name=password]", analyst[1])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == page.base + "/registry/"
    assert page.locator("header > span").inner_text() == analyst[0]
    assert page.locator("header form[action$='/logout/']").count() == 1
    assert page.locator("#registry-table tbody tr").count() >= 1


def test_a_protected_page_asks_to_sign_in_and_returns_there(page):
    page.goto(page.base + "/registry/?type=SCHOOL")
    assert "/accounts/login/?next=" in page.url
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url == page.base + "/registry/?type=SCHOOL"
    assert page.locator("select[name=type]").input_value() == "SCHOOL"


# --- language -----------------------------------------------------------------------------------------

def test_language_switch_translates_the_overview_and_keeps_its_numbers(admin_page, demo_service):
    page = admin_page
    latest = demo_service.periods_available("ENROL")[-1]
    ger = float(demo_service.indicators(["GER_ISCED1"], [latest], ou_codes=["KZ"])["value"].iloc[0])
    choose_language(page, "kk")
    page.goto(page.base + "/")
    navs = {}
    for lang in ("kk", "ru", "en"):
        set_language(page, lang)
        assert page.url == page.base + "/"  # back on the same page
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("h1").inner_text() == TITLES[lang]
        expected = f"{local(ger, lang)} %"
        assert plain(page.locator(".card[data-code=GER_ISCED1] .value").inner_text()) == expected
        row = page.locator("#overview-table tbody tr", has=page.locator("code", has_text="GER_ISCED1"))
        assert plain(row.locator("td").last.inner_text()) == expected  # the trend table, latest year
        navs[lang] = page.locator("header nav").inner_text()
        if lang == "kk":
            shot(page, "language-overview-kk", full=False)
    assert len(set(navs.values())) == 3  # the menu is in three different languages
    shot(page, "language-overview-en", full=False)


def test_chosen_language_is_remembered_per_user(browser, live_demo, analyst, admin_page):
    def fresh(**cookies):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="kk-KZ")
        ctx.add_cookies([{"name": k, "value": v, "url": live_demo.url} for k, v in cookies.items()])
        pg = ctx.new_page()
        pg.set_default_timeout(20000)
        pg.base = live_demo.url
        return ctx, pg

    ctx, page = fresh()
    sign_in(page, analyst, to="/registry/")
    assert page.locator("html").get_attribute("lang") == "kk"  # nothing chosen yet: Kazakh
    set_language(page, "ru")
    assert page.locator("h1").inner_text() == REGISTRY["ru"]
    sign_out(page)
    assert "/accounts/login/" in page.url
    ctx.close()

    # back in from another browser whose language cookie says English: the account's choice wins
    ctx, page = fresh(django_language="en")
    page.goto(page.base + "/accounts/login/?next=/registry/")
    assert page.locator("html").get_attribute("lang") == "en"
    sign_in(page, analyst, to="/registry/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == REGISTRY["ru"]
    shot(page, "language-remembered-ru", full=False)
    ctx.close()

    # meanwhile the administrator keeps English, even in a browser whose cookie says Russian
    admin_page.context.add_cookies([{"name": "django_language", "value": "ru", "url": live_demo.url}])
    admin_page.goto(admin_page.base + "/registry/")
    assert admin_page.locator("html").get_attribute("lang") == "en"
    assert admin_page.locator("h1").inner_text() == REGISTRY["en"]


# --- registry browser ---------------------------------------------------------------------------------

@pytest.fixture
def registry(admin_page):
    admin_page.goto(admin_page.base + "/registry/")
    return admin_page


def test_registry_search_by_name(registry):
    page = registry
    expected = api(page, "/orgunits", kind="organization", q="Talgar", limit=100)
    assert 0 < expected["count"] <= 50
    page.fill("input[name=q]", "Talgar")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "q=Talgar" in page.url
    assert table_codes(page) == [u["code"] for u in expected["items"]]
    names = page.locator("#registry-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names == [u["name_en"] for u in expected["items"]] and all("Talgar" in n for n in names)
    assert page.locator("p.meta", has_text="organization").first.inner_text().startswith(f"{expected['count']} ")
    shot(page, "registry-search-talgar")


def test_registry_filters_by_type_area_and_region(registry):
    page = registry
    expected = api(page, "/orgunits", kind="organization", type="SCHOOL", area="RURAL", parent="KZ-19", limit=100)
    assert expected["count"] >= 1
    page.select_option("select[name=type]", "SCHOOL")
    page.select_option("select[name=area]", "RURAL")
    page.select_option("select[name=region]", "KZ-19")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert table_codes(page) == [u["code"] for u in expected["items"]]
    school = page.locator("select[name=type] option[value=SCHOOL]").inner_text()
    rural = page.locator("select[name=area] option[value=RURAL]").inner_text()
    assert all(t.startswith(school) for t in page.locator("#registry-table tbody td:nth-child(3)").all_inner_texts())
    assert set(page.locator("#registry-table tbody td:nth-child(4)").all_inner_texts()) == {rural}
    assert page.locator("select[name=region]").input_value() == "KZ-19"  # the form keeps the filters
    shot(page, "registry-filtered-rural-schools-almaty-region")


def test_registry_pagination_keeps_the_filters(registry):
    page = registry
    everything = api(page, "/orgunits", kind="organization", limit=1)
    urban = api(page, "/orgunits", kind="organization", area="URBAN", limit=50, offset=50)
    assert urban["count"] > 50 and everything["count"] > urban["count"]
    pages = -(-urban["count"] // 50)
    page.select_option("select[name=area]", "URBAN")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.locator("#registry-table tbody tr").count() == 50
    assert f"page 1 of {pages}" in page.locator(".pager").inner_text()
    with page.expect_navigation():
        page.click(".pager a:has-text('next')")
    assert "area=URBAN" in page.url and "page=2" in page.url
    assert f"page 2 of {pages}" in page.locator(".pager").inner_text()
    assert table_codes(page) == [u["code"] for u in urban["items"]]
    with page.expect_navigation():
        page.click(".pager a:has-text('previous')")
    assert f"page 1 of {pages}" in page.locator(".pager").inner_text()
    assert page.locator("p.meta", has_text="organization").first.inner_text().startswith(f"{urban['count']} ")


def test_registry_csv_export_has_the_rows_of_the_filtered_table(registry):
    page = registry
    page.goto(page.base + "/registry/?region=KZ-35&lang=RUS")
    shown = table_codes(page)
    assert 0 < len(shown) < 50  # all on one page, so the table is everything the filter selects
    names = page.locator("#registry-table tbody tr td:nth-child(2)").all_inner_texts()
    with page.expect_download() as dl:
        page.click("p.meta a:text-is('CSV')")
    download = dl.value
    assert download.suggested_filename == f"bilim-organizations-{dt.date.today().isoformat()}.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in rows] == shown
    assert [r["name_en"] for r in rows] == names
    assert all("RUS" in r["languages"].split(",") for r in rows)
    expected = api(page, "/orgunits", kind="organization", parent="KZ-35", limit=200)
    rus = [u["code"] for u in expected["items"] if "RUS" in u["languages"]]
    assert shown == rus


def test_registry_xlsx_export_downloads_the_filtered_rows(registry):
    from openpyxl import load_workbook

    page = registry
    page.goto(page.base + "/registry/?type=SCHOOL&region=KZ-75")
    shown = table_codes(page)
    assert shown
    with page.expect_download() as dl:
        page.click("p.meta a:text-is('XLSX')")
    download = dl.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as f:
        ws = load_workbook(io.BytesIO(f.read()), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("code", "name_kk", "name_ru")
    assert [r[0] for r in rows[1:]] == shown
    assert {r[4] for r in rows[1:]} == {"SCHOOL"}


def test_registry_on_a_phone(admin_phone):
    page = admin_phone
    page.goto(page.base + "/registry/")
    page.fill("input[name=q]", "Shymkent")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.locator("#registry-table tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 380  # the table scrolls inside its panel
    assert page.locator("p.meta a:text-is('CSV')").is_visible()
    shot(page, "registry-phone", full=False)
