"""Writes to the competence register; each is one transaction with its audit record.

Rules kept here:
- a competence always has one assignment in force from its first one on; a reassignment ends the
  current one on its date and may not be dated before a later one (history is append-only);
- only the body that holds a power over the whole scope on the start date may delegate it;
- a delegation is never edited: an early end is a `Revocation` with its own act and date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bilim.audit import services as audit
from bilim.registry.models import Kind, LegalAct, OrgUnit

from . import selectors
from .models import Competence, CompetenceAssignment, Delegation, Revocation


class AuthorityError(ValidationError):
    """A change that would break the register's rules; the message says which and why, and names the
    input field it concerns (the names of the API and page forms) when there is one."""


def _fail(field: str | None, message: str) -> AuthorityError:
    return AuthorityError({field: [message]} if field else message)


def _save_act(act: LegalAct) -> LegalAct:
    if act.pk is None:
        act.full_clean()
        act.save()
    return act


@transaction.atomic
def create_competence(code: str, name_kk: str, level: str, body_subtype: str, act: LegalAct,
                      valid_from: dt.date, name_ru: str = "", name_en: str = "", description_kk: str = "",
                      description_ru: str = "", description_en: str = "", sort_order: int = 0,
                      actor: str = "") -> Competence:
    """Register a competence with its default holder level from `valid_from`, assigned by `act`."""
    if Competence.objects.filter(code=code).exists():
        raise _fail("code", _("Competence %(code)s already exists") % {"code": code})
    comp = Competence(code=code, name_kk=name_kk, name_ru=name_ru, name_en=name_en, description_kk=description_kk,
                      description_ru=description_ru, description_en=description_en, sort_order=sort_order)
    comp.full_clean()
    comp.save()
    a = CompetenceAssignment(competence=comp, level=level, body_subtype=body_subtype, valid_from=valid_from,
                             legal_act=_save_act(act), recorded_by=actor)
    a.full_clean()
    a.save()
    audit.record(actor, "authority.create_competence", "Competence", code, None,
                 {"level": level, "body_subtype": body_subtype, "valid_from": valid_from.isoformat(), "act": act.pk})
    return comp


@transaction.atomic
def reassign_competence(competence: Competence, level: str, body_subtype: str, date: dt.date, act: LegalAct,
                        actor: str = "") -> CompetenceAssignment:
    """Move a competence's default holder to another level or body from `date` (a new law or order)."""
    later = CompetenceAssignment.objects.filter(competence=competence, valid_from__gte=date).first()
    if later is not None:
        raise _fail("valid_from", _("%(code)s already has an assignment from %(later)s; an assignment dated "
                                    "%(date)s cannot be inserted before it")
                    % {"code": competence.code, "later": later.valid_from.isoformat(), "date": date.isoformat()})
    current = selectors.assignment_on(competence, date)
    if current is not None:
        if (current.level, current.body_subtype) == (level, body_subtype):
            raise _fail("level", _("%(code)s is already held at %(level)s level by %(subtype)s on %(date)s")
                        % {"code": competence.code, "level": level, "subtype": body_subtype,
                           "date": date.isoformat()})
        before = {"level": current.level, "body_subtype": current.body_subtype}
        current.valid_to = date
        current.save(update_fields=["valid_to"])
    else:
        before = None
    new = CompetenceAssignment(competence=competence, level=level, body_subtype=body_subtype, valid_from=date,
                               legal_act=_save_act(act), recorded_by=actor)
    new.full_clean()
    new.save()
    audit.record(actor, "authority.reassign", "Competence", competence.code, before,
                 {"level": level, "body_subtype": body_subtype, "date": date.isoformat(), "act": act.pk})
    return new


