"""MUST-SHOW: the two modes on the small demo, through the Django refresh and the query service.

Semey City (KZ-63-012) moved from East Kazakhstan (KZ-63) to the new Abai Region (KZ-10) on
2022-06-08. Regional totals of enrolment-based numerators for the school years before the move
(2020S, 2021S, census 1 October) therefore depend on the mode: `historical` counts Semey's pupils
in East Kazakhstan (Abai did not exist), `current` restates them into Abai. From 2022S on both
modes see the same map, so 2023S and 2024S agree.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.analytics import service

pytestmark = pytest.mark.django_db
WAREHOUSE_CUBE = False  # engine semantics; the cube is compared with the engine in test_cube.py

AS_OF = dt.date(2025, 1, 1)
BEFORE, AFTER = ["2020S", "2021S"], ["2023S", "2024S"]


def _numerators(mode: str, code: str = "GER_ISCED1") -> dict[tuple[str, str], float]:
    res = service.indicators([code], BEFORE + AFTER, ou_codes=["KZ-63", "KZ-10", "KZ-63-012"], mode=mode,
                             as_of=AS_OF)
    assert set(res["mode"]) == {mode}
    return {(r.ou_code, r.period): r.numerator for r in res.itertuples()}


@pytest.fixture(scope="module")
def both(warehouse, django_db_blocker):
    return _numerators("historical"), _numerators("current")


def test_semey_moved_in_the_registry(both):
    hist, cur = both
    semey = [hist[("KZ-63-012", p)] for p in BEFORE]
    assert all(v > 0 for v in semey), "Semey must have primary pupils for the test to mean anything"


@pytest.mark.parametrize("period", BEFORE)
def test_regional_totals_differ_before_the_move(both, period):
    hist, cur = both
    semey = hist[("KZ-63-012", period)]
    # historical: Semey's pupils are in East Kazakhstan, Abai did not exist yet
    assert ("KZ-10", period) not in hist
    assert hist[("KZ-63", period)] - cur[("KZ-63", period)] >= semey > 0
    # current: restated onto today's map, Abai holds Semey (and Urzhar District, which moved too)
    assert cur[("KZ-10", period)] >= semey
    # nothing is lost or counted twice between the two regions
    assert hist[("KZ-63", period)] == pytest.approx(cur[("KZ-63", period)] + cur[("KZ-10", period)])


@pytest.mark.parametrize("period", AFTER)
def test_regional_totals_agree_after_the_move(both, period):
    hist, cur = both
    for region in ("KZ-63", "KZ-10"):
        assert hist[(region, period)] == cur[(region, period)]


def test_enrolment_total_moves_between_regions(warehouse):
    """A pure ENROL total (PC_PER_100's denominator) follows the map like the GER numerator."""
    kw = {"ou_codes": ["KZ-63", "KZ-10"], "as_of": AS_OF}
    hist = service.indicators(["PC_PER_100"], ["2020S"], mode="historical", **kw).set_index("ou_code")
    cur = service.indicators(["PC_PER_100"], ["2020S"], mode="current", **kw).set_index("ou_code")
    assert hist.loc["KZ-63", "denominator"] > cur.loc["KZ-63", "denominator"]
    assert hist.loc["KZ-63", "denominator"] == pytest.approx(cur.loc["KZ-63", "denominator"]
                                                            + cur.loc["KZ-10", "denominator"])


def test_level_region_follows_the_map_of_each_period(warehouse):
    res = service.indicators(["GER_ISCED1"], ["2020S", "2024S"], level="region", mode="historical")
    regions = {p: set(g["ou_code"]) for p, g in res.groupby("period")}
    assert "KZ-10" not in regions["2020S"] and "KZ-10" in regions["2024S"]
    cur = service.indicators(["GER_ISCED1"], ["2020S"], level="region", mode="current", as_of=AS_OF)
    assert "KZ-10" in set(cur["ou_code"])


def test_explain_adds_up_to_the_numerator(warehouse):
    cell = service.indicators(["GER_ISCED1"], ["2021S"], ou_codes=["KZ-63"], mode="historical").iloc[0]
    ex = service.explain("GER_ISCED1", "KZ-63", "2021S", mode="historical")
    num = ex[ex["part"] == "numerator"]
    assert num["value"].sum() == pytest.approx(cell["numerator"])
    assert ex[ex["part"] == "denominator"]["value"].sum() == pytest.approx(cell["denominator"])
