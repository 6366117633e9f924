"""Playwright against a live small demo, in Debian's Chromium (headless, no sandbox)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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


def sign_in(page, who: tuple[str, str] = ADMIN) -> None:
    page.goto(page.base + "/accounts/login/")
    page.fill("input[name=username]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


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
