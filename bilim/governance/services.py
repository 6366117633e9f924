"""Writes for meetings and instruction control; each is one transaction with its audit record.

Rules kept here:
- status moves only along `models.TRANSITIONS`; executing needs at least one execution report;
  returning an executed instruction for rework and removing one from control need a reason;
- a status change may not be dated before the decision or before the previous change;
- an extension moves the deadline in force later, keeps the old one, and needs a reason;
- the first execution report on a new instruction puts it in progress.

Scope: every write takes an optional `user`. Given one, it needs the `governance` write capability
and the record in the user's scope — the organizer for a meeting and what is added to it, the
responsible body for an instruction (and the meeting's organizer when it is issued at a meeting);
otherwise PermissionDenied and nothing is written. Without a user (the CLI, the seeders) the write
runs with the server's rights, as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bilim.audit import services as audit
from bilim.registry.models import LegalAct, OrgUnit

from . import selectors
from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    AgendaItem,
    ExecutionReport,
    Extension,
    Instruction,
    Meeting,
    Participant,
    Proposal,
    Report,
    Status,
    StatusChange,
)


class GovernanceError(ValidationError):
    """A change that would break the control rules; the message says which and why."""


@transaction.atomic
def create_meeting(code: str, kind: str, date: dt.date, organizer: OrgUnit, title_kk: str, actor: str = "",
                   user: Any = None, **fields: Any) -> Meeting:
    """Register a meeting; `fields` are the other Meeting fields (title_ru, venue_en, chair_name, protocol...)."""
    selectors.require_write(user, code, organizer)
    if Meeting.objects.filter(code=code).exists():
        raise GovernanceError(f"Meeting {code} already exists")
    m = Meeting(code=code, kind=kind, date=date, organizer=organizer, title_kk=title_kk, **fields)
    m.full_clean()
    m.save()
    audit.record(actor, "governance.create_meeting", "Meeting", code, None,
                 {"kind": kind, "date": date.isoformat(), "organizer": organizer.code})
    return m


@transaction.atomic
def add_participant(meeting: Meeting, body: OrgUnit | None = None, representative: str = "", role: str = "member",
                    actor: str = "", user: Any = None, **fields: Any) -> Participant:
    selectors.require_meeting_write(user, meeting)
    if body is None and not representative:
        raise GovernanceError("A participant is a body, a person, or both")
    p = Participant(meeting=meeting, body=body, representative=representative, role=role, **fields)
    p.full_clean()
    p.save()
    audit.record(actor, "governance.add_participant", "Meeting", meeting.code, None,
                 {"body": body.code if body else None, "representative": representative, "role": role})
    return p


@transaction.atomic
def add_agenda_item(meeting: Meeting, order: int, title_kk: str, part: str = AgendaItem.Part.PLENARY,
                    actor: str = "", user: Any = None, **fields: Any) -> AgendaItem:
    selectors.require_meeting_write(user, meeting)
    item = AgendaItem(meeting=meeting, order=order, title_kk=title_kk, part=part, **fields)
    item.full_clean()
    item.save()
    audit.record(actor, "governance.add_agenda_item", "Meeting", meeting.code, None, {"order": order, "part": part})
    return item


@transaction.atomic
def add_report(meeting: Meeting, topic_kk: str, speaker: str = "", body: OrgUnit | None = None,
               agenda_item: AgendaItem | None = None, actor: str = "", user: Any = None, **fields: Any) -> Report:
    selectors.require_meeting_write(user, meeting)
    if agenda_item is not None and agenda_item.meeting.pk != meeting.pk:
        raise GovernanceError("The agenda item belongs to another meeting")
    r = Report(meeting=meeting, topic_kk=topic_kk, speaker=speaker, body=body, agenda_item=agenda_item, **fields)
    r.full_clean()
    r.save()
    audit.record(actor, "governance.add_report", "Meeting", meeting.code, None,
                 {"speaker": speaker, "body": body.code if body else None, "topic": r.topic})
    return r


@transaction.atomic
def add_proposal(meeting: Meeting, text_kk: str, proposed_by: OrgUnit | None = None, report: Report | None = None,
                 actor: str = "", user: Any = None, **fields: Any) -> Proposal:
    selectors.require_meeting_write(user, meeting)
    if report is not None and report.meeting.pk != meeting.pk:
        raise GovernanceError("The report belongs to another meeting")
    p = Proposal(meeting=meeting, text_kk=text_kk, proposed_by=proposed_by, report=report, **fields)
    p.full_clean()
    p.save()
    audit.record(actor, "governance.add_proposal", "Meeting", meeting.code, None, {"text": p.text[:200]})
    return p


@transaction.atomic
def issue_instruction(code: str, text_kk: str, responsible: OrgUnit, deadline: dt.date, issued_on: dt.date | None = None,
                      meeting: Meeting | None = None, proposal: Proposal | None = None,
                      co_executors: Sequence[OrgUnit] = (), indicator_codes: Sequence[str] = (),
                      actor: str = "", user: Any = None, **fields: Any) -> Instruction:
    """Record a protocol item (or an instruction from an Address or programme) with status `new`."""
    selectors.require_write(user, code, responsible)
    if meeting is not None:
        selectors.require_meeting_write(user, meeting)
    if Instruction.objects.filter(code=code).exists():
        raise GovernanceError(f"Instruction {code} already exists")
    if proposal is not None and meeting is not None and proposal.meeting.pk != meeting.pk:
        raise GovernanceError("The proposal was raised at another meeting")
    if issued_on is None:
        if meeting is None:
            raise GovernanceError("Give the date of the decision (issued_on)")
        issued_on = meeting.date
    if meeting is not None and issued_on < meeting.date:
        raise GovernanceError("An instruction cannot be issued before its meeting")
    ins = Instruction(code=code, text_kk=text_kk, responsible=responsible, initial_deadline=deadline,
                      deadline=deadline, issued_on=issued_on, meeting=meeting, proposal=proposal,
                      indicator_codes=list(indicator_codes), **fields)
    ins.full_clean()
    ins.save()
    co = list(co_executors)
    if any(c.pk == responsible.pk for c in co):
        raise GovernanceError("The responsible executor cannot also be a co-executor")
    ins.co_executors.set(co)
    audit.record(actor, "governance.issue_instruction", "Instruction", code, None, {
        "responsible": responsible.code, "deadline": deadline.isoformat(), "issued_on": issued_on.isoformat(),
        "co_executors": [c.code for c in co], "indicators": list(indicator_codes)})
    return ins


@transaction.atomic
def change_status(ins: Instruction, to: str, date: dt.date, note: str = "", actor: str = "",
                  user: Any = None) -> StatusChange:
    """Move an instruction along the workflow; the date is when it happened (not when it was recorded)."""
    ins = Instruction.objects.select_for_update().get(pk=ins.pk)
    selectors.require_instruction_write(user, ins)
    frm = ins.status
    if to not in TRANSITIONS.get(frm, set()):
        allowed = ", ".join(sorted(TRANSITIONS.get(frm, set()))) or "none (final)"
        raise GovernanceError(f"{ins.code}: cannot go from '{frm}' to '{to}'; allowed: {allowed}")
    if date < ins.issued_on:
        raise GovernanceError(f"{ins.code}: a status change cannot precede the decision of {ins.issued_on}")
    last = StatusChange.objects.filter(instruction=ins).order_by("-date", "-id").first()
    if last is not None and date < last.date:
        raise GovernanceError(f"{ins.code}: the last status change is dated {last.date}; record changes in order")
    if to == Status.EXECUTED and not ExecutionReport.objects.filter(instruction=ins, date__lte=date).exists():
        raise GovernanceError(f"{ins.code}: an instruction is executed on the strength of an execution report; "
                              "add one first")
    if (to == Status.REMOVED or frm == Status.EXECUTED) and not note.strip():
        raise GovernanceError(f"{ins.code}: give the reason for '{to}'")
    ins.status = to
    ins.closed_on = date if to in (Status.EXECUTED, Status.REMOVED) else None
    ins.save(update_fields=["status", "closed_on"])
    change = StatusChange.objects.create(instruction=ins, from_status=frm, to_status=to, date=date, note=note,
                                         recorded_by=actor)
    audit.record(actor, "governance.status", "Instruction", ins.code, {"status": frm},
                 {"status": to, "date": date.isoformat(), "note": note})
    return change


@transaction.atomic
def extend_deadline(ins: Instruction, new_deadline: dt.date, reason: str, date: dt.date,
                    legal_act: LegalAct | None = None, decision: str = "", actor: str = "",
                    user: Any = None) -> Extension:
    """Move the deadline in force later; the original and every step stay on record."""
    ins = Instruction.objects.select_for_update().get(pk=ins.pk)
    selectors.require_instruction_write(user, ins)
    if ins.status not in OPEN_STATUSES:
        raise GovernanceError(f"{ins.code} is {ins.status}; only an open instruction can be extended")
    if legal_act is None and not decision.strip():
        raise GovernanceError(f"{ins.code}: name the act or decision that allows the extension")
    ext = Extension(instruction=ins, date=date, old_deadline=ins.deadline, new_deadline=new_deadline, reason=reason,
                    legal_act=legal_act, decision=decision, recorded_by=actor)
    ext.full_clean()
    ext.save()
    old = ins.deadline
    ins.deadline = new_deadline
    ins.save(update_fields=["deadline"])
    audit.record(actor, "governance.extend", "Instruction", ins.code, {"deadline": old.isoformat()},
                 {"deadline": new_deadline.isoformat(), "reason": reason})
    return ext


@transaction.atomic
def add_execution_report(ins: Instruction, date: dt.date, text: str, body: OrgUnit | None = None,
                         attachment_name: str = "", attachment: bytes | None = None,
                         actor: str = "", user: Any = None) -> ExecutionReport:
    """Record what the executor has done; the first report on a new instruction puts it in progress."""
    ins = Instruction.objects.select_for_update().get(pk=ins.pk)
    selectors.require_instruction_write(user, ins)
    if ins.status == Status.REMOVED:
        raise GovernanceError(f"{ins.code} has been removed from control")
    if date < ins.issued_on:
        raise GovernanceError(f"{ins.code}: a report cannot precede the decision of {ins.issued_on}")
    if not text.strip():
        raise GovernanceError("An execution report needs text")
    digest = hashlib.sha256(attachment).hexdigest() if attachment is not None else ""
    rep = ExecutionReport(instruction=ins, date=date, body=body or ins.responsible, text=text,
                          attachment_name=attachment_name, attachment_sha256=digest, recorded_by=actor)
    rep.full_clean()
    rep.save()
    audit.record(actor, "governance.execution_report", "Instruction", ins.code, None,
                 {"date": date.isoformat(), "attachment": attachment_name, "sha256": digest})
    if ins.status == Status.NEW:
        change_status(ins, Status.IN_PROGRESS, date, "Execution report received", actor)
    return rep
