"""Changes made in the Django admin leave the same audit trace as the services."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.audit.models import AuditRecord
from bilim.audit.services import verify

pytestmark = pytest.mark.django_db


def test_admin_add_change_and_delete_are_audited(admin_client, mini_registry):
    from bilim.governance.models import Meeting

    body = mini_registry["office"]
    r = admin_client.post("/admin/governance/meeting/add/", {
        "code": "COL-A", "kind": "collegium", "date": "2024-03-01", "title_kk": "Алқа", "title_ru": "Коллегия",
        "title_en": "Collegium", "organizer": body.pk,
        **{f"{p}-TOTAL_FORMS": "0" for p in ("participants", "agenda", "reports", "proposals")},
        **{f"{p}-INITIAL_FORMS": "0" for p in ("participants", "agenda", "reports", "proposals")},
    })
    meeting = Meeting.objects.filter(code="COL-A").first()
    assert meeting is not None, r.content.decode()[:2000]
    add = AuditRecord.objects.get(action="admin.add")
    assert (add.actor, add.object_type, add.object_id) == ("root", "governance.meeting", str(meeting.pk))
    assert add.before is None and add.after["code"] == "COL-A"

    admin_client.post(f"/admin/governance/meeting/{meeting.pk}/delete/", {"post": "yes"})
    assert not Meeting.objects.filter(code="COL-A").exists()
    gone = AuditRecord.objects.get(action="admin.delete")
    assert gone.before["date"] == dt.date(2024, 3, 1).isoformat() and gone.after is None
    assert verify().ok


def test_delegations_cannot_be_added_in_the_admin(admin_client, db):
    assert admin_client.get("/admin/authority/delegation/add/").status_code == 403
