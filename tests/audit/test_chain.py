"""The audit trail is hash-chained: editing or deleting a record is detected."""

from __future__ import annotations

import pytest

from bilim.audit import services as audit
from bilim.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_chain_verifies_after_appends():
    for i in range(3):
        audit.record("u", "test.act", "Thing", i, None, {"i": i})
    result = audit.verify()
    assert result.ok and result.checked == 3


def test_altered_record_is_detected():
    for i in range(3):
        audit.record("u", "test.act", "Thing", i, None, {"i": i})
    second = AuditRecord.objects.order_by("id")[1]
    AuditRecord.objects.filter(pk=second.pk).update(after={"i": 99})
    result = audit.verify()
    assert not result.ok and result.first_bad_id == second.pk and "altered" in result.reason


def test_removed_record_is_detected():
    for i in range(3):
        audit.record("u", "test.act", "Thing", i, None, {"i": i})
    AuditRecord.objects.order_by("id")[1].delete()
    result = audit.verify()
    assert not result.ok and "removed" in result.reason


def test_records_cannot_be_saved_twice():
    rec = audit.record("u", "test.act", "Thing", 1)
    with pytest.raises(RuntimeError):
        rec.save()
