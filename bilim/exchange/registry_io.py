"""The registry with its whole history as one JSON file: `bilim export --orgunits --history`, `bilim import`.

The org units layout (CSV/XLSX) is a picture of one day: each unit with its parent of that day. It
cannot carry a district that moved to a new region in 2022, nor a region abolished in 2018, so a
registry exported that way does not import back into an empty install. This file carries what the
registry keeps: every unit (closed ones too), both dated relations, the name history, the
restructuring events and their legal acts. Records refer to one another by code (units) or by a key
of the file (`A1` legal acts, `E1` events), never by database ids, and are written in an order that
depends only on their content and recording order, so export → import into an empty install →
export gives the same bytes. Writing goes through `registry.services.restore_history`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from bilim.registry.models import (
    GoverningRelation,
    LegalAct,
    NameRecord,
    OrgUnit,
    Restructuring,
    TerritorialRelation,
)
from bilim.registry.services import (
    ActRecord,
    EventRecord,
    LinkRecord,
    NameInterval,
    RegistryError,
    RegistryHistory,
    restore_history,
)

FORMAT = "bilim-registry"
VERSION = 1
SECTIONS = ("legal_acts", "units", "events", "territorial", "governing", "names")

# (field, type) per record; the types are checked on import: str, bool, int, float, date, datetime, list
ACT_FIELDS = (("key", "str"), ("kind", "str"), ("number", "str"), ("date", "date"), ("issuer", "str"),
              ("title_kk", "str"), ("title_ru", "str"), ("title_en", "str"), ("url", "str"))
UNIT_FIELDS = (("code", "str"), ("kind", "str"), ("org_type", "str"), ("subtype", "str"), ("small_school", "bool"),
               ("name_kk", "str"), ("name_ru", "str"), ("name_en", "str"), ("area", "str"), ("ownership", "str"),
               ("languages", "list"), ("capacity", "int?"), ("shifts", "int?"), ("emergency", "bool"),
               ("lat", "float?"), ("lon", "float?"), ("opened", "date?"), ("closed", "date?"),
               ("synthetic", "bool"))
EVENT_FIELDS = (("key", "str"), ("kind", "str"), ("effective_date", "date"), ("legal_act", "str"),
                ("description", "str"), ("subjects", "list"), ("details", "dict"), ("reverses", "str?"),
                ("recorded_at", "datetime?"), ("recorded_by", "str"))
LINK_FIELDS = (("unit", "str"), ("other", "str"), ("valid_from", "date"), ("valid_to", "date?"), ("event", "str?"))
NAME_FIELDS = (("unit", "str"), ("valid_from", "date"), ("valid_to", "date?"), ("event", "str?"),
               ("name_kk", "str"), ("name_ru", "str"), ("name_en", "str"))
FIELDS = {"legal_acts": ACT_FIELDS, "units": UNIT_FIELDS, "events": EVENT_FIELDS, "territorial": LINK_FIELDS,
          "governing": LINK_FIELDS, "names": NAME_FIELDS}


def looks_like_registry(data: bytes) -> bool:
    """True for a file written by `export_registry` (the import service's format detection)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and f'"format": "{FORMAT}"'.encode() in head


# --- export --------------------------------------------------------------------------------------

def _iso(v: dt.date | dt.datetime | None) -> str | None:
    return v.isoformat() if v is not None else None


def registry_document() -> dict[str, list[dict[str, Any]]]:
    """Every record of the registry as plain JSON values, in the file's order."""
    acts = sorted(LegalAct.objects.all(), key=lambda a: (a.date, a.number, a.kind, a.issuer, a.title_kk, a.title_ru,
                                                          a.title_en, a.url, a.pk))
    act_key = {a.pk: f"A{i}" for i, a in enumerate(acts, 1)}
    code_of = dict(OrgUnit.objects.values_list("id", "code"))
    events = list(Restructuring.objects.order_by("effective_date", "id"))
    event_key = {e.pk: f"E{i}" for i, e in enumerate(events, 1)}
    subjects: dict[int, list[str]] = {}
    through = Restructuring.subjects.through
    for ev_id, unit_id in through.objects.values_list("restructuring_id", "orgunit_id"):
        subjects.setdefault(ev_id, []).append(code_of[unit_id])

    def links(model: type[TerritorialRelation] | type[GoverningRelation], other: str) -> list[dict[str, Any]]:
        rows = model.objects.values_list("unit_id", f"{other}_id", "valid_from", "valid_to", "event_id")
        out = [{"unit": code_of[u], "other": code_of[o], "valid_from": _iso(f), "valid_to": _iso(t),
                "event": event_key.get(e) if e else None} for u, o, f, t, e in rows]
        return sorted(out, key=lambda r: (r["unit"], r["valid_from"], r["other"]))

    names = [{"unit": code_of[n.unit_id], "valid_from": _iso(n.valid_from), "valid_to": _iso(n.valid_to),
              "event": event_key.get(n.event_id) if n.event_id else None, "name_kk": n.name_kk,
              "name_ru": n.name_ru, "name_en": n.name_en} for n in NameRecord.objects.all()]
    names.sort(key=lambda r: (r["unit"], r["valid_from"], r["name_kk"]))
    unit_fields = [f for f, _t in UNIT_FIELDS]
    return {
        "legal_acts": [{"key": act_key[a.pk], "kind": a.kind, "number": a.number, "date": _iso(a.date),
                        "issuer": a.issuer, "title_kk": a.title_kk, "title_ru": a.title_ru, "title_en": a.title_en,
                        "url": a.url} for a in acts],
        "units": [{f: (_iso(getattr(u, f)) if f in ("opened", "closed") else getattr(u, f)) for f in unit_fields}
                  for u in OrgUnit.objects.order_by("code")],
        "events": [{"key": event_key[e.pk], "kind": e.kind, "effective_date": _iso(e.effective_date),
                    "legal_act": act_key[e.legal_act_id], "description": e.description,
                    "subjects": sorted(subjects.get(e.pk, [])), "details": e.details,
                    "reverses": event_key.get(e.reverses_id) if e.reverses_id else None,
                    "recorded_at": _iso(e.recorded_at), "recorded_by": e.recorded_by} for e in events],
        "territorial": links(TerritorialRelation, "parent"),
        "governing": links(GoverningRelation, "body"),
        "names": names,
    }


def dumps(doc: dict[str, list[dict[str, Any]]]) -> str:
    """The document as text: a header, then one record per line (diffable, and the same bytes for the
    same registry: keys sorted, no time of export)."""
    head = {"format": FORMAT, "version": VERSION, "counts": {s: len(doc[s]) for s in SECTIONS}}
    lines = ["{" + json.dumps(head, ensure_ascii=False, sort_keys=False)[1:-1] + ","]
    for i, section in enumerate(SECTIONS):
        records = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in doc[section]]
        body = ",\n".join(records)
        lines.append(f'"{section}": [' + ("\n" + body + "\n" if records else "") + "]"
                     + ("," if i < len(SECTIONS) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def export_registry(out: IO[str] | str | os.PathLike | None = None) -> str | int:
    """Write the registry with its history; returns the text (out None) or the number of units written."""
    doc = registry_document()
    text = dumps(doc)
    if out is None:
        return text
    if isinstance(out, str | os.PathLike):
        Path(out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return len(doc["units"])


# --- import --------------------------------------------------------------------------------------

def _typed(value: Any, kind: str) -> tuple[Any, str | None]:
    """(the value as the model wants it, None) or (None, why not)."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        if optional:
            return None, None
        if kind in ("str",):
            return "", None
        return None, _("is missing")
    if kind == "str":
        return (value, None) if isinstance(value, str) else (None, _("is not text"))
    if kind == "bool":
        return (value, None) if isinstance(value, bool) else (None, _("is not true or false"))
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else (None, _("is not a whole number"))
    if kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return (float(value), None) if ok else (None, _("is not a number"))
    if kind == "list":
        ok = isinstance(value, list) and all(isinstance(x, str) for x in value)
        return (value, None) if ok else (None, _("is not a list of text"))
    if kind == "dict":
        return (value, None) if isinstance(value, dict) else (None, _("is not an object"))
    parse: Callable[[str], Any] = dt.date.fromisoformat if kind == "date" else dt.datetime.fromisoformat
    try:
        if not isinstance(value, str):
            raise ValueError
        return parse(value), None
    except ValueError:
        return None, (_("is not a date (YYYY-MM-DD)") if kind == "date" else _("is not a date and time (ISO 8601)"))


def parse_registry(data: bytes | str) -> RegistryHistory:
    """Read a registry file into records; every problem with its shape is raised together (RegistryError),
    each naming the section, the record's position and the field."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise RegistryError(_("The file is not valid JSON: %(error)s") % {"error": e}) from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RegistryError(_("This is not a Bilim registry file (expected \"format\": \"%(format)s\").")
                            % {"format": FORMAT})
    if doc.get("version") != VERSION:
        raise RegistryError(_("Registry file version %(found)s is not supported (this Bilim reads version "
                              "%(version)s).") % {"found": doc.get("version"), "version": VERSION})
    problems: list[str] = []
    parsed: dict[str, list[dict[str, Any]]] = {}
    for section in SECTIONS:
        records = doc.get(section)
        if not isinstance(records, list):
            problems.append(_("%(section)s: the section is missing or not a list") % {"section": section})
            continue
        parsed[section] = []
        for i, rec in enumerate(records):
            where = f"{section}[{i}]"
            if not isinstance(rec, dict):
                problems.append(_("%(where)s: not an object") % {"where": where})
                continue
            name = rec.get("code") or rec.get("key") or rec.get("unit")
            if isinstance(name, str) and name:
                where = f"{where} ({name})"
            out: dict[str, Any] = {}
            for f, kind in FIELDS[section]:
                value, why = _typed(rec.get(f), kind)
                if why:
                    problems.append(_("%(where)s: %(field)s %(why)s") % {"where": where, "field": f, "why": why})
                out[f] = value
            unknown = sorted(set(rec) - {f for f, _t in FIELDS[section]})
            if unknown:
                problems.append(_("%(where)s: unknown field(s) %(fields)s") % {"where": where,
                                                                              "fields": ", ".join(unknown)})
            parsed[section].append(out)
    if problems:
        raise RegistryError(problems)
    return RegistryHistory(
        acts=[ActRecord(**r) for r in parsed["legal_acts"]],
        units=[OrgUnit(**r) for r in parsed["units"]],
        events=[EventRecord(**r) for r in parsed["events"]],
        territorial=[LinkRecord(**r) for r in parsed["territorial"]],
        governing=[LinkRecord(**r) for r in parsed["governing"]],
        names=[NameInterval(**r) for r in parsed["names"]],
    )


def import_registry(data: bytes | str, actor: str = "", dry_run: bool = False) -> dict[str, int]:
    """Restore a registry file into an empty install (all or nothing); `dry_run` checks and rolls back."""
    history = parse_registry(data)
    with transaction.atomic():
        counts = restore_history(history, actor=actor)
        if dry_run:
            transaction.set_rollback(True)
    return counts
