"""Writes: the approval workflow (submit, approve, accept, return with a reason), locks, rules.

Every step is one transaction that updates the `ApprovalState`, appends an `ApprovalStep` and a record
to the hash-chained audit trail. The territorial hierarchy is read as of the period's census date.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from bilim.audit import services as audit
from bilim.metadata import periods
from bilim.metadata.models import DataSet
from bilim.registry.models import Kind, OrgUnit

from . import expressions as ex
from . import selectors
from .models import STATUS_RANK, ApprovalState, ApprovalStep, Status, ValidationRule


class ApprovalError(Exception):
    """A workflow step that the rules do not allow now; the message says why and what to do."""


def _ds(data_set: DataSet | str) -> DataSet:
    return data_set if isinstance(data_set, DataSet) else DataSet.objects.get(code=data_set)


def _ou(org_unit: OrgUnit | str) -> OrgUnit:
    return org_unit if isinstance(org_unit, OrgUnit) else OrgUnit.objects.get(code=org_unit)


def _actor(user: Any) -> str:
    if user is None:
        return ""
    return user if isinstance(user, str) else getattr(user, "username", str(user))


# --- permissions ---------------------------------------------------------------------------------

ROLE_FOR_KIND: dict[str, str] = {Kind.ORGANIZATION: "organization", Kind.DISTRICT: "district", Kind.REGION: "region",
                 Kind.REPUBLIC: "ministry"}


def _may_act_for(user: Any, unit: OrgUnit, day) -> bool:
    """Whether `user` acts for `unit`'s level: admin, or the role of that level with a scope over it; for an
    organization also a role of `BILIM_ROLES_SUBMITTING_FOR_ORGANIZATIONS` (a district office) over it."""
    if user is None or isinstance(user, str):
        return True  # services called from code (CLI, tests) act as the system
    if getattr(user, "is_superuser", False) or getattr(user, "role", "") == "admin":
        return True
    role = ROLE_FOR_KIND.get(unit.kind)
    if role is None and unit.kind not in (Kind.AUTHORITY,):
        role = "organization"
    if role == "organization" and getattr(user, "role", "") in settings.BILIM_ROLES_SUBMITTING_FOR_ORGANIZATIONS:
        role = user.role  # a district office submitting for a school in its scope (the scope is checked below)
    if getattr(user, "role", "") != role:
        return False
    scope_id = getattr(user, "scope_id", None)
    if scope_id is None:
        return role == "ministry"
    if scope_id == unit.pk:
        return True
    from bilim.registry import selectors as registry

    return scope_id in {a.pk for a in registry.ancestors(unit, day)}


def _status_word(status: str) -> str:
    """A status inside a sentence, in the user's language ("approved", "бекітілген")."""
    return str(Status(status).label).lower()


def _check(user: Any, unit: OrgUnit, day, what: str) -> None:
    if not _may_act_for(user, unit, day):
        raise PermissionDenied(gettext("%(user)s may not %(what)s for %(unit)s") % {
            "user": _actor(user), "what": what, "unit": unit.code})


# --- workflow ----------------------------------------------------------------------------------------

def _state(ds: DataSet, period: str, unit: OrgUnit) -> ApprovalState:
    state, _ = ApprovalState.objects.select_for_update().get_or_create(data_set=ds, period=period, org_unit=unit)
    return state


def _step(state: ApprovalState, action: str, to: str, actor: str, by_unit: OrgUnit, reason: str = "") -> None:
    before = state.status
    state.status = to
    state.changed_by = actor
    if action == ApprovalStep.Action.SUBMIT and state.submitted_at is None:
        state.submitted_at = timezone.now()
    if action == ApprovalStep.Action.UNAPPROVE:
        state.reason = reason
    state.save()
    ApprovalStep.objects.create(state=state, action=action, from_status=before, to_status=to, by=actor,
                                by_unit=by_unit.code, reason=reason)
    audit.record(actor, f"approval.{action}", "ApprovalState",
                 f"{state.data_set.code}/{state.period}/{state.org_unit.code}",
                 {"status": before}, {"status": to, "by_unit": by_unit.code, **({"reason": reason} if reason else {})})
    # who may see which values changes with every step (an acceptance makes a year public): the
    # analytics follow once the step has committed, as after a value or a registry event
    from bilim.analytics import refresher

    transaction.on_commit(refresher.request)


def _label(ds: DataSet, period: str, unit: OrgUnit) -> str:
    return f"{ds.code} {period} for {unit.code}"


