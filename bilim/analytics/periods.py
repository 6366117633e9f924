"""Period codes and their reference dates.

The engine never trusts a warehouse ``periods`` table to exist: period codes are parsed here, so the
same definition can be evaluated on any backend without a calendar dimension.  The reference date
decides which hierarchy a period is aggregated through in ``historical`` mode, so it has to be the
date the data describe (the school census date), not the start of the period.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["PeriodError", "ref_date", "shift", "to_calendar", "period_kind"]

from bilim.metadata import periods as _periods

# one reference-date rule for the whole system (bilim.metadata.periods; no Django there)
CENSUS_MONTH_DAY = _periods.CENSUS_MONTH_DAY
CALENDAR_MONTH_DAY = _periods.CALENDAR_MONTH_DAY

_SCHOOL = re.compile(r"^(\d{4})S$")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period code the engine does not understand."""


def period_kind(period: str) -> str:
    """Return ``school_year``, ``year``, ``quarter`` or ``month`` for a period code."""
    if _SCHOOL.match(period):
        return "school_year"
    if _YEAR.match(period):
        return "year"
    if _QUARTER.match(period):
        return "quarter"
    if _MONTH.match(period):
        return "month"
    raise PeriodError(f"unknown period code {period!r}")


def ref_date(period: str) -> dt.date:
    """Reference date of a period: the census date for school years, mid-period otherwise.

    ``2024S`` -> 2024-10-01, ``2024`` -> 2024-07-01, ``2024Q1`` -> 2024-02-15, ``202401`` -> 2024-01-15.
    The rule is `bilim.metadata.periods.Period.census_date`, which the approval tree also uses: the
    two used to differ by a day for calendar periods.
    """
    period_kind(period)  # the engine's own, narrower set of codes
    return _periods.parse(period).census_date


def shift(period: str, offset: int) -> str:
    """The period ``offset`` steps later (``2024S`` + 1 = ``2025S``; ``2024Q4`` + 1 = ``2025Q1``)."""
    if offset == 0:
        return period
    kind = period_kind(period)
    year = int(period[:4])
    if kind == "school_year":
        return f"{year + offset}S"
    if kind == "year":
        return f"{year + offset}"
    if kind == "quarter":
        q = year * 4 + int(period[5]) - 1 + offset
        return f"{q // 4}Q{q % 4 + 1}"
    m = year * 12 + int(period[4:6]) - 1 + offset
    return f"{m // 12}{m % 12 + 1:02d}"


def to_calendar(period: str) -> str:
    """Calendar year holding the period's reference date.

    Finance and macro data (EXPEND, GDP_PC) are reported by calendar year; a school year ``2024S`` is
    matched with ``2024`` because its census date (1 October 2024) falls in that year.
    """
    return str(ref_date(period).year)
