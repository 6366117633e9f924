"""Playwright against a live small demo, in Debian's Chromium (headless, no sandbox)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.livedemo import ADMIN, ROOT, LiveDemo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("BILIM_SCREENSHOTS", ROOT / "var" / "screenshots"))
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_demo(tmp_path_factory):
    demo = LiveDemo(tmp_path_factory.mktemp("livedemo"))
    demo.build()
    demo.keep_pristine()
    demo.start()
    yield demo
    demo.stop()


@pytest.fixture(scope="module")
def fresh_demo(live_demo, tmp_path_factory):
    """A server of its own over a copy of the just-built demo: for the workflow tests, whose writes
    (approvals, restructurings, delegations) must not change what the other browser tests read."""
    demo = live_demo.copy(tmp_path_factory.mktemp("workflow") / "data")
    demo.start()
    yield demo
    demo.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make system-deps)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_demo):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="kk-KZ")
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.base = live_demo.url
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def admin_state(browser, live_demo):
    """Cookies of one signed-in administrator session, shared by `admin_page` (signing in once per run)."""
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.base = live_demo.url
    sign_in(pg, to="/registry/")
    state = ctx.storage_state()
    ctx.close()
    return state


def _admin_context(browser, live_demo, admin_state, **context_options):
    """A fresh context reusing the administrator's session, interface in English; yields its page."""
    ctx = browser.new_context(storage_state=admin_state, **context_options)
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.base = live_demo.url
    choose_language(pg, "en")
    yield pg
    ctx.close()


@pytest.fixture
def admin_page(browser, live_demo, admin_state):
    """A fresh browser context already signed in as the demo administrator, interface in English."""
    yield from _admin_context(browser, live_demo, admin_state, viewport={"width": 1280, "height": 900},
                              locale="kk-KZ")


@pytest.fixture
def admin_phone(browser, live_demo, admin_state):
    """Like `admin_page`, 375 px wide (a phone)."""
    yield from _admin_context(browser, live_demo, admin_state, viewport={"width": 375, "height": 800})


def choose_language(page, code: str) -> None:
    """Set the signed-in user's language with the header picker's POST, without loading a page."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    r = page.request.post(page.base + "/language/", max_redirects=0,
                          form={"language": code, "next": "/", "csrfmiddlewaretoken": token})
    assert r.status == 302, r.status


def sign_in(page, who: tuple[str, str] = ADMIN, to: str = "") -> None:
    """Sign in on the login page; lands on the overview, or on the path `to` (skips loading the overview)."""
    page.goto(page.base + "/accounts/login/" + (f"?next={quote(to)}" if to else ""))
    page.fill("input[name=username]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def api(page, path: str, **params) -> dict:
    """GET /api/v1<path> from the live demo with the page's signed-in session (expected values for asserts)."""
    r = page.request.get(page.base + "/api/v1" + path, params=params)
    assert r.ok, f"{path}: {r.status} {r.text()[:300]}"
    return r.json()


def shot(page, name: str, full: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    return path


def set_language(page, code: str) -> None:
    """Pick a language in the header; waits for the reload it triggers (unless it is already active)."""
    if page.locator("#lang-form select").input_value() == code:
        return
    with page.expect_navigation():
        page.select_option("#lang-form select", code)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def demo_service(live_demo):
    """The analytics query service in-process, reading the live demo's warehouse (read-only)."""
    from django.test import override_settings

    from bilim.analytics import service

    with override_settings(BILIM_WAREHOUSE_PATH=live_demo.data_dir / "warehouse.duckdb"):
        yield service


def phone(browser, live_demo):
    """A signed-in page 375 px wide (a phone)."""
    ctx = browser.new_context(viewport={"width": 375, "height": 800})
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.base = live_demo.url
    sign_in(pg)
    return ctx, pg