@transaction.atomic
def submit(data_set: DataSet | str, org_unit: OrgUnit | str, period: str, user: Any = None) -> ApprovalState:
    """The reporting unit hands its form in; its values are locked from now on."""
    ds, unit, code = _ds(data_set), _ou(org_unit), periods.parse(period).code
    tree = selectors.form_tree(ds, code)
    _check(user, unit, tree.day, gettext("submit"))
    if unit.pk not in tree.reporters:
        raise ApprovalError(gettext("%(unit)s does not report %(form)s in %(period)s (only %(types)s open on "
                                    "%(day)s do); nothing to submit") % {
            "unit": unit.code, "form": ds.code, "period": periods.label(code), "types": ", ".join(ds.org_types),
            "day": date_format(tree.day, "SHORT_DATE_FORMAT")})
    state = _state(ds, code, unit)
    if state.status != Status.OPEN:
        raise ApprovalError(gettext("%(form)s is already %(status)s") % {
            "form": _label(ds, code, unit), "status": _status_word(state.status)})
    # checked here, not in a view: the page, the API and scripts all submit through this function
    from .rules import run_validation

    blocking = [v for v in run_validation(ds, unit, code) if v.importance == "blocking"]
    if blocking:
        raise ApprovalError(gettext("%(n)d blocking validation rule(s) are violated (%(rules)s); correct the "
                                    "values first") % {"n": len(blocking),
                                                       "rules": ", ".join(sorted({v.rule.code for v in blocking}))})
    _step(state, ApprovalStep.Action.SUBMIT, Status.SUBMITTED, _actor(user), unit)
    return state


@transaction.atomic
def approve(data_set: DataSet | str, org_unit: OrgUnit | str, period: str, user: Any = None) -> ApprovalState:
    """A district or region approves (the republic accepts) once every unit under it has:
    reporters submitted, units above reporters approved. Its values and theirs stay locked."""
    ds, unit, code = _ds(data_set), _ou(org_unit), periods.parse(period).code
    tree = selectors.form_tree(ds, code)
    _check(user, unit, tree.day, gettext("approve"))
    if unit.pk in tree.reporters:
        raise ApprovalError(gettext("%(unit)s reports %(form)s itself: it submits, the level above approves") % {
            "unit": unit.code, "form": ds.code})
    if unit.pk not in tree.participating:
        raise ApprovalError(gettext("no unit under %(unit)s reports %(form)s in %(period)s; nothing to approve") % {
            "unit": unit.code, "form": ds.code, "period": periods.label(code)})
    kids = tree.participating_children(unit.pk)
    pending = selectors.pending_below(ds, code, unit)
    if pending:
        codes = [u.code for u in pending]
        shown = ", ".join(codes[:10]) + (gettext(" and %(n)s more") % {"n": len(codes) - 10} if len(codes) > 10 else "")
        raise ApprovalError(gettext("%(unit)s cannot approve %(form)s %(period)s yet: %(n)s of %(m)s units under it "
                                    "have not submitted or been approved (%(shown)s)") % {
            "unit": unit.code, "form": ds.code, "period": periods.label(code), "n": len(codes), "m": len(kids),
            "shown": shown})
    state = _state(ds, code, unit)
    if state.status != Status.OPEN:
        raise ApprovalError(gettext("%(form)s is already %(status)s") % {
            "form": _label(ds, code, unit), "status": _status_word(state.status)})
    if unit.kind == Kind.REPUBLIC:
        _step(state, ApprovalStep.Action.ACCEPT, Status.ACCEPTED, _actor(user), unit)
    else:
        _step(state, ApprovalStep.Action.APPROVE, Status.APPROVED, _actor(user), unit)
    return state


accept = approve


@transaction.atomic
def unapprove(data_set: DataSet | str, org_unit: OrgUnit | str, period: str, reason: str, user: Any = None,
              cascade: bool = False) -> ApprovalState:
    """The level above returns a unit's form (a submission or an approval) with a reason.

    Only while the level above has not approved itself (withdraw that first, from further up). The
    ministry withdraws its own acceptance. With `cascade`, every unit below is reopened as well (for
    a correction that reaches the reporters); each reopening is its own audited step.
    """
    ds, unit, code = _ds(data_set), _ou(org_unit), periods.parse(period).code
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalError(gettext("a reason is required to return a form"))
    tree = selectors.form_tree(ds, code)
    parent_id = tree.parent.get(unit.pk)
    above = OrgUnit.objects.get(pk=parent_id) if parent_id else unit
    _check(user, above, tree.day, gettext("return forms"))
    state = _state(ds, code, unit)
    if state.status == Status.OPEN:
        raise ApprovalError(gettext("%(form)s is open; there is nothing to return") % {"form": _label(ds, code, unit)})
    if parent_id:
        parent_state = selectors.states(ds, code, [parent_id]).get(parent_id)
        if parent_state and STATUS_RANK[Status(parent_state.status)] >= STATUS_RANK[Status.APPROVED]:
            raise ApprovalError(gettext("%(above)s has already %(status)s %(form)s %(period)s; its approval must be "
                                        "withdrawn first (by the level above %(above)s)") % {
                "above": above.code, "status": _status_word(parent_state.status), "form": ds.code,
                "period": periods.label(code)})
    _step(state, ApprovalStep.Action.UNAPPROVE, Status.OPEN, _actor(user), above, reason)
    if cascade:
        below = set()
        stack = list(tree.kids.get(unit.pk, ()))
        while stack:
            n = stack.pop()
            below.add(n)
            stack.extend(tree.kids.get(n, ()))
        for s in (ApprovalState.objects.select_for_update().filter(data_set=ds, period=code, org_unit_id__in=below)
                  .exclude(status=Status.OPEN).select_related("org_unit", "data_set")):
            _step(s, ApprovalStep.Action.UNAPPROVE, Status.OPEN, _actor(user), above, reason)
    return state


