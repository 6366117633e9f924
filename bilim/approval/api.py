"""Collection workflow endpoints: validation rules and results, approval steps, completeness."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from ninja import Router, Schema
from ninja.errors import HttpError

from bilim.metadata import periods
from bilim.metadata.models import DataSet
from bilim.registry.models import Kind, OrgUnit

from . import rules, selectors, services
from .models import ApprovalStep, Status, ValidationRule

PREFIX = "/collection"
router = Router(tags=["collection workflow"])


def _ds(code: str) -> DataSet:
    ds = DataSet.objects.filter(code=code).first()
    if ds is None:
        raise HttpError(404, f"No form (data set) with code {code}")
    return ds


def _ou(code: str) -> OrgUnit:
    ou = OrgUnit.objects.filter(code=code).first()
    if ou is None:
        raise HttpError(404, f"No org unit with code {code}")
    return ou


def _pe(period: str) -> str:
    try:
        return periods.parse(period).code
    except periods.PeriodError as e:
        raise HttpError(400, str(e)) from e


class RuleOut(Schema):
    code: str
    name: str
    data_set: str
    left: str
    operator: str
    right: str
    right_period_offset: int
    for_each: str
    for_each_options: str
    condition: str
    skip_if_missing: bool
    importance: str
    active: bool


class ValueKeyOut(Schema):
    data_element: str
    period: str
    org_unit: str
    disaggregation: str
    stored: bool


class ViolationOut(Schema):
    rule: str
    name: str
    importance: str
    option: str
    left: str
    operator: str
    right: str
    left_value: float | None
    right_value: float | None
    message: str
    links: list[ValueKeyOut]


class OutlierOut(Schema):
    data_element: str
    disaggregation: str
    value: float
    history: list[float]
    mean: float
    sd: float
    z: float | None
    low: float
    high: float
    reason: str


class ValidationOut(Schema):
    data_set: str
    org_unit: str
    period: str
    violations: list[ViolationOut]
    outliers: list[OutlierOut]


class StepOut(Schema):
    action: str
    from_status: str
    to_status: str
    by: str
    by_unit: str
    reason: str
    at: dt.datetime


class ChildStateOut(Schema):
    org_unit: str
    name: str
    status: str
    done: bool
    reason: str


class ApprovalOut(Schema):
    data_set: str
    org_unit: str
    period: str
    status: str
    locked: bool
    reason: str
    submitted_at: dt.datetime | None
    deadline: dt.date
    children: list[ChildStateOut]
    steps: list[StepOut]


class ReturnIn(Schema):
    reason: str
    cascade: bool = False


class CompletenessRowOut(Schema):
    code: str
    name: str
    kind: str
    expected: int
    reported: int
    submitted: int
    on_time: int
    completeness: float | None
    timeliness: float | None
    status: str


class ReporterOut(Schema):
    code: str
    name: str
    kind: str
    org_type: str
    lat: float | None
    lon: float | None
    reported: bool
    status: str
    submitted_at: dt.datetime | None
    on_time: bool


class CompletenessOut(Schema):
    data_set: str
    period: str
    org_unit: str
    deadline: dt.date
    total: CompletenessRowOut
    children: list[CompletenessRowOut]
    missing: list[ReporterOut]


def _rule_out(r: ValidationRule) -> dict:
    return {"code": r.code, "name": r.name, "data_set": r.data_set.code, "left": r.left, "operator": r.operator,
            "right": r.right, "right_period_offset": r.right_period_offset, "for_each": r.for_each,
            "for_each_options": r.for_each_options, "condition": r.condition, "skip_if_missing": r.skip_if_missing, "importance": r.importance,
            "active": r.active}


@router.get("/rules", response=list[RuleOut], summary="Validation rules (optionally of one form)")
def list_rules(request, data_set: str | None = None):
    qs = ValidationRule.objects.select_related("data_set").order_by("data_set__code", "code")
    if data_set:
        qs = qs.filter(data_set=_ds(data_set))
    return [_rule_out(r) for r in qs]


@router.get("/validation/{data_set}/{org_unit}/{period}", response=ValidationOut,
            summary="Run the form's validation rules and outlier checks for one unit and period")
def validate(request, data_set: str, org_unit: str, period: str):
    """Shows stored values: refused (403) while they are not approved up to the caller's level."""
    from bilim.accounts.permissions import require_values

    ds, ou, pe = _ds(data_set), _ou(org_unit), _pe(period)
    require_values(getattr(request, "auth", None) or request.user, ou, ds, pe)
    return {"data_set": ds.code, "org_unit": ou.code, "period": pe,
            "violations": [v.as_dict() for v in rules.run_validation(ds, ou, pe)],
            "outliers": [o.as_dict() for o in rules.find_outliers(ds, ou, pe)]}


