"""A small country for the workflow: two regions, three districts, five schools and a kindergarten."""

from __future__ import annotations

import datetime as dt

import pytest

START = dt.date(2000, 1, 1)


@pytest.fixture
def country(db, act):
    from bilim.registry import services as rs

    def unit(code, kind, parent, **attrs):
        return rs.open_unit(rs.UnitSpec(code, kind, code, code, f"Unit {code}", parent=parent, attrs=attrs),
                            START, act)

    kz = rs.open_unit(rs.UnitSpec("KZ", "republic", "Қазақстан", "Казахстан", "Kazakhstan"), START, act)
    r1, r2 = unit("KZ-11", "region", kz), unit("KZ-15", "region", kz)
    d1, d2, d3 = unit("KZ-11-001", "district", r1), unit("KZ-11-002", "district", r1), unit("KZ-15-001", "district", r2)
    s = {}
    for code, d, lat in (("S1", d1, 51.1), ("S2", d1, 51.2), ("S3", d2, 52.0), ("S4", d3, 50.3)):
        s[code] = unit(code, "organization", d, org_type="SCHOOL", area="RURAL", capacity=100, lat=lat, lon=71.4)
    kg = unit("K1", "organization", d1, org_type="PRESCHOOL", subtype="KINDERGARTEN")
    closed = unit("S8", "organization", d2, org_type="SCHOOL")
    closed.closed = dt.date(2010, 1, 1)
    closed.save()
    return {"kz": kz, "r1": r1, "r2": r2, "d1": d1, "d2": d2, "d3": d3, **s, "K1": kg, "S8": closed}


@pytest.fixture
def save():
    from bilim.collection.services import save_value

    def _save(ou, de, value, period="2024S", **cats):
        return save_value(data_element=de, period=period, org_unit=ou, value=value, categories=cats, actor="t")

    return _save
