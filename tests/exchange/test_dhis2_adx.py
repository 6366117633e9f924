"""DHIS2 dataValueSets JSON and ADX XML through the same import service, and the round trip
CSV -> Bilim -> dataValueSets -> Bilim -> ADX -> Bilim = same values."""

from __future__ import annotations

import json

import pytest

from bilim.collection.models import DataValue
from bilim.exchange.services import detect_format, export_values, import_file

pytestmark = pytest.mark.django_db

CSV = (
    "dataElement,period,orgUnit,value,SEX,AGE,GRADE,QUAL,EXP,LANG,comment\n"
    "ENROL,2024S,S1,10,F,A07,G01,,,KAZ,\n"
    "ENROL,2024S,S1,11,M,,G01,,,,\n"
    "ENROL,2024S,S2,12,,,,,,,\"a comment, with <xml> & \"\"quotes\"\"\"\n"
    "TEACH,2024S,S2,30,F,,,TRAINED,,,\n"
    "EXPEND,2023,S3,1500000.25,,,,,CAPITAL,,\n"
    "CAPACITY,2024S,S3,640,,,,,,,\n"
)


def values():
    return sorted(DataValue.objects.values_list(
        "data_element__code", "period", "org_unit__code", "sex", "age", "grade", "qual", "exp", "lang", "value",
        "comment"))


def test_round_trip_csv_dhis2_adx(world):
    r = import_file(CSV.encode(), name="v.csv")
    assert r.ok and r.created == 6, r.errors
    original = values()

    dvs = export_values(format="dhis2")
    doc = json.loads(dvs)
    first = next(d for d in doc["dataValues"] if d["orgUnit"] == "S1" and d["value"] == "10")
    assert first == {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1",
                     "categoryOptionCombo": "F_A07_G01_KAZ", "value": "10"}
    assert detect_format(dvs.encode()) == "dhis2"
    DataValue.objects.all().delete()
    r = import_file(dvs.encode())
    assert r.ok and r.created == 6, r.errors
    assert values() == original

    adx = export_values(format="adx")
    assert 'period="2024-09-01/P1Y"' in adx and 'dataSet="SCHOOL_CENSUS"' in adx
    assert detect_format(adx.encode()) == "adx"
    DataValue.objects.all().delete()
    r = import_file(adx.encode())
    assert r.ok and r.created == 6, r.errors
    assert values() == original

    # and each format imports onto itself as unchanged
    for text in (dvs, adx, export_values()):
        r = import_file(text.encode())
        assert r.ok and r.unchanged == 6 and r.created == r.updated == 0


def test_dhis2_errors_name_the_position(world):
    doc = {"dataValues": [
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "categoryOptionCombo": "F_G01", "value": "1"},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "categoryOptionCombo": "G01_F", "value": "1"},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "categoryOptionCombo": "F_XX", "value": "1"},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "value": True},
        {"dataElement": "ENROL", "period": "2024Sep", "orgUnit": "S2", "value": 3, "attributeOptionCombo": "X1"},
        "not an object",
    ]}
    r = import_file(json.dumps(doc).encode())
    got = {(e.line, e.field): e.reason for e in r.errors}
    assert "not in category order (F_G01 expected)" in got[("dataValues[1]", "categoryOptionCombo")]
    assert "unknown option 'XX'" in got[("dataValues[2]", "categoryOptionCombo")]
    assert "expected text or a number" in got[("dataValues[3]", "value")]
    assert "not supported" in got[("dataValues[4]", "attributeOptionCombo")]
    assert ("dataValues[5]", "") in got
    assert not DataValue.objects.exists()
    r = import_file(b'{"dataValues": [{"dataElement": "ENROL", "period": "2024Sep", "orgUnit": "S2", '
                    b'"categoryOptionCombo": "default", "value": 3}]}')
    assert r.ok, r.errors
    assert DataValue.objects.get().period == "2024S"


def test_adx_errors_name_the_line(world):
    adx = """<?xml version="1.0"?>
<adx xmlns="urn:ihe:qrph:adx:2015">
  <group orgUnit="S1" period="2024-09-01/P1Y" dataSet="SCHOOL_CENSUS">
    <dataValue dataElement="ENROL" SEX="F" value="1"/>
    <dataValue dataElement="ENROL" COLOUR="RED" value="1"/>
    <dataValue dataElement="ENROL" SEX="M" value="x"/>
  </group>
  <group orgUnit="S2" period="2024-03-01/P1Y">
    <dataValue dataElement="ENROL" value="1"/>
  </group>
</adx>
"""
    r = import_file(adx.encode())
    lines = {(e.line, e.field) for e in r.errors}
    assert {(5, "COLOUR"), (6, "value"), (9, "period")} <= lines, r.errors
    assert not DataValue.objects.exists()
    r = import_file(b"<adx><group orgUnit='S1' period='2024S'><dataValue dataElement='ENROL' value='1'>"
                    b"</group></adx>")
    assert r.errors and r.errors[0].line == 1 and "not well-formed" in r.errors[0].reason
    r = import_file(b"<!DOCTYPE adx [<!ENTITY a 'b'>]><adx/>")
    assert "DTD" in r.errors[0].reason
