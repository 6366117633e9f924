"""Every import format refuses a bad count with its line and reason, and then writes nothing.

The rows are the ones of issue 13: `ENROL,2023S,<school>,-5,F,,G01`, 2.5 pupils, and digits that
Python's float() takes silently (Arabic-Indic ٣, full-width ３).
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from bilim.audit.models import AuditRecord
from bilim.collection.models import DataValue, DataValueAudit
from bilim.exchange import jobs
from bilim.exchange.metadata_io import export_metadata, import_metadata
from bilim.exchange.services import import_file
from bilim.metadata.models import DataElement

pytestmark = pytest.mark.django_db

NEGATIVE = "cannot be negative"
WHOLE = "a whole number is expected"
DIGITS = "write it with the digits 0-9"


def nothing_written() -> bool:
    return (not DataValue.objects.exists() and not DataValueAudit.objects.exists()
            and not AuditRecord.objects.filter(action="collection.import").exists())


def value_errors(report) -> dict:
    return {e.line: e.reason for e in report.errors if e.field == "value"}


def test_csv_refuses_the_reported_rows_by_line(world):
    data = ("dataElement,period,orgUnit,value,SEX,AGE,GRADE\n"
            "ENROL,2023S,S1,12,F,,G02\n"      # line 2: fine
            "ENROL,2023S,S1,-5,F,,G01\n"      # line 3
            "ENROL,2023S,S1,2.5,M,,G01\n"     # line 4
            "ENROL,2023S,S2,٣,F,,G01\n"       # line 5
            "ENROL,2023S,S2,３,M,,G01\n"      # line 6
            "ENROL,2023S,S3,7,F,,G01\n"       # line 7: fine
            "ENROL,2023S,S3,1e3,M,,G01\n"     # line 8: a whole number, but not written as a count
            ).encode()
    report = import_file(data, format="csv")
    assert not report.ok and nothing_written()
    errors = value_errors(report)
    assert set(errors) == {3, 4, 5, 6, 8}
    assert errors[8] == "ENROL is a count: write it with the digits 0-9 only (no sign, decimal point or exponent), " \
                        "not '1e3'"
    assert errors[3] == "ENROL cannot be negative (-5 was given)"
    assert WHOLE in errors[4] and DIGITS in errors[5] and DIGITS in errors[6]
    assert str(report.errors[0]) == "line 3: value: ENROL cannot be negative (-5 was given)"
    assert errors[4] == "ENROL is a count: a whole number is expected, not 2.5"


def test_csv_decimal_comma_in_a_quoted_cell_is_not_a_whole_number(world):
    report = import_file(b'dataElement,period,orgUnit,value,SEX,GRADE\nENROL,2024S,S1,"2,5",F,G01\n', format="csv")
    assert not report.ok and nothing_written()
    assert WHOLE in value_errors(report)[2]


def test_large_csv_takes_the_fast_path_and_still_names_the_one_bad_row(world, monkeypatch):
    """Plain-digit files are cast by Arrow in one go (the rule is not called per value); one bad row
    among 3,000 sends the file to the rule, which names it."""
    from bilim.collection import validation

    calls = []
    rule = validation.parse_value
    monkeypatch.setattr(validation, "parse_value", lambda *a: calls.append(a) or rule(*a))
    rows = [f"ENROL,2024S,S{1 + i % 3},{i},{'FM'[i // 3 % 2]},A{i // 6 % 30:02d},G{i // 180 % 12 + 1:02d},"
            f"{('KAZ', 'RUS')[i // 2160]}" for i in range(3000)]
    head = "dataElement,period,orgUnit,value,SEX,AGE,GRADE,LANG\n"
    good = import_file((head + "\n".join(rows) + "\n").encode(), format="csv", dry_run=True)
    assert good.ok and good.created == 3000, good.errors[:3]
    assert calls == []
    rows[1700] = rows[1700].replace(",1700,", ",1e3,")
    report = import_file((head + "\n".join(rows) + "\n").encode(), format="csv")
    assert not report.ok and nothing_written()
    assert list(value_errors(report)) == [1702] and "digits 0-9 only" in value_errors(report)[1702]
    assert ("1e3", "count", "ENROL") in calls


def test_amounts_keep_decimals_next_to_counts_but_not_signs(world):
    """EXPEND and GDP_PC are amounts: decimals are taken (by the fast path too), negatives are not."""
    report = import_file(b"dataElement,period,orgUnit,value,EXP\nEXPEND,2023,S1,1500000.25,CAPITAL\n"
                         b"EXPEND,2023,S2,1.5e3,CURRENT\nCAPACITY,2024S,S1,640,\n", format="csv")
    assert report.ok, report.errors
    assert sorted(DataValue.objects.values_list("value", flat=True)) == [640.0, 1500.0, 1500000.25]
    DataValue.objects.all().delete()
    report = import_file("dataElement,period,orgUnit,value,EXP\nEXPEND,2023,S3,１５,CAPITAL\n"
                         "EXPEND,2023,S2,-10.5,CURRENT\n".encode(), format="csv")
    assert not report.ok and not DataValue.objects.exists()
    assert DIGITS in value_errors(report)[2] and NEGATIVE in value_errors(report)[3]


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["dataElement", "period", "orgUnit", "value", "SEX", "GRADE"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_refuses_negative_fractional_and_foreign_digits_by_excel_row(world):
    data = _xlsx([["ENROL", "2024S", "S1", 12, "F", "G02"],       # row 2: fine (a number cell)
                  ["ENROL", "2024S", "S1", -5, "F", "G01"],       # row 3: a number cell
                  ["ENROL", "2024S", "S1", 2.5, "M", "G01"],      # row 4
                  ["ENROL", "2024S", "S2", "٣", "F", "G01"],      # row 5: a text cell
                  ["ENROL", "2024S", "S2", 7.0, "M", "G01"],      # row 6: 7.0 is the number 7: fine
                  ["ENROL", "2024S", "S3", "+5", "M", "G01"]])    # row 7: text, not digits only
    report = import_file(data, format="xlsx")
    assert not report.ok and nothing_written()
    errors = value_errors(report)
    assert set(errors) == {3, 4, 5, 7}
    assert "digits 0-9 only" in errors[7]
    assert NEGATIVE in errors[3] and WHOLE in errors[4] and DIGITS in errors[5]


def test_dhis2_json_refuses_by_position(world):
    doc = {"dataValues": [
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "categoryOptionCombo": "F_G02", "value": "12"},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "categoryOptionCombo": "F_G01", "value": "-5"},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S1", "categoryOptionCombo": "M_G01", "value": 2.5},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S2", "categoryOptionCombo": "F_G01", "value": "３"},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S2", "categoryOptionCombo": "M_G01", "value": 7.0},
        {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S3", "categoryOptionCombo": "M_G01", "value": "1e3"},
    ]}
    report = import_file(json.dumps(doc, ensure_ascii=False).encode(), format="dhis2")
    assert not report.ok and nothing_written()
    errors = value_errors(report)
    assert set(errors) == {"dataValues[1]", "dataValues[2]", "dataValues[3]", "dataValues[5]"}  # 7.0 is 7
    assert NEGATIVE in errors["dataValues[1]"] and WHOLE in errors["dataValues[2]"]
    assert DIGITS in errors["dataValues[3]"]


def test_adx_refuses_by_line(world):
    data = """<?xml version="1.0" encoding="UTF-8"?>
