"""Stored XSS on the completeness map (issue 11, item 4): names in tooltips are text, never markup.

The page is rendered by Django's test client and opened in Debian's Chromium with every request
answered from the rendered HTML and the app's static files, so the chart's own JavaScript runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAYLOAD = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'


def _serve(html: str):
    from django.contrib.staticfiles import finders

    def handler(route):
        path = urlparse(route.request.url).path
        if path.startswith("/static/"):
            found = finders.find(path.removeprefix("/static/"))
            if found:
                return route.fulfill(status=200, body=Path(found).read_bytes())
            return route.fulfill(status=404, body="")
        if path == "/x":
            return route.fulfill(status=404, body="")
        return route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")

    return handler


def test_completeness_map_tooltip_escapes_names(admin_client, mini_registry):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from bilim.registry.models import OrgUnit

    # Legacy rows written before names were validated: the page must still not run them.
    OrgUnit.objects.filter(code="KZ-10").update(name_en=PAYLOAD)
    OrgUnit.objects.filter(code="100000000001").update(name_en=PAYLOAD, lat=49.6, lon=81.0)
    html = admin_client.get("/collection/completeness/SCHOOL_CENSUS/2024S/").content.decode()
    assert "cmap" in html
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--headless", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.route("**/*", _serve(html))
            page.goto("http://bilim.test/collection/completeness/SCHOOL_CENSUS/2024S/")
            page.wait_for_function("() => { const c = echarts.getInstanceByDom(document.getElementById('cmap'));"
                                   " return c && c.getOption() && c.getOption().geo; }")
            texts = []
            for action in ("{type: 'showTip', seriesIndex: 0, name: 'KZ-10'}",
                           "{type: 'showTip', seriesIndex: 1, dataIndex: 0}"):
                page.evaluate(f"() => echarts.getInstanceByDom(document.getElementById('cmap')).dispatchAction({action})")
                page.wait_for_timeout(600)
                texts.append(page.evaluate("() => [...document.querySelectorAll('#cmap div')]"
                                           ".map(d => d.innerText).join(' ')"))
            assert page.evaluate("() => window.__xss || 0") == 0
            assert page.evaluate("() => document.querySelectorAll('#cmap img').length") == 0
            assert "<img src=x" in texts[0] and "<img src=x" in texts[1]
        finally:
            browser.close()
