"""Org units from CSV/XLSX: registration through bulk_register, parents earlier in the file, every bad row."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.audit.models import AuditRecord
from bilim.exchange.services import detect_format, export_orgunits, import_file
from bilim.registry import selectors
from bilim.registry.models import OrgUnit, Restructuring

pytestmark = pytest.mark.django_db

HEADER = "code,kind,type,name_kk,name_ru,name_en,parent,governing_body,area,valid_from\n"


def test_registers_units_with_parents_defined_earlier(world):
    text = HEADER + (
        "KZ-11-002,district,,Бурабай,Бурабайский,Burabay District,KZ-11,,,2010-01-01\n"
        "KZ-11-002-EDU,authority,,Білім бөлімі,Отдел,Burabay office,KZ-11-002,,,2010-01-01\n"
        "S20,organization,SCHOOL,№20 мектеп,Школа №20,School 20,KZ-11-002,KZ-11-002-EDU,URBAN,2015-09-01\n"
    )
    assert detect_format(text.encode()) == "orgunits"
    r = import_file(text.encode(), actor="registrar", name="units.csv")
    assert r.ok, r.errors
    assert (r.format, r.created, r.unchanged) == ("orgunits", 3, 0)
    school = OrgUnit.objects.get(code="S20")
    assert (school.org_type, school.area, school.opened) == ("SCHOOL", "URBAN", dt.date(2015, 9, 1))
    assert selectors.parent_on(school, dt.date(2020, 1, 1)).code == "KZ-11-002"
    assert selectors.governing_body_on(school, dt.date(2020, 1, 1)).code == "KZ-11-002-EDU"
    assert selectors.parent_on(school, dt.date(2014, 1, 1)) is None
    ev = Restructuring.objects.get(kind="open", description="Import of units.csv")
    assert ev.legal_act.issuer == "registrar"
    assert AuditRecord.objects.filter(action="registry.bulk_register").exists()


def test_bad_rows_are_all_reported_and_nothing_registered(world):
    text = HEADER + (
        "N1,district,,Аудан,,,KZ-11,,,2010-01-01\n"             # 2 fine
        "N2,organization,SCHOOL,Мектеп,,,N9,,,2010-01-01\n"     # 3 parent defined later (line 6)
        "N3,organization,SCHOOL,Мектеп,,,NOWHERE,,,2010-01-01\n"  # 4 unknown parent
        "N4,organization,SCHOOL,Мектеп,,,KZ,,,2010-01-01\n"     # 5 organization cannot sit under the republic
        "N9,district,,Аудан,,,KZ-11,,,2010-01-01\n"             # 6 fine
        "N5,school,,Мектеп,,,N1,,,2010-01-01\n"                 # 7 unknown kind
        "N6,organization,,Мектеп,,,N1,,,2010-01-01\n"           # 8 organization without type
        "N7,organization,SCHOOL,Мектеп,,,N1,S1,,2010-01-01\n"   # 9 governing body is not an authority
        "N8,organization,SCHOOL,Мектеп,,,N1,,,2010-13-01\n"     # 10 bad date
        "N1,district,,Аудан,,,KZ-11,,,2010-01-01\n"             # 11 duplicate code
        "N10,organization,SCHOOL,,,,N1,,FOREST,2010-01-01\n"    # 12 no Kazakh name, bad area
        "S1,organization,SCHOOL,Басқа,,,KZ-11-001,KZ-11-001-EDU,RURAL,2000-01-01\n"  # 13 exists, differs
        "N11,organization,SCHOOL,Мектеп,,,N1,,,2005-01-01\n"    # 14 before its parent exists
    )
    r = import_file(text.encode(), format="orgunits")
    got = {(e.line, e.field): e.reason for e in r.errors}
    expected = {
        (3, "parent"): "defined later in the file (line 6)",
        (4, "parent"): "unknown org unit 'NOWHERE'",
        (5, "parent"): "cannot be placed under KZ (a republic)",
        (7, "kind"): "unknown kind 'school'",
        (8, "type"): "needs an organization type",
        (9, "governing_body"): "S1 is a organization, not an authority",
        (10, "valid_from"): "is not a date",
        (11, "code"): "duplicate of line 2",
        (12, "name_kk"): "missing",
        (12, "area"): "unknown area 'FOREST'",
        (13, "code"): "already exists and differs (name_kk",
        (14, "parent"): "only valid from 2010-01-01",
    }
    for key, part in expected.items():
        assert key in got, (key, [str(e) for e in r.errors])
        assert part in got[key], (key, got[key])
    assert not any(e.line in (2, 6) for e in r.errors)
    assert not OrgUnit.objects.filter(code__startswith="N").exists()
    assert r.created == 0


def test_dry_run_registers_nothing(world):
    r = import_file((HEADER + "N1,district,,Аудан,,,KZ-11,,,2010-01-01\n").encode(), dry_run=True)
    assert r.ok and r.created == 1
    assert not OrgUnit.objects.filter(code="N1").exists()


def test_export_imports_back_unchanged_and_into_an_empty_registry(world, tmp_path):
    text = export_orgunits()
    lines = text.splitlines()
    assert lines[0].startswith("code,kind,type,name_kk,name_ru,name_en,parent,governing_body,area,valid_from")
    assert len(lines) == 1 + 7  # every unit open today (S9 opens in 2030)
    codes = [line.split(",")[0] for line in lines[1:]]
    assert codes.index("KZ") < codes.index("KZ-11") < codes.index("KZ-11-001") < codes.index("S1")
    assert codes.index("KZ-11-001-EDU") < codes.index("S1")
    r = import_file(text.encode())
    assert r.ok and (r.created, r.unchanged) == (0, 7), r.errors

    # the same file registers the whole tree in an empty registry
    from bilim.collection.models import DataValue  # noqa: F401 - no values reference units here
    from bilim.registry.models import GoverningRelation, NameRecord, TerritorialRelation

    for model in (GoverningRelation, TerritorialRelation, NameRecord):
        model.objects.all().delete()
    Restructuring.subjects.through.objects.all().delete()
    OrgUnit.objects.all().delete()
    r = import_file(text.encode())
    assert r.ok and r.created == 7, r.errors
    assert selectors.governing_body_on(OrgUnit.objects.get(code="S1"), dt.date.today()).code == "KZ-11-001-EDU"


def test_xlsx_orgunits(world, tmp_path):
    path = tmp_path / "units.xlsx"
    export_orgunits(path, format="xlsx")
    r = import_file(path)
    assert r.ok and r.format == "orgunits-xlsx" and r.unchanged == 7, r.errors


def test_optional_attribute_columns(world):
    text = ("code,kind,type,name_kk,parent,governing_body,valid_from,capacity,shifts,languages,small_school,lat\n"
            "S30,organization,SCHOOL,Мектеп,KZ-11-001,KZ-11-001-EDU,2012-09-01,600,2,KAZ;RUS,1,51.2\n"
            "S31,organization,SCHOOL,Мектеп,KZ-11-001,,2012-09-01,many,4,ENG,maybe,\n")
    r = import_file(text.encode())
    got = {(e.line, e.field) for e in r.errors}
    assert {(3, "capacity"), (3, "shifts"), (3, "languages"), (3, "small_school")} <= got, r.errors
    r = import_file(text.splitlines(keepends=True)[0].encode() + text.splitlines(keepends=True)[1].encode())
    assert r.ok, r.errors
    u = OrgUnit.objects.get(code="S30")
    assert (u.capacity, u.shifts, u.languages, u.small_school, u.lat) == (600, 2, ["KAZ", "RUS"], True, 51.2)
