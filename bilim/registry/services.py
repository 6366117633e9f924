"""Writes to the registry. Every change is a `Restructuring` event applied in one transaction.

Rules kept here (and nowhere else):
- relations are effective-dated; an event ends the interval in force and starts a new one on its date;
- an event may not be dated before a later change of the same relation (history is append-only);
- a unit's territorial intervals may not overlap and may leave gaps only while the unit is closed;
- every event is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bilim.audit import services as audit

from .models import (
    ALLOWED_PARENT_KINDS,
    GoverningRelation,
    Kind,
    LegalAct,
    NameRecord,
    OrgUnit,
    Restructuring,
    TerritorialRelation,
    name_error,
)

EK = Restructuring.EventKind


class RegistryError(ValidationError):
    """A restructuring that would break the registry's invariants; the message says which and why.

    Raised with `_fail(field, ...)` by the event services, it names the input it concerns (`unit`,
    `parent`, `body`, `effective_date`, ...: the names of `EventPlan` and of the API and page forms),
    so the API answers with that field and a form shows the message beside it.
    """


def _fail(field: str | None, message: str) -> RegistryError:
    """A translated rule violation about `field` (None: the event as a whole)."""
    return RegistryError({field: [message]} if field else message)


@dataclass
class UnitSpec:
    """What is needed to open a unit."""

    code: str
    kind: str
    name_kk: str
    name_ru: str = ""
    name_en: str = ""
    parent: OrgUnit | None = None
    governing_body: OrgUnit | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def _snapshot(unit: OrgUnit) -> dict[str, Any]:
    return {
        "code": unit.code, "kind": unit.kind, "org_type": unit.org_type, "subtype": unit.subtype,
        "name_kk": unit.name_kk, "name_ru": unit.name_ru, "name_en": unit.name_en,
        "opened": unit.opened.isoformat() if unit.opened else None,
        "closed": unit.closed.isoformat() if unit.closed else None,
    }


def _new_event(kind: str, date: dt.date, act: LegalAct, description: str, actor: str,
               subjects: Iterable[OrgUnit] = (), details: dict | None = None,
               reverses: Restructuring | None = None) -> Restructuring:
    if act.pk is None:
        act.save()
    ev = Restructuring.objects.create(
        kind=kind, effective_date=date, legal_act=act, description=description,
        details=details or {}, reverses=reverses, recorded_by=actor,
    )
    ev.subjects.set(list(subjects))
    return ev


def _check_parent(unit: OrgUnit, parent: OrgUnit, date: dt.date, field: str = "parent") -> None:
    allowed = ALLOWED_PARENT_KINDS[unit.kind]
    if parent.kind not in allowed:
        raise _fail(field, _("%(unit)s (%(kind)s) cannot be placed under %(parent)s (%(pkind)s); allowed parent "
                             "kinds: %(allowed)s") % {"unit": unit.code, "kind": unit.kind, "parent": parent.code,
                                                      "pkind": parent.kind, "allowed": ", ".join(sorted(allowed)) or "-"})
    if not parent.exists_on(date):
        raise _fail(field, _("Parent %(parent)s does not exist on %(date)s") % {"parent": parent.code,
                                                                              "date": date.isoformat()})
    # no cycles: the new parent must not be the unit itself or one of its descendants on that date
    node: OrgUnit | None = parent
    seen = 0
    while node is not None and seen < 64:
        if node.pk == unit.pk:
            raise _fail(field, _("Placing %(unit)s under %(parent)s would create a cycle")
                        % {"unit": unit.code, "parent": parent.code})
        link = TerritorialRelation.objects.filter(unit=node, valid_from__lte=date).filter(
            _open_on(date)).select_related("parent").first()
        node = link.parent if link else None
        seen += 1


def _check_body(unit: OrgUnit, body: OrgUnit, date: dt.date, field: str = "body") -> None:
    if body.kind != Kind.AUTHORITY:
        raise _fail(field, _("Governing body %(body)s must be an authority, not a %(kind)s")
                    % {"body": body.code, "kind": body.kind})
    if unit.kind not in (Kind.ORGANIZATION, Kind.AUTHORITY):
        raise _fail("units", _("Only organizations and authorities have a governing body, not a %(kind)s")
                    % {"kind": unit.kind})
    if body.pk == unit.pk:
        raise _fail(field, _("%(unit)s cannot govern itself") % {"unit": unit.code})
    if not body.exists_on(date):
        raise _fail(field, _("Governing body %(body)s does not exist on %(date)s")
                    % {"body": body.code, "date": date.isoformat()})


def _open_on(date: dt.date):
    from django.db.models import Q

    return Q(valid_to__isnull=True) | Q(valid_to__gt=date)


def _switch(model: type[TerritorialRelation] | type[GoverningRelation], unit: OrgUnit, other_field: str, other: OrgUnit | None, date: dt.date,
            event: Restructuring) -> None:
    """End the interval in force on `date` and, if `other` is given, start a new one from `date`."""
    later = model.objects.filter(unit=unit, valid_from__gt=date).order_by("valid_from").first()
    if later is not None:
        raise _fail("effective_date", _("%(unit)s already has a change dated %(later)s; an event dated %(date)s "
                                        "cannot be inserted before it. Record a new event instead.")
                    % {"unit": unit.code, "later": later.valid_from.isoformat(), "date": date.isoformat()})
    current = model.objects.filter(unit=unit, valid_from__lte=date).filter(_open_on(date)).first()
    if current is not None:
        if current.valid_from == date:
            raise _fail("effective_date", _("%(unit)s already changed on %(date)s; two changes of the same "
                                            "relation on one day are not allowed")
                        % {"unit": unit.code, "date": date.isoformat()})
        if other is not None and getattr(current, f"{other_field}_id") == other.pk:
            raise _fail(other_field, _("%(unit)s is already under %(other)s on %(date)s")
                        % {"unit": unit.code, "other": other.code, "date": date.isoformat()})
        current.valid_to = date
        current.save(update_fields=["valid_to"])
    if other is not None:
        model.objects.create(unit=unit, valid_from=date, event=event, **{other_field: other})


def interval_problems(unit: OrgUnit, label: str, links: Sequence[tuple[dt.date, dt.date | None]],
                      needs_open_end: bool) -> list[str]:
    """What is wrong with one unit's intervals of one relation (sorted by `valid_from`), in words.

    The rule lives here once, for the events that change relations (`check_intervals`) and for a
    registry restored from a file (`restore_history`): intervals may not overlap and leave no gaps;
    an open unit with a territorial parent keeps one after its last change."""
    problems = []
    for (_a_from, a_to), (b_from, _b_to) in zip(links, links[1:], strict=False):
        if a_to is None or a_to > b_from:
            problems.append(f"{unit.code}: {label} intervals overlap at {b_from.isoformat()}")
        elif a_to < b_from:
            problems.append(f"{unit.code}: {label} has a gap {a_to.isoformat()}..{b_from.isoformat()} "
                            "while the unit is open")
    if needs_open_end and unit.kind != Kind.REPUBLIC and links:
        last_to = links[-1][1]
        if unit.closed is None and last_to is not None:
            problems.append(f"{unit.code} is open but has no {label} after {last_to}")
    return problems


def check_intervals(unit: OrgUnit) -> None:
    """Intervals of each relation may not overlap; gaps are allowed only while the unit is closed."""
    for model, label in ((TerritorialRelation, "territorial parent"), (GoverningRelation, "governing body")):
        links = list(model.objects.filter(unit=unit).order_by("valid_from"))
        for a, b in zip(links, links[1:], strict=False):
            if a.valid_to is None or a.valid_to > b.valid_from:
                raise _fail("effective_date", _("%(unit)s: %(relation)s intervals overlap at %(date)s")
                            % {"unit": unit.code, "relation": label, "date": b.valid_from.isoformat()})
            if a.valid_to < b.valid_from:
                raise _fail("effective_date", _("%(unit)s: %(relation)s has a gap %(start)s..%(end)s while the "
                                                "unit is open")
                            % {"unit": unit.code, "relation": label, "start": a.valid_to.isoformat(),
                               "end": b.valid_from.isoformat()})
        if model is TerritorialRelation and unit.kind != Kind.REPUBLIC and links:
            if unit.closed is None and links[-1].valid_to is not None:
                raise _fail("effective_date", _("%(unit)s is open but has no %(relation)s after %(date)s")
                            % {"unit": unit.code, "relation": label, "date": links[-1].valid_to.isoformat()})


def _create_unit(spec: UnitSpec, date: dt.date, event: Restructuring, field: str = "new_unit") -> OrgUnit:
    if OrgUnit.objects.filter(code=spec.code).exists():
        raise _fail(f"{field}.code", _("Code %(code)s is already used by another unit") % {"code": spec.code})
    unit = OrgUnit(code=spec.code, kind=spec.kind, name_kk=spec.name_kk, name_ru=spec.name_ru,
                   name_en=spec.name_en, opened=date, **spec.attrs)
    try:
        unit.full_clean()
    except ValidationError as e:
        raise RegistryError({f"{field}.{k}": v for k, v in e.message_dict.items()}) from e
    if spec.parent is None and unit.kind != Kind.REPUBLIC:
        raise _fail(f"{field}.parent", _("%(code)s: a %(kind)s needs a territorial parent")
                    % {"code": spec.code, "kind": unit.kind})
    unit.save()
    if spec.parent is not None:
        _check_parent(unit, spec.parent, date, f"{field}.parent")
        TerritorialRelation.objects.create(unit=unit, parent=spec.parent, valid_from=date, event=event)
    if spec.governing_body is not None:
        _check_body(unit, spec.governing_body, date, f"{field}.governing_body")
        GoverningRelation.objects.create(unit=unit, body=spec.governing_body, valid_from=date, event=event)
    NameRecord.objects.create(unit=unit, valid_from=date, event=event, name_kk=unit.name_kk,
                              name_ru=unit.name_ru, name_en=unit.name_en)
    return unit


@transaction.atomic
def open_unit(spec: UnitSpec, date: dt.date, act: LegalAct, actor: str = "", description: str = "") -> OrgUnit:
    """Open (register) a new unit under its parent and governing body from `date`."""
    event = _new_event(EK.OPEN, date, act, description or f"Open {spec.code}", actor)
    unit = _create_unit(spec, date, event)
    event.subjects.add(unit)
    audit.record(actor, "registry.open", "OrgUnit", unit.code, None, _snapshot(unit))
    return unit


def _children_on(unit: OrgUnit, date: dt.date) -> list[OrgUnit]:
    ids = TerritorialRelation.objects.filter(parent=unit, valid_from__lte=date).filter(_open_on(date)).values("unit_id")
    return list(OrgUnit.objects.filter(pk__in=ids))


def _governed_on(unit: OrgUnit, date: dt.date) -> list[OrgUnit]:
    ids = GoverningRelation.objects.filter(body=unit, valid_from__lte=date).filter(_open_on(date)).values("unit_id")
    return list(OrgUnit.objects.filter(pk__in=ids))


def _close(unit: OrgUnit, date: dt.date, event: Restructuring, field: str = "unit") -> None:
    if not unit.exists_on(date):
        raise _fail(field, _("%(unit)s is not open on %(date)s") % {"unit": unit.code, "date": date.isoformat()})
    kids = _children_on(unit, date)
    if kids:
        raise _fail(field, _("%(unit)s still has %(n)s child unit(s) on %(date)s (e.g. %(example)s); move or "
                             "close them first")
                    % {"unit": unit.code, "n": len(kids), "date": date.isoformat(), "example": kids[0].code})
    governed = _governed_on(unit, date)
    if governed:
        raise _fail(field, _("%(unit)s still governs %(n)s unit(s) on %(date)s (e.g. %(example)s); transfer "
                             "them first")
                    % {"unit": unit.code, "n": len(governed), "date": date.isoformat(), "example": governed[0].code})
    for model in (TerritorialRelation, GoverningRelation, NameRecord):
        model.objects.filter(unit=unit, valid_from__lte=date).filter(_open_on(date)).update(valid_to=date)
    unit.closed = date
    unit.save(update_fields=["closed"])


@transaction.atomic
def close_unit(unit: OrgUnit, date: dt.date, act: LegalAct, actor: str = "", description: str = "") -> Restructuring:
    """Close a unit; it must have no children and govern nobody on that date."""
    before = _snapshot(unit)
    event = _new_event(EK.CLOSE, date, act, description or f"Close {unit.code}", actor, [unit])
    _close(unit, date, event)
    check_intervals(unit)
    audit.record(actor, "registry.close", "OrgUnit", unit.code, before, _snapshot(unit))
    return event


def _move(unit: OrgUnit, parent: OrgUnit, date: dt.date, event: Restructuring, field: str = "parent") -> None:
    if not unit.exists_on(date):
        raise _fail("unit", _("%(unit)s is not open on %(date)s") % {"unit": unit.code, "date": date.isoformat()})
    _check_parent(unit, parent, date, field)
    _switch(TerritorialRelation, unit, "parent", parent, date, event)
    check_intervals(unit)


@transaction.atomic
def move_unit(unit: OrgUnit, new_parent: OrgUnit, date: dt.date, act: LegalAct, actor: str = "",
              description: str = "", reverses: Restructuring | None = None) -> Restructuring:
    """Change a unit's territorial parent from `date`."""
    old = parent_code(unit, date)
    event = _new_event(EK.MOVE, date, act, description or f"Move {unit.code} from {old} to {new_parent.code}",
                       actor, [unit, new_parent], {"from": old, "to": new_parent.code}, reverses)
    _move(unit, new_parent, date, event)
    audit.record(actor, "registry.move", "OrgUnit", unit.code, {"parent": old}, {"parent": new_parent.code,
                 "date": date.isoformat()})
    return event


