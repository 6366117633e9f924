"""The registry travels whole: export with history → import into an empty install → export is identical.

The source registries are built inside a transaction that is rolled back before the tests run, so
each test imports into an install whose registry is empty, as a new ministry server would be.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from bilim.exchange import registry_io
from bilim.exchange.services import import_file
from bilim.registry import selectors
from bilim.registry.models import GoverningRelation, LegalAct, OrgUnit, Restructuring, TerritorialRelation
from bilim.registry.services import RegistryError

D = dt.date


def _built_and_rolled_back(django_db_blocker, build) -> str:
    """The registry file of what `build()` creates, from a transaction that is then rolled back."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            build()
            text = registry_io.export_registry()
            transaction.set_rollback(True)
        assert not OrgUnit.objects.exists()
    return text


def _history_registry() -> None:
    """Every kind of event: open, move, transfer, rename, its reversal, split, merge and close."""
    from bilim.registry import services as rs

    act = LegalAct.objects.create(kind="decree", number="1", date=D(2000, 1, 1), issuer="President",
                                  title_en="Test act", title_kk="Сынақ актісі")
    start = D(2000, 1, 1)
    kz = rs.open_unit(rs.UnitSpec("KZ", "republic", "Қазақстан", "Казахстан", "Kazakhstan"), start, act)
    east = rs.open_unit(rs.UnitSpec("KZ-63", "region", "Шығыс", "Восточно", "East", parent=kz), start, act)
    dept = rs.open_unit(rs.UnitSpec("KZ-63-EDU", "authority", "Басқарма", "Управление", "Region department",
                                    parent=east, attrs={"subtype": "REGION_DEPT"}), start, act)
    district = rs.open_unit(rs.UnitSpec("KZ-63-001", "district", "Ұржар", "Урджар", "Urzhar", parent=east), start,
                            act)
    other = rs.open_unit(rs.UnitSpec("KZ-63-002", "district", "Аягөз", "Аягоз", "Ayagoz", parent=east), start, act)
    office = rs.open_unit(rs.UnitSpec("KZ-63-001-EDU", "authority", "Бөлім", "Отдел", "Office", parent=district,
                                      governing_body=dept, attrs={"subtype": "DISTRICT_OFFICE"}), start, act)
    school = rs.open_unit(rs.UnitSpec("100000000001", "organization", "№1 мектеп", "Школа №1", "School 1",
                                      parent=district, governing_body=office,
                                      attrs={"org_type": "SCHOOL", "area": "RURAL", "languages": ["KAZ", "RUS"],
                                             "capacity": 300, "shifts": 2, "lat": 47.1, "lon": 81.6}),
                          start, act)
    small = rs.open_unit(rs.UnitSpec("100000000002", "organization", "Шағын мектеп", "Малокомплектная", "Small",
                                     parent=other, governing_body=dept,
                                     attrs={"org_type": "SCHOOL", "small_school": True}), start, act)
    act2 = LegalAct.objects.create(kind="decree", number="887", date=D(2022, 5, 3), issuer="President",
                                   title_en="On the formation of Abai Region")
    abai = rs.split_unit(east, [(rs.UnitSpec("KZ-10", "region", "Абай", "Абай", "Abai", parent=kz), [district])],
                         D(2022, 6, 8), act2)
    rs.transfer_units([school], dept, D(2015, 9, 1), act)
    renamed = rs.rename_unit(school, D(2016, 1, 1), act, "Жаңа атау", "Новое", "New name")
    rs.reverse_event(renamed, D(2017, 1, 1), act)
    rs.close_unit(small, D(2019, 9, 1), act, description="Closed: pupils moved")
    rs.merge_units([other], district, D(2023, 1, 1), act)
    assert abai is not None


@pytest.fixture(scope="module")
def history_file(django_db_setup, django_db_blocker) -> str:
    return _built_and_rolled_back(django_db_blocker, _history_registry)


@pytest.fixture(scope="module")
def demo_file(django_db_setup, django_db_blocker) -> str:
    from bilim.demo.services import build_demo

    return _built_and_rolled_back(django_db_blocker, lambda: build_demo("small", seed=2026))


def test_round_trip_is_byte_identical_with_closed_units_and_history(db, history_file):
    doc = json.loads(history_file)
    assert {u["code"] for u in doc["units"] if u["closed"]} == {"100000000002", "KZ-63-002"}
    assert {e["kind"] for e in doc["events"]} == {"open", "split", "transfer", "rename", "close", "merge"}
    assert any(e["reverses"] for e in doc["events"])

    counts = registry_io.import_registry(history_file, actor="test")
    assert counts["units"] == len(doc["units"]) == OrgUnit.objects.count()
    assert registry_io.export_registry() == history_file

    # as of any date the restored registry answers as the original did
    district, school = OrgUnit.objects.get(code="KZ-63-001"), OrgUnit.objects.get(code="100000000001")
    assert selectors.parent_on(district, D(2020, 1, 1)).code == "KZ-63"
    assert selectors.parent_on(district, D(2024, 1, 1)).code == "KZ-10"
    assert selectors.governing_body_on(school, D(2010, 1, 1)).code == "KZ-63-001-EDU"
    assert selectors.governing_body_on(school, D(2016, 1, 1)).code == "KZ-63-EDU"
    assert OrgUnit.objects.get(code="100000000002").closed == D(2019, 9, 1)
    assert school.name_records.count() == 3
    assert school.languages == ["KAZ", "RUS"] and school.lat == 47.1
    reversal = Restructuring.objects.get(reverses__isnull=False)
    assert reversal.reverses.kind == "rename"


