"""Org units from a file: check every row against the registry's rules, then register them in one event.

A file registers new units (`registry.services.bulk_register`, one `Restructuring` with one legal act).
A row for a unit that already exists is accepted when it says what the registry says (so an export
imports back as "unchanged"); any difference is an error, because changing a unit is a restructuring
(move, transfer, rename) with its own date and legal basis, not an overwrite.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from bilim.collection.validation import RowError
from bilim.registry import selectors
from bilim.registry.models import (
    ALLOWED_PARENT_KINDS,
    LANGUAGES_OF_INSTRUCTION,
    Area,
    Kind,
    LegalAct,
    OrgUnit,
    Ownership,
)
from bilim.registry.services import RegistryError, UnitSpec, bulk_register

from .readers import ORGUNIT_COLUMNS, ORGUNIT_EXTRA_COLUMNS, Table, canonical_header

REQUIRED = ("code", "kind", "name_kk", "valid_from")
FIELD_FOR_MODEL = {"org_type": "type", "opened": "valid_from"}
TRUE = {"1", "true", "yes", "y", "x"}
FALSE = {"", "0", "false", "no", "n"}


@dataclass
class _Row:
    line: int
    code: str
    kind: str
    valid_from: dt.date
    parent: str
    body: str
    unit: OrgUnit  # unsaved, cleaned


@dataclass
class OrgUnitPlan:
    new: list[_Row]
    unchanged: int


def _attrs(cells: dict[str, str], line: int, errors: list[RowError]) -> dict[str, Any]:
    """Typed optional attributes (extra columns); empty cells are left at the model default."""
    out: dict[str, Any] = {}

    def bad(f: str, reason: str) -> None:
        errors.append(RowError(line, f, reason))

    for name in ("subtype", "ownership"):
        v = cells.get(name, "").strip()
        if v:
            if name == "ownership" and v not in Ownership.values:
                bad(name, f"unknown ownership '{v}' (expected {', '.join(Ownership.values)})")
            out[name] = v
    for name in ("small_school", "emergency"):
        v = cells.get(name, "").strip().lower()
        if v in TRUE:
            out[name] = True
        elif v not in FALSE:
            bad(name, f"'{cells[name]}' is not yes/no (use 1 or 0)")
    v = cells.get("languages", "").strip()
    if v:
        langs = [x.strip() for x in v.replace("|", ";").replace(",", ";").split(";") if x.strip()]
        unknown = [x for x in langs if x not in LANGUAGES_OF_INSTRUCTION]
        if unknown:
            bad("languages", f"unknown language of instruction '{unknown[0]}' "
                             f"(expected {', '.join(LANGUAGES_OF_INSTRUCTION)}, separated by ';')")
        out["languages"] = langs
    for name in ("capacity", "shifts"):
        v = cells.get(name, "").strip()
        if v:
            try:
                n = int(v)
                if n < 0:
                    raise ValueError
                out[name] = n
            except ValueError:
                bad(name, f"'{v}' is not a whole number ≥ 0")
    for name in ("lat", "lon"):
        v = cells.get(name, "").strip()
        if v:
            try:
                out[name] = float(v)
                if out[name] != out[name] or out[name] in (float("inf"), float("-inf")):
                    raise ValueError
            except ValueError:
                bad(name, f"'{v}' is not a coordinate in decimal degrees")
                out.pop(name, None)
    return out


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def plan_orgunits(table: Table, as_of: dt.date | None = None) -> tuple[OrgUnitPlan | None, list[RowError]]:
    """Validate every row; return what would be registered, or every problem."""
    as_of = as_of or dt.date.today()
    header = canonical_header(table.header, (*ORGUNIT_COLUMNS, *ORGUNIT_EXTRA_COLUMNS))
    errors: list[RowError] = []
    for name in REQUIRED:
        if name not in header:
            errors.append(RowError(table.header_line, name, f"required column '{name}' is missing "
                                                            f"(columns: {','.join(ORGUNIT_COLUMNS)})"))
    for name in header:
        if name not in ORGUNIT_COLUMNS and name not in ORGUNIT_EXTRA_COLUMNS:
            errors.append(RowError(table.header_line, name, f"unknown column '{name}' (columns: "
                                   f"{','.join(ORGUNIT_COLUMNS)}, optional {','.join(ORGUNIT_EXTRA_COLUMNS)})"))
    if errors:
        return None, errors
    codes_in_file: dict[str, int] = {}
    for line, rec in table.rows:
        code = rec[header.index("code")].strip()
        codes_in_file.setdefault(code, line)
    referenced = set(codes_in_file)
    for _line, rec in table.rows:
        cells = dict(zip(header, rec, strict=True))
        referenced.update({cells.get("parent", "").strip(), cells.get("governing_body", "").strip()})
    wanted = sorted(c for c in referenced if c)
    existing = {u.code: u for i in range(0, len(wanted), 900)
                for u in OrgUnit.objects.filter(code__in=wanted[i:i + 900])}

    in_file: dict[str, _Row] = {}
    new: list[_Row] = []
    unchanged = 0
    for line, rec in table.rows:
        cells = {k: v.strip() for k, v in zip(header, rec, strict=True)}
        row_errors: list[RowError] = []

        def bad(f: str, reason: str, _errs: list[RowError] = row_errors, _line: int = line) -> None:
            _errs.append(RowError(_line, f, reason))

        code = cells.get("code", "")
        kind = cells.get("kind", "")
        if not code:
            bad("code", "code is missing")
        elif len(code) > 32:
            bad("code", f"code '{code[:40]}...' is longer than 32 characters")
        elif codes_in_file.get(code) != line:
            bad("code", f"duplicate of line {codes_in_file[code]}")
        if kind not in Kind.values:
            bad("kind", f"unknown kind '{kind}' (expected {', '.join(Kind.values)})" if kind else "kind is missing")
        valid_from = _date(cells.get("valid_from", ""))
        if valid_from is None:
            bad("valid_from", f"'{cells.get('valid_from', '')}' is not a date (expected YYYY-MM-DD)"
                if cells.get("valid_from") else "valid_from is missing (YYYY-MM-DD)")
        area = cells.get("area", "")
        if area and area not in Area.values:
            bad("area", f"unknown area '{area}' (expected URBAN or RURAL)")
        for name in ("name_kk", "name_ru", "name_en"):
            if len(cells.get(name, "")) > 255:
                bad(name, "longer than 255 characters")
        attrs = _attrs(cells, line, row_errors)
        unit = OrgUnit(code=code, kind=kind, org_type=cells.get("type", ""), name_kk=cells.get("name_kk", ""),
                       name_ru=cells.get("name_ru", ""), name_en=cells.get("name_en", ""), area=area,
                       opened=valid_from, **attrs)
        if kind in Kind.values:
            if not unit.name_kk:
                bad("name_kk", "name_kk (the Kazakh name) is missing")
            try:
                unit.clean()
            except ValidationError as e:
                for f, msgs in e.message_dict.items():
                    for m in msgs:
                        bad(FIELD_FOR_MODEL.get(f, f), str(m))

        parent_code = cells.get("parent", "")
        body_code = cells.get("governing_body", "")
        parent = _resolve(parent_code, "parent", in_file, existing, codes_in_file, line, valid_from, bad)
        body = _resolve(body_code, "governing_body", in_file, existing, codes_in_file, line, valid_from, bad)
        if kind in Kind.values:
            if parent is None and not parent_code and kind != Kind.REPUBLIC:
                bad("parent", f"a {kind} needs a territorial parent")
            if parent is not None and parent.kind not in ALLOWED_PARENT_KINDS[kind]:
                allowed = ", ".join(sorted(ALLOWED_PARENT_KINDS[kind])) or "none"
                bad("parent", f"a {kind} cannot be placed under {parent.code} (a {parent.kind}); "
                              f"allowed parent kinds: {allowed}")
            if body is not None:
                if body.kind != Kind.AUTHORITY:
                    bad("governing_body", f"{body.code} is a {body.kind}, not an authority")
                if kind not in (Kind.ORGANIZATION, Kind.AUTHORITY):
                    bad("governing_body", f"a {kind} has no governing body")
                if body.code == code:
                    bad("governing_body", "a unit cannot govern itself")

        if code in existing and not row_errors:
            diff = _differences(existing[code], unit, parent_code, body_code, cells, as_of)
            if diff:
                bad("code", f"org unit {code} already exists and differs ({'; '.join(diff[:3])}); changes to "
                            "existing units are restructurings (move, transfer, rename) with a legal act")
            else:
                unchanged += 1
        elif not row_errors and valid_from is not None:
            r = _Row(line, code, kind, valid_from, parent_code, body_code, unit)
            in_file[code] = r
            new.append(r)
        elif code and code not in existing and codes_in_file.get(code) == line and valid_from is not None:
            # keep a placeholder so children are judged on their own problems only
            in_file[code] = _Row(line, code, kind, valid_from, parent_code, body_code, unit)
        errors += row_errors
    if errors:
        return None, errors
    return OrgUnitPlan(new, unchanged), []


def _resolve(code: str, f: str, in_file: dict[str, _Row], existing: dict[str, OrgUnit], codes_in_file: dict[str, int],
             line: int, valid_from: dt.date | None, bad) -> OrgUnit | None:
    if not code:
        return None
    if code in in_file:
        ref = in_file[code]
        if valid_from is not None and ref.valid_from > valid_from:
            bad(f, f"{code} (line {ref.line}) is only valid from {ref.valid_from.isoformat()}, after "
                   f"{valid_from.isoformat()}")
        return ref.unit
    if code in existing:
        unit = existing[code]
        if valid_from is not None and not unit.exists_on(valid_from):
            bad(f, f"{code} does not exist on {valid_from.isoformat()}")
        return unit
    if code in codes_in_file and codes_in_file[code] > line:
        bad(f, f"{code} is defined later in the file (line {codes_in_file[code]}); list parents and governing "
               "bodies before the units under them")
    elif code in codes_in_file and codes_in_file[code] == line:
        bad(f, "a unit cannot refer to itself")
    elif code in codes_in_file:
        pass  # the referenced row has its own errors
    else:
        bad(f, f"unknown org unit '{code}' (neither in the registry nor earlier in the file)")
    return None


def _differences(unit: OrgUnit, row: OrgUnit, parent: str, body: str, cells: dict[str, str],
                 as_of: dt.date) -> list[str]:
    day = as_of if unit.exists_on(as_of) else (unit.closed - dt.timedelta(days=1) if unit.closed else as_of)
    diff = []
    for f, col in (("kind", "kind"), ("org_type", "type"), ("name_kk", "name_kk"), ("name_ru", "name_ru"),
                   ("name_en", "name_en"), ("area", "area")):
        if col in cells and getattr(unit, f) != getattr(row, f):
            diff.append(f"{col}: '{getattr(row, f)}' in the file, '{getattr(unit, f)}' in the registry")
    if "valid_from" in cells and unit.opened != row.opened:
        diff.append(f"valid_from: {row.opened} in the file, opened {unit.opened} in the registry")
    for col, f in (("subtype", "subtype"), ("ownership", "ownership"), ("capacity", "capacity"),
                   ("shifts", "shifts"), ("lat", "lat"), ("lon", "lon"), ("small_school", "small_school"),
                   ("emergency", "emergency"), ("languages", "languages")):
        if col in cells and (cells[col] or getattr(unit, f) not in (None, "", False, [])):
            if getattr(unit, f) != getattr(row, f):
                diff.append(f"{col}: {getattr(row, f)!r} in the file, {getattr(unit, f)!r} in the registry")
    if "parent" in cells:
        p = selectors.parent_on(unit, day)
        if (p.code if p else "") != parent:
            diff.append(f"parent: '{parent}' in the file, '{p.code if p else ''}' in the registry")
    if "governing_body" in cells:
        b = selectors.governing_body_on(unit, day)
        if (b.code if b else "") != body:
            diff.append(f"governing_body: '{body}' in the file, '{b.code if b else ''}' in the registry")
    return diff


def register(plan: OrgUnitPlan, act: LegalAct, actor: str, description: str) -> None:
    """Register the planned units in one event (parents come earlier in the plan)."""
    if not plan.new:
        return
    placeholders: dict[str, OrgUnit] = {r.code: r.unit for r in plan.new}
    wanted = {c for r in plan.new for c in (r.parent, r.body) if c and c not in placeholders}
    wanted_list = sorted(wanted)
    existing = {u.code: u for i in range(0, len(wanted_list), 900)
                for u in OrgUnit.objects.filter(code__in=wanted_list[i:i + 900])}
    specs = []
    for r in plan.new:
        u = r.unit
        attrs = {f: getattr(u, f) for f in ("org_type", "subtype", "small_school", "area", "ownership", "languages",
                                             "capacity", "shifts", "emergency", "lat", "lon")}
        attrs["opened"] = r.valid_from
        specs.append(UnitSpec(code=u.code, kind=u.kind, name_kk=u.name_kk, name_ru=u.name_ru, name_en=u.name_en,
                              parent=placeholders.get(r.parent) or existing.get(r.parent),
                              governing_body=placeholders.get(r.body) or existing.get(r.body), attrs=attrs))
    try:
        bulk_register(specs, min(r.valid_from for r in plan.new), act, actor=actor, description=description)
    except (RegistryError, ValidationError) as e:  # checked above; a concurrent change could still clash
        raise RegistryError(f"registration failed: {e}") from e