@transaction.atomic
def transfer_units(units: Sequence[OrgUnit], new_body: OrgUnit, date: dt.date, act: LegalAct, actor: str = "",
                   description: str = "", reverses: Restructuring | None = None) -> Restructuring:
    """Change the governing body of one or more units from `date` (one event, one legal act)."""
    units = list(units)
    if not units:
        raise _fail("units", _("A transfer needs at least one unit"))
    previous = {u.code: body_code(u, date) for u in units}
    details: dict[str, Any] = {"to": new_body.code, "from": previous}
    event = _new_event(EK.TRANSFER, date, act,
                       description or f"Transfer {len(units)} unit(s) to {new_body.code}",
                       actor, [*units, new_body], details, reverses)
    rows = []
    for u in units:
        if not u.exists_on(date):
            raise _fail("units", _("%(unit)s is not open on %(date)s") % {"unit": u.code, "date": date.isoformat()})
        _check_body(u, new_body, date)
        _switch(GoverningRelation, u, "body", new_body, date, event)
        check_intervals(u)
        rows.append((actor, "registry.transfer", "OrgUnit", u.code, {"body": previous[u.code]},
                     {"body": new_body.code, "date": date.isoformat()}))
    audit.record_many(rows)
    return event


@transaction.atomic
def rename_unit(unit: OrgUnit, date: dt.date, act: LegalAct, name_kk: str, name_ru: str = "", name_en: str = "",
                actor: str = "", description: str = "", reverses: Restructuring | None = None) -> Restructuring:
    """Give a unit new names from `date`; the old names stay in its history."""
    bad = {f: e for f, v in (("name_kk", name_kk), ("name_ru", name_ru), ("name_en", name_en))
           if (e := name_error(v)) is not None}
    if bad:
        raise ValidationError(bad)
    before = _snapshot(unit)
    event = _new_event(EK.RENAME, date, act, description or f"Rename {unit.code}", actor, [unit],
                       {"from": {"kk": unit.name_kk, "ru": unit.name_ru, "en": unit.name_en},
                        "to": {"kk": name_kk, "ru": name_ru, "en": name_en}}, reverses)
    later = NameRecord.objects.filter(unit=unit, valid_from__gte=date).exists()
    if later:
        raise _fail("effective_date", _("%(unit)s already has a name change on or after %(date)s")
                    % {"unit": unit.code, "date": date.isoformat()})
    NameRecord.objects.filter(unit=unit, valid_from__lt=date).filter(_open_on(date)).update(valid_to=date)
    NameRecord.objects.create(unit=unit, valid_from=date, event=event, name_kk=name_kk, name_ru=name_ru,
                              name_en=name_en)
    unit.name_kk, unit.name_ru, unit.name_en = name_kk, name_ru or unit.name_ru, name_en or unit.name_en
    unit.save(update_fields=["name_kk", "name_ru", "name_en"])
    audit.record(actor, "registry.rename", "OrgUnit", unit.code, before, _snapshot(unit))
    return event


