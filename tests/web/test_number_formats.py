"""Figures are grouped and use the decimal sign of the interface language (Django has no kk formats)."""

from __future__ import annotations

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils import translation


@pytest.mark.parametrize(("lang", "decimal", "grouped"), [
    ("kk", "1\xa0234\xa0567,3", "1\xa0234\xa0567"),
    ("ru", "1\xa0234\xa0567,3", "1\xa0234\xa0567"),
    ("en", "1,234,567.3", "1,234,567"),
])
def test_numbers_follow_the_language(lang, decimal, grouped):
    with translation.override(lang):
        assert floatformat(1234567.25, "1g") == decimal
        assert intcomma(1234567) == grouped


def test_kazakh_short_dates_are_day_month_year():
    import datetime as dt

    from django.utils.formats import date_format

    with translation.override("kk"):
        assert date_format(dt.date(2024, 10, 1), "SHORT_DATE_FORMAT") == "01.10.2024"
