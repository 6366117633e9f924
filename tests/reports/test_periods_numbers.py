"""School years as people write them, and one number format per language for charts and exports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bilim.formats.numbers import number
from bilim.metadata.periods import label
from bilim.reports.charts import nice_ticks


@pytest.mark.parametrize(("code", "text"), [("2024S", "2024/25"), ("1999S", "1999/00"), ("2024", "2024"),
                                            ("bogus", "bogus")])
def test_period_labels(code, text):
    assert label(code, "en") == text


@pytest.mark.parametrize(("lang", "text"), [("kk", "1\xa0234\xa0567,3"), ("ru", "1\xa0234\xa0567,3"),
                                            ("en", "1,234,567.3")])
def test_number_per_language(lang, text):
    assert number(1234567.34, 1, lang) == text


def test_no_value_is_a_dash():
    assert number(None) == "—" and number(float("nan")) == "—"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=1e-3, max_value=1e6))
def test_ticks_cover_the_range_without_repeating_labels(lo, span):
    hi = lo + span
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo + 1e-9 and ticks[-1] >= hi - 1e-9
    labels = [number(t, 0 if all(float(x).is_integer() for x in ticks) else 1, "en") for t in ticks]
    assert len(set(labels)) == len(labels) or span < 0.5
