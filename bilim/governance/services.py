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
from django.utils.translation import gettext as _

from bilim.audit import services as audit
from bilim.registry.models import LegalAct, OrgUnit

from . import selectors
from .models import (
    OPEN_STATUSES,
    REPORT_RECEIVED,
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


def _err(field: str, message: str) -> GovernanceError:
    """An error naming the field it is about (pages show it next to the field; the API names it)."""
    return GovernanceError({field: [message]})


def _label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


@transaction.atomic
def create_meeting(code: str, kind: str, date: dt.date, organizer: OrgUnit, title_kk: str, actor: str = "",
                   user: Any = None, **fields: Any) -> Meeting:
    """Register a meeting; `fields` are the other Meeting fields (title_ru, venue_en, chair_name, protocol...)."""
    selectors.require_write(user, code, organizer)
    if Meeting.objects.filter(code=code).exists():
        raise _err("code", _("Meeting %(code)s already exists.") % {"code": code})
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
    if body is None and not representative and not any(fields.get(f"position_{c}") for c in ("kk", "ru", "en")):
        # a group named by its position only ("Representatives of international organizations") is a participant
        raise _err("body", _("A participant is a body, a person, or both."))
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
        raise _err("agenda_item", _("The agenda item belongs to another meeting."))
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
        raise _err("report", _("The report belongs to another meeting."))
    p = Proposal(meeting=meeting, text_kk=text_kk, proposed_by=proposed_by, report=report, **fields)
    p.full_clean()
    p.save()
    audit.record(actor, "governance.add_proposal", "Meeting", meeting.code, None, {"text": p.text[:200]})
    return p


@transaction.atomic
def issue_instruction(code: str, text_kk: str, responsible: OrgUnit, deadline: dt.date, issued_on: dt.date | None = None,
                      meeting: Meeting | None = None, proposal: Proposal | None = None,
                      co_executors: Sequence[OrgUnit] = (), indicator_codes: Sequence[str] = (),
                      projects: Sequence[Any] = (), actor: str = "", user: Any = None, **fields: Any) -> Instruction:
    """Record a protocol item (or an instruction from an Address or programme) with status `new`."""
    selectors.require_write(user, code, responsible)
    if meeting is not None:
        selectors.require_meeting_write(user, meeting)
    if Instruction.objects.filter(code=code).exists():
        raise _err("code", _("Instruction %(code)s already exists.") % {"code": code})
    if proposal is not None and meeting is not None and proposal.meeting.pk != meeting.pk:
        raise _err("proposal", _("The proposal was raised at another meeting."))
    if issued_on is None:
        if meeting is None:
            raise _err("issued_on", _("Give the date of the decision."))
        issued_on = meeting.date
    if meeting is not None and issued_on < meeting.date:
        raise _err("issued_on", _("An instruction cannot be issued before its meeting."))
    ins = Instruction(code=code, text_kk=text_kk, responsible=responsible, initial_deadline=deadline,
                      deadline=deadline, issued_on=issued_on, meeting=meeting, proposal=proposal,
                      indicator_codes=list(indicator_codes), **fields)
    ins.full_clean()
    ins.save()
    co = list(co_executors)
    if any(c.pk == responsible.pk for c in co):
        raise _err("co_executors", _("The responsible executor cannot also be a co-executor."))
    ins.co_executors.set(co)
    linked = link_projects(ins, projects, user=user) if projects else []
    audit.record(actor, "governance.issue_instruction", "Instruction", code, None, {
        "responsible": responsible.code, "deadline": deadline.isoformat(), "issued_on": issued_on.isoformat(),
        "co_executors": [c.code for c in co], "indicators": list(indicator_codes), "projects": linked})
    return ins


@transaction.atomic
def change_status(ins: Instruction, to: str, date: dt.date, note: str = "", actor: str = "",
                  user: Any = None) -> StatusChange:
    """Move an instruction along the workflow; the date is when it happened (not when it was recorded)."""
    ins = Instruction.objects.select_for_update().get(pk=ins.pk)
    selectors.require_instruction_write(user, ins)
    frm = ins.status
    if to not in TRANSITIONS.get(frm, set()):
        allowed = ", ".join(_label(s) for s in sorted(TRANSITIONS.get(frm, set()))) or _("none (final)")
        raise _err("status", _("%(code)s: cannot go from '%(frm)s' to '%(to)s'; allowed: %(allowed)s")
                   % {"code": ins.code, "frm": _label(frm), "to": _label(to), "allowed": allowed})
    if date < ins.issued_on:
        raise _err("date", _("%(code)s: a status change cannot precede the decision of %(day)s")
                   % {"code": ins.code, "day": ins.issued_on.isoformat()})
    last = StatusChange.objects.filter(instruction=ins).order_by("-date", "-id").first()
    if last is not None and date < last.date:
        raise _err("date", _("%(code)s: the last status change is dated %(day)s; record changes in order")
                   % {"code": ins.code, "day": last.date.isoformat()})
    if to == Status.EXECUTED and not ExecutionReport.objects.filter(instruction=ins, date__lte=date).exists():
        raise _err("status", _("%(code)s: an instruction is executed on the strength of an execution report; "
                               "add one first") % {"code": ins.code})
    if (to == Status.REMOVED or frm == Status.EXECUTED) and not note.strip():
        raise _err("note", _("%(code)s: give the reason for '%(to)s'") % {"code": ins.code, "to": _label(to)})
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
        raise _err("new_deadline", _("%(code)s is %(status)s; only an open instruction can be extended")
                   % {"code": ins.code, "status": _label(ins.status)})
    if legal_act is None and not decision.strip():
        raise _err("decision", _("%(code)s: name the act or decision that allows the extension") % {"code": ins.code})
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
        raise _err("instruction", _("%(code)s has been removed from control") % {"code": ins.code})
    if date < ins.issued_on:
        raise _err("date", _("%(code)s: a report cannot precede the decision of %(day)s")
                   % {"code": ins.code, "day": ins.issued_on.isoformat()})
    if not text.strip():
        raise _err("text", _("An execution report needs text."))
    digest = hashlib.sha256(attachment).hexdigest() if attachment is not None else ""
    rep = ExecutionReport(instruction=ins, date=date, body=body or ins.responsible, text=text,
                          attachment_name=attachment_name, attachment_sha256=digest, recorded_by=actor)
    rep.full_clean()
    rep.save()
    audit.record(actor, "governance.execution_report", "Instruction", ins.code, None,
                 {"date": date.isoformat(), "attachment": attachment_name, "sha256": digest})
    if ins.status == Status.NEW:
        change_status(ins, Status.IN_PROGRESS, date, REPORT_RECEIVED, actor, user=user)
    return rep


# --- edits and deletions (the write pages and the API) ----------------------------------------------

MEETING_FIELDS = ("kind", "date", "organizer", "title_kk", "title_ru", "title_en", "venue_kk", "venue_ru", "venue_en",
                  "chair_name", "chair_position_kk", "chair_position_ru", "chair_position_en",
                  "summary_kk", "summary_ru", "summary_en", "protocol")
INSTRUCTION_FIELDS = ("number", "text_kk", "text_ru", "text_en", "responsible", "org_unit", "indicator_codes",
                      "control_level", "proposal")
ITEM_MODELS = {"participant": Participant, "agenda": AgendaItem, "report": Report, "proposal": Proposal}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, OrgUnit):
        return value.code
    if isinstance(value, LegalAct | Proposal):
        return value.pk
    return value