@transaction.atomic
def split_unit(source: OrgUnit, parts: Sequence[tuple[UnitSpec | OrgUnit, Sequence[OrgUnit]]], date: dt.date,
               act: LegalAct, close_source: bool = False, actor: str = "", description: str = "") -> Restructuring:
    """Split `source`: open new units (or use existing ones) and move the listed children into each.

    With `close_source` the source disappears (all its children must be moved); otherwise it keeps
    what was not moved — e.g. East Kazakhstan Region after Abai Region was formed from it in 2022.
    """
    event = _new_event(EK.SPLIT, date, act, description or f"Split {source.code}", actor, [source],
                       {"source": source.code, "parts": {}})
    for target_or_spec, children in parts:
        target = (_create_unit(target_or_spec, date, event, "parts") if isinstance(target_or_spec, UnitSpec)
                  else target_or_spec)
        event.subjects.add(target)
        moved = []
        for child in children:
            if parent_code(child, date) != source.code:
                raise _fail("parts", _("%(unit)s is not under %(source)s on %(date)s")
                            % {"unit": child.code, "source": source.code, "date": date.isoformat()})
            _move(child, target, date, event, "parts")
            moved.append(child.code)
        event.details["parts"][target.code] = moved
        audit.record(actor, "registry.split", "OrgUnit", target.code, {"parent_of_children": source.code},
                     {"children": moved, "date": date.isoformat()})
    if close_source:
        _close(source, date, event)
        check_intervals(source)
    event.details["source_closed"] = close_source
    event.save(update_fields=["details"])
    return event


