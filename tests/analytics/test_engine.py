"""The compiler: hierarchy aggregation, modes, disaggregations, guards and explainability."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from bilim.analytics import compute, explain, flow_table, load_catalogue
from bilim.analytics.catalogue import CATALOGUE_PATH, Catalogue, CatalogueError
from bilim.analytics.equity import MEASURES
from bilim.analytics.flow import flow_indicators
from bilim.analytics.periods import ref_date, shift, to_calendar
from bilim.analytics.synthetic import MOVE_DATE
from bilim.analytics.warehouse import closure_from_parents

from .conftest import AS_OF, tiny_warehouse

LEVELS = ("ISCED1", "ISCED2", "ISCED3")
EXPECTED_CODES = (
    [f"{p}_{L}" for p in ("GER", "NER", "SURV", "PTR", "PTTR", "OOSR", "GIR_LAST") for L in LEVELS]
    + ["ANER_ISCED1", "GIR_G01", "NIR_G01", "TRANS_ISCED1_2", "TRAINED_PCT", "CLASS_SIZE", "EXP_PER_PUPIL",
       "EXP_PER_PUPIL_GDPPC", "PRESCH_COV_3_6", "ADDED_COV_6_17", "SHIFT3_PCT", "EMERG_PCT", "OVERCAP_PCT",
       "PC_PER_100", "BROADBAND_PCT", "UNT_MEAN"]
    + [f"{p}_G{g:02d}" for p in ("REPR", "PROMR", "DROPR") for g in range(1, 12)]
)  # fmt: skip


def test_catalogue_covers_every_code_of_the_spec():
    cat = load_catalogue()
    assert sorted(cat.codes()) == sorted(EXPECTED_CODES)
    for ind in cat.indicators.values():
        assert set(ind.name) == {"en", "ru", "kk"}, ind.code
    assert {p["code"] for p in cat.parity} >= {"GPI", "GPIA", "LPIA"}
    # the spec's eight, then the mean log deviation and Atkinson's index (issue 12)
    assert [e["code"] for e in cat.equity] == ["RANGE", "RESTR_RANGE", "FRR", "CV", "MCLOONE", "VERSTEGEN",
                                                "GINI", "THEIL_T", "MLD", "ATKINSON"]  # fmt: skip
    assert tuple(e["code"] for e in cat.equity) == MEASURES


def test_flow_definitions_in_catalogue_match_generated_ones():
    """catalogue.json (data) and flow_indicators() (used for arbitrary grade lists) must agree."""
    cat = load_catalogue()
    for gen in flow_indicators([f"G{g:02d}" for g in range(1, 12)], graduates_grade="G11"):
        stored = cat[gen.code]
        assert (stored.numerator, stored.denominator, stored.guard) == (
            gen.numerator,
            gen.denominator,
            gen.guard,
        )


def test_catalogue_rejects_bad_definitions():
    with pytest.raises(CatalogueError):
        Catalogue.from_indicators(
            [{"code": "X", "numerator": [{"de": "ENROL", "filters": {"colour": ["red"]}}]}]
        )
    with pytest.raises(CatalogueError):
        Catalogue.from_indicators([{"code": "X", "numerator": [{"de": "ENROL", "sign": 2}]}])
    with pytest.raises(CatalogueError):
        Catalogue.from_indicators([{"code": "X", "numerator": []}])
    with open(CATALOGUE_PATH, encoding="utf-8") as fh:
        assert json.load(fh)["version"] == 1


def test_periods():
    assert ref_date("2024S") == dt.date(2024, 10, 1)
    assert ref_date("2024") == dt.date(2024, 7, 1)
    assert shift("2024S", 1) == "2025S" and shift("2024Q4", 1) == "2025Q1" and shift("202412", 1) == "202501"
    assert to_calendar("2024S") == "2024"


def test_closure_from_parents_per_interval():
    parents = pd.DataFrame(
        [(2, 1, None, None), (3, 1, None, None), (10, 2, None, dt.date(2020, 1, 1)), (10, 3, dt.date(2020, 1, 1), None)],
        columns=["child_id", "parent_id", "valid_from", "valid_to"],
    )  # fmt: skip
    cl = closure_from_parents(parents)
    rows = cl[cl["descendant_id"] == 10]
    assert set(map(tuple, rows[["ancestor_id", "depth"]].to_numpy())) == {(10, 0), (2, 1), (3, 1), (1, 1 + 1)}
    assert len(rows[rows["ancestor_id"] == 1]) == 1  # unchanged ancestor merged into one interval
    assert rows[rows["ancestor_id"] == 2]["valid_to"].iloc[0] == dt.date(2020, 1, 1)


def test_sum_through_hierarchy(duck):
    res = compute(duck, ["GER_ISCED1", "PTR_ISCED1"], "2024S", level="district", as_of=AS_OF)
    reg = compute(duck, ["GER_ISCED1", "PTR_ISCED1"], "2024S", level="region", as_of=AS_OF)
    rep = compute(duck, ["GER_ISCED1", "PTR_ISCED1"], "2024S", ou_codes=["KZ"], as_of=AS_OF)
    for code in ("GER_ISCED1", "PTR_ISCED1"):
        for col in ("numerator", "denominator"):
            d = res.loc[res.indicator == code, col].sum()
            assert reg.loc[reg.indicator == code, col].sum() == pytest.approx(d)
            assert rep.loc[rep.indicator == code, col].iloc[0] == pytest.approx(d)


def test_sex_groups_add_up_to_total(duck):
    codes = ["GER_ISCED2", "NER_ISCED3", "REPR_G03", "TRAINED_PCT", "OOSR_ISCED1", "UNT_MEAN"]
    tot = compute(duck, codes, "2024S", level="region", as_of=AS_OF)
    sex = compute(duck, codes, "2024S", level="region", by="SEX", as_of=AS_OF)
    assert set(sex["sex"]) == {"F", "M"}
    summed = sex.groupby(["indicator", "ou_code"])[["numerator", "denominator"]].sum()
    merged = tot.set_index(["indicator", "ou_code"])[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(summed.sort_index(), merged.sort_index(), check_exact=False)


def test_area_groups_add_up_and_broadcast(duck):
    codes = ["GER_ISCED1", "PTR_ISCED1", "BROADBAND_PCT", "EXP_PER_PUPIL", "OVERCAP_PCT"]
    tot = compute(duck, codes, "2024S", level="region", as_of=AS_OF)
    area = compute(duck, codes, "2024S", level="region", by="AREA", as_of=AS_OF)
    summed = area.groupby(["indicator", "ou_code"])[["numerator", "denominator"]].sum()
    merged = tot.set_index(["indicator", "ou_code"])[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(summed.sort_index(), merged.sort_index(), check_exact=False)
    # GDP per capita is not split by area: the same figure is the divisor of both groups
    g = compute(duck, "EXP_PER_PUPIL_GDPPC", "2024S", ou_codes=["KZ-R1"], by="AREA", as_of=AS_OF)
    e = compute(duck, "EXP_PER_PUPIL", "2024S", ou_codes=["KZ-R1"], by="AREA", as_of=AS_OF)
    ratio = e["value"].to_numpy() * 100 / g["value"].to_numpy()
    assert ratio[0] == pytest.approx(ratio[1])


def test_indicators_without_a_split_are_left_out(duck):
    res = compute(duck, ["PTR_ISCED1", "GER_ISCED1"], "2024S", ou_codes=["KZ"], by="SEX", as_of=AS_OF)
    assert set(res["indicator"]) == {"GER_ISCED1"}


def test_historical_and_current_modes(duck, synthetic):
    """The moved school counts in its old district before the move date (historical) and in the new
    one when history is restated on the current map; after the move both modes agree."""
    codes = ["GER_ISCED1", "EXP_PER_PUPIL", "REPR_G02"]
    kw = dict(level="district", within="KZ-R1")
    hist = compute(duck, codes, "2024S", mode="historical", **kw).set_index(["indicator", "ou_code"])
    curr = compute(duck, codes, "2024S", mode="current", as_of=AS_OF, **kw).set_index(
        ["indicator", "ou_code"]
    )
    before = compute(duck, codes, "2024S", mode="current", as_of=MOVE_DATE - dt.timedelta(days=1), **kw)
    before = before.set_index(["indicator", "ou_code"])
    school = compute(duck, ["EXP_PER_PUPIL"], "2024S", ou_codes=[synthetic.moved_school], as_of=AS_OF)
    pupils = school["denominator"].iloc[0]
    key = ("EXP_PER_PUPIL", "D11"), ("EXP_PER_PUPIL", "D12")
    assert hist.loc[key[0], "denominator"] - curr.loc[key[0], "denominator"] == pytest.approx(pupils)
    assert curr.loc[key[1], "denominator"] - hist.loc[key[1], "denominator"] == pytest.approx(pupils)
    pd.testing.assert_frame_equal(hist.drop(columns="mode"), before.drop(columns="mode"))
    # regions are unaffected: the move is inside region 1
    h = compute(duck, codes, "2024S", level="region", mode="historical")
    c = compute(duck, codes, "2024S", level="region", mode="current", as_of=AS_OF)
    pd.testing.assert_frame_equal(h.drop(columns="mode"), c.drop(columns="mode"))
    # after the move both modes agree
    h25 = compute(duck, codes, "2025S", mode="historical", **kw)
    c25 = compute(duck, codes, "2025S", mode="current", as_of=AS_OF, **kw)
    pd.testing.assert_frame_equal(h25.drop(columns="mode"), c25.drop(columns="mode"))


def test_flow_rates_need_the_next_census(duck):
    res = compute(duck, ["REPR_G01", "PROMR_G01", "DROPR_G01", "GER_ISCED1"], "2025S", ou_codes=["KZ"])
    assert res.set_index("indicator").loc[["REPR_G01", "PROMR_G01", "DROPR_G01"], "value"].isna().all()
    assert res.set_index("indicator").loc["GER_ISCED1", "value"] > 0


def test_flow_identity(duck):
    t = flow_table(duck, "2024S", grades=[f"G{g:02d}" for g in range(1, 12)], level="region", as_of=AS_OF)
    np.testing.assert_allclose(t["promotion"] + t["repetition"] + t["dropout"], 1.0)


EXPLAINED = ["GER_ISCED1", "PTR_ISCED2", "OVERCAP_PCT", "EXP_PER_PUPIL_GDPPC", "BROADBAND_PCT", "DROPR_G11",
             "SHIFT3_PCT", "OOSR_ISCED3"]  # fmt: skip


@pytest.mark.parametrize("code", EXPLAINED)
def test_explain_adds_up_to_the_cell(duck, code):
    cell = compute(duck, code, "2024S", ou_codes=["KZ-R2"], as_of=AS_OF).iloc[0]
    parts = explain(duck, code, "KZ-R2", "2024S", as_of=AS_OF)
    assert parts.loc[parts.part == "numerator", "value"].sum() == pytest.approx(cell["numerator"])
    den = parts.loc[parts.part == "denominator", "value"].sum()
    factor = parts.loc[parts.part == "denominator_factor", "value"].sum() if code.endswith("GDPPC") else 1.0
    assert den * factor == pytest.approx(cell["denominator"])
    assert set(parts["kind"]) <= {"organization", "district", "region", "republic"}


def test_explain_by_group_and_survival(duck):
    cell = compute(duck, "GER_ISCED1", "2024S", ou_codes=["KZ"], by="SEX", as_of=AS_OF)
    parts = explain(duck, "GER_ISCED1", "KZ", "2024S", by="SEX", group="F", as_of=AS_OF)
    f = cell[cell["sex"] == "F"].iloc[0]
    assert parts.loc[parts.part == "numerator", "value"].sum() == pytest.approx(f["numerator"])
    surv = explain(duck, "SURV_ISCED1", "KZ", "2024S", as_of=AS_OF)
    assert set(surv["component"]) == {
        "REPR_G01",
        "PROMR_G01",
        "REPR_G02",
        "PROMR_G02",
        "REPR_G03",
        "PROMR_G03",
    }


def test_overcapacity_uses_registry_capacity_when_not_collected():
    facts = [dict(de="ENROL", period="2024S", ou_id=100, grade="G01", value=1200.0),  # capacity 1000 in registry
             dict(de="ENROL", period="2024S", ou_id=101, grade="G01", value=900.0),
             dict(de="CAPACITY", period="2024S", ou_id=101, value=800.0)]  # fmt: skip
    con = tiny_warehouse(facts, schools=2)
    res = compute(con, "OVERCAP_PCT", "2024S", ou_codes=["D1"], as_of=AS_OF).iloc[0]
    assert res["numerator"] == 2100 and res["value"] == pytest.approx(100.0)


def test_teachers_apportioned_by_enrolment_share():
    facts = [dict(de="ENROL", period="2024S", ou_id=100, grade="G02", value=300.0),
             dict(de="ENROL", period="2024S", ou_id=100, grade="G07", value=100.0),
             dict(de="TEACH", period="2024S", ou_id=100, qual="TRAINED", value=16.0),
             dict(de="TEACH", period="2024S", ou_id=100, qual="UNTRAINED", value=4.0)]  # fmt: skip
    con = tiny_warehouse(facts)
    res = compute(con, ["PTR_ISCED1", "PTTR_ISCED1", "PTR_ISCED2"], "2024S", ou_codes=["S1"], as_of=AS_OF)
    v = res.set_index("indicator")
    assert v.loc["PTR_ISCED1", "denominator"] == pytest.approx(15.0)  # 20 teachers x 3/4
    assert v.loc["PTR_ISCED1", "value"] == pytest.approx(20.0)
    assert v.loc["PTTR_ISCED1", "value"] == pytest.approx(25.0)  # 16 x 3/4 = 12 trained
    assert v.loc["PTR_ISCED2", "value"] == pytest.approx(20.0)


def test_level_selects_units_existing_on_the_reference_date():
    """A district opened in 2025 is not a unit of school year 2024S in historical mode."""
    facts = [dict(de="ENROL", period=p, ou_id=100, grade="G01", value=10.0) for p in ("2024S", "2025S")]
    con = tiny_warehouse(facts)
    parents = pd.DataFrame([(2, 1, None, None), (10, 2, None, None), (100, 10, None, None),
                            (11, 2, dt.date(2025, 1, 1), None)],
                           columns=["child_id", "parent_id", "valid_from", "valid_to"])  # fmt: skip
    units = pd.DataFrame({"ou_id": [1, 2, 10, 100, 11],
                          "valid_from": [None, None, None, None, dt.date(2025, 1, 1)]})  # fmt: skip
    from bilim.analytics.warehouse import conform

    con.create_table("closure", conform("closure", closure_from_parents(parents, units)), overwrite=True)
    con.create_table("org_units", conform("org_units", pd.DataFrame(
        [dict(ou_id=1, code="KZ", kind="republic"), dict(ou_id=2, code="R1", kind="region"),
         dict(ou_id=10, code="D1", kind="district"), dict(ou_id=11, code="D2", kind="district"),
         dict(ou_id=100, code="S1", kind="organization")])), overwrite=True)  # fmt: skip
    from bilim.analytics.engine import reference_dates, resolve_targets

    periods = ["2024S", "2025S"]
    t = resolve_targets(con, periods, reference_dates(periods, "historical"), level="district")
    assert t.groupby("period")["ou_code"].apply(list).to_dict() == {"2024S": ["D1"], "2025S": ["D1", "D2"]}


def test_a_share_is_zero_not_unknown_when_no_organization_qualifies():
    """Pupils in three-shift or emergency schools of all pupils: a district whose schools all run one shift
    and none is in emergency condition has 0 %, not an empty cell (issue 12, 7 of 9 regions were empty)."""
    facts = [dict(de="ENROL", period="2024S", ou_id=100, grade="G01", value=300.0),
             dict(de="ENROL", period="2024S", ou_id=101, grade="G01", value=200.0)]  # fmt: skip
    con = tiny_warehouse(facts, schools=2)  # shifts=1, emergency=False for both
    res = compute(con, ["SHIFT3_PCT", "EMERG_PCT"], "2024S", ou_codes=["D1"], as_of=AS_OF).set_index("indicator")
    for code in ("SHIFT3_PCT", "EMERG_PCT"):
        assert res.loc[code, "denominator"] == 500
        assert res.loc[code, "numerator"] == 0 and res.loc[code, "value"] == 0.0, code


def test_a_ratio_of_two_elements_stays_unknown_without_its_numerator():
    """PTR without teachers reported is not 0 pupils per teacher: only a numerator that narrows the
    denominator's own rows defaults to 0."""
    facts = [dict(de="TEACH", period="2024S", ou_id=100, qual="TRAINED", value=10.0)]
    con = tiny_warehouse(facts)
    res = compute(con, "PTR_ISCED1", "2024S", ou_codes=["S1"], as_of=AS_OF)
    assert res.empty or res["value"].isna().all()


