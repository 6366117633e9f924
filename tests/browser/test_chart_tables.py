"""Every chart has a table view and a download: the overview, region comparison and equity pages.

On the comparison and equity pages each chart carries a "Chart / table" toggle and a CSV download of that
table; the downloaded rows are the table's and carry the demo's real figures. The overview's sparklines
are small multiples of one trend table, which is shown under them with its own CSV download.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.conftest import shot


@pytest.fixture
def latest(demo_service):
    return demo_service.periods_available("ENROL")[-1]


def download_csv(page, button) -> list[list[str]]:
    with page.expect_download() as dl:
        button.click()
    with open(dl.value.path(), encoding="utf-8-sig") as f:
        return list(csv.reader(io.StringIO(f.read())))


def check_every_chart(page) -> dict[str, list[list[str]]]:
    """Each chart: ready, toggles to its table and back, and downloads that table as CSV. Returns the CSVs."""
    charts = page.locator("div.chart").evaluate_all("els => els.map(e => e.id)")
    assert charts
    out = {}
    for cid in charts:
        page.wait_for_selector(f"#{cid}[data-ready='1'] canvas")
        tools = page.locator(f".tools:has(button[data-toggle='{cid}'])")
        assert tools.count() == 1, f"{cid} has no chart/table toggle"
        table_id = tools.locator("button[data-csv]").get_attribute("data-csv")
        chart, table = page.locator(f"#{cid}"), page.locator(f"#{table_id}")
        assert chart.is_visible() and not table.is_visible()
        tools.locator("button[data-toggle]").click()
        assert table.is_visible() and not chart.is_visible()
        assert table.evaluate("t => t.tagName") == "TABLE"
        n = table.locator("tbody tr").count()
        assert n >= 1, f"{table_id} is empty"
        rows = download_csv(page, tools.locator("button[data-csv]"))
        assert len(rows) == table.locator("tr").count() and len(rows) >= n + 1
        tools.locator("button[data-toggle]").click()
        assert chart.is_visible() and not table.is_visible()
        out[cid] = rows
    return out


def test_overview_trend_table_backs_every_sparkline_and_downloads(admin_page, demo_service, latest):
    page = admin_page
    ger = float(demo_service.indicators(["GER_ISCED1"], [latest], ou_codes=["KZ"])["value"].iloc[0])
    page.goto(page.base + "/")
    sparks = page.locator("#overview-cards .spark").evaluate_all("els => els.map(e => e.id.slice(6))")
    table_codes = page.locator("#overview-table tbody td:nth-child(2)").all_inner_texts()
    assert sparks and table_codes == sparks  # one table row per sparkline, in the same order
    for code in sparks:
        page.wait_for_selector(f"#spark-{code}[data-ready='1'] canvas")
    rows = download_csv(page, page.locator("button[data-csv=overview-table]"))
    assert rows[0][-1] == latest
    by_code = {r[1]: r for r in rows[1:]}
    assert set(by_code) == set(sparks)
    assert by_code["GER_ISCED1"][-1] == f"{ger:,.1f} %"


def test_region_comparison_charts_have_tables_and_downloads(admin_page, demo_service, latest):
    page = admin_page
    df = demo_service.indicators(["GER_ISCED1"], [latest], level="region").set_index("ou_code")
    nat = float(demo_service.indicators(["GER_ISCED1"], [latest], ou_codes=["KZ"])["value"].iloc[0])
    page.goto(page.base + f"/compare/?ind=GER_ISCED1&period={latest}")
    csvs = check_every_chart(page)
    assert set(csvs) == {"compare-chart", "compare-map", "composite-chart"}
    # the bar chart's table: every region, highest first, and the national line
    bars = csvs["compare-chart"]
    names = page.locator("#regions-table tbody td:first-child").all_inner_texts()
    assert set(r[0] for r in bars[1:-1]) <= set(names) and len(bars) == len(df["value"].dropna()) + 2
    values = [float(r[1].rstrip(" %").replace(",", "")) for r in bars[1:-1]]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(df["value"].max(), abs=0.05)
    almaty = page.locator("#compare-table tr[data-code='KZ-75'] td").last.inner_text()
    assert almaty == f"{float(df.loc['KZ-75', 'value']):,.1f} %"
    assert bars[-1][1] == f"{nat:,.1f} %"
    # the composite index table carries the rank intervals
    comp = csvs["composite-chart"]
    assert len(comp[0]) == 6 and all("–" in r[4] for r in comp[1:])
    page.click("button[data-toggle=compare-chart]")
    shot(page, "compare-bar-table-view", full=False)


def test_equity_charts_have_tables_and_downloads(admin_page, demo_service, latest):
    page = admin_page
    gpia = demo_service.parity(["GER_ISCED1"], [latest], index="GPIA", ou_codes=["KZ"])
    page.goto(page.base + f"/equity/?ind=GER_ISCED1&period={latest}&region=KZ-75")
    csvs = check_every_chart(page)
    assert set(csvs) == {"parity-chart", "hist-chart", "lorenz-chart"}
    kz = page.locator("#parity-table tr[data-code=KZ] td").first.inner_text()
    assert any(r[0] == kz and f"{float(gpia['value'].iloc[0]):.3f}" in r for r in csvs["parity-chart"])
    lorenz = csvs["lorenz-chart"]
    assert [float(x) for x in lorenz[-1]] == [1.0, 1.0]  # the curve ends at all pupils, all expenditure
    # the measures table (no chart) downloads too
    measures = download_csv(page, page.locator("button[data-csv=measures-table]"))
    assert [r[1] for r in measures[1:]] == page.locator("#measures-table tbody td:nth-child(2)").all_inner_texts()
    page.click("button[data-toggle=hist-chart]")
    shot(page, "equity-histogram-table-view", full=False)


def test_equity_on_a_phone(admin_phone):
    page = admin_phone
    page.goto(page.base + "/equity/")
    for cid in ("parity-chart", "hist-chart", "lorenz-chart"):
        page.wait_for_selector(f"#{cid}[data-ready='1'] canvas")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    assert page.locator("button[data-toggle=parity-chart]").is_visible()
    shot(page, "equity-phone")