@transaction.atomic
def delegate(competence: Competence, grantor: OrgUnit, grantee: OrgUnit, valid_from: dt.date, act: LegalAct,
             scope_unit: OrgUnit | None = None, organizations: Sequence[OrgUnit] = (),
             valid_to: dt.date | None = None, note_kk: str = "", note_ru: str = "", note_en: str = "",
             actor: str = "") -> Delegation:
    """`grantor` hands `competence` over a scope to `grantee` from `valid_from` (until `valid_to`).

    The scope is a territorial unit or an explicit set of organizations, never both. The grantor must
    hold the power over all of it on `valid_from` (by default or by an earlier delegation).
    """
    organizations = list(organizations)
    if (scope_unit is None) == (not organizations):
        raise _fail("scope_unit", _("A delegation's scope is either a territorial unit or a set of organizations"))
    for o in organizations:
        if o.kind != Kind.ORGANIZATION:
            raise _fail("organizations", _("%(unit)s is a %(kind)s; an explicit scope lists organizations only")
                        % {"unit": o.code, "kind": o.kind})
    d = Delegation(competence=competence, grantor=grantor, grantee=grantee, scope_unit=scope_unit,
                   valid_from=valid_from, valid_to=valid_to, legal_act=_save_act(act), note_kk=note_kk,
                   note_ru=note_ru, note_en=note_en, recorded_by=actor)
    d.full_clean()
    if not grantee.exists_on(valid_from):
        raise _fail("grantee", _("%(unit)s does not exist on %(date)s")
                    % {"unit": grantee.code, "date": valid_from.isoformat()})
    for target in [scope_unit] if scope_unit is not None else organizations:
        ans = selectors.holder_on(competence, target, valid_from)
        if ans.holder is None or ans.holder.pk != grantor.pk:
            held_by = ans.holder.code if ans.holder else _("nobody")
            raise _fail("grantor", _("%(grantor)s cannot delegate %(code)s over %(target)s: on %(date)s it is "
                                     "held by %(holder)s")
                        % {"grantor": grantor.code, "code": competence.code, "target": target.code,
                           "date": valid_from.isoformat(), "holder": held_by})
    d.save()
    if organizations:
        d.organizations.set(organizations)
    audit.record(actor, "authority.delegate", "Delegation", d.pk, None, {
        "competence": competence.code, "grantor": grantor.code, "grantee": grantee.code,
        "scope": scope_unit.code if scope_unit else [o.code for o in organizations],
        "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat() if valid_to else None,
        "act": d.legal_act.pk})
    return d


@transaction.atomic
def revoke(delegation: Delegation, date: dt.date, act: LegalAct, reason_kk: str = "", reason_ru: str = "",
           reason_en: str = "", actor: str = "") -> Revocation:
    """End `delegation` from `date` (exclusive) by `act`; the power returns to whoever held it before."""
    if Revocation.objects.filter(delegation=delegation).exists():
        raise _fail("delegation", _("Delegation #%(id)s has already been revoked") % {"id": delegation.pk})
    rev = Revocation(delegation=delegation, effective_date=date, legal_act=_save_act(act), reason_kk=reason_kk,
                     reason_ru=reason_ru, reason_en=reason_en, recorded_by=actor)
    rev.full_clean()
    rev.save()
    audit.record(actor, "authority.revoke", "Delegation", delegation.pk,
                 {"ends": delegation.valid_to.isoformat() if delegation.valid_to else None},
                 {"ends": date.isoformat(), "act": rev.legal_act.pk})
    return rev


COMPETENCE_TEXT = ("name_kk", "name_ru", "name_en", "description_kk", "description_ru", "description_en", "sort_order")


def _competence_snapshot(c: Competence) -> dict:
    return {f: getattr(c, f) for f in COMPETENCE_TEXT}


@transaction.atomic
def update_competence(competence: Competence, actor: str = "", **fields) -> Competence:
    """Correct a competence's names, descriptions or order; who holds it changes only by
    `reassign_competence` (a new act), so its history is never rewritten here."""
    before = _competence_snapshot(competence)
    for name, value in fields.items():
        if name not in COMPETENCE_TEXT:
            raise _fail(name, _("This field cannot be changed; record a new assignment instead."))
        setattr(competence, name, value)
    competence.full_clean()
    competence.save()
    audit.record(actor, "authority.update_competence", "Competence", competence.code, before,
                 _competence_snapshot(competence))
    return competence


@transaction.atomic
def delete_competence(competence: Competence, actor: str = "") -> None:
    """Delete a competence entered by mistake. One that was ever delegated is part of the record and
    stays (its delegations cite acts and bodies); reassign it instead."""
    n = competence.delegations.count()
    if n:
        raise _fail("code", _("%(code)s has %(n)s delegation(s) and cannot be deleted.")
                    % {"code": competence.code, "n": n})
    before = _competence_snapshot(competence) | {
        "assignments": [(a.level, a.body_subtype, a.valid_from.isoformat()) for a in competence.assignments.all()]}
    code = competence.code
    competence.delete()
    audit.record(actor, "authority.delete_competence", "Competence", code, before, None)


DELEGATION_TEXT = ("note_kk", "note_ru", "note_en")


@transaction.atomic
def update_delegation_note(delegation: Delegation, actor: str = "", **fields) -> Delegation:
    """Correct a delegation's note; what was granted (power, bodies, scope, dates, act) is never edited:
    an early end is `revoke`, a new grant is `delegate`."""
    before = {f: getattr(delegation, f) for f in DELEGATION_TEXT}
    for name, value in fields.items():
        if name not in DELEGATION_TEXT:
            raise _fail(name, _("A delegation is never edited; revoke it and record a new one."))
        setattr(delegation, name, value)
    delegation.save(update_fields=[*fields] or None)
    audit.record(actor, "authority.update_delegation", "Delegation", delegation.pk, before,
                 {f: getattr(delegation, f) for f in DELEGATION_TEXT})
    return delegation
