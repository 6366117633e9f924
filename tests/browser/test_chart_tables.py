"""Every chart has a table view and a download: the overview, region comparison and equity pages.

On the comparison and equity pages each chart carries a "Chart / table" toggle and a CSV download of that
table: the server's export of the page's table (bilim/web/exports.py, plain numbers with codes, names,
mode and as-of date) where there is one, else the table as shown; either way the demo's real figures.
The overview's sparklines are small multiples of one trend table, which is shown under them with its own
CSV download.
"""

from __future__ import annotations

import csv
import io

import pytest

from bilim.metadata.periods import label
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
    """Each chart: ready, toggles to its table and back, and downloads its data as CSV (the server's
    export, or the table as shown). Returns the CSVs."""
    charts = page.locator("div.chart").evaluate_all("els => els.map(e => e.id)")
    assert charts
    out = {}
    for cid in charts:
        page.wait_for_selector(f"#{cid}[data-ready='1'] canvas")
        tools = page.locator(f".tools:has(button[data-toggle='{cid}'])")
        assert tools.count() == 1, f"{cid} has no chart/table toggle"
        table_id = tools.locator("button[data-toggle]").get_attribute("data-toggle-table")
        chart, table = page.locator(f"#{cid}"), page.locator(f"#{table_id}")
        assert chart.is_visible() and not table.is_visible()
        tools.locator("button[data-toggle]").click()
        assert table.is_visible() and not chart.is_visible()
        assert table.evaluate("t => t.tagName") == "TABLE"
        n = table.locator("tbody tr").count()
        assert n >= 1, f"{table_id} is empty"
        if tools.locator("a[data-export=csv]").count():
            assert tools.locator("button[data-csv]").count() == 0 and tools.locator("a[data-export=xlsx]").count() == 1
            rows = download_csv(page, tools.locator("a[data-export=csv]"))
            assert len(rows) >= n + 1 and rows[0][:3] == ["indicator", "indicator_name", "ou_code"]
        else:
            rows = download_csv(page, tools.locator("button[data-csv]"))
            assert len(rows) == table.locator("tr").count() and len(rows) >= n + 1
        tools.locator("button[data-toggle]").click()
        assert chart.is_visible() and not table.is_visible()
        out[cid] = rows
    return out


def records(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


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
    assert rows[0][-1] == label(latest, "en")  # the header shows school years as 2024/25
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
    # the bar chart's data: every region and the national figure, as the service computes them
    bars = records(csvs["compare-chart"])
    assert csvs["compare-map"] == csvs["compare-chart"]  # both charts show the same regions table
    names = page.locator("#regions-table tbody td:first-child").all_inner_texts()
    regions = {r["ou_code"]: r for r in bars if r["ou_code"] != "KZ"}
    assert {r["ou_name"] for r in regions.values()} == set(names)
    assert {c: float(r["value"]) for c, r in regions.items() if r["value"]} == \
        {c: pytest.approx(float(v)) for c, v in df["value"].dropna().items()}
    assert [float(r["value"]) for r in bars if r["ou_code"] == "KZ"] == [pytest.approx(nat)]
    bar_rows = page.locator("#compare-table tbody tr").evaluate_all("rs => rs.map(r => r.dataset.code)")
    shown = [float(df.loc[c, "value"]) for c in bar_rows]
    assert shown == sorted(shown, reverse=True) and len(shown) == len(df["value"].dropna())  # highest first
    almaty = page.locator("#compare-table tr[data-code='KZ-75'] td").last.inner_text()
    assert almaty == f"{float(df.loc['KZ-75', 'value']):,.1f} %"
    assert page.locator("#compare-table tfoot th.num").inner_text() == f"{nat:,.1f} %"
    # the composite index table carries the rank intervals
    comp = records(csvs["composite-chart"])
    assert comp and all(float(r["rank_p05"]) <= float(r["median_rank"]) <= float(r["rank_p95"]) for r in comp)
    page.click("button[data-toggle=compare-chart]")
    shot(page, "compare-bar-table-view", full=False)


def test_equity_charts_have_tables_and_downloads(admin_page, demo_service, latest):
    page = admin_page
    gpia = demo_service.parity(["GER_ISCED1"], [latest], index="GPIA", ou_codes=["KZ"])
    page.goto(page.base + f"/equity/?ind=GER_ISCED1&period={latest}&region=KZ-75")
    csvs = check_every_chart(page)
    assert set(csvs) == {"parity-chart", "hist-chart", "lorenz-chart"}
    parity = records(csvs["parity-chart"])
    assert [float(r["value"]) for r in parity if r["ou_code"] == "KZ" and r["parity_index"] == "GPIA"] == \
        [pytest.approx(float(gpia["value"].iloc[0]))]
    lorenz = csvs["lorenz-chart"]
    assert [float(x) for x in lorenz[-1]] == [1.0, 1.0]  # the curve ends at all pupils, all expenditure
    # the measures table (no chart) downloads too
    measures = records(download_csv(page, page.locator(".tools:has(+ #measures-table) a[data-export=csv]")))
    assert [r["measure"] for r in measures] == page.locator("#measures-table tbody td:nth-child(2)").all_inner_texts()
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