def _snapshot(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    return {f: _plain(getattr(obj, f)) for f in fields}


def check_indicators(codes: Sequence[str]) -> list[str]:
    """The codes, each checked against the indicator catalogue (an unknown one names the field)."""
    from bilim.analytics.catalogue import load_catalogue

    catalogue = load_catalogue()
    out = []
    for code in codes:
        code = str(code).strip()
        if not code:
            continue
        if code not in catalogue:
            raise _err("indicator_codes", _("Unknown indicator: %(code)s.") % {"code": code})
        out.append(code)
    return out


def _unchangeable(changes: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise _err(unknown[0], _("This field cannot be changed."))


@transaction.atomic
def update_meeting(meeting: Meeting, actor: str = "", user: Any = None, **changes: Any) -> Meeting:
    """Correct a meeting's record; a new organizer must be in the user's scope too, and the date may
    not move after an instruction it issued."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    selectors.require_meeting_write(user, meeting)
    _unchangeable(changes, MEETING_FIELDS)
    if "organizer" in changes:
        selectors.require_write(user, meeting.code, changes["organizer"])
    if "date" in changes and meeting.instructions.filter(issued_on__lt=changes["date"]).exists():
        raise _err("date", _("An instruction of this meeting was issued before that date."))
    before = _snapshot(meeting, MEETING_FIELDS)
    for k, v in changes.items():
        setattr(meeting, k, v)
    meeting.full_clean()
    meeting.save()
    audit.record(actor, "governance.update_meeting", "Meeting", meeting.code, before,
                 _snapshot(meeting, MEETING_FIELDS))
    return meeting


@transaction.atomic
def delete_meeting(meeting: Meeting, actor: str = "", user: Any = None) -> None:
    """Delete a meeting recorded by mistake, with its participants, agenda, reports and proposals; a
    meeting that issued instructions stays (delete or move those first): control rests on it."""
    selectors.require_meeting_write(user, meeting)
    if meeting.instructions.exists():
        raise _err("meeting", _("Meeting %(code)s issued instructions; it cannot be deleted.")
                   % {"code": meeting.code})
    code, before = meeting.code, _snapshot(meeting, MEETING_FIELDS)
    meeting.delete()
    audit.record(actor, "governance.delete_meeting", "Meeting", code, before, None)


def get_item(meeting: Meeting, kind: str, pk: int) -> Participant | AgendaItem | Report | Proposal:
    """A participant, agenda item, report or proposal of `meeting` (DoesNotExist if none)."""
    model = ITEM_MODELS.get(kind)
    if model is None:
        raise _err("kind", _("Unknown part of a meeting: %(kind)s.") % {"kind": kind})
    return model._default_manager.get(meeting=meeting, pk=pk)  # type: ignore[return-value]


@transaction.atomic
def delete_item(meeting: Meeting, kind: str, pk: int, actor: str = "", user: Any = None) -> None:
    """Remove a participant, agenda item, report or proposal from a meeting's record. A proposal
    that became instructions stays (they keep the link to what was proposed)."""
    selectors.require_meeting_write(user, meeting)
    item = get_item(meeting, kind, pk)
    if isinstance(item, Proposal) and item.instructions.exists():
        raise _err("proposal", _("This proposal became instructions; it cannot be deleted."))
    text = str(item)
    item.delete()
    audit.record(actor, f"governance.delete_{kind}", "Meeting", meeting.code, {"id": pk, "text": text[:200]}, None)


@transaction.atomic
def update_instruction(ins: Instruction, co_executors: Sequence[OrgUnit] | None = None,
                       projects: Sequence[Any] | None = None, actor: str = "", user: Any = None,
                       **changes: Any) -> Instruction:
    """Correct an instruction's text, responsible body, linked indicators or projects. The deadline
    moves only by `extend_deadline` and the status only by `change_status`, so their history stays."""
    ins = Instruction.objects.select_for_update().get(pk=ins.pk)
    selectors.require_instruction_write(user, ins)
    _unchangeable(changes, INSTRUCTION_FIELDS)
    if "responsible" in changes:
        selectors.require_write(user, ins.code, changes["responsible"])
    if "indicator_codes" in changes:
        changes["indicator_codes"] = check_indicators(changes["indicator_codes"] or [])
    if changes.get("proposal") is not None and changes["proposal"].meeting_id != ins.meeting_id:
        raise _err("proposal", _("The proposal was raised at another meeting."))
    before = _snapshot(ins, INSTRUCTION_FIELDS) | {"co_executors": sorted(c.code for c in ins.co_executors.all())}
    for k, v in changes.items():
        setattr(ins, k, v)
    ins.full_clean()
    ins.save()
    co = list(ins.co_executors.all()) if co_executors is None else list(co_executors)
    if any(c.pk == ins.responsible_id for c in co):
        raise _err("co_executors", _("The responsible executor cannot also be a co-executor."))
    ins.co_executors.set(co)
    after = _snapshot(ins, INSTRUCTION_FIELDS) | {"co_executors": sorted(c.code for c in co)}
    if projects is not None:
        after["projects"] = link_projects(ins, projects, user=user)
    audit.record(actor, "governance.update_instruction", "Instruction", ins.code, before, after)
    return ins


def link_projects(ins: Instruction, projects: Sequence[Any], user: Any = None) -> list[str]:
    """Make `projects` (those the user sees) the capital projects carrying out `ins`; call inside the
    caller's transaction (it audits). Returns their codes."""
    from bilim.projects.models import Project
    from bilim.projects.selectors import can_read_project

    for p in projects:
        if user is not None and not can_read_project(user, p):
            raise _err("projects", _("The project %(code)s lies outside your scope.") % {"code": p.code})
    Project.objects.filter(instruction=ins).exclude(pk__in=[p.pk for p in projects]).update(instruction=None)
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(instruction=ins)
    return sorted(p.code for p in projects)


@transaction.atomic
def delete_instruction(ins: Instruction, actor: str = "", user: Any = None) -> None:
    """Delete an instruction recorded by mistake: only while it is new, with no execution report or
    extension; an instruction under control is removed from control instead (`change_status`)."""
    ins = Instruction.objects.select_for_update().get(pk=ins.pk)
    selectors.require_instruction_write(user, ins)
    if ins.status != Status.NEW or ins.execution_reports.exists() or ins.extensions.exists():
        raise _err("status", _("%(code)s is under control; remove it from control instead of deleting it.")
                   % {"code": ins.code})
    code, before = ins.code, _snapshot(ins, INSTRUCTION_FIELDS)
    ins.delete()
    audit.record(actor, "governance.delete_instruction", "Instruction", code, before, None)
