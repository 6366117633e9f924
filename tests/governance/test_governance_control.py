"""Instruction workflow, overdue from deadline and status, extensions, the control dashboard, trends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from bilim.audit.models import AuditRecord
from bilim.governance import selectors, services
from bilim.governance.models import Instruction, Status
from bilim.governance.services import GovernanceError
from tests.authority.world import LegalActFactory

D = dt.date


@pytest.fixture
def meeting(world):
    m = services.create_meeting("COL-1", "expanded_collegium", D(2019, 9, 5), world.MIN, "Кеңейтілген алқа",
                                title_en="Expanded collegium", venue_en="Nur-Sultan", chair_name="Minister")
    services.add_participant(m, world.MIN, "Minister", role="chair")
    services.add_participant(m, world.UO75)
    plenary = services.add_agenda_item(m, 1, "Пленарлық бөлім", title_en="Plenary")
    services.add_agenda_item(m, 2, "Секция", part="section", section_en="Preschool", title_en="Kindergartens")
    rep = services.add_report(m, "Баяндама", speaker="Head of department", body=world.UO75, agenda_item=plenary,
                              topic_en="Three-shift schools")
    services.add_proposal(m, "Ұсыныс", proposed_by=world.UO75, report=rep, text_en="Build schools")
    return m


def issue(world, meeting, code, deadline, **kw):
    return services.issue_instruction(code, "Тапсырма " + code, kw.pop("responsible", world.UO75), deadline,
                                      meeting=meeting, text_en="Instruction " + code, **kw)


def report(ins, day):
    return services.add_execution_report(ins, day, "Done", attachment_name="report.pdf", attachment=b"%PDF")


def test_overdue_is_computed_from_deadline_and_status(world, meeting):
    ins = issue(world, meeting, "I1", D(2019, 12, 31))
    assert not ins.is_overdue(D(2019, 12, 31))          # due today is not overdue
    assert ins.is_overdue(D(2020, 1, 1))
    report(ins, D(2019, 12, 1))
    ins.refresh_from_db()
    assert ins.status == Status.IN_PROGRESS and ins.is_overdue(D(2020, 1, 1))
    services.change_status(ins, Status.EXECUTED, D(2020, 1, 10))
    ins.refresh_from_db()
    assert not ins.is_overdue(D(2020, 1, 11))
    assert ins.executed_on_time() is False
    removed = issue(world, meeting, "I2", D(2019, 10, 1))
    services.change_status(removed, Status.REMOVED, D(2019, 9, 20), note="Superseded by a law")
    removed.refresh_from_db()
    assert not removed.is_overdue(D(2025, 1, 1))
    assert [i["code"] for i in selectors.instruction_list(D(2020, 1, 11), overdue=True)] == []
    assert [i["code"] for i in selectors.instruction_list(D(2019, 11, 1), overdue=True)] == []
    # as of a past day, the status and deadline of that day count (I1 was executed only on 10 January)
    assert [i["code"] for i in selectors.instruction_list(D(2020, 1, 5), overdue=True)] == ["I1"]
    assert selectors.instruction_list(D(2020, 1, 5), status="in_progress")[0]["days_overdue"] == 5
    assert selectors.instruction_list(D(2019, 9, 1)) == []   # nothing issued yet


def test_workflow_transitions_are_enforced(world, meeting):
    ins = issue(world, meeting, "I1", D(2020, 6, 1))
    with pytest.raises(GovernanceError, match="cannot go from 'New' to 'Executed'"):
        services.change_status(ins, Status.EXECUTED, D(2019, 10, 1))
    services.change_status(ins, Status.IN_PROGRESS, D(2019, 10, 1))
    with pytest.raises(GovernanceError, match="execution report"):
        services.change_status(ins, Status.EXECUTED, D(2019, 11, 1))
    report(ins, D(2019, 11, 1))
    with pytest.raises(GovernanceError, match="record changes in order"):
        services.change_status(ins, Status.EXECUTED, D(2019, 9, 30))
    services.change_status(ins, Status.EXECUTED, D(2019, 11, 2))
    with pytest.raises(GovernanceError, match="reason"):
        services.change_status(ins, Status.IN_PROGRESS, D(2019, 11, 3))
    services.change_status(ins, Status.IN_PROGRESS, D(2019, 11, 3), note="Returned for rework")
    services.change_status(ins, Status.REMOVED, D(2019, 12, 1), note="No longer relevant")
    with pytest.raises(GovernanceError, match="final"):
        services.change_status(ins, Status.IN_PROGRESS, D(2019, 12, 2))
    with pytest.raises(GovernanceError, match="removed from control"):
        report(ins, D(2019, 12, 2))
    detail = selectors.instruction_detail(Instruction.objects.get(code="I1"), D(2020, 1, 1))
    assert [h["to"] for h in detail["status_history"]] == ["in_progress", "executed", "in_progress", "removed"]
    assert detail["execution_reports"][0]["attachment_name"] == "report.pdf"
    assert len(detail["execution_reports"][0]["attachment_sha256"]) == 64
    assert AuditRecord.objects.filter(action="governance.status", object_id="I1").count() == 4


def test_extension_changes_the_effective_deadline(world, meeting):
    ins = issue(world, meeting, "I1", D(2019, 12, 31))
    with pytest.raises(GovernanceError, match="act or decision"):
        services.extend_deadline(ins, D(2020, 6, 30), "Budget", D(2019, 12, 20))
    with pytest.raises(ValidationError):
        services.extend_deadline(ins, D(2019, 12, 1), "Earlier", D(2019, 12, 20), decision="Minister")
    services.extend_deadline(ins, D(2020, 6, 30), "Budget not yet allocated", D(2019, 12, 20),
                             legal_act=LegalActFactory(kind="protocol"))
    ins.refresh_from_db()
    assert ins.deadline == D(2020, 6, 30) and ins.initial_deadline == D(2019, 12, 31)
    assert not ins.is_overdue(D(2020, 3, 1))
    assert ins.is_overdue(D(2020, 7, 1))
    assert ins.is_overdue(D(2020, 1, 1)) is False   # the extension was granted before the old deadline passed
    assert ins.is_overdue(D(2019, 12, 19)) is False
    d = selectors.instruction_detail(ins, D(2020, 3, 1))
    assert d["extended"] and d["extensions"][0]["old_deadline"] == "2019-12-31"


def test_issue_rules(world, meeting):
    with pytest.raises(ValidationError, match="responsible"):
        issue(world, meeting, "X", D(2020, 1, 1), responsible=world.SCH1)
    with pytest.raises(ValidationError, match="deadline"):
        issue(world, meeting, "X", D(2019, 1, 1))
    with pytest.raises(GovernanceError, match="co-executor"):
        issue(world, meeting, "X", D(2020, 1, 1), co_executors=[world.UO75])
    assert not Instruction.objects.exists()


def test_control_summary_by_body_and_on_time_rate(world, meeting):
    a = issue(world, meeting, "A", D(2019, 12, 1))
    report(a, D(2019, 11, 1))
    services.change_status(a, Status.EXECUTED, D(2019, 11, 2))       # on time
    b = issue(world, meeting, "B", D(2019, 12, 1))                      # overdue on the control date
    issue(world, meeting, "C", D(2021, 1, 1))                           # not yet due
    d = issue(world, meeting, "D", D(2019, 10, 1), responsible=world.UO19, co_executors=[world.UO75])
    report(d, D(2019, 9, 20))
    services.change_status(d, Status.EXECUTED, D(2019, 10, 15))         # late
    s = selectors.control_summary(D(2020, 1, 1))
    assert s["totals"]["total"] == 4 and s["totals"]["overdue"] == 1
    assert s["totals"]["on_time_rate"] == pytest.approx(33.3)           # 1 on time of 3 that came due
    rows = {r["body"]["code"]: r for r in s["by_body"]}
    assert rows["UO75"]["new"] == 2 and rows["UO75"]["executed"] == 1 and rows["UO75"]["on_time_rate"] == 50.0
    assert rows["UO19"]["executed_late"] == 1 and rows["UO19"]["on_time_rate"] == 0.0
    assert [o["code"] for o in s["overdue"]] == [b.code] and s["overdue"][0]["days_overdue"] == 31
    only = selectors.control_summary(D(2020, 1, 1), responsible="UO19")
    assert only["totals"]["total"] == 1


def test_meeting_detail(world, meeting):
    issue(world, meeting, "I1", D(2020, 1, 1), proposal=meeting.proposals.get())
    d = selectors.meeting_detail(meeting, D(2019, 9, 6))
    assert d["title"] and d["sections"] == ["Preschool"]
    assert [p["role"] for p in d["participants"]] == ["chair", "member"]
    assert d["reports"][0]["body"]["code"] == "UO75" and d["reports"][0]["agenda_item"] == 1
    assert d["proposals"][0]["instructions"] == ["I1"]
    assert d["instructions"][0]["code"] == "I1"
    assert selectors.meeting_list()[0]["instructions"] == 1


def test_indicator_trend_uses_the_given_compute(world, meeting):
    ins = issue(world, meeting, "I1", D(2022, 1, 1), org_unit=world.KZ_19,
                indicator_codes=["SHIFT3_PCT", "GER_ISCED1"])
    calls = []

    def compute(codes, ou, periods):
        calls.append((list(codes), ou, list(periods)))
        return {"SHIFT3_PCT": {"2018S": 4.0, "2019S": 3.5, "2020S": None, "2021S": 2.0},
                "GER_ISCED1": {}}

    trend = selectors.indicator_trend(ins, compute, day=D(2022, 3, 1))
    assert calls == [(["SHIFT3_PCT", "GER_ISCED1"], "KZ-19", ["2018S", "2019S", "2020S", "2021S"])]
    assert trend[0]["baseline"] == {"period": "2018S", "value": 4.0}
    assert trend[0]["latest"] == {"period": "2021S", "value": 2.0}
    assert trend[0]["change"] == -2.0
    assert trend[1]["change"] is None and trend[1]["baseline"] is None
    assert selectors.school_years_between(D(2019, 10, 1), D(2019, 10, 1)) == ["2019S"]
