"""On-demand questions about a few units read only the facts and closure rows of the units that can
count in their answers (`engine._Ctx.narrow`); every figure must be the one the whole warehouse gives."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bilim.analytics import compute, engine, explain, load_catalogue
from bilim.analytics.synthetic import MOVE_DATE

from .conftest import AS_OF, tiny_warehouse

PERIODS = ["2023S", "2024S", "2025S"]


@pytest.fixture
def reached(monkeypatch):
    """The unit lists questions were narrowed to (None: not narrowed), so that no comparison below
    passes because nothing was narrowed."""
    seen: list[list[int] | None] = []
    real = engine._reach

    def spy(*a, **kw):
        seen.append(real(*a, **kw))
        return seen[-1]

    monkeypatch.setattr(engine, "_reach", spy)
    return seen


def _narrowed_and_whole(ask):
    narrowed = ask()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "REACH_LIMIT", 0)  # the question reads the whole warehouse
        whole = ask()
    return narrowed, whole


# one indicator of each kind of term: a share of a sub-population, teachers apportioned by enrolment,
# an organization condition, organization counts, a lookup of the region's GDP, a calendar-year
# element, flow rates and survival (the next census), population by area
KINDS = ["GER_ISCED1", "PTTR_ISCED1", "SHIFT3_PCT", "OVERCAP_PCT", "EXP_PER_PUPIL_GDPPC", "BROADBAND_PCT",
         "REPR_G02", "SURV_ISCED1", "PRESCH_COV_3_6"]


def test_every_organization_figure_of_a_region_is_the_same_when_narrowed(duck, reached):
    """Every catalogue indicator for the organizations of a region (the moved school among them)."""
    narrowed, whole = _narrowed_and_whole(lambda: compute(
        duck, load_catalogue().codes(), ["2024S", "2025S"], level="organization", within="KZ-R1", as_of=AS_OF))
    assert reached[0] is not None
    assert len(narrowed) > 100
    pd.testing.assert_frame_equal(narrowed, whole)


@pytest.mark.parametrize(("mode", "by"), [("historical", "SEX"), ("current", "AREA")])
def test_split_organization_figures_are_the_same_when_narrowed(duck, reached, mode, by):
    as_of = AS_OF if mode == "current" else None
    narrowed, whole = _narrowed_and_whole(lambda: compute(
        duck, KINDS, ["2024S", "2025S"], level="organization", within="KZ-R1", by=by, mode=mode, as_of=as_of))
    assert reached[0] is not None
    assert narrowed[by.lower()].notna().all() and len(narrowed) > 50
    pd.testing.assert_frame_equal(narrowed, whole)


@pytest.mark.parametrize(("mode", "as_of"), [("historical", None), ("current", MOVE_DATE - dt.timedelta(days=1)),
                                             ("current", AS_OF)])
def test_a_moved_school_and_its_districts_are_the_same_when_narrowed(duck, synthetic, reached, mode, as_of):
    narrowed, whole = _narrowed_and_whole(lambda: compute(
        duck, KINDS, PERIODS, ou_codes=[synthetic.moved_school, "D11", "D12"], mode=mode, as_of=as_of))
    assert reached[0] is not None
    assert len(narrowed) > 20
    pd.testing.assert_frame_equal(narrowed, whole)


def test_the_explanation_of_a_school_cell_is_the_same_when_narrowed(duck, synthetic, reached):
    narrowed, whole = _narrowed_and_whole(lambda: explain(
        duck, "EXP_PER_PUPIL_GDPPC", synthetic.moved_school, "2024S", as_of=AS_OF))
    assert reached[0] is not None
    assert set(narrowed["part"]) == {"numerator", "denominator", "denominator_factor"}
    pd.testing.assert_frame_equal(narrowed, whole)


def test_a_closed_school_still_counts_in_its_district_when_narrowed(reached):
    """`current` mode: the school closed in 2025 counts, for 2024S, under the district that still exists."""
    from bilim.analytics.warehouse import closure_from_parents, conform

    facts = [dict(de="ENROL", period="2024S", ou_id=ou, grade="G01", value=v) for ou, v in ((100, 10.0), (101, 7.0))]
    con = tiny_warehouse(facts, schools=2)
    closed = dt.date(2025, 1, 1)
    parents = pd.DataFrame([(2, 1, None, None), (10, 2, None, None), (100, 10, None, None), (101, 10, None, closed)],
                           columns=["child_id", "parent_id", "valid_from", "valid_to"])  # fmt: skip
    units = pd.DataFrame({"ou_id": [1, 2, 10, 100, 101], "valid_to": [None, None, None, None, closed]})
    con.create_table("closure", conform("closure", closure_from_parents(parents, units)), overwrite=True)

    narrowed, whole = _narrowed_and_whole(lambda: compute(con, ["GER_ISCED1"], "2024S", ou_codes=["D1"], as_of=AS_OF))
    assert reached[0] is not None
    assert narrowed["numerator"].tolist() == [17.0]
    pd.testing.assert_frame_equal(narrowed, whole)


def test_a_question_reaching_more_units_than_the_limit_is_not_narrowed(duck, monkeypatch, reached):
    monkeypatch.setattr(engine, "REACH_LIMIT", 3)
    res = compute(duck, ["GER_ISCED1"], "2024S", ou_codes=["KZ"])
    assert reached == [None]
    assert len(res) == 1
