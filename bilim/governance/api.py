"""REST endpoints for meetings and instruction control (mounted at /api/v1/governance/).

Every endpoint answers with what the caller (`request.auth`) sees (`selectors` applies the scope); a
meeting or instruction outside the scope is a 403, an unknown code a 404."""

from __future__ import annotations

from typing import Any

from ninja import Router
from ninja.errors import HttpError

from bilim.authority.api import parse_date

from . import api_writes, selectors
from .models import Instruction, Meeting, Status

router = Router(tags=["governance"])
api_writes.register(router)  # first: the read path /instructions/{path:code} would swallow theirs


@router.get("/meetings", summary="Collegium and akimat meetings, newest first")
def meetings(request) -> list[dict[str, Any]]:
    return selectors.meeting_list(request.auth)


@router.get("/meetings/{code}", summary="A meeting: participants, agenda, reports, proposals, instructions")
def meeting(request, code: str, date: str | None = None) -> dict[str, Any]:
    try:
        m = selectors.get_meeting(code, request.auth)
    except Meeting.DoesNotExist as e:
        raise HttpError(404, f"No meeting with code '{code}'") from e
    return selectors.meeting_detail(m, parse_date(date), user=request.auth)


@router.get("/instructions", summary="Instructions, filtered by status, responsible body, overdue and meeting")
def instructions(request, status: str | None = None, responsible: str | None = None, overdue: bool | None = None,
                 meeting: str | None = None, date: str | None = None) -> list[dict[str, Any]]:
    if status and status not in Status.values:
        raise HttpError(400, f"status: '{status}' is not one of {', '.join(Status.values)}")
    return selectors.instruction_list(parse_date(date), status=status, responsible=responsible, overdue=overdue,
                                      meeting=meeting, user=request.auth)


@router.get("/instructions/{path:code}", summary="An instruction with its history, extensions and execution reports")
def instruction(request, code: str, date: str | None = None) -> dict[str, Any]:
    try:
        ins = selectors.get_instruction(code, request.auth)
    except Instruction.DoesNotExist as e:
        raise HttpError(404, f"No instruction with code '{code}'") from e
    return selectors.instruction_detail(ins, parse_date(date))


@router.get("/control", summary="Control dashboard: by responsible body and status, on-time rate, overdue list")
def control(request, date: str | None = None, responsible: str | None = None,
            meeting: str | None = None) -> dict[str, Any]:
    return selectors.control_summary(parse_date(date), responsible=responsible, meeting=meeting,
                                     user=request.auth)