@transaction.atomic
def merge_units(sources: Sequence[OrgUnit], target: UnitSpec | OrgUnit, date: dt.date, act: LegalAct,
                actor: str = "", description: str = "") -> Restructuring:
    """Merge `sources` into `target` (new or existing): their children move to it, they close."""
    event = _new_event(EK.MERGE, date, act, description or "Merge", actor, sources, {"sources": [s.code for s in sources]})
    tgt = _create_unit(target, date, event, "new_unit") if isinstance(target, UnitSpec) else target
    event.subjects.add(tgt)
    for src in sources:
        if src.pk == tgt.pk:
            raise _fail("sources", _("%(unit)s cannot be merged into itself") % {"unit": src.code})
        for child in _children_on(src, date):
            _move(child, tgt, date, event, "target")
        for governed in _governed_on(src, date):
            if tgt.kind != Kind.AUTHORITY:
                raise _fail("target", _("%(unit)s governs units; it can only merge into an authority")
                            % {"unit": src.code})
            _switch(GoverningRelation, governed, "body", tgt, date, event)
        _close(src, date, event, "sources")
        check_intervals(src)
        audit.record(actor, "registry.merge", "OrgUnit", src.code, None, {"into": tgt.code, "date": date.isoformat()})
    event.details["target"] = tgt.code
    event.save(update_fields=["details"])
    return event