def _approval(ds: DataSet, ou: OrgUnit, pe: str) -> dict:
    tree = selectors.form_tree(ds, pe)
    kids = tree.participating_children(ou.pk)
    st = selectors.states(ds, pe, set(kids) | {ou.pk})
    own = st.get(ou.pk)
    children = []
    for kid in OrgUnit.objects.filter(pk__in=kids).order_by("code"):
        s = st.get(kid.pk)
        children.append({"org_unit": kid.code, "name": kid.name, "status": s.status if s else Status.OPEN,
                         "done": selectors.is_done(kid.pk, tree, st), "reason": s.reason if s else ""})
    steps = ApprovalStep.objects.filter(state=own) if own else []
    return {"data_set": ds.code, "org_unit": ou.code, "period": pe, "status": own.status if own else Status.OPEN,
            "locked": services.is_locked(ou, pe, ds), "reason": own.reason if own else "",
            "submitted_at": own.submitted_at if own else None, "deadline": selectors.deadline(ds, pe),
            "children": children, "steps": list(steps)}


@router.get("/approvals/{data_set}/{org_unit}/{period}", response=ApprovalOut,
            summary="Approval state of a form for a unit, with its units below and its history")
def get_approval(request, data_set: str, org_unit: str, period: str):
    return _approval(_ds(data_set), _ou(org_unit), _pe(period))


def _do(request, data_set: str, org_unit: str, period: str, step) -> dict:
    ds, ou, pe = _ds(data_set), _ou(org_unit), _pe(period)
    try:
        step(ds, ou, pe, request.user)
    except services.ApprovalError as e:
        raise HttpError(409, str(e)) from e
    except PermissionDenied as e:
        raise HttpError(403, str(e)) from e
    return _approval(ds, ou, pe)


@router.post("/approvals/{data_set}/{org_unit}/{period}/submit", response=ApprovalOut,
             summary="Submit a reporting unit's form (locks its values)")
def submit(request, data_set: str, org_unit: str, period: str):
    return _do(request, data_set, org_unit, period, services.submit)


@router.post("/approvals/{data_set}/{org_unit}/{period}/approve", response=ApprovalOut,
             summary="Approve (district, region) or accept (republic) once every unit below is done")
def approve(request, data_set: str, org_unit: str, period: str):
    return _do(request, data_set, org_unit, period, services.approve)


@router.post("/approvals/{data_set}/{org_unit}/{period}/unapprove", response=ApprovalOut,
             summary="Return a unit's form (by the level above), with a reason")
def unapprove(request, data_set: str, org_unit: str, period: str, body: ReturnIn):
    return _do(request, data_set, org_unit, period,
               lambda ds, ou, pe, user: services.unapprove(ds, ou, pe, body.reason, user, cascade=body.cascade))


def _row(r: selectors.CompletenessRow) -> dict:
    return {"code": r.code, "name": r.name, "kind": r.kind, "expected": r.expected, "reported": r.reported,
            "submitted": r.submitted, "on_time": r.on_time, "completeness": r.completeness,
            "timeliness": r.timeliness, "status": r.status}


@router.get("/completeness/{data_set}/{period}", response=CompletenessOut,
            summary="Completeness and timeliness of a form under a unit (default: the republic)")
def completeness(request, data_set: str, period: str, org_unit: str | None = None):
    ds, pe = _ds(data_set), _pe(period)
    ou = _ou(org_unit) if org_unit else OrgUnit.objects.filter(kind=Kind.REPUBLIC).first()
    if ou is None:
        raise HttpError(404, "No republic in the registry")
    user = getattr(request, "auth", None) or request.user
    c = selectors.completeness(ds, pe, ou).visible_to(user)  # rows of the caller's subtree today
    return {"data_set": ds.code, "period": pe, "org_unit": ou.code, "deadline": c.deadline, "total": _row(c.total),
            "children": [_row(r) for r in c.children], "missing": [vars(m) for m in c.missing]}
