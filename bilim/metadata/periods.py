"""Period codes (catalog.md): school year `2024S`, calendar year `2024`, quarter `2024Q1`, month
`202401`, term `2024T1`, and ISO 8601 intervals such as `2024-09-01/P1Y` (ADX uses them).

Parsing is strict: anything else is rejected with a message that says what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

CENSUS_MONTH_DAY = (10, 1)
"""School-year census date (1 October), the date enrolment is counted."""

CALENDAR_MONTH_DAY = (7, 1)
"""Mid-year date used for calendar years (population and GDP are mid-year figures)."""


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    code: str
    type: str

    @property
    def census_date(self) -> dt.date:
        """The one reference date of a period, for the approval tree, entry and analytics alike
        (`bilim.analytics.periods.ref_date` reads it): the census day (1 October) for a school year,
        1 July for a calendar year (population and GDP are mid-year figures), the 15th of the middle
        month for a quarter, the 15th for a month, the middle of any other period."""
        if self.type == "school_year":
            return dt.date(self.start.year, *CENSUS_MONTH_DAY)
        if self.type == "year":
            return dt.date(self.start.year, *CALENDAR_MONTH_DAY)
        if self.type == "quarter":
            return dt.date(self.start.year, self.start.month + 1, 15)
        if self.type == "month":
            return dt.date(self.start.year, self.start.month, 15)
        return self.start + (self.end - self.start) / 2

    def shift(self, years: int) -> Period:
        if self.type == "school_year":
            return parse(f"{self.start.year + years}S")
        if self.type == "year":
            return parse(str(self.start.year + years))
        raise PeriodError(f"Cannot shift a {self.type} period by years")

    def iso(self) -> str:
        if self.type in ("school_year", "year"):
            return f"{self.start.isoformat()}/P1Y"
        if self.type == "quarter":
            return f"{self.start.isoformat()}/P3M"
        if self.type == "month":
            return f"{self.start.isoformat()}/P1M"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


_SCHOOL = re.compile(r"^(\d{4})S$")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
_TERM = re.compile(r"^(\d{4})T([1-4])$")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})/P(\d+)([YMD])$")

# Terms of a school year (configurable later per year): four quarters of teaching.
TERMS = {1: ((9, 1), (10, 31)), 2: ((11, 1), (12, 31)), 3: ((1, 1), (3, 31)), 4: ((4, 1), (5, 31))}


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _check_year(y: int, code: str) -> None:
    if not 1900 <= y <= 2200:
        raise PeriodError(f"Period '{code}': year {y} out of range 1900-2200")


def parse(code: str) -> Period:
    """Parse a period code or ISO interval; raise PeriodError naming the problem."""
    if not isinstance(code, str):
        raise PeriodError(f"Period must be text, got {type(code).__name__}")
    c = code.strip()
    if m := _SCHOOL.match(c):
        y = int(m[1])
        _check_year(y, c)
        return Period(dt.date(y, 9, 1), dt.date(y + 1, 8, 31), c, "school_year")
    if m := _YEAR.match(c):
        y = int(m[1])
        _check_year(y, c)
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), c, "year")
    if m := _QUARTER.match(c):
        y, q = int(m[1]), int(m[2])
        _check_year(y, c)
        return Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q), c, "quarter")
    if m := _MONTH.match(c):
        y, mo = int(m[1]), int(m[2])
        _check_year(y, c)
        return Period(dt.date(y, mo, 1), _month_end(y, mo), c, "month")
    if m := _TERM.match(c):
        y, t = int(m[1]), int(m[2])
        _check_year(y, c)
        (m1, d1), (m2, d2) = TERMS[t]
        y1 = y if m1 >= 9 else y + 1
        y2 = y if m2 >= 9 else y + 1
        return Period(dt.date(y1, m1, d1), dt.date(y2, m2, d2), c, "term")
    if m := _ISO.match(c):
        try:
            start = dt.date.fromisoformat(m[1])
        except ValueError as e:
            raise PeriodError(f"Period '{c}': bad date {m[1]}") from e
        n, unit = int(m[2]), m[3]
        if unit == "Y" and n == 1:
            if (start.month, start.day) == (9, 1):
                return parse(f"{start.year}S")
            if (start.month, start.day) == (1, 1):
                return parse(str(start.year))
        if unit == "M" and n == 3 and start.day == 1 and start.month in (1, 4, 7, 10):
            return parse(f"{start.year}Q{(start.month - 1) // 3 + 1}")
        if unit == "M" and n == 1 and start.day == 1:
            return parse(f"{start.year}{start.month:02d}")
        raise PeriodError(f"Period '{c}': ISO interval does not match a Bilim period (school year, year, quarter, month)")
    raise PeriodError(
        f"Period '{c}' is not recognised; expected e.g. 2024S (school year), 2024, 2024Q1, 202401, 2024T1 "
        "or 2024-09-01/P1Y"
    )


def label(code: str, lang: str | None = None) -> str:
    """How a period is shown to a person: school years as "2024/25", calendar periods in words of
    `lang` (default: the active language). Codes stay in the API and in files; pages call this so a
    clerk never has to know that "2024S" means the school year 2024/25. An unparsable code is
    returned unchanged (a page must still show what is stored)."""
    from django.utils import translation

    try:
        p = parse(code)
    except PeriodError:
        return str(code)
    if lang:
        with translation.override(lang):
            return _label(p)
    return _label(p)


def _label(p: Period) -> str:
    from django.utils import dateformat
    from django.utils.translation import gettext as _

    y = p.start.year
    if p.type == "school_year":
        return f"{y}/{(y + 1) % 100:02d}"
    if p.type == "year":
        return _("%(y)d year") % {"y": y}
    if p.type == "quarter":
        return _("Q%(q)d %(y)d") % {"q": (p.start.month - 1) // 3 + 1, "y": y}
    if p.type == "month":
        return dateformat.format(p.start, "F Y")
    if p.type == "term":
        sy = p.start.year if p.start.month >= 9 else p.start.year - 1
        return _("%(sy)s, term %(t)s") % {"sy": f"{sy}/{(sy + 1) % 100:02d}", "t": p.code[-1]}
    return p.code


def choices(codes, lang: str | None = None) -> list[tuple[str, str]]:
    """(code, label) pairs for a picker, newest first."""
    return [(c, label(c, lang)) for c in sorted(set(codes), reverse=True)]