@transaction.atomic
def reverse_event(event: Restructuring, date: dt.date, act: LegalAct, actor: str = "") -> Restructuring:
    """Undo a move, transfer or rename by a later event of the same kind (history is never edited)."""
    if date <= event.effective_date:
        raise _fail("effective_date", _("A reversal must be dated after the event it reverses"))
    desc = f"Reversal of event #{event.pk} ({event.get_kind_display()} of {event.effective_date})"
    if event.kind == EK.MOVE:
        subject = event.subjects.exclude(code=event.details["to"]).first()
        if subject is None:
            raise _fail("reverses", _("Event #%(id)s has no unit to move back") % {"id": event.pk})
        unit = subject
        return move_unit(unit, OrgUnit.objects.get(code=event.details["from"]), date, act, actor, desc, event)
    if event.kind == EK.TRANSFER:
        by_old: dict[str, list[OrgUnit]] = {}
        for code, old in event.details["from"].items():
            if old is None:
                raise _fail("reverses", _("%(unit)s had no governing body before the event; nothing to restore")
                            % {"unit": code})
            by_old.setdefault(old, []).append(OrgUnit.objects.get(code=code))
        last = None
        for old, units in by_old.items():
            last = transfer_units(units, OrgUnit.objects.get(code=old), date, act, actor, desc, event)
        assert last is not None
        return last
    if event.kind == EK.RENAME:
        unit = event.subjects.get()
        old = event.details["from"]
        return rename_unit(unit, date, act, old["kk"], old["ru"], old["en"], actor, desc, event)
    raise _fail("reverses", _("Events of kind '%(kind)s' are reversed by the opposite event (e.g. open after close)")
                % {"kind": event.kind})


def parent_code(unit: OrgUnit, date: dt.date) -> str | None:
    link = TerritorialRelation.objects.filter(unit=unit, valid_from__lte=date).filter(_open_on(date)).select_related(
        "parent").first()
    return link.parent.code if link else None


def body_code(unit: OrgUnit, date: dt.date) -> str | None:
    link = GoverningRelation.objects.filter(unit=unit, valid_from__lte=date).filter(_open_on(date)).select_related(
        "body").first()
    return link.body.code if link else None


