"""The audit chain is anchored (#11 item 9): truncating it, or rewriting a record and re-hashing
everything after it with the app's own function, no longer verifies; nor does editing value history."""

from __future__ import annotations

import pytest

from bilim.audit import keys
from bilim.audit import services as audit
from bilim.audit.models import AuditCheckpoint, AuditRecord

pytestmark = pytest.mark.django_db


def _chain(n: int = 5) -> list[AuditRecord]:
    return [audit.record("u", "test.act", "Thing", i, None, {"i": i}) for i in range(n)]


def test_clean_chain_verifies():
    _chain()
    result = audit.verify()
    assert result.ok and result.checked == 5, result.reason


def test_deleting_the_newest_records_is_detected():
    recs = _chain()
    AuditRecord.objects.filter(pk__in=[recs[-1].pk, recs[-2].pk]).delete()
    result = audit.verify()
    assert not result.ok and "removed at the end" in result.reason


def test_deleting_the_newest_records_and_the_head_is_detected():
    recs = _chain()
    AuditRecord.objects.filter(pk=recs[-1].pk).delete()
    AuditCheckpoint.objects.filter(kind="head").delete()
    assert not audit.verify().ok
    audit.record("u", "test.act", "Thing", 99)  # the app goes on writing: the gap stays on record
    result = audit.verify()
    assert not result.ok and "head checkpoint had been deleted" in result.reason


def _rehash_from(recs: list[AuditRecord], index: int, after: dict) -> None:
    """What an attacker with database access and Bilim's code can do: rewrite, then re-chain."""
    prev = recs[index - 1].hash if index else audit.GENESIS
    for i, rec in enumerate(AuditRecord.objects.order_by("id")[index:]):
        if i == 0:
            rec.after = after
        rec.prev_hash = prev
        rec.hash = rec.compute_hash()
        AuditRecord.objects.filter(pk=rec.pk).update(after=rec.after, prev_hash=rec.prev_hash, hash=rec.hash)
        prev = rec.hash
    head = AuditCheckpoint.objects.get(kind="head")
    head.last_hash = prev
    AuditCheckpoint.objects.filter(pk=head.pk).update(last_hash=prev)


def test_rewriting_a_row_and_rehashing_after_it_is_detected():
    recs = _chain()
    _rehash_from(recs, 2, {"i": 1000})
    result = audit.verify()
    assert not result.ok and result.first_bad_id == recs[2].pk and "MAC" in result.reason


def test_a_forged_head_does_not_verify():
    recs = _chain()
    AuditRecord.objects.filter(pk=recs[-1].pk).delete()
    AuditCheckpoint.objects.filter(kind="head").update(position=recs[-2].pk, last_hash=recs[-2].hash, count=4)
    result = audit.verify()
    assert not result.ok and "signature" in result.reason


def test_periodic_checkpoints_are_written_and_checked(settings):
    settings.BILIM_AUDIT_CHECKPOINT_EVERY = 2
    recs = _chain(5)
    periodic = list(AuditCheckpoint.objects.filter(kind="periodic").order_by("id"))
    assert [cp.count for cp in periodic] == [2, 4]
    assert audit.verify().ok and audit.verify().checkpoints == 2
    # replay an old (validly signed) head and cut the chain back to it: the checkpoint at 4 remains
    AuditRecord.objects.filter(pk__gt=recs[1].pk).delete()
    head = AuditCheckpoint.objects.get(kind="head")
    head.position, head.last_hash, head.count = recs[1].pk, recs[1].hash, 2
    AuditCheckpoint.objects.filter(pk=head.pk).update(position=head.position, last_hash=head.last_hash,
                                                     count=2, mac=keys.mac(head.payload()))
    result = audit.verify()
    assert not result.ok and "checkpoint" in result.reason


def test_a_key_from_elsewhere_does_not_verify(settings):
    _chain(2)
    settings.BILIM_AUDIT_KEY = "another-installation-key-of-enough-length"
    result = audit.verify()
    assert not result.ok and "MAC" in result.reason


def test_the_key_file_is_private_and_outside_the_database(settings, tmp_path):
    import os
    import stat

    settings.BILIM_AUDIT_KEY = ""
    settings.BILIM_AUDIT_KEY_FILE = str(tmp_path / "audit-key")
    k = keys.key()
    assert len(k) >= 32 and stat.S_IMODE(os.stat(tmp_path / "audit-key").st_mode) == 0o600


# --- value history ---------------------------------------------------------------------------------

@pytest.fixture
def saved_values(mini_registry):
    from bilim.collection import services as cs
    school = mini_registry["school"]
    v = cs.save_value(data_element="CAPACITY", period="2024S", org_unit=school, value=300, actor="clerk")
    cs.save_value(data_element="CAPACITY", period="2024S", org_unit=school, value=320, version=v.version, actor="clerk")
    return school


def test_value_history_is_chained(saved_values):
    from bilim.collection.models import DataValueAudit

    assert DataValueAudit.objects.count() == 2
    result = audit.verify()
    assert result.ok and result.values == 2, result.reason
    DataValueAudit.objects.filter(new_value=320).update(new_value=999)
    result = audit.verify()
    assert not result.ok and "value history" in result.reason


def test_deleted_or_added_value_history_is_detected(saved_values):
    from bilim.collection.models import DataValueAudit

    row = DataValueAudit.objects.order_by("id").last()
    DataValueAudit.objects.filter(pk=row.pk).delete()
    assert not audit.verify().ok
    DataValueAudit.objects.create(data_element_code=row.data_element_code, period=row.period,
                                  org_unit_code=row.org_unit_code, action="update", old_value=300,
                                  new_value=320, by="clerk", batch=row.batch)
    assert not audit.verify().ok  # same content, a new id: still not what was signed
    DataValueAudit.objects.create(data_element_code="CAPACITY", period="2024S", org_unit_code="X", action="create",
                                  new_value=1, by="ghost")
    result = audit.verify()
    assert not result.ok


def test_imported_value_history_is_chained(mini_registry):
    from bilim.collection.models import DataValueAudit
    from bilim.exchange.services import import_file
    report = import_file(b"dataElement,period,orgUnit,value\nCAPACITY,2024S,100000000001,5\n", actor="imp")
    assert report.ok, report.errors
    assert audit.verify().ok
    DataValueAudit.objects.filter(batch=report.batch).delete()
    result = audit.verify()
    assert not result.ok and report.batch in result.reason


def test_cli_checkpoint_then_verify(capsys):
    from django.core.management import call_command

    _chain(3)
    call_command("audit", "checkpoint")
    assert "checkpoint written at record" in capsys.readouterr().out
    call_command("audit", "verify")
    assert "3 records verified, 1 checkpoint(s)" in capsys.readouterr().out
