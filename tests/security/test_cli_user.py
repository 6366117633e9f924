"""`bilim COMMAND --user USERNAME` (or BILIM_USER): the command line checks role and scope like the API.

On the mini registry of `conftest.py`: `u-district` has the scope KZ-63-001 (with its office and
school 100000000001), today under Abai Region KZ-10, which also holds KZ-10-002 and its school
100000000002. Without a user the commands run as the operator (unchecked, audited as cli:<login>).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bilim.accounts.cli import operator_actor
from bilim.audit.models import AuditRecord
from bilim.collection.models import DataValue, DataValueAudit
from bilim.exchange.services import import_file

pytestmark = pytest.mark.django_db

HEADER = "dataElement,period,orgUnit,value,SEX,GRADE,comment\n"
MINE, OTHER = "100000000001", "100000000002"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def values(world):
    """Values of both schools for 2024S (forms still open), imported by the operator."""
    text = HEADER + (f"ENROL,2024S,{MINE},10,F,G01,\nENROL,2024S,{MINE},11,M,G01,\nTEACH,2024S,{MINE},2,,,\n"
                     f"ENROL,2024S,{OTHER},20,F,G01,\n")
    report = import_file(text.encode(), actor="seed", name="seed.csv")
    assert report.ok, report.errors
    return report


def csv_rows(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


# --- the user: option, environment, unknown, inactive ---------------------------------------------

def test_unknown_user_is_a_clear_error(users):
    with pytest.raises(CommandError, match="No Bilim user named nobody"):
        run("audit", "list", "--user", "nobody")


def test_inactive_user_is_a_clear_error(users):
    users["ministry"].is_active = False
    users["ministry"].save()
    with pytest.raises(CommandError, match="u-ministry is inactive"):
        run("audit", "list", "--user", "u-ministry")


def test_bilim_user_environment_variable_is_honoured(users, monkeypatch):
    monkeypatch.setenv("BILIM_USER", "u-district")
    with pytest.raises(CommandError, match="u-district .*may not read audit"):
        run("audit", "list")
    # the option wins over the environment
    run("audit", "list", "--user", "u-ministry")
    monkeypatch.setenv("BILIM_USER", "ghost")
    with pytest.raises(CommandError, match="No Bilim user named ghost \\(given by BILIM_USER\\)"):
        run("audit", "list")


def test_user_option_goes_before_or_after_the_subcommand(users):
    with pytest.raises(CommandError, match="u-district"):
        run("audit", "--user", "u-district", "list")
    with pytest.raises(CommandError, match="u-district"):
        run("audit", "list", "--user", "u-district")


# --- export ---------------------------------------------------------------------------------------

def test_export_refuses_a_unit_outside_the_scope(values, users, tmp_path):
    with pytest.raises(CommandError, match="KZ-10-002 is outside the scope of user u-district"):
        run("export", "--user", "u-district", "--ou", "KZ-10-002", "-o", str(tmp_path / "v.csv"))
    with pytest.raises(CommandError, match="KZ is outside the scope of user u-district"):
        run("export", "--user", "u-district", "--orgunits", "--ou", "KZ", "-o", str(tmp_path / "u.csv"))
    with pytest.raises(CommandError, match="u-public .*may not read data"):
        run("export", "--user", "u-public", "-o", str(tmp_path / "v.csv"))
    # indicators as SDMX: checked like GET /api/v1/exchange/sdmx (before the warehouse is opened)
    with pytest.raises(CommandError, match="KZ is outside the scope of user u-district"):
        run("export", "--sdmx-json", "--indicator", "GER_ISCED1", "--period", "2024S", "--ou", "KZ,LEVEL-district",
            "--user", "u-district")


def test_export_values_only_in_scope(values, users, tmp_path):
    out = tmp_path / "v.csv"
    run("export", "--user", "u-district", "-o", str(out))
    assert {r["orgUnit"] for r in csv_rows(out)} == {MINE}
    assert len(csv_rows(out)) == 3
    # the operator exports everything
    run("export", "-o", str(out))
    assert {r["orgUnit"] for r in csv_rows(out)} == {MINE, OTHER}
    # the region sees the schools' values only once their districts have approved them (open forms here)
    run("export", "--user", "u-region", "-o", str(out))
    assert csv_rows(out) == []
    from bilim.approval.services import approve, submit

    submit("SCHOOL_CENSUS", MINE, "2024S")
    approve("SCHOOL_CENSUS", "KZ-63-001", "2024S")
    run("export", "--user", "u-region", "-o", str(out))
    assert {r["orgUnit"] for r in csv_rows(out)} == {MINE}


def test_export_orgunits_only_in_scope(world, users, tmp_path):
    out = tmp_path / "u.csv"
    run("export", "--user", "u-district", "--orgunits", "-o", str(out))
    assert {r["code"] for r in csv_rows(out)} == {"KZ-63-001", "KZ-63-001-EDU", MINE}
    run("export", "--user", "u-region", "--orgunits", "--ou", "KZ-10", "-o", str(out))
    assert {r["code"] for r in csv_rows(out)} == {"KZ-10", "KZ-63-001", "KZ-63-001-EDU", MINE, "KZ-10-002", OTHER}


# --- import ---------------------------------------------------------------------------------------

def test_import_refuses_rows_outside_the_scope(values, users, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(HEADER + f"ENROL,2024S,{MINE},12,F,G01,\nENROL,2024S,{OTHER},99,F,G01,\n")
    before = DataValueAudit.objects.count()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", str(f), "--user", "u-district", "--quiet", "--no-refresh", stdout=io.StringIO(),
                     stderr=(err := io.StringIO()))
    assert f"'{OTHER}' is outside your scope" in err.getvalue()
    assert DataValueAudit.objects.count() == before


def test_import_refuses_a_role_without_data_write(values, users, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(HEADER + f"ENROL,2024S,{MINE},12,F,G01,\n")
    with pytest.raises(CommandError, match="u-secretariat \\(role secretariat\\) may not change data"):
        run("import", str(f), "--user", "u-secretariat", "--quiet", "--no-refresh")


def test_import_in_scope_is_recorded_under_the_user(values, users, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(HEADER + f"ENROL,2024S,{MINE},12,F,G01,\n")
    out, _ = run("import", str(f), "--user", "u-district", "--quiet", "--no-refresh")
    assert "1 updated" in out
    assert DataValue.objects.get(org_unit__code=MINE, sex="F").value == 12
    assert DataValueAudit.objects.filter(org_unit_code=MINE, new_value=12).get().by == "u-district"
    assert AuditRecord.objects.filter(action="collection.import").latest("id").actor == "u-district"


def test_import_by_the_operator_is_recorded_as_cli_login(values, tmp_path):
    f = tmp_path / "in.csv"
    f.write_text(HEADER + f"ENROL,2024S,{OTHER},21,F,G01,\n")
    run("import", str(f), "--quiet", "--no-refresh")
    assert operator_actor().startswith("cli:") and len(operator_actor()) > 4
    assert AuditRecord.objects.filter(action="collection.import").latest("id").actor == operator_actor()
    assert DataValueAudit.objects.filter(org_unit_code=OTHER, new_value=21).get().by == operator_actor()


# --- orgunits -------------------------------------------------------------------------------------

def test_orgunits_refuses_units_outside_the_scope(world, users):
    with pytest.raises(CommandError, match="KZ-10-002 is outside the scope of user u-district"):
        run("orgunits", "show", "KZ-10-002", "--user", "u-district")
    with pytest.raises(CommandError, match="KZ-10 is outside the scope of user u-district"):
        run("orgunits", "--user", "u-district", "history", "KZ-10")
    with pytest.raises(CommandError, match="u-public .*may not read registry"):
        run("orgunits", "show", "KZ", "--user", "u-public")


def test_orgunits_in_scope(world, users):
    out, _ = run("orgunits", "show", "KZ-63-001", "--user", "u-district")
    assert "KZ-63-001" in out and MINE in out
    out, _ = run("orgunits", "history", "KZ-63-001", "--user", "u-district")
    assert "History of KZ-63-001" in out
    # children are listed within the scope only
    out, _ = run("orgunits", "show", "KZ-10", "--all-children", "--user", "u-region")
    assert "KZ-10-002" in out and "KZ-63-001" in out
    out, _ = run("orgunits", "show", "KZ-10", "--all-children")
    assert "KZ-10-002" in out


# --- audit ----------------------------------------------------------------------------------------

def test_audit_needs_the_audit_capability(values, users):
    for action in ("list", "verify"):
        with pytest.raises(CommandError, match="u-district \\(role district\\) may not read audit"):
            run("audit", action, "--user", "u-district")


def test_audit_list_for_the_ministry(values, users):
    out, _ = run("audit", "list", "--user", "u-ministry", "--action", "collection.")
    assert "collection.import" in out
    out, _ = run("audit", "verify", "--user", "u-admin")
    assert "audit chain OK" in out


# --- metadata -------------------------------------------------------------------------------------

@pytest.fixture
def config(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    path = tmp_path / "meta.json"
    run("metadata", "export", "-o", str(path))
    doc = json.loads(path.read_text())
    doc["data_elements"][0]["name_en"] = "Renamed element"
    path.write_text(json.dumps(doc))
    return path


def renamed() -> bool:
    from bilim.metadata.models import DataElement

    return DataElement.objects.filter(name_en="Renamed element").exists()


def test_metadata_import_needs_metadata_write(users, config):
    with pytest.raises(CommandError, match="u-district \\(role district\\) may not change metadata"):
        run("metadata", "import", str(config), "--user", "u-district")
    assert not AuditRecord.objects.filter(action="metadata.load").exists() and not renamed()


def test_metadata_import_by_the_ministry_is_recorded_under_its_name(users, config):
    run("metadata", "export", "-o", str(config.parent / "again.json"), "--user", "u-district")  # read is fine
    out, _ = run("metadata", "--user", "u-ministry", "import", str(config))
    assert "1 updated" in out and renamed()
    assert AuditRecord.objects.filter(action="metadata.load").latest("id").actor == "u-ministry"
