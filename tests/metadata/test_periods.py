"""Period codes: every documented form parses; anything else is a clear PeriodError."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bilim.metadata.periods import PeriodError, parse


@pytest.mark.parametrize(
    ("code", "start", "end", "kind"),
    [
        ("2024S", dt.date(2024, 9, 1), dt.date(2025, 8, 31), "school_year"),
        ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31), "year"),
        ("2024Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31), "quarter"),
        ("202402", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month"),
        ("2024T3", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "term"),
    ],
)
def test_codes_parse(code, start, end, kind):
    p = parse(code)
    assert (p.start, p.end, p.type) == (start, end, kind)


def test_iso_interval_maps_to_school_year():
    assert parse("2024-09-01/P1Y").code == "2024S"
    assert parse("2024-01-01/P1Y").code == "2024"
    assert parse("2024-04-01/P3M").code == "2024Q2"


def test_census_date_of_school_year():
    assert parse("2023S").census_date == dt.date(2023, 10, 1)


@pytest.mark.parametrize("bad", ["", "24S", "2024X", "202413", "2024Q5", "2024-02-30/P1Y", "2024-03-05/P1Y", "1800"])
def test_bad_codes_are_rejected_with_reason(bad):
    with pytest.raises(PeriodError, match="Period"):
        parse(bad)


@given(st.text(max_size=30))
def test_parser_never_crashes(text):
    try:
        p = parse(text)
    except PeriodError:
        return
    assert p.start <= p.end
