"""Validation rules as data: each default rule catches its violation; outliers against past years."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from bilim.approval import services
from bilim.approval.models import ValidationRule
from bilim.approval.rules import find_outliers, outlier_check, run_validation

pytestmark = pytest.mark.django_db


def _codes(violations):
    return sorted((v.rule.code, v.option) for v in violations)


def test_default_rules_are_seeded():
    codes = set(ValidationRule.objects.values_list("code", flat=True))
    assert {"GIRLS_LE_TOTAL", "REPEAT_LE_LAST_YEAR", "TEACHERS_IF_PUPILS", "PUPILS_LE_3X_CAPACITY"} <= codes
    for rule in ValidationRule.objects.all():
        services.check_rule(rule)  # every seeded rule names existing codes


def test_clean_school_has_no_violation(country, save):
    save("S1", "ENROL", 20, SEX="F", GRADE="G01")
    save("S1", "ENROL", 22, SEX="M", GRADE="G01")
    save("S1", "TEACH", 3, SEX="F")
    save("S1", "CAPACITY", 100)
    assert run_validation("SCHOOL_CENSUS", "S1", "2024S") == []


def test_girls_above_the_stated_total(country, save):
    save("S1", "ENROL", 30, SEX="F", GRADE="G02")
    save("S1", "ENROL", 25, GRADE="G02")  # a total for the grade smaller than the girls alone
    save("S1", "ENROL", 5, SEX="F", GRADE="G03")
    save("S1", "TEACH", 3)
    found = [v for v in run_validation("SCHOOL_CENSUS", "S1", "2024S") if v.rule.code == "GIRLS_LE_TOTAL"]
    assert [(v.option, v.left_value, v.right_value) for v in found] == [("G02", 30, 25)]
    assert found[0].importance == "blocking"
    assert {k.disaggregation for k in found[0].links} == {"SEX=F,GRADE=G02", "GRADE=G02"}
    assert "GRADE=G02" in found[0].message


def test_repeaters_above_last_years_enrolment(country, save):
    save("S1", "ENROL", 10, SEX="F", GRADE="G03", period="2023S")
    save("S1", "REPEAT", 12, SEX="F", GRADE="G03")
    save("S1", "REPEAT", 1, SEX="F", GRADE="G05")  # no enrolment last year in G05: skipped, not flagged
    save("S1", "TEACH", 3)
    found = [v for v in run_validation("SCHOOL_CENSUS", "S1", "2024S") if v.rule.code == "REPEAT_LE_LAST_YEAR"]
    assert [(v.option, v.left_value, v.right_value) for v in found] == [("G03", 12, 10)]
    assert {(k.period, k.data_element) for k in found[0].links} == {("2024S", "REPEAT"), ("2023S", "ENROL")}


def test_pupils_without_teachers(country, save):
    save("S1", "ENROL", 10, SEX="F", GRADE="G01")
    assert _codes(run_validation("SCHOOL_CENSUS", "S1", "2024S")) == [("TEACHERS_IF_PUPILS", "")]
    save("S1", "TEACH", 1)
    assert run_validation("SCHOOL_CENSUS", "S1", "2024S") == []
    # no pupils: no teachers needed
    assert run_validation("SCHOOL_CENSUS", "S2", "2024S") == []


def test_pupils_over_three_times_capacity(country, save):
    save("S1", "ENROL", 301, SEX="F", GRADE="G01")
    save("S1", "TEACH", 10)
    save("S1", "CAPACITY", 100)
    found = run_validation("SCHOOL_CENSUS", "S1", "2024S")
    assert [(v.rule.code, v.left_value, v.right_value, v.importance) for v in found] == [
        ("PUPILS_LE_3X_CAPACITY", 301, 300, "warning")]


def test_a_rule_with_a_bad_expression_is_reported_not_raised(country, save):
    rule = ValidationRule(code="BROKEN", name_en="Broken", data_set_id=ValidationRule.objects.first().data_set_id,
                          left="ENROL[", operator="<=", right="1")
    [v] = run_validation("SCHOOL_CENSUS", "S1", "2024S", rules=[rule])
    assert "cannot be evaluated" in v.message


def test_save_rule_checks_codes(country):
    ds = ValidationRule.objects.get(code="GIRLS_LE_TOTAL").data_set
    with pytest.raises(ValidationError) as e:
        services.save_rule(ValidationRule(code="X", name_kk="x", data_set=ds, left="ENROL[SEX=Q]", operator="<=",
                                          right="NOPE"))
    assert set(e.value.message_dict) == {"left", "right"}
    rule = services.save_rule(ValidationRule(code="Y", name_kk="y", data_set=ds, left="COMPUTERS", operator="<=",
                                             right="ENROL", for_each=""), actor="alice")
    assert rule.pk


def test_outlier_check():
    assert outlier_check(100, [98, 101, 99, 102])[0] is False
    flagged, z, low, high = outlier_check(400, [98, 101, 99, 102])
    assert flagged and z > 3 and high < 400
    assert outlier_check(10, [])[0] is False
    assert outlier_check(160, [100, 100])[0] is True  # min-max band (50 %) without enough years for a z-score
    assert outlier_check(120, [100, 100, 100])[0] is False  # no spread, inside the band


def test_find_outliers_against_previous_years(country, save):
    for year, v in (("2021S", 100), ("2022S", 104), ("2023S", 98)):
        save("S1", "CAPACITY", v, period=year)
        save("S1", "TEACH", 10, period=year)
    save("S1", "CAPACITY", 1000)
    save("S1", "TEACH", 11)
    found = find_outliers("SCHOOL_CENSUS", "S1", "2024S")
    assert [(o.data_element, o.value) for o in found] == [("CAPACITY", 1000)]
    assert found[0].history == [98, 104, 100]
