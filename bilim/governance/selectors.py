"""Reads for meetings and the control dashboard; every function returns plain data for pages and the API.

`day` is the control date (default today): overdue and on-time are computed for it.

On-time rate = instructions executed by their deadline in force ÷ instructions that have come due
(executed, or still open past their deadline). Removed instructions and open ones not yet due are
left out: they say nothing yet about discipline.

Scope: every read takes the `user` asking (None: the server itself — the CLI, the seeders — which
sees everything). A user sees the records that concern their subtree of the hierarchy (today's,
`bilim.accounts.permissions.scoped_unit_ids`):

* an instruction when its responsible body, one of its co-executors or its org unit (where its
  indicators are measured) lies in the scope;
* a meeting when its organizer, a participating body, a reporting body or a proposing body lies in
  the scope, or when it issued an instruction the user sees; its detail lists only those instructions.

National accounts (empty scope) see everything; a record tied only to national units (the ministry,
the republic) is therefore seen by national accounts only. An account whose role may not read
`governance` sees nothing. Writes (`governance.services`, given a `user`) need the `governance`
write capability and the instruction's responsible body (a meeting's organizer) in the scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bilim.accounts.permissions import (
    WRITE,
    family_scope,
    require_capability,
    scoped_unit_ids,
)
from bilim.authority.selectors import act_ref, unit_ref
from bilim.registry.models import OrgUnit

from .models import OPEN_STATUSES, SYSTEM_NOTES, Instruction, Meeting, Participant, Proposal, Report, Status

# compute(indicator_codes, org_unit_code, periods) -> {code: {period: value or None}}
TrendCompute = Callable[[Sequence[str], str, Sequence[str]], dict[str, dict[str, float | None]]]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# --- scope -----------------------------------------------------------------------------------------

def _scope(user) -> frozenset[int] | None:
    """The unit ids `user` may see governance records for; None: no restriction."""
    return family_scope(user, "governance")


def visible_instruction_ids(user) -> set[int] | None:
    """Ids of the instructions `user` sees (responsible, a co-executor or the org unit in scope); None: all."""
    ids = _scope(user)
    if ids is None:
        return None
    out = {pk for pk, resp, unit in Instruction.objects.values_list("pk", "responsible_id", "org_unit_id")
           if resp in ids or unit in ids}
    out |= {ins for ins, unit in Instruction.co_executors.through.objects.values_list("instruction_id", "orgunit_id")
            if unit in ids}
    return out


def visible_meeting_ids(user) -> set[int] | None:
    """Ids of the meetings `user` sees (organizer, participant, speaker's or proposer's body in scope, or
    an instruction the user sees); None: all."""
    ids = _scope(user)
    if ids is None:
        return None
    out = {pk for pk, org in Meeting.objects.values_list("pk", "organizer_id") if org in ids}
    for model, field in ((Participant, "body_id"), (Report, "body_id"), (Proposal, "proposed_by_id")):
        out |= {m for m, unit in model.objects.values_list("meeting_id", field) if unit in ids}
    out |= set(Instruction.objects.filter(pk__in=visible_instruction_ids(user), meeting__isnull=False)
               .values_list("meeting_id", flat=True))
    return out


def instructions_for(user, qs: QuerySet[Instruction] | None = None) -> QuerySet[Instruction]:
    """`qs` (default every instruction) restricted to what `user` sees."""
    qs = Instruction.objects.all() if qs is None else qs
    visible = visible_instruction_ids(user)
    return qs if visible is None else qs.filter(pk__in=visible)


def meetings_for(user, qs: QuerySet[Meeting] | None = None) -> QuerySet[Meeting]:
    """`qs` (default every meeting) restricted to what `user` sees."""
    qs = Meeting.objects.all() if qs is None else qs
    visible = visible_meeting_ids(user)
    return qs if visible is None else qs.filter(pk__in=visible)


def can_read_instruction(user, ins: Instruction) -> bool:
    ids = _scope(user)
    if ids is None:
        return True
    return (ins.responsible_id in ids or ins.org_unit_id in ids
            or any(c.pk in ids for c in ins.co_executors.all()))


def can_read_meeting(user, m: Meeting) -> bool:
    visible = visible_meeting_ids(user)
    return visible is None or m.pk in visible


def require_instruction_write(user, ins: Instruction) -> None:
    """Raise PermissionDenied unless `user` (None: the server) may change `ins`: the governance write
    capability and the responsible body in scope."""
    require_write(user, ins.code, ins.responsible)


def require_meeting_write(user, m: Meeting) -> None:
    """Raise PermissionDenied unless `user` (None: the server) may change `m`: the governance write
    capability and the organizer in scope."""
    require_write(user, m.code, m.organizer)


def require_write(user, code: str, unit: OrgUnit) -> None:
    """Raise PermissionDenied unless `user` (None: the server) may write governance records tied to `unit`
    (`code` names the record in the message)."""
    if user is None:
        return
    require_capability(user, "governance", WRITE)
    ids = scoped_unit_ids(user)
    if ids is not None and unit.pk not in ids:
        raise PermissionDenied(_("You may not change %(code)s: %(unit)s lies outside your scope.")
                               % {"code": code, "unit": unit.code})


def meeting_list(user=None) -> list[dict[str, Any]]:
    """The meetings `user` sees; `instructions` counts the instructions of each that `user` sees."""
    visible = visible_instruction_ids(user)
    out = []
    for m in meetings_for(user, Meeting.objects.select_related("organizer").prefetch_related("instructions")):
        out.append({"code": m.code, "kind": m.kind, "kind_label": str(m.get_kind_display()),
                    "date": m.date.isoformat(), "title": m.title, "venue": m.venue,
                    "organizer": unit_ref(m.organizer, m.date),  # under its name of the meeting's day "chair": m.chair_name,
                    "participants": m.participants.count(),
                    "instructions": sum(1 for i in m.instructions.all() if visible is None or i.pk in visible)})
    return out


def get_meeting(code: str, user=None) -> Meeting:
    """The meeting `code` (Meeting.DoesNotExist if none); PermissionDenied when `user` may not see it."""
    m = Meeting.objects.select_related("organizer", "protocol").get(code=code)
    if not can_read_meeting(user, m):
        raise PermissionDenied(_("The meeting %(code)s lies outside your scope.") % {"code": code})
    return m


def meeting_detail(m: Meeting, day: dt.date | None = None, user=None) -> dict[str, Any]:
    """A meeting with participants, agenda (plenary and sections), reports, proposals and the
    instructions `user` sees (proposals name only those too)."""
    day = day or dt.date.today()
    visible = visible_instruction_ids(user)

    def shown(i: Instruction) -> bool:
        return visible is None or i.pk in visible
    agenda = [{"order": a.order, "part": a.part, "section": a.section, "title": a.title}
              for a in m.agenda.all()]
    reports = [{"order": r.order, "speaker": r.speaker, "body": unit_ref(r.body, m.date), "topic": r.topic,
                "summary": r.summary, "agenda_item": r.agenda_item.order if r.agenda_item else None}
               for r in m.reports.select_related("body", "agenda_item")]
    proposals = [{"id": p.pk, "order": p.order, "text": p.text, "proposed_by": unit_ref(p.proposed_by, m.date),
                  "instructions": [i.code for i in p.instructions.all() if shown(i)]}
                 for p in m.proposals.select_related("proposed_by").prefetch_related("instructions")]
    return {
        "code": m.code, "kind": m.kind, "kind_label": str(m.get_kind_display()), "date": m.date.isoformat(),
        "title": m.title, "venue": m.venue, "summary": m.summary,
        "organizer": unit_ref(m.organizer, m.date),  # under its name of the meeting's day
        "chair": {"name": m.chair_name, "position": m.chair_position},
        "protocol": act_ref(m.protocol),
        "participants": [{"body": unit_ref(p.body, m.date), "representative": p.representative, "position": p.position,
                          "role": p.role} for p in m.participants.select_related("body")],
        "agenda": agenda,
        "sections": sorted({a["section"] for a in agenda if a["part"] == "section" and a["section"]}),
        "reports": reports,
        "proposals": proposals,
        "instructions": [instruction_dict(i, day) for i in instructions_for(user, _instructions().filter(meeting=m))],
    }


def _instructions() -> QuerySet[Instruction]:
    return (Instruction.objects.select_related("responsible", "meeting", "org_unit")
            .prefetch_related("co_executors", "status_changes", "extensions"))


def instruction_dict(i: Instruction, day: dt.date) -> dict[str, Any]:
    """An instruction as it stood on `day`: status, deadline in force and overdue are those of that day."""
    status, deadline, closed = i.state_on(day)
    overdue = status in OPEN_STATUSES and deadline < day
    return {
        "code": i.code, "number": i.number, "text": i.text, "source": i.source, "source_title": i.source_title,
        "meeting": {"code": i.meeting.code, "date": i.meeting.date.isoformat(), "title": i.meeting.title}
        if i.meeting else None,
        "issued_on": i.issued_on.isoformat(),
        "responsible": unit_ref(i.responsible),
        "co_executors": [unit_ref(c) for c in i.co_executors.all()],
        "initial_deadline": i.initial_deadline.isoformat(), "deadline": deadline.isoformat(),
        "extended": deadline != i.initial_deadline,
        "control_level": i.control_level, "status": status, "status_label": str(Status(status).label),
        "closed_on": _iso(closed),
        "overdue": overdue, "days_overdue": (day - deadline).days if overdue else 0,
        "executed_on_time": (closed <= deadline) if status == Status.EXECUTED and closed else None,
        "org_unit": unit_ref(i.org_unit), "indicator_codes": list(i.indicator_codes),
    }


def instruction_list(day: dt.date | None = None, status: str | None = None, responsible: str | None = None,
                     overdue: bool | None = None, meeting: str | None = None, user=None) -> list[dict[str, Any]]:
    """Instructions `user` sees as they stood on `day` (default today), filtered by status on that day,
    responsible body code, overdue on that day and meeting code. Instructions issued after `day` are left out."""
    day = day or dt.date.today()
    qs = instructions_for(user, _instructions().filter(issued_on__lte=day))
    if responsible:
        qs = qs.filter(responsible__code=responsible)
    if meeting:
        qs = qs.filter(meeting__code=meeting)
    rows = [instruction_dict(i, day) for i in qs]
    if status:
        rows = [r for r in rows if r["status"] == status]
    if overdue is not None:
        rows = [r for r in rows if r["overdue"] is overdue]
    return rows


def get_instruction(code: str, user=None) -> Instruction:
    """The instruction `code` (Instruction.DoesNotExist if none); PermissionDenied when `user` may not see it."""
    ins = _instructions().get(code=code)
    if not can_read_instruction(user, ins):
        raise PermissionDenied(_("The instruction %(code)s lies outside your scope.") % {"code": code})
    return ins


def instruction_detail(i: Instruction, day: dt.date | None = None) -> dict[str, Any]:
    """One instruction with its proposal, status history, extensions and execution reports."""
    day = day or dt.date.today()
    d = instruction_dict(i, day)
    d["proposal"] = {"id": i.proposal.pk, "text": i.proposal.text} if i.proposal else None
    d["status_history"] = [{"date": c.date.isoformat(), "from": c.from_status, "to": c.to_status,
                            "note": _(c.note) if c.note in SYSTEM_NOTES else c.note}
                           for c in i.status_changes.all()]
    d["extensions"] = [{"date": e.date.isoformat(), "old_deadline": e.old_deadline.isoformat(),
                        "new_deadline": e.new_deadline.isoformat(), "reason": e.reason, "decision": e.decision,
                        "act": act_ref(e.legal_act)} for e in i.extensions.select_related("legal_act")]
    d["execution_reports"] = [{"date": r.date.isoformat(), "body": unit_ref(r.body), "text": r.text,
                               "attachment_name": r.attachment_name, "attachment_sha256": r.attachment_sha256}
                              for r in i.execution_reports.select_related("body")]
    return d


def _rate(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def control_summary(day: dt.date | None = None, responsible: str | None = None,
                    meeting: str | None = None, user=None) -> dict[str, Any]:
    """The control dashboard over the instructions `user` sees: counts by responsible body and status,
    on-time rate, the overdue list."""
    day = day or dt.date.today()
    qs = instructions_for(user, _instructions().filter(issued_on__lte=day))
    if responsible:
        qs = qs.filter(responsible__code=responsible)
    if meeting:
        qs = qs.filter(meeting__code=meeting)
    blank = {"total": 0, Status.NEW.value: 0, Status.IN_PROGRESS.value: 0, Status.EXECUTED.value: 0,
             Status.REMOVED.value: 0, "overdue": 0, "executed_on_time": 0, "executed_late": 0}
    by_body: dict[int, dict[str, Any]] = {}
    totals = dict(blank)
    overdue_list = []
    for i in qs:
        d = instruction_dict(i, day)
        row = by_body.setdefault(i.responsible_id, {"body": unit_ref(i.responsible), **blank})
        for target in (row, totals):
            target["total"] += 1
            target[d["status"]] += 1
            target["overdue"] += d["overdue"]
            if d["executed_on_time"] is True:
                target["executed_on_time"] += 1
            elif d["executed_on_time"] is False:
                target["executed_late"] += 1
        if d["overdue"]:
            overdue_list.append(d)
    for target in (*by_body.values(), totals):
        target["on_time_rate"] = _rate(target["executed_on_time"], target["executed"] + target["overdue"])
    overdue_list.sort(key=lambda d: (-d["days_overdue"], d["code"]))
    rows = sorted(by_body.values(), key=lambda r: (-r["overdue"], r["body"]["code"]))
    return {"date": day.isoformat(), "totals": totals, "by_body": rows, "overdue": overdue_list}


def school_years_between(start: dt.date, end: dt.date) -> list[str]:
    """School-year periods ('2019S') whose census (1 October) falls in [the last one before `start`, `end`].

    The first is the baseline: the latest figure known when the decision was taken.
    """
    first = start.year if start >= dt.date(start.year, 10, 1) else start.year - 1
    last = end.year if end >= dt.date(end.year, 10, 1) else end.year - 1
    if first > last:
        return [f"{first}S"]
    return [f"{y}S" for y in range(first, last + 1)]


def indicator_trend(instruction: Instruction, compute: TrendCompute, day: dt.date | None = None,
                    periods: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """How each linked indicator has moved since the decision, at the instruction's org unit.

    `compute(codes, org_unit_code, periods)` returns {code: {period: value}}; the analytics engine
    supplies it (tests pass a stub). Periods default to school years from the baseline to `day`.
    """
    day = day or dt.date.today()
    codes = list(instruction.indicator_codes)
    if not codes or instruction.org_unit is None:
        return []
    periods = list(periods) if periods is not None else school_years_between(instruction.issued_on, day)
    values = compute(codes, instruction.org_unit.code, periods) or {}
    out = []
    for code in codes:
        series = [{"period": p, "value": (values.get(code) or {}).get(p)} for p in periods]
        known = [s for s in series if s["value"] is not None]
        baseline = known[0] if known else None
        latest = known[-1] if known else None
        change = (latest["value"] - baseline["value"]) if baseline and latest and latest is not baseline else None
        out.append({"code": code, "org_unit": instruction.org_unit.code, "series": series,
                    "baseline": baseline, "latest": latest, "change": change})
    return out


def bodies_with_instructions(user=None) -> list[dict[str, Any]]:
    """Responsible bodies in `user`'s scope with an instruction `user` sees (for a filter drop-down)."""
    ids = set(instructions_for(user).values_list("responsible_id", flat=True))
    scope = _scope(user)
    if scope is not None:
        ids &= scope
    return [unit_ref(u) for u in OrgUnit.objects.filter(pk__in=ids).order_by("code")]


def linked_projects(ins: Instruction, user=None) -> list:
    """The capital projects carrying out `ins` that `user` sees (Project objects, by code)."""
    from bilim.projects.selectors import projects_for

    return list(projects_for(user, ins.projects.all()).order_by("code"))