def _chunks(items: Sequence[str], size: int = 900) -> Iterable[Sequence[str]]:
    """Slices small enough for any database's limit on query parameters (SQLite 32766, PostgreSQL 65535)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


@transaction.atomic
def bulk_register(specs: Sequence[UnitSpec], date: dt.date, act: LegalAct, actor: str = "",
                  description: str = "Initial registration") -> Restructuring:
    """Register many units at once (initial load, demo, large imports): one event, one audit batch.

    Checks the same invariants as `open_unit`, but in memory, so a national registry loads in seconds.
    Parents and governing bodies must already exist or come earlier in `specs`.
    """
    event = _new_event(EK.OPEN, date, act, description, actor)
    codes = [s.code for s in specs]
    if len(set(codes)) != len(codes):
        raise RegistryError("Duplicate codes in the batch")
    clash: list[str] = []
    for chunk in _chunks(codes):
        clash += OrgUnit.objects.filter(code__in=chunk).values_list("code", flat=True)[:5]
    if clash:
        raise RegistryError(f"Codes already in use: {', '.join(clash)}")
    units = []
    for s in specs:
        attrs = dict(s.attrs)
        opened = attrs.pop("opened", date)
        u = OrgUnit(code=s.code, kind=s.kind, name_kk=s.name_kk, name_ru=s.name_ru, name_en=s.name_en,
                    opened=opened, **attrs)
        u.clean()
        if s.parent is None and u.kind != Kind.REPUBLIC:
            raise RegistryError(f"{s.code}: a {u.kind} needs a territorial parent")
        if s.parent is not None and s.parent.kind not in ALLOWED_PARENT_KINDS[u.kind]:
            raise RegistryError(f"{s.code} ({u.kind}) cannot be placed under {s.parent.code} ({s.parent.kind})")
        if s.governing_body is not None and s.governing_body.kind != Kind.AUTHORITY:
            raise RegistryError(f"{s.code}: governing body {s.governing_body.code} is not an authority")
        units.append(u)
    OrgUnit.objects.bulk_create(units, batch_size=2000)
    by_code = {u.code: u for chunk in _chunks(codes) for u in OrgUnit.objects.filter(code__in=chunk)}
    terr, gov, names = [], [], []
    for s in specs:
        u = by_code[s.code]
        start = u.opened or date
        if s.parent is not None:
            parent = by_code.get(s.parent.code, s.parent)
            terr.append(TerritorialRelation(unit=u, parent=parent, valid_from=start, event=event))
        if s.governing_body is not None:
            body = by_code.get(s.governing_body.code, s.governing_body)
            gov.append(GoverningRelation(unit=u, body=body, valid_from=start, event=event))
        names.append(NameRecord(unit=u, valid_from=start, event=event, name_kk=u.name_kk, name_ru=u.name_ru,
                                name_en=u.name_en))
    TerritorialRelation.objects.bulk_create(terr, batch_size=5000)
    GoverningRelation.objects.bulk_create(gov, batch_size=5000)
    NameRecord.objects.bulk_create(names, batch_size=5000)
    event.details = {"count": len(units)}
    event.save(update_fields=["details"])
    audit.record(actor, "registry.bulk_register", "Restructuring", event.pk, None, {"count": len(units),
                 "codes_sample": codes[:20]})
    return event


# --- the registry with its history, restored from a file (`exchange.registry_io`) ----------------


@dataclass
class ActRecord:
    """A legal act as a file carries it; `key` is the file's own name for it (ids differ between installs)."""

    key: str
    kind: str
    date: dt.date
    issuer: str
    number: str = ""
    title_kk: str = ""
    title_ru: str = ""
    title_en: str = ""
    url: str = ""


@dataclass
class EventRecord:
    """A restructuring as recorded, with its legal act, subjects and reversed event named by key or code."""

    key: str
    kind: str
    effective_date: dt.date
    legal_act: str
    description: str = ""
    subjects: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    reverses: str | None = None
    recorded_at: dt.datetime | None = None
    recorded_by: str = ""


@dataclass
class LinkRecord:
    """One interval of a dated relation: `unit` under (or governed by) `other` during [valid_from, valid_to)."""

    unit: str
    other: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    event: str | None = None


@dataclass
class NameInterval:
    unit: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    event: str | None = None
    name_kk: str = ""
    name_ru: str = ""
    name_en: str = ""


@dataclass
class RegistryHistory:
    """The whole registry: units (unsaved), both dated relations, names, events and their legal acts."""

    acts: list[ActRecord] = field(default_factory=list)
    units: list[OrgUnit] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    territorial: list[LinkRecord] = field(default_factory=list)
    governing: list[LinkRecord] = field(default_factory=list)
    names: list[NameInterval] = field(default_factory=list)


