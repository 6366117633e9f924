"""Saving one value: validation, optimistic concurrency, audit."""

from __future__ import annotations

import pytest

from bilim.audit.models import AuditRecord
from bilim.audit.services import verify
from bilim.collection import selectors
from bilim.collection.models import DataValue, DataValueAudit
from bilim.collection.services import ConflictError, delete_value, is_locked, save_value
from bilim.collection.validation import InvalidValue

pytestmark = pytest.mark.django_db


def _save(**kw):
    args = {"data_element": "ENROL", "period": "2024S", "org_unit": "S1", "value": 10,
            "categories": {"SEX": "F", "GRADE": "G01"}, "actor": "alice"}
    args.update(kw)
    return save_value(**args)


def test_create_update_and_audit(world):
    v = _save()
    assert (v.value, v.version, v.sex, v.grade, v.stored_by) == (10, 1, "F", "G01", "alice")
    v2 = _save(value="12", version=1, actor="bob")
    assert (v2.value, v2.version, v2.stored_by) == (12, 2, "bob")
    rows = list(DataValueAudit.objects.order_by("id").values_list("action", "old_value", "new_value", "by",
                                                                    "disaggregation"))
    assert rows == [("create", None, 10, "alice", "SEX=F,GRADE=G01"), ("update", 10, 12, "bob", "SEX=F,GRADE=G01")]
    assert AuditRecord.objects.filter(action="collection.save_value").count() == 2
    assert verify().ok


def test_saving_the_same_value_changes_nothing(world):
    _save()
    v = _save(version=1)
    assert v.version == 1
    assert DataValueAudit.objects.count() == 1


def test_optimistic_conflict(world):
    _save()
    read = selectors.get_value("ENROL", "2024S", "S1", {"SEX": "F", "GRADE": "G01"})
    assert read.version == 1
    _save(value=11, version=read.version, actor="bob")  # someone else saves first
    with pytest.raises(ConflictError, match="changed by bob") as e:
        _save(value=13, version=read.version)
    assert e.value.current.value == 11
    assert DataValue.objects.get().value == 11
    with pytest.raises(ConflictError, match="already has a value"):
        _save(value=14, version=None)


def test_conflict_when_deleted_meanwhile(world):
    _save()
    delete_value(data_element="ENROL", period="2024S", org_unit="S1", categories={"SEX": "F", "GRADE": "G01"},
                 version=1, actor="bob")
    assert not DataValue.objects.exists()
    assert DataValueAudit.objects.filter(action="delete", old_value=10, new_value=None).exists()
    with pytest.raises(ConflictError, match="deleted"):
        _save(value=3, version=1)


def test_delete_with_stale_version(world):
    _save()
    _save(value=2, version=1)
    with pytest.raises(ConflictError):
        delete_value(data_element="ENROL", period="2024S", org_unit="S1", categories={"SEX": "F", "GRADE": "G01"},
                     version=1)
    assert DataValue.objects.count() == 1


@pytest.mark.parametrize("kw, field, text", [
    ({"data_element": "NOPE"}, "dataElement", "unknown data element 'NOPE'"),
    ({"org_unit": "S404"}, "orgUnit", "unknown org unit 'S404'"),
    ({"period": "2024X"}, "period", "not recognised"),
    ({"period": "2024"}, "period", "is a year but ENROL is collected per school year"),
    ({"value": "ten"}, "value", "'ten' is not a number"),
    ({"value": "1e999"}, "value", "not a finite number"),
    ({"value": float("nan")}, "value", "not a finite number"),
    ({"categories": {"SEX": "X"}}, "SEX", "unknown option 'X' for category SEX"),
    ({"categories": {"QUAL": "TRAINED"}}, "QUAL", "ENROL is not disaggregated by QUAL"),
    ({"categories": {"COLOUR": "RED"}}, "COLOUR", "unknown category COLOUR"),
    ({"org_unit": "KZ-11-001"}, "orgUnit", "reported by organization units, not by KZ-11-001 (a district)"),
    ({"org_unit": "S9"}, "orgUnit", "opened on 2030-01-01, after period 2024S"),
])
def test_invalid_values_are_refused_with_reasons(world, kw, field, text):
    with pytest.raises(InvalidValue) as e:
        _save(**kw)
    assert any(text in m for m in e.value.message_dict[field]), e.value.message_dict
    assert not DataValue.objects.exists()


def test_iso_period_is_stored_canonically(world):
    v = _save(period="2024-09-01/P1Y")
    assert v.period == "2024S"


def test_lock_hook_is_open():
    assert is_locked(None, "2024S", None) is False