<adx xmlns="urn:ihe:qrph:adx:2015">
  <group dataSet="SCHOOL_CENSUS" orgUnit="S1" period="2024-09-01/P1Y">
    <dataValue dataElement="ENROL" SEX="F" GRADE="G02" value="12"/>
    <dataValue dataElement="ENROL" SEX="F" GRADE="G01" value="-5"/>
    <dataValue dataElement="ENROL" SEX="M" GRADE="G01" value="2.5"/>
    <dataValue dataElement="ENROL" SEX="F" GRADE="G03" value="٣"/>
    <dataValue dataElement="ENROL" SEX="M" GRADE="G03" value="12.0"/>
  </group>
</adx>
""".encode()
    report = import_file(data, format="adx")
    assert not report.ok and nothing_written()
    errors = value_errors(report)
    assert set(errors) == {5, 6, 7, 8}
    assert "digits 0-9 only" in errors[8]
    assert NEGATIVE in errors[5] and WHOLE in errors[6] and DIGITS in errors[7]


def test_import_api_answers_422_naming_the_row(admin_client, world, monkeypatch):
    monkeypatch.setattr(jobs, "REFRESH_AFTER_IMPORT", False)
    data = (b"dataElement,period,orgUnit,value,SEX,AGE,GRADE\nENROL,2023S,S1,12,M,,G01\nENROL,2023S,S1,-5,F,,G01\n"
            b"ENROL,2023S,S1,+5,F,,G02\n")
    r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", data)})
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "import_rejected" and not body["ok"] and body["created"] == 0
    assert [(e["line"], e["field"]) for e in body["errors"]] == [(3, "value"), (4, "value")]
    assert NEGATIVE in body["errors"][0]["reason"]
    assert nothing_written()


def test_upload_job_reports_in_the_language_of_the_page(world, monkeypatch):
    """The upload page runs the import in a thread, whose reasons must follow the language of the
    page that started it (a new thread would speak the installation's default)."""
    import threading
    from types import SimpleNamespace

    from django.utils import translation

    seen: list[str | None] = []
    started: list[threading.Thread] = []

    def thread(**kw):
        t = threading.Thread(**kw)
        started.append(t)
        return t

    monkeypatch.setattr(jobs, "run", lambda *a: seen.append(translation.get_language()))
    monkeypatch.setattr(jobs, "threading", SimpleNamespace(Thread=thread))
    with translation.override("ru"):
        jobs.start(b"dataElement,period,orgUnit,value\nCAPACITY,2024S,S1,-1\n", "v.csv", dry_run=False)
    started[0].join(10)
    assert seen == ["ru"]


def test_value_type_travels_with_the_metadata(world):
    doc = export_metadata()
    types = {d["code"]: d["value_type"] for d in doc["data_elements"]}
    assert types["ENROL"] == "count" and types["EXPEND"] == types["GDP_PC"] == "amount"
    # a document from before value types leaves them alone; a bad one is named
    for d in doc["data_elements"]:
        d.pop("value_type")
    assert import_metadata(doc).ok
    assert DataElement.objects.get(code="EXPEND").value_type == "amount"
    doc["data_elements"][0]["value_type"] = "integer"
    report = import_metadata(doc)
    assert not report.ok and report.errors[0].field == "value_type"
