"""Importing data values: all-or-nothing, every bad row named, counts, audit, dry run."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bilim.audit.models import AuditRecord
from bilim.audit.services import verify
from bilim.collection.models import DataValue, DataValueAudit
from bilim.exchange.services import detect_format, export_values, import_file

pytestmark = pytest.mark.django_db

HEADER = "dataElement,period,orgUnit,value,SEX,GRADE,comment\n"
GOOD = HEADER + (
    "ENROL,2024S,S1,10,F,G01,\n"
    "ENROL,2024S,S1,11,M,G01,\n"
    "ENROL,2024S,S2,20,F,G01,from the form\n"
    "CAPACITY,2024S,S1,300,,,\n"
)


def snapshot():
    return sorted(DataValue.objects.values_list("data_element__code", "period", "org_unit__code", "sex", "grade",
                                                "value", "comment", "version"))


def test_good_file_creates_values_with_audit(world):
    r = import_file(GOOD.encode(), actor="alice", name="good.csv")
    assert r.ok, r.errors
    assert (r.created, r.updated, r.unchanged, r.rows) == (4, 0, 0, 4)
    assert snapshot() == [
        ("CAPACITY", "2024S", "S1", "", "", 300.0, "", 1),
        ("ENROL", "2024S", "S1", "F", "G01", 10.0, "", 1),
        ("ENROL", "2024S", "S1", "M", "G01", 11.0, "", 1),
        ("ENROL", "2024S", "S2", "F", "G01", 20.0, "from the form", 1),
    ]
    audits = DataValueAudit.objects.filter(batch=r.batch)
    assert audits.count() == 4 and set(audits.values_list("action", flat=True)) == {"create"}
    assert set(audits.values_list("by", flat=True)) == {"alice"}
    assert audits.filter(org_unit_code="S2", disaggregation="SEX=F,GRADE=G01", new_value=20).exists()
    batch = AuditRecord.objects.get(action="collection.import")
    assert batch.object_id == r.batch and batch.after["created"] == 4
    assert verify().ok


def test_one_bad_row_changes_nothing_and_is_named(world):
    """The MUST-SHOW: a file with one bad row among good ones writes nothing and names the bad row."""
    import_file(GOOD.encode())
    before = snapshot()
    audits_before = DataValueAudit.objects.count()
    text = HEADER + (
        "ENROL,2024S,S1,99,F,G01,\n"       # line 2: would update
        "ENROL,2024S,S3,5,F,G02,\n"        # line 3: would create
        "ENROL,2024S,S1,abc,M,G01,\n"      # line 4: bad value
        "ENROL,2024S,S2,7,M,G03,\n"        # line 5: would create
    )
    r = import_file(text.encode())
    assert not r.ok
    assert [(e.line, e.field) for e in r.errors] == [(4, "value")]
    assert str(r.errors[0]) == "line 4: value: 'abc' is not a number"
    assert (r.created, r.updated) == (0, 0)
    assert snapshot() == before
    assert DataValueAudit.objects.count() == audits_before


def test_every_error_kind_is_reported_with_its_line(world):
    text = (
        "dataElement,period,orgUnit,value,SEX,GRADE,QUAL,comment\n"
        "NOPE,2024S,S1,1,,,,\n"              # 2 unknown data element
        "ENROL,2024S,S404,1,,,,\n"           # 3 unknown org unit
        "ENROL,2024X,S1,1,,,,\n"             # 4 bad period
        "ENROL,2024,S1,1,,,,\n"              # 5 period of the wrong type
        "ENROL,2024S,S1,ten,,,,\n"           # 6 non-numeric value
        "ENROL,2024S,S1,1e999,,,,\n"         # 7 infinite value
        "ENROL,2024S,S1,,,,,\n"              # 8 missing value
        "ENROL,2024S,S1,1,X,,,\n"            # 9 unknown option
        "ENROL,2024S,S1,1,,,TRAINED,\n"      # 10 category not allowed for the element
        "ENROL,2024S,KZ-11,1,,,,\n"          # 11 wrong kind of org unit
        "ENROL,2024S,S9,1,,,,\n"             # 12 unit not open in the period
        "ENROL,2024S,S2,1,F,G01,,\n"         # 13 fine
        "ENROL,2024S,S2,2,F,G01,,\n"         # 14 duplicate of 13
        "ENROL,2024-09-01/P1Y,S2,3,F,G01,,\n"  # 15 duplicate of 13 (same period written as ISO)
    )
    r = import_file(text.encode())
    got = {(e.line, e.field): e.reason for e in r.errors}
    expected = {
        (2, "dataElement"): "unknown data element 'NOPE'",
        (3, "orgUnit"): "unknown org unit 'S404'",
        (4, "period"): "is not recognised",
        (5, "period"): "is a year but ENROL is collected per school year",
        (6, "value"): "'ten' is not a number",
        (7, "value"): "not a finite number",
        (8, "value"): "value is missing",
        (9, "SEX"): "unknown option 'X' for category SEX",
        (10, "QUAL"): "ENROL is not disaggregated by QUAL",
        (11, "orgUnit"): "not by KZ-11 (a region)",
        (12, "orgUnit"): "opened on 2030-01-01",
        (14, "key"): "duplicate of line 13",
        (15, "key"): "duplicate of line 13",
    }
    for key, text_part in expected.items():
        assert key in got, (key, r.errors)
        assert text_part in got[key], (key, got[key])
    assert not any(e.line == 13 for e in r.errors)
    assert [e.line for e in r.errors] == sorted(e.line for e in r.errors)
    assert not DataValue.objects.exists()


def test_header_problems(world):
    r = import_file(b"dataElement,period,orgUnit,SEX\nENROL,2024S,S1,F\n")
    assert [str(e) for e in r.errors] == [
        "line 1: value: required column 'value' is missing (columns: dataElement, period, orgUnit, value, SEX, AGE, "
        "GRADE, QUAL, EXP, LANG, comment)"]
    r = import_file(b"dataElement,period,orgUnit,value,colour\nENROL,2024S,S1,1,red\n")
    assert [(e.line, e.field) for e in r.errors] == [(1, "colour")]
    r = import_file(b"dataElement;period;orgUnit;value\nENROL;2024S;S1;1\n", format="csv")
    assert "separated by commas" in r.errors[0].reason


def test_updates_unchanged_and_versions(world):
    import_file(GOOD.encode())
    text = HEADER + (
        "ENROL,2024S,S1,10,F,G01,\n"        # unchanged
        "ENROL,2024S,S1,12,M,G01,\n"        # updated value
        "ENROL,2024S,S2,20,F,G01,changed\n"  # updated comment
        "ENROL,2024S,S3,1,F,G01,\n"         # created
    )
    r = import_file(text.encode(), actor="bob")
    assert r.ok, r.errors
    assert (r.created, r.updated, r.unchanged) == (1, 2, 1)
    v = DataValue.objects.get(org_unit__code="S1", sex="M")
    assert (v.value, v.version, v.stored_by) == (12, 2, "bob")
    assert DataValue.objects.get(org_unit__code="S1", sex="F").version == 1
    audits = sorted(DataValueAudit.objects.filter(batch=r.batch).values_list("action", "org_unit_code", "old_value",
                                                                            "new_value"))
    assert audits == [("create", "S3", None, 1.0), ("update", "S1", 11.0, 12.0), ("update", "S2", 20.0, 20.0)]


def test_dry_run_writes_nothing_but_counts(world):
    import_file(GOOD.encode())
    before, audit_before = snapshot(), AuditRecord.objects.count()
    text = HEADER + "ENROL,2024S,S1,99,F,G01,\nENROL,2024S,S3,1,F,G01,\nENROL,2024S,S1,11,M,G01,\n"
    r = import_file(text.encode(), dry_run=True)
    assert r.ok and r.dry_run
    assert (r.created, r.updated, r.unchanged) == (1, 1, 1)
    assert snapshot() == before
    assert AuditRecord.objects.count() == audit_before
    assert "would be created" in r.summary()


def test_round_trip_export_import_is_unchanged(world):
    import_file(GOOD.encode())
    import_file(b"dataElement,period,orgUnit,value,EXP\nEXPEND,2024,S1,1234567.891,CAPITAL\n"
                b"EXPEND,2024,S1,0.1,CURRENT\n")
    text = export_values()
    assert text.splitlines()[0] == "dataElement,period,orgUnit,value,SEX,AGE,GRADE,QUAL,EXP,LANG,comment"
    r = import_file(text.encode())
    assert r.ok and (r.created, r.updated, r.unchanged) == (0, 0, 6)
    # subtree and element filters
    assert len(export_values(org_unit="S2").splitlines()) == 2
    assert len(export_values(org_unit="KZ-11", data_element="EXPEND").splitlines()) == 3


def test_xlsx_round_trip(world, tmp_path):
    import_file(GOOD.encode())
    path = tmp_path / "values.xlsx"
    assert export_values(path, format="xlsx") == 4
    assert detect_format(path.read_bytes(), "x.bin") == "xlsx"
    r = import_file(path)
    assert r.ok and r.unchanged == 4, r.errors
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["dataElement", "period", "orgUnit", "value", "SEX", "GRADE"])
    ws.append(["ENROL", "2024S", "S1", 10.0, "F", "G01"])
    ws.append(["ENROL", "2024S", "S1", "x", "M", "G01"])
    ws.append(["EXPEND", 2024, "S1", 5, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    r = import_file(buf.getvalue())
    assert [(e.line, e.field) for e in r.errors] == [(3, "value")]


def test_cli_import_and_export(world, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    from bilim.accounts.models import User

    User.objects.create_user("carol", password="a-long-test-password", role="district", scope=world["district"])
    call_command("import", str(good), "--user", "carol", "--quiet")
    assert "4 created" in capsys.readouterr().out
    assert set(DataValueAudit.objects.values_list("by", flat=True)) == {"carol"}
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ENROL,2024S,S1,1,F,G01,\nENROL,2024S,NOPE,1,F,G01,\n")
    with pytest.raises(CommandError) as e:
        call_command("import", str(bad), "--quiet")
    assert "nothing was imported" in str(e.value) and e.value.returncode == 1
    assert "line 3: orgUnit: unknown org unit 'NOPE'" in capsys.readouterr().err
    out = tmp_path / "out.csv"
    call_command("export", "--ou", "S1", "--data-element", "ENROL", "-o", str(out))
    assert out.read_text().count("\n") == 3
    call_command("import", str(good), "--dry-run", "--quiet")
    assert "4 unchanged" in capsys.readouterr().out


def test_cli_exit_code(world, tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ENROL,2024S,NOPE,1,F,G01,\n")
    code = "import sys; from bilim.cli import main; main(sys.argv[1:])"
    env = {**__import__("os").environ, "BILIM_DATA_DIR": str(tmp_path)}
    # the subprocess has its own database (migrated, with the default catalogue but no org units)
    subprocess.run([sys.executable, "-c", code, "migrate", "-v0", "--skip-checks"], env=env, check=True)
    p = subprocess.run([sys.executable, "-c", code, "import", str(bad)], capture_output=True, text=True, env=env)
    assert p.returncode == 1, p.stderr
    assert "line 2: orgUnit: unknown org unit 'NOPE'" in p.stderr
    assert "Traceback" not in p.stderr


def test_comment_column_absent_keeps_comments_empty_clears_them(world):
    import_file(GOOD.encode())
    r = import_file(b"dataElement,period,orgUnit,value,SEX,GRADE\nENROL,2024S,S2,20,F,G01\n")
    assert r.unchanged == 1
    assert DataValue.objects.get(org_unit__code="S2").comment == "from the form"
    r = import_file(b"dataElement,period,orgUnit,value,SEX,GRADE\nENROL,2024S,S2,21,F,G01\n")
    assert r.updated == 1
    assert DataValue.objects.get(org_unit__code="S2").comment == "from the form"
    r = import_file(b"dataElement,period,orgUnit,value,SEX,GRADE,comment\nENROL,2024S,S2,21,F,G01,\n")
    assert r.updated == 1
    assert DataValue.objects.get(org_unit__code="S2").comment == ""


def test_progress_line_on_stderr():
    import importlib

    Progress = importlib.import_module("bilim.exchange.management.commands.import").Progress
    buf = io.StringIO()
    p = Progress(buf, delay=0)
    for done in (0, 30, 30, 50, 100):
        p(done, 100, "writing")
    p.close()
    assert buf.getvalue() == "\rimport:   0% writing   \rimport:  30% writing   \rimport:  50% writing   " \
                             "\rimport: 100% writing   \n"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_numbers_are_physical_lines(world, newline):
    text = newline.join([
        "dataElement,period,orgUnit,value,SEX,GRADE,comment",
        'ENROL,2024S,S1,1,F,G01,"a comment',
        'over two lines"',
        "",
        "ENROL,2024S,S1,x,M,G01,",
    ]) + newline
    r = import_file(text.encode())
    assert [(e.line, e.field) for e in r.errors] == [(5, "value")]
    r = import_file(text.replace(",x,", ",2,").encode())
    assert r.ok and r.created == 2
    assert DataValue.objects.get(sex="F").comment == f"a comment{newline}over two lines"


def test_ragged_rows_and_bad_encoding_are_named(world):
    r = import_file(HEADER.encode() + b"ENROL,2024S,S1,1,F\nENROL,2024S,S1,2,M,G01,,extra\n")
    assert [(e.line, e.reason) for e in r.errors] == [(2, "has 5 fields but the header has 7"),
                                                      (3, "has 8 fields but the header has 7")]
    r = import_file(HEADER.encode() + "ENROL,2024S,S1,1,F,G01,Мектеп\n".encode("cp1251"))
    assert r.errors[0].line == 2 and "not UTF-8" in r.errors[0].reason
    r = import_file(b"")
    assert r.errors[0].line == 1 and "empty" in r.errors[0].reason
    r = import_file(b"\xef\xbb\xbf" + GOOD.encode())
    assert r.ok and r.created == 4
