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


def _change_form_data(response) -> dict[str, str]:
    """The POST body of an admin change page as it stands: the object's form and every inline formset."""
    data: dict[str, str] = {}

    def put(form) -> None:
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            key = form.add_prefix(name)
            if value is None:
                data[key] = ""
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [getattr(v, "pk", v) for v in value]  # type: ignore[assignment]
            else:
                data[key] = str(getattr(value, "pk", value))

    put(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        fs = inline.formset
        mgmt = fs.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[mgmt.add_prefix(name)] = str(mgmt.initial.get(name, "") if mgmt.initial.get(name) is not None
                                               else "")
        data[mgmt.add_prefix("TOTAL_FORMS")] = str(len(fs.initial_forms))
        for form in fs.initial_forms:
            put(form)
    return data


def test_an_inline_edit_lists_the_keys_it_changed(admin_client, mini_registry):
    from bilim.governance import services as gs

    body = mini_registry["office"]
    meeting = gs.create_meeting("COL-B", "collegium", dt.date(2024, 3, 1), body, "Алқа", actor="t")
    report = gs.add_report(meeting, "Баяндама", speaker="A. B.", summary_en="old text", actor="t")
    url = f"/admin/governance/meeting/{meeting.pk}/change/"
    data = _change_form_data(admin_client.get(url))
    key = next(k for k in data if k.endswith("-summary_en"))
    data[key] = "new text of the report"
    r = admin_client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    report.refresh_from_db()
    assert report.summary_en == "new text of the report"
    rec = AuditRecord.objects.filter(action="admin.change", object_type="governance.meeting").get()
    changed = {k for k in (rec.after or {}) if (rec.before or {}).get(k) != rec.after[k]}
    assert changed == {f"report:{report.pk}.summary_en"}
    assert rec.before[f"report:{report.pk}.summary_en"] == "old text"
    assert rec.after[f"report:{report.pk}.summary_en"] == "new text of the report"
    assert verify().ok


def test_inline_rows_added_and_deleted_are_audited(admin_client, mini_registry):
    from bilim.governance import services as gs
    from bilim.governance.models import AgendaItem

    meeting = gs.create_meeting("COL-C", "collegium", dt.date(2024, 3, 1), mini_registry["office"], "Алқа", actor="t")
    report = gs.add_report(meeting, "Баяндама", actor="t")
    url = f"/admin/governance/meeting/{meeting.pk}/change/"
    data = _change_form_data(admin_client.get(url))
    prefix = next(k for k in data if k.endswith("-summary_en")).rsplit("-", 2)[0]
    data[f"{prefix}-0-DELETE"] = "on"
    agenda = next(k for k in data if k.endswith("TOTAL_FORMS") and "agenda" in k.lower()).split("-")[0]
    data[f"{agenda}-TOTAL_FORMS"] = "1"
    data[f"{agenda}-0-order"] = "1"
    data[f"{agenda}-0-part"] = "plenary"
    data[f"{agenda}-0-title_kk"] = "Күн тәртібі"
    data[f"{agenda}-0-meeting"] = str(meeting.pk)
    r = admin_client.post(url, data)
    assert r.status_code == 302, (r.context["adminform"].form.errors,
                                  [fs.formset.errors for fs in r.context["inline_admin_formsets"]])
    item = AgendaItem.objects.get(meeting=meeting)
    rec = AuditRecord.objects.filter(action="admin.change", object_type="governance.meeting").get()
    assert rec.before[f"report:{report.pk}.topic_kk"] == "Баяндама"
    assert f"report:{report.pk}.topic_kk" not in rec.after
    assert rec.after[f"agendaitem:{item.pk}.title_kk"] == "Күн тәртібі"