def is_locked(org_unit: Any, period: str, data_set: Any = None) -> bool:
    """True once the unit's form is submitted or approved (by it or any unit above it).

    `org_unit` is an OrgUnit or anything with `id`; `data_set` a DataSet, a data element (anything
    with `code` that is not a DataSet: every form holding the element counts) or None (any form).
    """
    try:
        code = periods.parse(period).code
    except periods.PeriodError:
        return False
    unit_id = getattr(org_unit, "pk", None) or getattr(org_unit, "id", None)
    if unit_id is None:
        return False
    qs = ApprovalState.objects.filter(period=code, org_unit_id=unit_id).exclude(status=Status.OPEN)
    if isinstance(data_set, DataSet):
        qs = qs.filter(data_set=data_set)
    elif data_set is not None:
        qs = qs.filter(data_set__data_elements__code=getattr(data_set, "code", data_set))
    return qs.exists()


# --- rules --------------------------------------------------------------------------------------------

def check_rule(rule: ValidationRule) -> None:
    """Raise ValidationError naming every problem of a rule's expressions and codes."""
    from bilim.metadata.models import CATEGORY_ORDER, CategoryOption, DataElement

    from .rules import parse_condition

    errors: dict[str, list[str]] = {}
    elements: dict[str, tuple[str, ...]] = {}
    for de in DataElement.objects.prefetch_related("categories"):
        elements[de.code] = tuple(c for c in CATEGORY_ORDER if c in de.category_codes())
    options: dict[str, list[str]] = {}
    for cat, opt in CategoryOption.objects.order_by("sort_order", "code").values_list("category__code", "code"):
        options.setdefault(cat, []).append(opt)
    opts = {k: tuple(v) for k, v in options.items()}
    if rule.operator not in ValidationRule.Operator.values:
        errors["operator"] = [f"unknown operator {rule.operator!r}"]
    if rule.for_each and rule.for_each.upper() not in CATEGORY_ORDER:
        errors["for_each"] = [f"unknown category {rule.for_each}"]
    if (rule.for_each_options or "").strip():
        try:
            items = ex.parse_options(rule.for_each_options)
            if not rule.for_each:
                raise ex.ExpressionError("options need the rule to run for each option of a category")
            ex.select_options(items, options.get(rule.for_each.upper(), []))
        except ex.ExpressionError as e:
            errors["for_each_options"] = [str(e)]
    for name in ("left", "right", "condition"):
        text = getattr(rule, name)
        if name == "condition" and not text.strip():
            continue
        try:
            if name == "condition":
                a, _, b = parse_condition(text)
                problems = ex.check_codes(a, elements, opts, rule.for_each.upper()) + ex.check_codes(
                    b, elements, opts, rule.for_each.upper())
            else:
                problems = ex.check_codes(ex.parse(text), elements, opts, rule.for_each.upper())
        except ex.ExpressionError as e:
            problems = [str(e)]
        if problems:
            errors[name] = problems
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_rule(rule: ValidationRule, actor: str = "") -> ValidationRule:
    check_rule(rule)
    before = None
    if rule.pk:
        old = ValidationRule.objects.filter(pk=rule.pk).first()
        before = str(old) if old else None
    rule.for_each = rule.for_each.upper()
    rule.for_each_options = ",".join(a if a == b else f"{a}..{b}" for a, b in ex.parse_options(rule.for_each_options))
    rule.save()
    audit.record(actor, "approval.save_rule", "ValidationRule", rule.code, before, str(rule))
    return rule


def lock_checker(period_codes: list[str]):
    """An `is_locked` with the same signature that answers from one query (for bulk imports, which
    ask once per distinct unit, period and element): the locks as they stand when it is made."""
    codes = []
    for p in period_codes:
        try:
            codes.append(periods.parse(p).code)
        except periods.PeriodError:
            continue
    locked: dict[tuple[int, str], set[str]] = {}
    rows = (ApprovalState.objects.filter(period__in=codes).exclude(status=Status.OPEN)
            .values_list("org_unit_id", "period", "data_set__code", "data_set__data_elements__code"))
    for unit_id, period, ds_code, de_code in rows:
        entry = locked.setdefault((unit_id, period), set())
        entry.add(f"ds:{ds_code}")
        if de_code:
            entry.add(de_code)

    def check(org_unit: Any, period: str, data_set: Any = None) -> bool:
        unit_id = getattr(org_unit, "pk", None) or getattr(org_unit, "id", None)
        try:
            entry = locked.get((int(unit_id or 0), periods.parse(period).code))
        except periods.PeriodError:
            return False
        if not entry:
            return False
        if data_set is None:
            return True
        if isinstance(data_set, DataSet):
            return f"ds:{data_set.code}" in entry
        return getattr(data_set, "code", data_set) in entry

    return check
