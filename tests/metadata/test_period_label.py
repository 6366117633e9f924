"""Periods as people read them: one function for every page; codes stay codes elsewhere."""

from __future__ import annotations

import pytest

from bilim.metadata.periods import choices, label


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_school_year_is_shown_as_two_years(lang):
    assert label("2024S", lang) == "2024/25"
    assert label("1999S", lang) == "1999/00"
    assert label("2024-09-01/P1Y", lang) == "2024/25"


def test_calendar_periods_in_the_users_language():
    assert label("2024Q1", "en") == "Q1 2024"
    assert label("2024Q1", "ru") == "1 квартал 2024"
    assert label("2024Q1", "kk") == "2024 ж. 1-тоқсан"
    assert label("202401", "en") == "January 2024"
    assert label("202401", "ru") != label("202401", "en")
    assert "2024" in label("202401", "kk") and label("202401", "kk") != label("202401", "en")
    assert label("2024", "ru") == "2024 год"
    assert label("2024T1", "en") == "2024/25, term 1"
    assert label("2024T3", "en") == "2024/25, term 3"  # January: still the school year 2024/25


def test_unknown_codes_are_shown_unchanged_and_pickers_list_newest_first():
    assert label("garbage", "en") == "garbage"
    assert choices(["2023S", "2024S", "2023S"], "en") == [("2024S", "2024/25"), ("2023S", "2023/24")]


@pytest.mark.parametrize("code", ["2023S", "2023", "2024Q1", "2024Q2", "2024Q4", "202401", "202412"])
def test_one_reference_date_for_approval_and_analytics(code):
    from bilim.analytics.periods import ref_date
    from bilim.metadata.periods import parse

    assert parse(code).census_date == ref_date(code)


def test_reference_dates_of_calendar_periods():
    from bilim.metadata.periods import parse

    assert parse("2023").census_date.isoformat() == "2023-07-01"
    assert parse("2024Q2").census_date.isoformat() == "2024-05-15"
