"""PDF reports, chart images, the print stylesheet and one number format in the browser."""

from __future__ import annotations

import io

from tests.browser.conftest import set_language, shot


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return " ".join(p.extract_text() for p in PdfReader(str(path)).pages).replace("\xa0", " ")


def test_kazakh_charts_format_numbers_as_kazakh_tables(admin_page):
    page = admin_page
    page.goto(page.base + "/compare/?ind=GER_ISCED1")
    set_language(page, "kk")
    page.wait_for_selector("#compare-chart[data-ready='1']")
    assert page.evaluate("bilimFmt(100.94, 1)") == "100,9"
    assert page.evaluate("bilimFmt(4380, 1)") == "4\u00a0380,0"
    labels = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('compare-chart'))
        .getModel().getComponent('xAxis').axis.getViewLabels().map(l => l.formattedLabel)""")
    assert labels[0] == "0", labels  # a rate's bars start at zero
    assert len(set(labels)) == len(labels), labels  # no repeated ticks
    set_language(page, "en")
    assert page.evaluate("bilimFmt(4380.04, 1)") == "4,380.0"


def test_pdf_button_downloads_the_region_comparison(admin_page):
    page = admin_page
    page.goto(page.base + "/compare/?ind=GER_ISCED1")
    set_language(page, "kk")
    with page.expect_download(timeout=60000) as dl:
        page.click("a.pdf-button")
    path = dl.value.path()
    data = open(path, "rb").read()
    assert data[:5] == b"%PDF-"
    assert dl.value.suggested_filename.startswith("comparison_GER_ISCED1_kk_current_")
    text = _pdf_text(path)
    assert "Өңірлерді салыстыру" in text or "Өңір" in text


def test_png_and_svg_buttons_download_the_chart(admin_page):
    page = admin_page
    page.goto(page.base + "/compare/?ind=GER_ISCED1")
    page.wait_for_selector("#compare-chart[data-ready='1']")
    with page.expect_download() as dl:
        page.click("button[data-chart-image='compare-chart'][data-type=png]")
    png = open(dl.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and dl.value.suggested_filename.endswith(".png")
    with page.expect_download() as dl:
        page.click("button[data-chart-image='compare-chart'][data-type=svg]")
    svg = open(dl.value.path(), encoding="utf-8").read()
    assert "<svg" in svg[:300] and dl.value.suggested_filename.endswith(".svg")


def test_print_stylesheet_hides_navigation(admin_page):
    page = admin_page
    page.goto(page.base + "/compare/?ind=GER_ISCED1")
    set_language(page, "kk")
    page.wait_for_selector("#compare-chart[data-ready='1']")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("a.pdf-button").is_visible()
    assert page.locator("#compare-chart").is_visible()
    shot(page, "compare-print-kk")
    pdf = page.pdf(format="A4")
    assert len(io.BytesIO(pdf).getvalue()) > 1000
