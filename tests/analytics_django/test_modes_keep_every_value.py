"""`current` mode restates history onto today's map without losing values: a unit closed since counts under
the nearest of its ancestors that still exist. On the small demo a school closed on 2022-09-01 made the
national 2021S denominator of SHIFT3_PCT 30,952 in historical mode and 30,915 in current mode."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.analytics import service

pytestmark = pytest.mark.django_db
WAREHOUSE_CUBE = False  # engine semantics; the cube is compared with the engine in test_cube.py

# denominators that are plain national totals of additive elements: pupils (ENROL) and teachers (TEACH)
TOTALS = {"SHIFT3_PCT": "ENROL", "PTR_ISCED1": "TEACH"}


def _national(code: str, periods: list[str], mode: str) -> dict[str, float]:
    with service.as_reader(0):
        df = service.indicators([code], periods, ou_codes=["KZ"], mode=mode, as_of=dt.date(2026, 1, 1),
                                cache=False)
    return dict(zip(df["period"], df["denominator"], strict=True))


def test_national_totals_are_equal_in_both_modes_for_every_past_period(warehouse):
    for code, element in TOTALS.items():
        periods = [p for p in service.periods_available(element) if p < "2025S"]
        assert len(periods) >= 4
        historical, current = _national(code, periods, "historical"), _national(code, periods, "current")
        assert current == pytest.approx(historical), code


def test_a_closed_school_counts_under_its_district_in_current_mode(warehouse):
    from bilim.registry.models import OrgUnit
    from bilim.registry.selectors import parent_on

    closed = OrgUnit.objects.filter(kind="organization", org_type="SCHOOL", closed__isnull=False).order_by("closed")
    school = next(u for u in closed if u.closed <= dt.date(2026, 1, 1))
    district = parent_on(school, school.closed - dt.timedelta(days=1))
    period = f"{school.closed.year - 1}S"
    with service.as_reader(0):
        cur = service.indicators(["SHIFT3_PCT"], [period], ou_codes=[district.code], mode="current",
                                 as_of=dt.date(2026, 1, 1), cache=False)
        hist = service.indicators(["SHIFT3_PCT"], [period], ou_codes=[district.code], mode="historical", cache=False)
    assert cur["denominator"].iloc[0] == pytest.approx(hist["denominator"].iloc[0])