def test_survival_of_a_school_without_the_levels_grades_is_undefined_not_an_error():
    """A school with grades 5-11 has pupils in the grade after primary but none in primary: SURV_ISCED1 is
    undefined there (KeyError in the CLI, HTTP 500 in the API before)."""
    facts = [dict(de="ENROL", period=pe, ou_id=100, grade=g, value=v)
             for pe in ("2023S", "2024S") for g, v in (("G05", 40.0), ("G06", 38.0))]
    con = tiny_warehouse(facts)
    res = compute(con, "SURV_ISCED1", "2023S", ou_codes=["S1"], as_of=AS_OF)
    assert res.empty or res["value"].isna().all()


def test_conform_keeps_an_open_end_date_read_back_from_duckdb_as_null():
    """DuckDB returns an open `valid_to` as NaT; it was converted to 0001-01-01 (a row valid for no date)."""
    from bilim.analytics.warehouse import conform

    frame = pd.DataFrame({"ancestor_id": [1], "descendant_id": [1], "depth": [0],
                          "valid_from": pd.to_datetime(["2000-01-01"]), "valid_to": pd.to_datetime([None])})
    table = conform("closure", frame).to_pylist()
    assert table[0]["valid_to"] is None
    assert table[0]["valid_from"] == dt.date(2000, 1, 1)