def _history_problems(h: RegistryHistory) -> list[str]:
    """Every reason the history cannot be restored, each naming the record it is about."""
    from django.utils.translation import gettext as _

    problems: list[str] = []
    acts: set[str] = set()
    for a in h.acts:
        if a.key in acts:
            problems.append(_("legal act %(key)s: the key is used twice") % {"key": a.key})
        acts.add(a.key)
        if a.kind not in LegalAct.ActKind.values:
            problems.append(_("legal act %(key)s: unknown kind '%(kind)s'") % {"key": a.key, "kind": a.kind})
    units: dict[str, OrgUnit] = {}
    for u in h.units:
        if u.code in units:
            problems.append(_("unit %(code)s: the code is used twice") % {"code": u.code})
        units[u.code] = u
        if u.kind not in Kind.values:
            problems.append(_("unit %(code)s: unknown kind '%(kind)s'") % {"code": u.code, "kind": u.kind})
            continue
        try:
            u.clean_fields()
            u.clean()
        except ValidationError as e:
            for f, msgs in e.message_dict.items():
                problems += [_("unit %(code)s: %(field)s: %(reason)s") % {"code": u.code, "field": f, "reason": m}
                             for m in msgs]
    events: dict[str, EventRecord] = {}
    for ev in h.events:
        where = _("event %(key)s (%(kind)s of %(date)s)") % {"key": ev.key, "kind": ev.kind,
                                                              "date": ev.effective_date.isoformat()}
        if ev.key in events:
            problems.append(_("%(where)s: the key is used twice") % {"where": where})
        if ev.kind not in EK.values:
            problems.append(_("%(where)s: unknown kind") % {"where": where})
        if ev.legal_act not in acts:
            problems.append(_("%(where)s: legal act %(act)s is not in the file") % {"where": where,
                                                                                  "act": ev.legal_act})
        if ev.reverses is not None and ev.reverses not in events:
            problems.append(_("%(where)s: reverses %(other)s, which is not an earlier event in the file")
                            % {"where": where, "other": ev.reverses})
        for code in ev.subjects:
            if code not in units:
                problems.append(_("%(where)s: subject %(code)s is not a unit in the file")
                                % {"where": where, "code": code})
        events[ev.key] = ev
    relations = ((h.territorial, "parent", _("territorial parent")), (h.governing, "body", _("governing body")))
    for links, role, label in relations:
        by_unit: dict[str, list[LinkRecord]] = {}
        for link in links:
            where = _("%(relation)s of %(unit)s from %(date)s") % {"relation": label, "unit": link.unit,
                                                                  "date": link.valid_from.isoformat()}
            unit, other = units.get(link.unit), units.get(link.other)
            if unit is None or other is None:
                missing = link.unit if unit is None else link.other
                problems.append(_("%(where)s: %(code)s is not a unit in the file") % {"where": where,
                                                                                      "code": missing})
                continue
            if link.valid_to is not None and link.valid_to <= link.valid_from:
                problems.append(_("%(where)s: it ends on %(end)s, not after it starts") % {
                    "where": where, "end": link.valid_to.isoformat()})
            if link.event is not None and link.event not in events:
                problems.append(_("%(where)s: event %(key)s is not in the file") % {"where": where,
                                                                                     "key": link.event})
            if role == "parent" and other.kind not in ALLOWED_PARENT_KINDS.get(unit.kind, set()):
                problems.append(_("%(where)s: a %(kind)s cannot be placed under %(other)s (a %(other_kind)s)")
                                % {"where": where, "kind": unit.kind, "other": other.code,
                                   "other_kind": other.kind})
            if role == "body":
                if other.kind != Kind.AUTHORITY:
                    problems.append(_("%(where)s: %(other)s is a %(other_kind)s, not an authority")
                                    % {"where": where, "other": other.code, "other_kind": other.kind})
                if unit.kind not in (Kind.ORGANIZATION, Kind.AUTHORITY) or other.code == unit.code:
                    problems.append(_("%(where)s: a %(kind)s cannot be governed by %(other)s")
                                    % {"where": where, "kind": unit.kind, "other": other.code})
            by_unit.setdefault(link.unit, []).append(link)
        for code, unit_links in by_unit.items():
            spans = sorted((x.valid_from, x.valid_to) for x in unit_links)
            problems += interval_problems(units[code], str(label), spans, needs_open_end=role == "parent")
    for n in h.names:
        if n.unit not in units:
            problems.append(_("name of %(unit)s from %(date)s: %(unit)s is not a unit in the file")
                            % {"unit": n.unit, "date": n.valid_from.isoformat()})
        elif n.event is not None and n.event not in events:
            problems.append(_("name of %(unit)s from %(date)s: event %(key)s is not in the file")
                            % {"unit": n.unit, "date": n.valid_from.isoformat(), "key": n.event})
    return problems


