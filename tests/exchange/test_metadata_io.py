"""Metadata export/import: a configuration moves between installations unchanged, or not at all."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bilim.exchange import metadata_io
from bilim.exchange.metadata_io import export_metadata, import_metadata
from bilim.metadata.models import Category, CategoryOption, DataElement, DataSet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    return tmp_path


def comparable(doc):
    doc = copy.deepcopy(doc)
    doc.pop("exported", None)
    return doc


def wipe():
    from bilim.approval.models import ValidationRule

    ValidationRule.objects.all().delete()
    DataSet.objects.all().delete()
    DataElement.objects.all().delete()
    CategoryOption.objects.all().delete()
    Category.objects.all().delete()


def add_rule():
    from bilim.approval.models import ValidationRule

    return ValidationRule.objects.create(
        code="REPEAT_LE_ENROL", name_kk="Қайталаушылар", name_en="Repeaters within enrolment",
        data_set=DataSet.objects.get(code="SCHOOL_CENSUS"), left="REPEAT[SEX=F]", operator="<=",
        right="ENROL@-1[SEX=F]", right_period_offset=0, condition="ENROL > 0", importance="blocking")


def test_export_import_into_a_fresh_database_is_equal(tmp_path):
    add_rule()
    before = export_metadata()
    assert {"categories", "data_elements", "data_sets", "indicators", "validation_rules"} <= set(before)
    assert "REPEAT_LE_ENROL" in {r["code"] for r in before["validation_rules"]}
    assert len(before["indicators"]["indicators"]) > 10
    path = tmp_path / "meta.json"
    call_command("metadata", "export", "-o", str(path))
    wipe()
    assert not DataElement.objects.exists()
    call_command("metadata", "import", str(path))
    after = export_metadata()
    assert comparable(after) == comparable(before)
    # importing again changes nothing
    report = import_metadata(path.read_bytes())
    assert report.ok and all(c["created"] == c["updated"] == 0 for c in report.counts.values()), report.counts


def test_dry_run_writes_nothing(tmp_path):
    doc = export_metadata()
    wipe()
    report = import_metadata(json.dumps(doc), dry_run=True)
    assert report.ok, report.errors
    assert report.counts["data_elements"]["created"] == len(doc["data_elements"])
    assert not DataElement.objects.exists()
    assert "dry run" in report.summary()


def test_one_bad_element_imports_nothing_and_names_element_and_field():
    doc = export_metadata()
    wipe()
    doc["data_elements"][0]["categories"] = ["SEX", "NOPE"]
    doc["data_sets"][0]["deadline_days"] = "soon"
    doc["categories"][0]["options"].append({"code": doc["categories"][0]["options"][0]["code"], "name_kk": "x"})
    report = import_metadata(doc)
    assert not report.ok
    found = {(e.element.split(" ", 1)[-1], e.field) for e in report.errors}
    de, ds = doc["data_elements"][0]["code"], doc["data_sets"][0]["code"]
    assert (de, "categories") in found
    assert (ds, "deadline_days") in found
    assert any(e.field == "code" and "appears twice" in e.reason for e in report.errors)
    assert any("NOPE" in e.reason for e in report.errors)
    assert not Category.objects.exists() and not DataElement.objects.exists()


def test_bad_rules_and_indicators_are_named():
    add_rule()
    doc = export_metadata()
    mine = next(r for r in doc["validation_rules"] if r["code"] == "REPEAT_LE_ENROL")
    mine["left"] = "REPEAT[SEX=X] +"
    doc["validation_rules"].append({**mine, "code": "R2", "left": "NOPE", "data_set": "ZZ"})
    doc["indicators"]["indicators"][0]["numerator"][0]["de"] = "MISSING_DE"
    doc["indicators"]["indicators"][1]["method"] = "magic"
    report = import_metadata(doc)
    msgs = [str(e) for e in report.errors]
    assert any("REPEAT_LE_ENROL" in m and "left" in m for m in msgs), msgs
    assert any("R2" in m and "data_set" in m for m in msgs)
    assert any("R2" in m and "unknown data element NOPE" in m for m in msgs)
    first = doc["indicators"]["indicators"][0]["code"]
    assert any(first in m and "MISSING_DE" in m for m in msgs)
    assert any(doc["indicators"]["indicators"][1]["code"] in m and "magic" in m for m in msgs)


def test_rule_options_are_exported_and_checked_on_import():
    doc = export_metadata()
    flow = next(r for r in doc["validation_rules"] if r["code"] == "PROMOTED_REPEATERS_LE_LAST_YEAR")
    assert (flow["for_each"], flow["for_each_options"]) == ("GRADE", "G01..G10")
    doc["validation_rules"] += [{**flow, "code": "R3", "for_each_options": "G01..G99"},
                                {**flow, "code": "R4", "for_each_options": "G01;G02"},
                                {**flow, "code": "R5", "left": "ENROL", "right": "0", "condition": "",
                                 "for_each": ""}]
    msgs = [str(e) for e in import_metadata(doc).errors]
    assert any("R3" in m and "unknown option G99 for category GRADE" in m for m in msgs), msgs
    assert any("R4" in m and "for_each_options" in m and "not an option code" in m for m in msgs), msgs
    assert any("R5" in m and "for each option of a category" in m for m in msgs), msgs
    assert not any("PROMOTED_REPEATERS_LE_LAST_YEAR" in m for m in msgs)


def test_changed_indicator_catalogue_is_written_to_the_data_dir(data_dir):
    doc = export_metadata()
    doc["indicators"]["indicators"][0]["name"]["en"] = "Renamed"
    report = import_metadata(doc)
    assert report.ok and report.counts["indicators"]["updated"] == 1
    saved = json.loads((data_dir / "indicator_catalogue.json").read_text())
    assert saved["indicators"][0]["name"]["en"] == "Renamed"
    assert export_metadata()["indicators"] == saved


@pytest.mark.parametrize("data, where", [
    (b"", "document"), (b"{", "document"), (b"[]", "document"), (b"\xff\xfe", "document"),
    (b'{"data_elements": 5}', "data_elements"), (b'{"data_sets": [{"code": "X"}]}', "data_sets[0] X"),
    (b'{"bilim_metadata": 9}', "document"), (b'{"categories": [{"name_kk": "x"}]}', "categories[0]"),
])
def test_malformed_documents_are_clear_errors(data, where):
    report = import_metadata(data)
    assert not report.ok
    assert report.errors[0].element == where, report.errors


def test_command_reports_errors_and_fails(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"data_elements": [{"code": "X", "name_kk": "x", "aggregation": "median"}]}')
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("metadata", "import", str(bad))
    assert "aggregation" in capsys.readouterr().err
    with pytest.raises(CommandError, match="cannot read"):
        call_command("metadata", "import", str(tmp_path / "missing.json"))


def test_without_the_approval_table_rules_are_left_out(monkeypatch):
    monkeypatch.setattr(metadata_io, "_rule_model", lambda: None)
    assert "validation_rules" not in export_metadata()
    report = import_metadata({"validation_rules": [{"code": "R"}]})
    assert not report.ok and report.errors[0].element == "validation_rules"
