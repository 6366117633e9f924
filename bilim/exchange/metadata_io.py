"""Move a ministry's configuration between installations as one JSON document.

    {"bilim_metadata": 1, "exported": "...",
     "categories": [...], "data_elements": [...], "data_sets": [...],   # bilim.metadata
     "indicators": {...},                                                # the analytics catalogue
     "validation_rules": [...]}                                          # bilim.approval, when installed

`export_metadata()` writes it; `import_metadata(doc, dry_run=False)` checks the whole document first
and writes nothing when anything is wrong (every problem names the element and the field), then
writes everything in one transaction. Import adds and updates by code; it never deletes.

Indicators are definitions read by the analytics engine from a file (`bilim/analytics/catalogue.json`).
An imported indicator section that differs from the installed one is checked like the engine
checks it and written to `<BILIM_DATA_DIR>/indicator_catalogue.json`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, transaction

from bilim.metadata import services as metadata_services
from bilim.metadata.models import Category, DataElement, DataSet

FORMAT_VERSION = 1
SECTIONS = ("categories", "data_elements", "data_sets", "indicators", "validation_rules")
PERIOD_TYPES = ("school_year", "year", "quarter", "month", "term")
AGGREGATIONS = ("sum", "avg", "max")
VALUE_TYPES = ("count", "amount")
RULE_OPERATORS = ("<=", "<", "==", ">=", ">", "!=")
RULE_IMPORTANCE = ("blocking", "warning")
MAX_SMALLINT = 32767


@dataclass
class MetadataProblem:
    """Where (section, element code or position), which field, and why."""

    element: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.element}: {self.field + ': ' if self.field else ''}{self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"element": self.element, "field": self.field, "reason": self.reason}


@dataclass
class MetadataReport:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # section -> created/updated/unchanged
    errors: list[MetadataProblem] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return f"{len(self.errors)} error(s); nothing was imported" + (" (dry run)" if self.dry_run else "")
        verb = "would be " if self.dry_run else ""
        parts = [f"{s}: {c['created']} {verb}created, {c['updated']} {verb}updated, {c['unchanged']} unchanged"
                 for s, c in self.counts.items()]
        return "; ".join(parts) + (" (dry run, nothing written)" if self.dry_run else "")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "counts": self.counts,
                "errors": [e.as_dict() for e in self.errors], "notes": self.notes}


class MetadataImportError(ValueError):
    def __init__(self, errors: list[MetadataProblem]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


# --- export ------------------------------------------------------------------------------------------

def _rule_model():
    """The approval app's ValidationRule, or None when that app (or its table) is not there."""
    try:
        from bilim.approval.models import ValidationRule
    except (ImportError, RuntimeError):
        return None
    try:
        ValidationRule.objects.exists()
    except DatabaseError:
        return None
    return ValidationRule


RULE_FIELDS = ("name_kk", "name_ru", "name_en", "left", "operator", "right", "right_period_offset", "for_each",
               "for_each_options", "condition", "skip_if_missing", "importance", "active")


def indicator_catalogue_path() -> Path:
    """Where an imported indicator catalogue lives (the shipped one is used until one is imported)."""
    return Path(settings.DATA_DIR) / "indicator_catalogue.json"


def installed_indicators() -> dict[str, Any]:
    from bilim.analytics.catalogue import CATALOGUE_PATH

    path = indicator_catalogue_path()
    if not path.exists():
        path = CATALOGUE_PATH
    return json.loads(path.read_text(encoding="utf-8"))