@transaction.atomic
def restore_history(history: RegistryHistory, actor: str = "") -> dict[str, int]:
    """Write a whole registry with its history into an empty install, in one transaction.

    Unlike the events above, this replays nothing: it restores the record as it was kept elsewhere
    (intervals, events with their original `recorded_at`, closed units), so that a registry moved
    between installs reads the same as of every date. Every problem is checked first and reported
    together, each naming its record; then nothing is written. A legal act identical to one already
    present is reused rather than duplicated. Returns the number of records written per kind.
    """
    from django.utils.translation import gettext as _

    present = OrgUnit.objects.count()
    if present or Restructuring.objects.exists():
        raise RegistryError(_("The registry is not empty (%(n)d units): a registry with its history can only "
                              "be restored into an empty install.") % {"n": present})
    problems = _history_problems(history)
    if problems:
        raise RegistryError(problems)

    act_of: dict[str, LegalAct] = {}
    new_acts = []
    for a in history.acts:
        values = {"kind": a.kind, "number": a.number, "date": a.date, "issuer": a.issuer, "title_kk": a.title_kk,
                  "title_ru": a.title_ru, "title_en": a.title_en, "url": a.url}
        same = LegalAct.objects.filter(**values).order_by("id").first()
        act_of[a.key] = same or LegalAct(**values)
        if same is None:
            new_acts.append(act_of[a.key])
    LegalAct.objects.bulk_create(new_acts)
    OrgUnit.objects.bulk_create(history.units, batch_size=2000)
    unit_of = {u.code: u for u in OrgUnit.objects.all()}
    event_of: dict[str, Restructuring] = {}
    events = []
    for ev in history.events:
        event_of[ev.key] = Restructuring(kind=ev.kind, effective_date=ev.effective_date,
                                         legal_act=act_of[ev.legal_act], description=ev.description,
                                         details=ev.details, recorded_by=ev.recorded_by)
        events.append(event_of[ev.key])
    Restructuring.objects.bulk_create(events, batch_size=2000)
    for ev in history.events:  # recorded_at is set on insert; the original time is restored after it
        obj = event_of[ev.key]
        obj.recorded_at = ev.recorded_at or obj.recorded_at
        obj.reverses = event_of[ev.reverses] if ev.reverses else None
    Restructuring.objects.bulk_update(events, ["recorded_at", "reverses"], batch_size=2000)
    through = Restructuring.subjects.through
    through.objects.bulk_create([through(restructuring_id=event_of[ev.key].pk, orgunit_id=unit_of[c].pk)
                                 for ev in history.events for c in ev.subjects], batch_size=5000)

    def ev_of(key: str | None) -> Restructuring | None:
        return event_of[key] if key else None

    TerritorialRelation.objects.bulk_create(
        [TerritorialRelation(unit=unit_of[x.unit], parent=unit_of[x.other], valid_from=x.valid_from,
                             valid_to=x.valid_to, event=ev_of(x.event)) for x in history.territorial],
        batch_size=5000)
    GoverningRelation.objects.bulk_create(
        [GoverningRelation(unit=unit_of[x.unit], body=unit_of[x.other], valid_from=x.valid_from,
                           valid_to=x.valid_to, event=ev_of(x.event)) for x in history.governing],
        batch_size=5000)
    NameRecord.objects.bulk_create(
        [NameRecord(unit=unit_of[n.unit], valid_from=n.valid_from, valid_to=n.valid_to, event=ev_of(n.event),
                    name_kk=n.name_kk, name_ru=n.name_ru, name_en=n.name_en) for n in history.names],
        batch_size=5000)
    counts = {"legal_acts": len(new_acts), "units": len(history.units), "events": len(events),
              "territorial": len(history.territorial), "governing": len(history.governing),
              "names": len(history.names)}
    audit.record(actor, "registry.restore", "Restructuring", None, None, counts)
    return counts