def test_small_demo_round_trips_through_the_cli(db, demo_file, tmp_path):
    """`bilim export --orgunits --history` → `bilim import` into an empty install → export: the same bytes."""
    doc = json.loads(demo_file)
    assert any(u["closed"] for u in doc["units"]), "the demo has closed units"
    assert {"split", "transfer", "close"} <= {e["kind"] for e in doc["events"]}
    source = tmp_path / "registry.json"
    source.write_text(demo_file, encoding="utf-8")
    call_command("import", str(source), "--no-refresh", "--quiet")
    again = tmp_path / "again.json"
    call_command("export", "--orgunits", "--history", "-o", str(again))
    assert again.read_bytes() == source.read_bytes()
    # the relation the old CSV export lost: a district under a region formed in 2022, before and after
    moved = TerritorialRelation.objects.filter(valid_to__isnull=False, unit__kind="district").first()
    assert moved is not None
    assert TerritorialRelation.objects.filter(unit=moved.unit, valid_from=moved.valid_to).exists()


def test_a_second_import_is_refused_and_changes_nothing(db, history_file):
    registry_io.import_registry(history_file)
    n = GoverningRelation.objects.count()
    report = import_file(history_file.encode(), name="registry.json")
    assert report.format == "registry"
    assert [str(e) for e in report.errors] == [
        "file: The registry is not empty (9 units): a registry with its history can only be restored into an "
        "empty install."]
    assert GoverningRelation.objects.count() == n


def test_dry_run_checks_and_writes_nothing(db, history_file):
    report = import_file(history_file.encode(), name="registry.json", dry_run=True)
    assert report.ok and report.created == 9
    assert not OrgUnit.objects.exists() and not Restructuring.objects.exists()


def _broken(history_file: str, change) -> str:
    doc = json.loads(history_file)
    change(doc)
    return json.dumps(doc, ensure_ascii=False)


def test_every_problem_is_reported_naming_its_record_and_nothing_is_written(db, history_file):
    def change(doc):
        doc["territorial"][0]["other"] = "KZ-99"  # a parent not in the file
        link = next(r for r in doc["territorial"] if r["unit"] == "KZ-63-001" and r["valid_to"])
        link["valid_to"] = "2023-01-01"  # now overlaps the move of 2022-06-08
        next(r for r in doc["governing"] if r["unit"] == "100000000001")["other"] = "KZ-63"  # not an authority
        doc["events"][1]["legal_act"] = "A99"
        doc["units"][0]["shifts"] = 7

    with pytest.raises(RegistryError) as e:
        registry_io.import_registry(_broken(history_file, change))
    messages = e.value.messages
    first = json.loads(history_file)["territorial"][0]
    assert (f"territorial parent of {first['unit']} from {first['valid_from']}: KZ-99 is not a unit in the file"
            in messages)
    assert "KZ-63-001: territorial parent intervals overlap at 2022-06-08" in messages
    assert any(m.startswith("governing body of 100000000001 from") and "KZ-63 is a region, not an authority" in m
               for m in messages)
    assert any(m.startswith("event E2 (") and "legal act A99 is not in the file" in m for m in messages)
    assert any(m.startswith("unit 100000000001: shifts:") for m in messages)
    assert not OrgUnit.objects.exists() and not LegalAct.objects.exists()


def test_malformed_records_name_section_position_and_field(db, history_file):
    def change(doc):
        doc["units"][1]["opened"] = "01.01.2000"
        doc["events"][0]["subjects"] = "KZ"
        doc["names"][0]["colour"] = "red"

    with pytest.raises(RegistryError) as e:
        registry_io.parse_registry(_broken(history_file, change))
    code = json.loads(history_file)["units"][1]["code"]
    assert e.value.messages == [
        f"units[1] ({code}): opened is not a date (YYYY-MM-DD)",
        "events[0] (E1): subjects is not a list of text",
        f"names[0] ({json.loads(history_file)['names'][0]['unit']}): unknown field(s) colour",
    ]
    with pytest.raises(RegistryError, match="not a Bilim registry file"):
        registry_io.parse_registry('{"format": "other"}')


def test_history_export_refuses_a_scoped_user(db, history_file):
    from bilim.accounts.models import User

    registry_io.import_registry(history_file)
    User.objects.create_user("dist", password="a-long-test-password", role="district",
                             scope=OrgUnit.objects.get(code="KZ-63-001"))
    with pytest.raises(CommandError, match="only a user with national scope"):
        call_command("export", "--orgunits", "--history", "--user", "dist", "-o", "/dev/null")


def test_messages_are_translated(db, history_file):
    from django.utils import translation

    registry_io.import_registry(history_file)
    with translation.override("kk"), pytest.raises(RegistryError) as e:
        registry_io.import_registry(history_file)
    assert e.value.messages == ["Тізілім бос емес (9 бірлік): тарихы бар тізілімді тек бос орнатуға қалпына "
                                "келтіруге болады."]
