"""Write operations of the governance API (mounted with the reads at /api/v1/governance/).

Thin over `governance.services` with `user=request.auth`, so the role and scope rules are the
services' (the same as the pages'); each call is one transaction with its audit record. Bad input is
a 400 naming the field (`bilim.api.errors`), an unknown meeting or instruction a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from bilim.api.errors import choice_field, field_errors, unit_field, unit_list
from bilim.registry.models import LegalAct

from . import selectors, services
from .models import AgendaItem, Instruction, Meeting, Participant, Proposal, Report, Status


class MeetingIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, description="Stable identifier, e.g. MES-2024-09-05")
    kind: str = Field(..., description="collegium, expanded_collegium or akimat_meeting")
    date: dt.date
    organizer: str = Field(..., description="Code of the authority holding the meeting")
    title_kk: str = Field(..., min_length=1, max_length=500)
    title_ru: str = Field("", max_length=500)
    title_en: str = Field("", max_length=500)
    venue_kk: str = Field("", max_length=255)
    venue_ru: str = Field("", max_length=255)
    venue_en: str = Field("", max_length=255)
    chair_name: str = Field("", max_length=255)
    summary_kk: str = ""
    summary_ru: str = ""
    summary_en: str = ""


class MeetingPatch(Schema):
    kind: str | None = None
    date: dt.date | None = None
    organizer: str | None = None
    title_kk: str | None = Field(None, min_length=1, max_length=500)
    title_ru: str | None = Field(None, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    venue_kk: str | None = Field(None, max_length=255)
    venue_ru: str | None = Field(None, max_length=255)
    venue_en: str | None = Field(None, max_length=255)
    chair_name: str | None = Field(None, max_length=255)
    summary_kk: str | None = None
    summary_ru: str | None = None
    summary_en: str | None = None


class ParticipantIn(Schema):
    body: str | None = Field(None, description="Code of the body taking part")
    representative: str = Field("", max_length=255)
    role: str = Field("member", description="chair, speaker, member or guest")
    position_kk: str = Field("", max_length=255)
    position_ru: str = Field("", max_length=255)
    position_en: str = Field("", max_length=255)


class AgendaIn(Schema):
    order: int = Field(..., ge=1, le=999)
    title_kk: str = Field(..., min_length=1, max_length=500)
    title_ru: str = Field("", max_length=500)
    title_en: str = Field("", max_length=500)
    part: str = Field("plenary", description="plenary or section")
    section_kk: str = Field("", max_length=255)
    section_ru: str = Field("", max_length=255)
    section_en: str = Field("", max_length=255)


class ReportIn(Schema):
    topic_kk: str = Field(..., min_length=1, max_length=500)
    topic_ru: str = Field("", max_length=500)
    topic_en: str = Field("", max_length=500)
    speaker: str = Field("", max_length=255)
    body: str | None = None
    agenda_order: int | None = Field(None, description="Order of the agenda item the report belongs to")
    summary_kk: str = ""
    summary_ru: str = ""
    summary_en: str = ""


class ProposalIn(Schema):
    text_kk: str = Field(..., min_length=1)
    text_ru: str = ""
    text_en: str = ""
    proposed_by: str | None = None
    report_id: int | None = None


class InstructionIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, description="e.g. MES-2024-09-05/3")
    text_kk: str = Field(..., min_length=1)
    text_ru: str = ""
    text_en: str = ""
    responsible: str = Field(..., description="Code of the responsible body (an authority)")
    deadline: dt.date
    issued_on: dt.date | None = Field(None, description="Date of the decision (default: the meeting's date)")
    meeting: str | None = Field(None, description="Code of the meeting whose protocol issues it")
    proposal_id: int | None = Field(None, description="The proposal it comes from (of that meeting)")
    number: str = Field("", max_length=20)
    source: str = "meeting"
    co_executors: list[str] = []
    org_unit: str | None = Field(None, description="Where the linked indicators are measured")
    indicator_codes: list[str] = []
    projects: list[str] = Field([], description="Codes of capital projects carrying it out")


class InstructionPatch(Schema):
    text_kk: str | None = Field(None, min_length=1)
    text_ru: str | None = None
    text_en: str | None = None
    number: str | None = Field(None, max_length=20)
    responsible: str | None = None
    co_executors: list[str] | None = None
    org_unit: str | None = None
    indicator_codes: list[str] | None = None
    projects: list[str] | None = None


class StatusIn(Schema):
    status: str = Field(..., description="in_progress, executed or removed")
    date: dt.date
    note: str = ""


class ExtensionIn(Schema):
    new_deadline: dt.date
    reason: str = Field(..., min_length=1)
    date: dt.date
    decision: str = Field("", max_length=500, description="Who allowed it, when not by a legal act")
    legal_act_id: int | None = None


class ExecutionReportIn(Schema):
    date: dt.date
    text: str = Field(..., min_length=1)
    body: str | None = Field(None, description="Reporting body (default: the responsible body)")
    attachment_name: str = Field("", max_length=255)


def _meeting(request, code: str) -> Meeting:
    try:
        return selectors.get_meeting(code, request.auth)
    except Meeting.DoesNotExist as e:
        raise HttpError(404, _("No meeting with code %(c)s") % {"c": code}) from e


def _instruction(request, code: str) -> Instruction:
    try:
        return selectors.get_instruction(code, request.auth)
    except Instruction.DoesNotExist as e:
        raise HttpError(404, _("No instruction with code %(c)s") % {"c": code}) from e


def _actor(request) -> str:
    return getattr(request.auth, "username", "") or ""


def _projects(request, codes: list[str]) -> list[Any]:
    from bilim.projects.models import Project

    out = []
    for code in codes:
        p = Project.objects.filter(code=code).first()
        if p is None:
            raise HttpError(400, "projects: " + _("No project with code %(c)s") % {"c": code})
        out.append(p)
    return out


def _meeting_out(request, m: Meeting) -> dict[str, Any]:
    return selectors.meeting_detail(Meeting.objects.get(pk=m.pk), user=request.auth)


def _instruction_out(ins: Instruction) -> dict[str, Any]:
    return selectors.instruction_detail(selectors._instructions().get(pk=ins.pk))


def register(router: Router) -> None:
    """Add the write operations to the governance router (before its read paths that would swallow
    them: `/instructions/{path:code}` matches `/instructions/X/1/status` too)."""

    @router.post("/meetings", response={201: dict[str, Any]}, summary="Record a meeting")
    def create_meeting(request, payload: MeetingIn):
        choice_field("kind", payload.kind, Meeting.MeetingKind.values)
        data = payload.dict()
        organizer = unit_field("organizer", data.pop("organizer"))
        with field_errors():
            m = services.create_meeting(data.pop("code"), data.pop("kind"), data.pop("date"), organizer,
                                        data.pop("title_kk"), actor=_actor(request), user=request.auth, **data)
        return Answer(201, _meeting_out(request, m))

    @router.patch("/meetings/{code}", response={200: dict[str, Any]}, summary="Correct a meeting's record")
    def update_meeting(request, code: str, payload: MeetingPatch):
        m = _meeting(request, code)
        changes = payload.dict(exclude_unset=True)
        changes = {k: v for k, v in changes.items() if v is not None}
        choice_field("kind", changes.get("kind"), Meeting.MeetingKind.values)
        if "organizer" in changes:
            changes["organizer"] = unit_field("organizer", changes["organizer"])
        with field_errors():
            m = services.update_meeting(m, actor=_actor(request), user=request.auth, **changes)
        return _meeting_out(request, m)

    @router.delete("/meetings/{code}", response={204: None}, summary="Delete a meeting recorded by mistake")
    def delete_meeting(request, code: str):
        m = _meeting(request, code)
        with field_errors():
            services.delete_meeting(m, actor=_actor(request), user=request.auth)
        return Answer(204, None)

    @router.post("/meetings/{code}/participants", response={201: dict[str, Any]}, summary="Add a participant")
    def add_participant(request, code: str, payload: ParticipantIn):
        m = _meeting(request, code)
        data = payload.dict()
        choice_field("role", data["role"], [c[0] for c in Participant._meta.get_field("role").choices])
        body = unit_field("body", data.pop("body"), required=False)
        with field_errors():
            services.add_participant(m, body, data.pop("representative"), data.pop("role"), actor=_actor(request),
                                     user=request.auth, **data)
        return Answer(201, _meeting_out(request, m))

    @router.post("/meetings/{code}/agenda", response={201: dict[str, Any]}, summary="Add an agenda item")
    def add_agenda_item(request, code: str, payload: AgendaIn):
        m = _meeting(request, code)
        data = payload.dict()
        choice_field("part", data["part"], AgendaItem.Part.values)
        if m.agenda.filter(order=data["order"]).exists():
            raise HttpError(400, "order: " + _("The agenda already has an item %(n)s.") % {"n": data["order"]})
        with field_errors():
            services.add_agenda_item(m, data.pop("order"), data.pop("title_kk"), data.pop("part"),
                                     actor=_actor(request), user=request.auth, **data)
        return Answer(201, _meeting_out(request, m))

    @router.post("/meetings/{code}/reports", response={201: dict[str, Any]}, summary="Add a report (a speech)")
    def add_report(request, code: str, payload: ReportIn):
        m = _meeting(request, code)
        data = payload.dict()
        body = unit_field("body", data.pop("body"), required=False)
        order = data.pop("agenda_order")
        item = None
        if order is not None:
            item = m.agenda.filter(order=order).first()
            if item is None:
                raise HttpError(400, "agenda_order: " + _("The agenda has no item %(n)s.") % {"n": order})
        with field_errors():
            services.add_report(m, data.pop("topic_kk"), data.pop("speaker"), body, item, actor=_actor(request),
                                user=request.auth, **data)
        return Answer(201, _meeting_out(request, m))

    @router.post("/meetings/{code}/proposals", response={201: dict[str, Any]}, summary="Add a proposal")
    def add_proposal(request, code: str, payload: ProposalIn):
        m = _meeting(request, code)
        data = payload.dict()
        by = unit_field("proposed_by", data.pop("proposed_by"), required=False)
        report_id = data.pop("report_id")
        report = None
        if report_id is not None:
            report = Report.objects.filter(meeting=m, pk=report_id).first()
            if report is None:
                raise HttpError(400, "report_id: " + _("The meeting has no report %(n)s.") % {"n": report_id})
        with field_errors():
            services.add_proposal(m, data.pop("text_kk"), by, report, actor=_actor(request), user=request.auth,
                                  **data)
        return Answer(201, _meeting_out(request, m))

    def deleter(kind: str):
        def delete_item(request, code: str, item_id: int):
            m = _meeting(request, code)
            model = services.ITEM_MODELS[kind]
            with field_errors():
                try:
                    services.delete_item(m, kind, item_id, actor=_actor(request), user=request.auth)
                except model.DoesNotExist as e:
                    raise HttpError(404, _("The meeting has no such item.")) from e
            return Answer(204, None)

        delete_item.__name__ = f"delete_{kind}"
        return delete_item

    for kind, plural in (("participant", "participants"), ("agenda", "agenda"), ("report", "reports"),
                         ("proposal", "proposals")):
        router.delete(f"/meetings/{{code}}/{plural}/{{item_id}}", response={204: None},
                      summary=f"Remove a {kind} from a meeting's record",
                      operation_id=f"governance_delete_{kind}")(deleter(kind))

    @router.post("/instructions", response={201: dict[str, Any]},
                 summary="Issue an instruction (from a meeting's proposal, an Address or a programme)")
    def issue_instruction(request, payload: InstructionIn):
        data = payload.dict()
        choice_field("source", data["source"], Instruction.Source.values)
        responsible = unit_field("responsible", data.pop("responsible"))
        meeting = _meeting(request, data.pop("meeting")) if data.get("meeting") else None
        data.pop("meeting", None)
        proposal = None
        proposal_id = data.pop("proposal_id")
        if proposal_id is not None:
            proposal = Proposal.objects.filter(pk=proposal_id, meeting=meeting).first() if meeting else None
            if proposal is None:
                raise HttpError(400, "proposal_id: " + _("The meeting has no proposal %(n)s.") % {"n": proposal_id})
        co = unit_list("co_executors", data.pop("co_executors"))
        org_unit = unit_field("org_unit", data.pop("org_unit"), required=False)
        projects = _projects(request, data.pop("projects"))
        with field_errors():
            codes = services.check_indicators(data.pop("indicator_codes"))
            ins = services.issue_instruction(
                data.pop("code"), data.pop("text_kk"), responsible, data.pop("deadline"), data.pop("issued_on"),
                meeting=meeting, proposal=proposal, co_executors=co, indicator_codes=codes, projects=projects,
                org_unit=org_unit, actor=_actor(request), user=request.auth, **data)
        return Answer(201, _instruction_out(ins))

    @router.post("/instructions/{path:code}/status", response={201: dict[str, Any]},
                 summary="Change an instruction's status (the reason is required to remove or reopen)")
    def change_status(request, code: str, payload: StatusIn):
        ins = _instruction(request, code)
        choice_field("status", payload.status, Status.values)
        with field_errors():
            services.change_status(ins, payload.status, payload.date, payload.note, actor=_actor(request),
                                   user=request.auth)
        return Answer(201, _instruction_out(ins))

    @router.post("/instructions/{path:code}/extensions", response={201: dict[str, Any]},
                 summary="Extend an instruction's deadline, with the reason and the decision")
    def extend_deadline(request, code: str, payload: ExtensionIn):
        ins = _instruction(request, code)
        act = None
        if payload.legal_act_id is not None:
            act = LegalAct.objects.filter(pk=payload.legal_act_id).first()
            if act is None:
                raise HttpError(400, "legal_act_id: " + _("No legal act %(n)s.") % {"n": payload.legal_act_id})
        with field_errors():
            services.extend_deadline(ins, payload.new_deadline, payload.reason, payload.date, legal_act=act,
                                     decision=payload.decision, actor=_actor(request), user=request.auth)
        return Answer(201, _instruction_out(ins))

    @router.post("/instructions/{path:code}/reports", response={201: dict[str, Any]},
                 summary="File an execution report (the responsible body)")
    def execution_report(request, code: str, payload: ExecutionReportIn):
        ins = _instruction(request, code)
        body = unit_field("body", payload.body, required=False)
        with field_errors():
            services.add_execution_report(ins, payload.date, payload.text, body, payload.attachment_name,
                                          actor=_actor(request), user=request.auth)
        return Answer(201, _instruction_out(ins))

    @router.patch("/instructions/{path:code}", response={200: dict[str, Any]},
                  summary="Correct an instruction (text, responsible body, indicators, projects)")
    def update_instruction(request, code: str, payload: InstructionPatch):
        ins = _instruction(request, code)
        changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
        if "responsible" in changes:
            changes["responsible"] = unit_field("responsible", changes["responsible"])
        if "org_unit" in changes:
            changes["org_unit"] = unit_field("org_unit", changes["org_unit"], required=False)
        co = unit_list("co_executors", changes.pop("co_executors")) if "co_executors" in changes else None
        projects = _projects(request, changes.pop("projects")) if "projects" in changes else None
        with field_errors():
            services.update_instruction(ins, co_executors=co, projects=projects, actor=_actor(request),
                                        user=request.auth, **changes)
        return _instruction_out(ins)

    @router.delete("/instructions/{path:code}", response={204: None},
                   summary="Delete an instruction recorded by mistake (only while new)")
    def delete_instruction(request, code: str):
        ins = _instruction(request, code)
        with field_errors():
            services.delete_instruction(ins, actor=_actor(request), user=request.auth)
        return Answer(204, None)