def export_metadata() -> dict[str, Any]:
    doc: dict[str, Any] = {"bilim_metadata": FORMAT_VERSION,
                           "exported": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    doc.update(metadata_services.export_catalogue())
    doc["indicators"] = installed_indicators()
    model = _rule_model()
    if model is not None:
        doc["validation_rules"] = [
            {"code": r.code, "data_set": r.data_set.code, **{f: getattr(r, f) for f in RULE_FIELDS}}
            for r in model.objects.select_related("data_set").order_by("code")
        ]
    return doc


def write_metadata(out: str | os.PathLike | IO[str]) -> dict[str, Any]:
    doc = export_metadata()
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    if isinstance(out, str | os.PathLike):
        Path(out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return doc


# --- checking ------------------------------------------------------------------------------------------

class _Checker:
    def __init__(self) -> None:
        self.errors: list[MetadataProblem] = []

    def add(self, element: str, fld: str, reason: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(MetadataProblem(element, fld, reason))

    def items(self, doc: dict[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
        """(label, item) for well-formed items of a list section; labels name the code when there is one."""
        raw = doc.get(section, [])
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.add(section, "", f"expected a list, got {_kind(raw)}")
            return []
        out = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            where = f"{section}[{i}]"
            if not isinstance(item, dict):
                self.add(where, "", f"expected an object, got {_kind(item)}")
                continue
            code = item.get("code")
            if not isinstance(code, str) or not code.strip():
                self.add(where, "code", "missing or not text")
                continue
            label = f"{section}[{i}] {code}"
            if code in seen:
                self.add(label, "code", f"appears twice ({section}[{seen[code]}] and {section}[{i}])")
                continue
            seen[code] = i
            out.append((label, item))
        return out

    def text(self, where: str, item: dict, name: str, max_len: int, required: bool = False) -> None:
        v = item.get(name, "")
        if v is None:
            v = ""
        if not isinstance(v, str):
            self.add(where, name, f"expected text, got {_kind(v)}")
        elif len(v) > max_len:
            self.add(where, name, f"longer than {max_len} characters")
        elif required and not v.strip():
            self.add(where, name, "must not be empty")

    def integer(self, where: str, item: dict, name: str, lo: int, hi: int) -> None:
        if name not in item:
            return
        v = item[name]
        if isinstance(v, bool) or not isinstance(v, int):
            self.add(where, name, f"expected a whole number, got {_kind(v)}")
        elif not lo <= v <= hi:
            self.add(where, name, f"{v} is out of range {lo}..{hi}")

    def boolean(self, where: str, item: dict, name: str) -> None:
        if name in item and not isinstance(item[name], bool):
            self.add(where, name, f"expected true or false, got {_kind(item[name])}")

    def choice(self, where: str, item: dict, name: str, choices: tuple[str, ...], required: bool = False) -> None:
        if name not in item and not required:
            return
        v = item.get(name)
        if v not in choices:
            self.add(where, name, f"{json.dumps(v, ensure_ascii=False)[:60]} is not one of {', '.join(choices)}")

    def codes(self, where: str, item: dict, name: str, known: set[str], what: str) -> list[str]:
        v = item.get(name, [])
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.add(where, name, "expected a list of codes")
            return []
        unknown = [x for x in v if x not in known]
        if unknown:
            self.add(where, name, f"unknown {what} {', '.join(unknown[:10])}")
        return v


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(v), "a number" if isinstance(v, int | float) else type(v).__name__)


NAME_FIELDS = ("name_kk", "name_ru", "name_en")


def check(doc: Any) -> list[MetadataProblem]:
    """Every problem of a metadata document, against itself and the codes already in this database."""
    c = _Checker()
    if not isinstance(doc, dict):
        c.add("document", "", f"expected a JSON object with sections {', '.join(SECTIONS)}, got {_kind(doc)}")
        return c.errors
    version = doc.get("bilim_metadata", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        c.add("document", "bilim_metadata", f"version {version!r} is not supported (expected {FORMAT_VERSION})")
    unknown = sorted(set(doc) - {*SECTIONS, "bilim_metadata", "exported"})
    if unknown:
        c.add("document", unknown[0], f"unknown section (sections: {', '.join(SECTIONS)})")

    cats = c.items(doc, "categories")
    options: dict[str, set[str]] = {}
    for cat in Category.objects.prefetch_related("options"):
        options[cat.code] = {o.code for o in cat.options.all()}
    for where, item in cats:
        c.text(where, item, "code", 40)
        for n in NAME_FIELDS:
            c.text(where, item, n, 255, required=n == "name_kk")
        c.integer(where, item, "sort_order", 0, MAX_SMALLINT)
        opts = item.get("options", [])
        mine: set[str] = set()
        if not isinstance(opts, list):
            c.add(where, "options", f"expected a list, got {_kind(opts)}")
            opts = []
        for j, o in enumerate(opts):
            ow = f"{where} options[{j}]"
            if not isinstance(o, dict):
                c.add(ow, "", f"expected an object, got {_kind(o)}")
                continue
            oc = o.get("code")
            if not isinstance(oc, str) or not oc.strip():
                c.add(ow, "code", "missing or not text")
                continue
            ow = f"{ow} {oc}"
            c.text(ow, o, "code", 16)
            if oc in mine:
                c.add(ow, "code", f"option {oc} appears twice in category {item['code']}")
            mine.add(oc)
            for n in NAME_FIELDS:
                c.text(ow, o, n, 255, required=n == "name_kk")
            c.integer(ow, o, "sort_order", 0, MAX_SMALLINT)
        options[item["code"]] = options.get(item["code"], set()) | mine

    known_cats = set(options)
    elements = c.items(doc, "data_elements")
    element_cats: dict[str, tuple[str, ...]] = {
        de.code: tuple(x.code for x in de.categories.all()) for de in DataElement.objects.prefetch_related("categories")}
    for where, item in elements:
        c.text(where, item, "code", 40)
        for n in NAME_FIELDS:
            c.text(where, item, n, 255, required=n == "name_kk")
        c.text(where, item, "description", 100_000)
        element_cats[item["code"]] = tuple(c.codes(where, item, "categories", known_cats, "category"))
        att = item.get("attached_to", [])
        if not isinstance(att, list) or not all(isinstance(x, str) for x in att):
            c.add(where, "attached_to", "expected a list of org unit kinds")
        c.choice(where, item, "aggregation", AGGREGATIONS)
        c.choice(where, item, "value_type", VALUE_TYPES)
        c.choice(where, item, "period_type", PERIOD_TYPES)

    known_des = set(element_cats)
    sets = c.items(doc, "data_sets")
    known_sets = set(DataSet.objects.values_list("code", flat=True))
    for where, item in sets:
        c.text(where, item, "code", 40)
        for n in NAME_FIELDS:
            c.text(where, item, n, 255, required=n == "name_kk")
        if not isinstance(item.get("data_elements"), list):
            c.add(where, "data_elements", "expected a list of data element codes")
        else:
            c.codes(where, item, "data_elements", known_des, "data element")
        ot = item.get("org_types", [])
        if not isinstance(ot, list) or not all(isinstance(x, str) for x in ot):
            c.add(where, "org_types", "expected a list of organization types")
        c.choice(where, item, "period_type", PERIOD_TYPES)
        c.integer(where, item, "deadline_days", 0, MAX_SMALLINT)
        known_sets.add(item["code"])

    if doc.get("indicators") is not None:
        _check_indicators(c, doc["indicators"], known_des)

    if "validation_rules" in doc and doc["validation_rules"]:
        if _rule_model() is None:
            c.add("validation_rules", "", "this installation has no validation rules (the approval app is missing)")
        else:
            _check_rules(c, doc, element_cats, {k: tuple(v) for k, v in options.items()}, known_sets)
    return c.errors


def _check_indicators(c: _Checker, section: Any, known_des: set[str]) -> None:
    from bilim.analytics.catalogue import Catalogue, CatalogueError

    if not isinstance(section, dict):
        c.add("indicators", "", f"expected the indicator catalogue object, got {_kind(section)}")
        return
    items = section.get("indicators")
    if not isinstance(items, list):
        c.add("indicators", "indicators", "expected a list of indicator definitions")
        return
    for i, item in enumerate(items):
        code = item.get("code") if isinstance(item, dict) else None
        where = f"indicators[{i}] {code}" if isinstance(code, str) else f"indicators[{i}]"
        if not isinstance(item, dict) or not isinstance(code, str):
            c.add(where, "code", "an indicator must be an object with a code")
            continue
        try:
            Catalogue.from_dict({"indicators": [item]})
        except (CatalogueError, KeyError, TypeError, ValueError, AttributeError) as e:
            c.add(where, "", f"invalid definition: {e}")
            continue
        for part in ("numerator", "denominator", "denominator_factor", "guard"):
            for j, term in enumerate(item.get(part) or []):
                for t in (term, term.get("apportion") or {}):
                    de = t.get("de") if isinstance(t, dict) else None
                    if de and de not in known_des:
                        c.add(where, f"{part}[{j}].de", f"unknown data element {de}")
    try:
        Catalogue.from_dict(section)
    except (CatalogueError, KeyError, TypeError, ValueError, AttributeError) as e:
        if not c.errors:
            c.add("indicators", "", f"invalid catalogue: {e}")


def _check_rules(c: _Checker, doc: dict, element_cats: dict[str, tuple[str, ...]],
                 options: dict[str, tuple[str, ...]], known_sets: set[str]) -> None:
    try:
        from bilim.approval import expressions as ex
        from bilim.approval.rules import parse_condition
    except ImportError:  # the app without its expression language: check the plain fields only
        ex = None  # type: ignore[assignment]
    for where, item in c.items(doc, "validation_rules"):
        c.text(where, item, "code", 40)
        for n in NAME_FIELDS:
            c.text(where, item, n, 255, required=n == "name_kk")
        ds = item.get("data_set")
        if not isinstance(ds, str) or ds not in known_sets:  # a list or object is not a code (nor hashable)
            c.add(where, "data_set", f"unknown data set {json.dumps(ds, ensure_ascii=False)[:60]}")
        c.choice(where, item, "operator", RULE_OPERATORS, required=True)
        c.choice(where, item, "importance", RULE_IMPORTANCE)
        c.integer(where, item, "right_period_offset", -99, 99)
        c.boolean(where, item, "skip_if_missing")
        c.boolean(where, item, "active")
        for_each = item.get("for_each", "") or ""
        if for_each and (not isinstance(for_each, str) or for_each not in options):
            c.add(where, "for_each", f"unknown category {for_each}")
        c.text(where, item, "for_each_options", 200)
        chosen = item.get("for_each_options") or ""
        if ex is not None and isinstance(chosen, str) and chosen.strip():
            try:
                pairs = ex.parse_options(chosen)
            except ValueError as e:
                c.add(where, "for_each_options", str(e))
                pairs = ()
            if pairs and not for_each:
                c.add(where, "for_each_options", "options need the rule to run for each option of a category")
            for code in sorted({code for pair in pairs for code in pair}):
                if isinstance(for_each, str) and for_each in options and code not in options[for_each]:
                    c.add(where, "for_each_options", f"unknown option {code} for category {for_each}")
        for side in ("left", "right", "condition"):
            c.text(where, item, side, 1000, required=side != "condition")
            text = item.get(side) or ""
            if ex is None or not isinstance(text, str) or not text.strip():
                continue
            try:
                if side == "condition":
                    left, _, right = parse_condition(text)
                    nodes = [left, right]
                else:
                    nodes = [ex.parse(text)]
            except ValueError as e:
                c.add(where, side, f"cannot parse '{text[:80]}': {e}")
                continue
            for node in nodes:
                for problem in ex.check_codes(node, element_cats, options, for_each):
                    c.add(where, side, problem)


# --- import --------------------------------------------------------------------------------------------

def read_document(data: bytes | str) -> Any:
    """The JSON document, or MetadataImportError saying where the JSON is broken."""
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MetadataImportError([MetadataProblem("document", "", f"not UTF-8 text (byte {e.start})")]) from None
    try:
        return json.loads(data, parse_constant=lambda x: float(x))
    except json.JSONDecodeError as e:
        raise MetadataImportError([MetadataProblem("document", "", f"not valid JSON: {e.msg} (line {e.lineno}, "
                                                                   f"column {e.colno})")]) from None
    except RecursionError:
        raise MetadataImportError([MetadataProblem("document", "", "not valid JSON: nested too deeply")]) from None


def _compare(section: str, before: dict[str, Any], doc_items: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for item in doc_items:
        old = before.get(item["code"])
        if old is None:
            counts["created"] += 1
        elif all(_same(old.get(k), v) for k, v in item.items()):
            counts["unchanged"] += 1
        else:
            counts["updated"] += 1
    return counts


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, str) for x in a + b):
        return sorted(a) == sorted(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same(a.get(k), v) for k, v in b.items())
    return a == b or (a in (None, "") and b in (None, ""))


TEXT_FIELDS = (*NAME_FIELDS, "description")


def _texts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Null names and descriptions as empty text (the columns are NOT NULL), options included."""
    out = []
    for item in items:
        item = {k: ("" if k in TEXT_FIELDS and v is None else v) for k, v in item.items()}
        if isinstance(item.get("options"), list):
            item["options"] = _texts(item["options"])
        out.append(item)
    return out


def import_metadata(source: bytes | str | dict | os.PathLike, dry_run: bool = False,
                    actor: str = "import") -> MetadataReport:
    """Check the whole document, then (unless dry_run) write every section in one transaction."""
    report = MetadataReport(dry_run=dry_run)
    try:
        if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("{")
                                                and len(source) < 4096 and Path(source).exists()):
            source = Path(source).read_bytes()
        doc = source if isinstance(source, dict) else read_document(source)
    except MetadataImportError as e:
        report.errors = e.errors
        return report
    except OSError as e:
        report.errors = [MetadataProblem("document", "", f"cannot read the file: {e}")]
        return report
    report.errors = check(doc)
    if report.errors:
        return report
    before = metadata_services.export_catalogue()
    doc = {k: v for k, v in doc.items() if v is not None}
    for section in ("categories", "data_elements", "data_sets"):
        if section in doc:
            report.counts[section] = _compare(section, {x["code"]: x for x in before[section]}, doc[section])
    new_indicators = doc.get("indicators")
    indicators_changed = False
    if new_indicators is not None:
        old = installed_indicators()
        old_codes = {i["code"]: i for i in old.get("indicators", [])}
        report.counts["indicators"] = _compare("indicators", old_codes, new_indicators["indicators"])
        indicators_changed = new_indicators != old
    model = _rule_model()
    rules = doc.get("validation_rules") or []
    if model is not None and rules:
        existing = {r["code"]: r for r in export_metadata().get("validation_rules", [])}
        report.counts["validation_rules"] = _compare("validation_rules", existing, rules)
    if dry_run:
        return report
    with transaction.atomic():
        metadata_services.load_catalogue({k: _texts(doc.get(k, [])) for k in ("categories", "data_elements",
                                                                                 "data_sets")}, actor=actor)
        if model is not None and rules:
            sets = {s.code: s for s in DataSet.objects.all()}
            for r in rules:
                defaults = {f: r[f] for f in RULE_FIELDS if f in r and r[f] is not None}
                model.objects.update_or_create(code=r["code"], defaults={**defaults, "data_set": sets[r["data_set"]]})
        if indicators_changed:
            path = indicator_catalogue_path()
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(new_indicators, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, path)
            report.notes.append(f"indicator definitions written to {path}")
    return report
