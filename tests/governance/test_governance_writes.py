"""Governance writes through the API (POST/PATCH/DELETE): the collegium's record from meeting to
execution report, scope, audit, one transaction each, and bad input as a 400 naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from bilim.audit.models import AuditRecord
from bilim.governance import services
from bilim.governance.models import Instruction, Meeting, Status

pytestmark = pytest.mark.django_db
API = "/api/v1/governance"


def _post(c, url, data):
    return c.post(API + url, data, content_type="application/json")


def _patch(c, url, data):
    return c.patch(API + url, data, content_type="application/json")


@pytest.fixture
def secretary(client_as, world):
    return client_as("secretariat")


@pytest.fixture
def meeting(secretary):
    r = _post(secretary, "/meetings", {"code": "COL-1", "kind": "collegium", "date": "2024-09-05",
                                       "organizer": "MIN", "title_kk": "Алқа отырысы", "title_en": "Board meeting",
                                       "title_ru": "Заседание коллегии"})
    assert r.status_code == 201, r.content
    return r.json()


def test_a_secretary_records_meeting_proposal_instruction_and_the_body_reports(secretary, meeting, client_as, world):
    assert meeting["title"] == "Board meeting"
    assert _post(secretary, "/meetings/COL-1/participants",
                 {"body": "UO75", "representative": "А. Серікова", "role": "speaker"}).status_code == 201
    assert _post(secretary, "/meetings/COL-1/agenda", {"order": 1, "title_kk": "Мектептер",
                                                       "title_en": "Schools"}).status_code == 201
    r = _post(secretary, "/meetings/COL-1/reports", {"topic_kk": "Баяндама", "speaker": "А. Серікова",
                                                     "body": "UO75", "agenda_order": 1})
    assert r.status_code == 201 and r.json()["reports"][0]["agenda_item"] == 1
    r = _post(secretary, "/meetings/COL-1/proposals", {"text_kk": "Үш ауысымды мектептерді жою",
                                                       "text_en": "End three-shift schooling", "proposed_by": "UO75"})
    proposal = r.json()["proposals"][0]["id"]
    r = _post(secretary, "/instructions", {
        "code": "COL-1/1", "text_kk": "Жаңа мектеп салу", "text_en": "Build a school", "responsible": "UO75",
        "deadline": "2025-09-01", "meeting": "COL-1", "proposal_id": proposal, "indicator_codes": ["GER_ISCED1"],
        "org_unit": "KZ-75"})
    assert r.status_code == 201, r.content
    assert r.json()["proposal"]["id"] == proposal and r.json()["status"] == "new"
    # the responsible body (the Almaty department, a region account) files the execution report
    dept = client_as("region", world.KZ_75)
    r = _post(dept, "/instructions/COL-1/1/reports", {"date": "2025-03-01", "text": "Design approved"})
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "in_progress" and r.json()["execution_reports"][0]["body"]["code"] == "UO75"
    r = _post(secretary, "/instructions/COL-1/1/extensions", {"new_deadline": "2025-12-01", "reason": "Budget",
                                                             "date": "2025-08-01", "decision": "Minister"})
    assert r.status_code == 201 and r.json()["deadline"] == "2025-12-01" and r.json()["extended"]
    r = _post(dept, "/instructions/COL-1/1/status", {"status": "executed", "date": "2025-11-20"})
    assert r.status_code == 201 and r.json()["status"] == "executed" and r.json()["executed_on_time"] is True
    assert secretary.get(API + "/instructions/COL-1/1").json()["status"] == "executed"
    actions = list(AuditRecord.objects.filter(actor__in=[secretary.user.username, dept.user.username])
                   .values_list("action", flat=True))
    assert {"governance.create_meeting", "governance.add_proposal", "governance.issue_instruction",
            "governance.execution_report", "governance.extend", "governance.status"} <= set(actions)


def test_bad_input_is_a_400_naming_the_field(secretary, meeting):
    r = _post(secretary, "/instructions", {"code": "X", "text_kk": "т", "responsible": "NOPE",
                                           "deadline": "2025-01-01", "meeting": "COL-1"})
    assert r.status_code == 400 and r.json()["message"].startswith("responsible:")
    r = _post(secretary, "/instructions", {"code": "X", "text_kk": "т", "responsible": "KZ-75-01",
                                           "deadline": "2025-01-01", "meeting": "COL-1"})
    assert r.status_code == 400 and "responsible: The responsible executor is an authority" in r.json()["message"]
    r = _post(secretary, "/instructions", {"code": "X", "text_kk": "т", "responsible": "UO75",
                                           "deadline": "2024-01-01", "meeting": "COL-1"})
    assert r.status_code == 400 and "initial_deadline" in r.json()["message"]
    r = _post(secretary, "/instructions", {"code": "X", "text_kk": "т", "responsible": "UO75",
                                           "deadline": "2025-01-01", "meeting": "COL-1", "indicator_codes": ["ZZZ"]})
    assert r.status_code == 400 and "indicator_codes: Unknown indicator: ZZZ" in r.json()["message"]
    r = _post(secretary, "/instructions", {"code": "X", "text_kk": "т", "responsible": "UO75",
                                           "deadline": "not-a-date"})
    assert r.status_code == 422
    r = _post(secretary, "/meetings", {"code": "COL-1", "kind": "collegium", "date": "2024-09-05",
                                       "organizer": "MIN", "title_kk": "Қайта"})
    assert r.status_code == 400 and r.json()["message"].startswith("code:")
    assert _post(secretary, "/meetings", {"code": "C2", "kind": "party", "date": "2024-09-05", "organizer": "MIN",
                                          "title_kk": "т"}).json()["message"].startswith("kind:")
    with translation.override("ru"):
        r = secretary.post(API + "/meetings/COL-1/agenda", {"order": 1, "title_kk": "т"},
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru")
    assert r.status_code == 201
    r = secretary.post(API + "/meetings/COL-1/agenda", {"order": 1, "title_kk": "т"},
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru")
    assert r.status_code == 400 and r.json()["message"].startswith("order:")
    assert not Instruction.objects.exists()


def test_status_workflow_errors_name_the_field(secretary, meeting):
    _post(secretary, "/instructions", {"code": "COL-1/1", "text_kk": "т", "responsible": "UO75",
                                       "deadline": "2025-01-01", "meeting": "COL-1"})
    r = _post(secretary, "/instructions/COL-1/1/status", {"status": "executed", "date": "2024-10-01"})
    assert r.status_code == 400 and r.json()["message"].startswith("status: COL-1/1: cannot go from 'New'")
    r = _post(secretary, "/instructions/COL-1/1/status", {"status": "removed", "date": "2024-10-01"})
    assert r.status_code == 400 and r.json()["message"].startswith("note:")
    r = _post(secretary, "/instructions/COL-1/1/extensions", {"new_deadline": "2025-06-01", "reason": "x",
                                                             "date": "2024-10-01"})
    assert r.status_code == 400 and r.json()["message"].startswith("decision:")
    assert _post(secretary, "/instructions/COL-1/9/status", {"status": "executed",
                                                            "date": "2024-10-01"}).status_code == 404


def test_scope_rules_are_the_services(client_as, secretary, meeting, world):
    district = client_as("district", world.KZ_75_01)
    r = _post(district, "/meetings", {"code": "D-1", "kind": "collegium", "date": "2024-09-05",
                                      "organizer": "UO19", "title_kk": "т"})
    assert r.status_code == 403 and not Meeting.objects.filter(code="D-1").exists()
    assert _post(district, "/meetings", {"code": "D-1", "kind": "collegium", "date": "2024-09-05",
                                         "organizer": "RO75", "title_kk": "т"}).status_code == 201
    assert client_as("organization", world.SCH1).post(API + "/meetings", {}, content_type="application/json"
                                                      ).status_code == 403
    _post(secretary, "/instructions", {"code": "COL-1/1", "text_kk": "т", "responsible": "UO19",
                                       "deadline": "2025-01-01", "meeting": "COL-1"})
    r = _post(district, "/instructions/COL-1/1/reports", {"date": "2025-01-01", "text": "x"})
    assert r.status_code == 403  # not its instruction (it does not even see it)


def test_patch_and_delete(secretary, meeting):
    r = _patch(secretary, "/meetings/COL-1", {"title_en": "Expanded board", "venue_en": "Astana"})
    assert r.status_code == 200 and r.json()["title"] == "Expanded board" and r.json()["venue"] == "Astana"
    _post(secretary, "/meetings/COL-1/proposals", {"text_kk": "ұсыныс"})
    pid = Meeting.objects.get(code="COL-1").proposals.get().pk
    _post(secretary, "/instructions", {"code": "COL-1/1", "text_kk": "т", "responsible": "UO75",
                                       "deadline": "2025-01-01", "meeting": "COL-1", "proposal_id": pid})
    assert secretary.delete(f"{API}/meetings/COL-1/proposals/{pid}").status_code == 400  # became an instruction
    r = secretary.delete(API + "/meetings/COL-1")
    assert r.status_code == 400 and r.json()["message"].startswith("meeting:")
    r = _patch(secretary, "/instructions/COL-1/1", {"text_en": "Fixed", "responsible": "UO19"})
    assert r.status_code == 200 and r.json()["text"] == "Fixed" and r.json()["responsible"]["code"] == "UO19"
    assert secretary.delete(API + "/instructions/COL-1/1").status_code == 204
    assert secretary.delete(f"{API}/meetings/COL-1/proposals/{pid}").status_code == 204
    assert secretary.delete(f"{API}/meetings/COL-1/proposals/{pid}").status_code == 404
    assert secretary.delete(API + "/meetings/COL-1").status_code == 204
    assert not Meeting.objects.exists()
    assert AuditRecord.objects.filter(action="governance.delete_meeting", object_id="COL-1").exists()


def test_a_failed_write_leaves_nothing_behind(world):
    m = services.create_meeting("T", "collegium", dt.date(2024, 1, 1), world.MIN, "т")
    with pytest.raises(services.GovernanceError):
        services.issue_instruction("T/1", "т", world.UO75, dt.date(2025, 1, 1), meeting=m,
                                   co_executors=[world.UO75])
    assert not Instruction.objects.exists()
    assert not AuditRecord.objects.filter(action="governance.issue_instruction").exists()
    assert Status.NEW == "new"
