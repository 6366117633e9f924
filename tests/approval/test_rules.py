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
    assert {"GIRLS_LE_TOTAL", "REPEAT_LE_LAST_YEAR", "TEACHERS_IF_PUPILS", "PUPILS_LE_3X_CAPACITY",
            "PROMOTED_REPEATERS_LE_LAST_YEAR", "GRADUATES_REPEATERS_LE_LAST_YEAR"} <= codes
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


# --- cohort flow: promotion + repetition of a grade within last year's pupils (issue 12) ------------

FLOW = "PROMOTED_REPEATERS_LE_LAST_YEAR"


def _flow(ou="S1", period="2024S", code=FLOW):
    return [v for v in run_validation("SCHOOL_CENSUS", ou, period) if v.rule.code == code]


def _cohort(save, enrolled, promoted, repeat_next, repeat_this):
    """Grade 3 last year; this year's grade 4 with its repeaters, and grade 3's repeaters."""
    save("S1", "ENROL", enrolled, SEX="F", GRADE="G03", period="2023S")
    save("S1", "ENROL", promoted, SEX="F", GRADE="G04")
    save("S1", "REPEAT", repeat_next, SEX="F", GRADE="G04")
    save("S1", "REPEAT", repeat_this, SEX="F", GRADE="G03")
    save("S1", "TEACH", 3)


def test_promoted_and_repeaters_above_last_years_pupils_are_flagged(country, save):
    _cohort(save, enrolled=50, promoted=52, repeat_next=1, repeat_this=2)  # 51 promoted + 2 repeating > 50
    found = _flow()
    assert [(v.option, v.left_value, v.right_value, v.importance) for v in found] == [("G03", 53, 50, "warning")]
    assert {(k.period, k.data_element, k.disaggregation) for k in found[0].links} == {
        ("2024S", "ENROL", "SEX=F,GRADE=G04"), ("2024S", "REPEAT", "SEX=F,GRADE=G04"),
        ("2024S", "REPEAT", "SEX=F,GRADE=G03"), ("2023S", "ENROL", "SEX=F,GRADE=G03")}


def test_a_consistent_cohort_passes(country, save):
    _cohort(save, enrolled=50, promoted=48, repeat_next=1, repeat_this=2)  # 47 promoted + 2 repeating, 1 left
    assert _flow() == []


def test_a_cohort_at_exactly_its_pupils_passes(country, save):
    _cohort(save, enrolled=50, promoted=49, repeat_next=1, repeat_this=2)  # 48 + 2 = 50: nobody left
    assert _flow() == []


def test_missing_repeaters_count_as_none(country, save):
    save("S1", "ENROL", 30, SEX="F", GRADE="G05", period="2023S")
    save("S1", "ENROL", 31, SEX="F", GRADE="G06")  # no REPEAT stored at all
    save("S1", "TEACH", 3)
    assert [(v.option, v.left_value, v.right_value) for v in _flow()] == [("G05", 31, 30)]


def test_a_grade_without_pupils_last_year_is_not_checked(country, save):
    save("S1", "ENROL", 40, SEX="F", GRADE="G04")  # a new school, or a grade it did not teach
    save("S1", "TEACH", 3)
    assert _flow() == []


def test_a_grade_that_emptied_this_year_is_still_checked(country, save):
    save("S1", "ENROL", 20, SEX="F", GRADE="G07", period="2023S")
    save("S1", "ENROL", 25, SEX="F", GRADE="G08")  # nobody in G07 this year: found through last year
    save("S1", "TEACH", 3)
    assert [v.option for v in _flow()] == ["G07"]


def test_the_pre_school_class_is_not_part_of_the_flow(country, save):
    save("S1", "ENROL", 10, SEX="F", GRADE="G00", period="2023S")
    save("S1", "ENROL", 40, SEX="F", GRADE="G01")  # new entrants come from kindergartens and homes too
    save("S1", "TEACH", 3)
    assert _flow() == []
    every_grade = ValidationRule.objects.get(code=FLOW)
    every_grade.for_each_options = ""
    found = run_validation("SCHOOL_CENSUS", "S1", "2024S", rules=[every_grade])
    assert [(v.option, v.left_value, v.right_value) for v in found] == [("G00", 40, 10)]


def test_grade_11_graduates_and_repeaters_above_last_years_pupils_are_flagged(country, save):
    save("S1", "ENROL", 20, SEX="F", GRADE="G11", period="2023S")
    save("S1", "GRAD", 20, SEX="F", GRADE="G11", period="2023S")
    save("S1", "REPEAT", 1, SEX="F", GRADE="G11")
    save("S1", "TEACH", 3)
    found = _flow(code="GRADUATES_REPEATERS_LE_LAST_YEAR")
    assert [(v.left_value, v.right_value) for v in found] == [(21, 20)]


def test_the_flow_message_names_the_school_the_grade_and_both_years(country, save):
    _cohort(save, enrolled=50, promoted=52, repeat_next=1, repeat_this=2)
    [v] = _flow()
    assert "Unit S1 (S1)" in v.message
    assert "Grade 3 (GRADE=G03)" in v.message
    assert "2023/24, 2024/25" in v.message
    assert "= 53 must be ≤ ENROL[GRADE=$] = 50" in v.message


@pytest.mark.parametrize("lang, words", [
    ("ru", ("Переведённые в следующий класс", "3 класс (GRADE=G03)", "2023/24, 2024/25", "должно быть ≤")),
    ("kk", ("Келесі сыныпқа көшкендер", "(GRADE=G03)", "2023/24, 2024/25", "болуы керек")),
])
def test_the_flow_message_is_translated(country, save, lang, words):
    from django.utils import translation

    _cohort(save, enrolled=50, promoted=52, repeat_next=1, repeat_this=2)
    with translation.override(lang):
        [v] = _flow()
    for word in words:
        assert word in v.message, (word, v.message)


def test_save_rule_checks_the_options_of_its_category(country):
    ds = ValidationRule.objects.get(code=FLOW).data_set

    def problems(**fields):
        rule = ValidationRule(code="Z", name_kk="z", data_set=ds, left="ENROL[GRADE=$]", operator=">=", right="0",
                              for_each="GRADE", **fields)
        with pytest.raises(ValidationError) as e:
            services.save_rule(rule)
        return e.value.message_dict["for_each_options"]

    assert problems(for_each_options="G01..G99") == ["unknown option G99"]
    assert problems(for_each_options="G05..G02") == ["the range G05..G02 runs backwards (G02 comes before G05)"]
    assert "not an option code" in problems(for_each_options="G01;G02")[0]
    saved = services.save_rule(ValidationRule(code="Y", name_kk="y", data_set=ds, left="ENROL[GRADE=$]",
                                              operator=">=", right="0", for_each="grade",
                                              for_each_options=" g01 .. g04, G09"))
    assert (saved.for_each, saved.for_each_options) == ("GRADE", "G01..G04,G09")
    with pytest.raises(ValidationError) as e:
        services.save_rule(ValidationRule(code="X", name_kk="x", data_set=ds, left="ENROL", operator=">=", right="0",
                                          for_each_options="G01"))
    assert "for each" in e.value.message_dict["for_each_options"][0]
