"""The small demo in the database: real restructurings through the services, synthetic units and values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from bilim.collection.models import DataValue
from bilim.demo import services as demo
from bilim.demo.synth import ALMATY_ADDITIONAL
from bilim.registry import selectors
from bilim.registry.bin import is_valid
from bilim.registry.models import Kind, OrgUnit, Restructuring
from bilim.registry.services import check_intervals

pytestmark = pytest.mark.django_db

SEMEY = "KZ-63-012"  # Semey City: East Kazakhstan until 2022-06-08, then Abai Region
TURKISTAN_CITY = "KZ-YUZ-001"
D = dt.date


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def region_codes(day):
    return set(selectors.children(unit("KZ"), day, Kind.REGION).values_list("code", flat=True))


def test_regions_over_time(small_demo):
    assert region_codes(D(2017, 1, 1)) == {"KZ-19", "KZ-35", "KZ-63", "KZ-75", "KZ-YUZ"}
    assert region_codes(D(2019, 1, 1)) == {"KZ-19", "KZ-35", "KZ-63", "KZ-75", "KZ-61", "KZ-79"}
    assert region_codes(D(2023, 1, 1)) == {"KZ-19", "KZ-35", "KZ-63", "KZ-75", "KZ-61", "KZ-79", "KZ-10",
                                           "KZ-33", "KZ-62"}
    yuz = unit("KZ-YUZ")
    assert yuz.closed == D(2018, 6, 19) and not yuz.synthetic
    assert unit("KZ-10").opened == D(2022, 6, 8)


def test_sko_split_moved_its_districts_and_closed_it(small_demo):
    assert selectors.parent_on(unit(TURKISTAN_CITY), D(2018, 6, 18)).code == "KZ-YUZ"
    assert selectors.parent_on(unit(TURKISTAN_CITY), D(2018, 6, 19)).code == "KZ-61"
    shymkent = {u.code for u in selectors.children(unit("KZ-79"), D(2020, 1, 1), Kind.DISTRICT)}
    assert shymkent and all(c.startswith("KZ-YUZ-") for c in shymkent)
    assert unit("KZ-YUZ-EDU").closed == D(2018, 6, 19)
    split = Restructuring.objects.get(kind="split", effective_date=D(2018, 6, 19))
    assert split.legal_act.number == "702" and split.legal_act.date == D(2018, 6, 19)
    # what the old department governed now belongs to the new departments
    assert not selectors.governed_by(unit("KZ-YUZ-EDU"), D(2018, 6, 19)).exists()
    assert selectors.governed_by(unit("KZ-79-EDU"), D(2019, 1, 1)).filter(subtype="PALACE").exists()
    assert selectors.governed_by(unit("KZ-61-EDU"), D(2019, 1, 1)).filter(subtype="PALACE").exists()


def test_abai_formed_from_east_kazakhstan_which_stays(small_demo):
    semey = unit(SEMEY)
    assert selectors.parent_on(semey, D(2021, 1, 1)).code == "KZ-63"
    assert selectors.parent_on(semey, D(2023, 1, 1)).code == "KZ-10"
    assert unit("KZ-63").closed is None
    assert selectors.children(unit("KZ-63"), D(2023, 1, 1), Kind.DISTRICT).exists()
    school = selectors.children(semey, D(2023, 1, 1), Kind.ORGANIZATION).filter(org_type="SCHOOL").first()
    assert [u.code for u in selectors.ancestors(school, D(2021, 1, 1))] == [SEMEY, "KZ-63", "KZ"]
    assert [u.code for u in selectors.ancestors(school, D(2023, 1, 1))] == [SEMEY, "KZ-10", "KZ"]
    act = Restructuring.objects.get(kind="split", effective_date=D(2022, 6, 8), subjects__code="KZ-10").legal_act
    assert (act.number, act.date) == ("887", D(2022, 5, 3))


def test_governing_relations_and_reforms(small_demo):
    office = unit(f"{SEMEY}-EDU")
    assert selectors.governing_body_on(office, D(2020, 6, 1)).code == f"{SEMEY}-AKIMAT"
    assert selectors.governing_body_on(office, D(2021, 6, 1)).code == "KZ-63-EDU"
    assert selectors.governing_body_on(office, D(2023, 1, 1)).code == "KZ-10-EDU"
    semey = unit(SEMEY)
    orgs = selectors.children(semey, D(2023, 1, 1), Kind.ORGANIZATION)
    for school in orgs.filter(org_type="SCHOOL"):
        assert selectors.governing_body_on(school, D(2023, 1, 1)) == office
    for college in orgs.filter(org_type="COLLEGE"):
        assert selectors.governing_body_on(college, D(2020, 1, 1)).code == "KZ-63-EDU"
        assert selectors.governing_body_on(college, D(2023, 1, 1)).code == "KZ-10-EDU"
    for uni in OrgUnit.objects.filter(org_type="UNIVERSITY"):
        assert selectors.governing_body_on(uni, D(2023, 1, 1)).code == "KZ-MOE"
    # kindergartens: district akimats, then in Karaganda Region only the region department (2023)
    karaganda_city = OrgUnit.objects.get(name_en="Karaganda City")
    kg = selectors.children(karaganda_city, D(2023, 1, 1), Kind.ORGANIZATION).filter(org_type="PRESCHOOL").first()
    assert selectors.governing_body_on(kg, D(2022, 12, 31)).code == f"{karaganda_city.code}-AKIMAT"
    assert selectors.governing_body_on(kg, D(2023, 1, 1)).code == "KZ-35-EDU"
    zhezkazgan = OrgUnit.objects.get(name_en="Zhezkazgan City")  # left for Ulytau in 2022: not reformed
    kg = selectors.children(zhezkazgan, D(2024, 1, 1), Kind.ORGANIZATION).filter(org_type="PRESCHOOL").first()
    assert selectors.governing_body_on(kg, D(2024, 1, 1)).code == f"{zhezkazgan.code}-AKIMAT"


def test_every_region_has_palace_and_stations(small_demo):
    day = D(2023, 1, 1)
    for code in region_codes(day):
        subtypes = set(selectors.descendants(unit(code), day, Kind.ORGANIZATION).values_list("subtype", flat=True))
        assert {"PALACE", "YOUNG_TOURISTS", "YOUNG_NATURALISTS"} <= subtypes, code


def test_almaty_additional_education_organizations(small_demo):
    expected = {"palace": "PALACE", "creative_centre_1": "CREATIVE_CENTRE", "creative_centre_2": "CREATIVE_CENTRE",
                "house_1": "PALACE", "house_2": "PALACE", "house_3": "PALACE",
                "young_tourists": "YOUNG_TOURISTS", "young_naturalists": "YOUNG_NATURALISTS"}
    assert set(ALMATY_ADDITIONAL) == set(expected)
    for role, code in ALMATY_ADDITIONAL.items():
        org = unit(code)
        assert is_valid(code) and org.subtype == expected[role] and org.synthetic
        assert selectors.ancestors(org, D(2024, 1, 1))[1].code == "KZ-75"
        assert selectors.governing_body_on(org, D(2024, 1, 1)).code == "KZ-75-EDU"
    assert "Palace of Schoolchildren" in unit(ALMATY_ADDITIONAL["palace"]).name_en


def test_units_are_marked_synthetic_and_organizations_have_bins(small_demo):
    real = set(OrgUnit.objects.filter(synthetic=False).values_list("kind", flat=True))
    assert real == {Kind.REPUBLIC, Kind.REGION}
    orgs = OrgUnit.objects.filter(kind=Kind.ORGANIZATION)
    assert orgs.count() > 150
    assert all(is_valid(code) for code in orgs.values_list("code", flat=True))
    schools = orgs.filter(org_type__in=["SCHOOL", "BOARDING", "SPECIAL"]).count()
    assert 40 <= schools <= 90


def test_registry_invariants_hold_for_every_unit(small_demo):
    for u in OrgUnit.objects.all():
        check_intervals(u)


def test_values_cover_five_school_years_and_grow(small_demo):
    enrol = {r["period"]: r["total"] for r in DataValue.objects.filter(data_element__code="ENROL")
             .values("period").annotate(total=Sum("value"))}
    assert sorted(enrol) == ["2020S", "2021S", "2022S", "2023S", "2024S"]
    series = [enrol[p] for p in sorted(enrol)]
    assert series == sorted(series)
    for de in ("REPEAT", "NEWENT", "GRAD", "TEACH", "CLASSES", "CAPACITY", "COMPUTERS", "BROADBAND",
               "UNT_TAKERS", "UNT_SCORE_SUM", "PRESCH_ENROL", "ADDED_ENROL"):
        assert DataValue.objects.filter(data_element__code=de, period="2024S").exists(), de
    periods = set(DataValue.objects.filter(data_element__code="EXPEND").values_list("period", flat=True))
    assert periods == {"2020", "2021", "2022", "2023", "2024"}


def test_population_sits_on_districts_and_matches_enrolment(small_demo):
    kinds = set(DataValue.objects.filter(data_element__code="POP").values_list("org_unit__kind", flat=True))
    assert kinds == {Kind.DISTRICT}
    pupils = DataValue.objects.filter(data_element__code="ENROL", period="2024S",
                                      grade__in=["G01", "G02", "G03", "G04"]).aggregate(s=Sum("value"))["s"]
    pop = DataValue.objects.filter(data_element__code="POP", period="2024",
                                   age__in=["A06", "A07", "A08", "A09"]).aggregate(s=Sum("value"))["s"]
    assert 0.93 < pupils / pop < 1.07


def test_values_of_moved_districts_stay_on_their_organizations(small_demo):
    semey = unit(SEMEY)
    school_ids = list(selectors.children(semey, D(2021, 10, 1), Kind.ORGANIZATION)
                      .filter(org_type="SCHOOL").values_list("pk", flat=True))
    v2021 = DataValue.objects.filter(data_element__code="ENROL", period="2021S", org_unit_id__in=school_ids)
    assert v2021.exists()
    # attached to the organizations, which belonged to East Kazakhstan then and to Abai now
    assert not DataValue.objects.filter(org_unit__kind=Kind.REGION, data_element__code="ENROL").exists()
    gdp = set(DataValue.objects.filter(data_element__code="GDP_PC", org_unit__code="KZ-10")
              .values_list("period", flat=True))
    assert gdp == {"2022", "2023", "2024"}


def test_closed_and_new_schools_report_only_while_open(small_demo):
    closed = OrgUnit.objects.filter(org_type="SCHOOL", closed__isnull=False).first()
    assert closed is not None and closed.closed == D(2022, 9, 1)
    assert set(DataValue.objects.filter(org_unit=closed, data_element__code="ENROL")
               .values_list("period", flat=True)) == {"2020S", "2021S"}
    new = OrgUnit.objects.filter(org_type="SCHOOL", opened=D(2023, 9, 1)).first()
    assert new is not None
    assert set(DataValue.objects.filter(org_unit=new, data_element__code="ENROL")
               .values_list("period", flat=True)) == {"2023S", "2024S"}


def test_build_refuses_a_non_empty_registry(small_demo):
    with pytest.raises(demo.DemoExists):
        demo.build_demo("small")
