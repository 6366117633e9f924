"""The one import service (CLI, web and API all call `import_file`) and the exports.

Every import is all-or-nothing: the whole file is read and checked first, every bad row is reported
with its line (or position) and reason, and nothing is written unless there are no errors; then
everything is written in one transaction. `dry_run` checks and counts without writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, transaction

from bilim.collection import selectors as values_selectors
from bilim.collection import services as collection
from bilim.collection.validation import RowError, validate_rows
from bilim.metadata.models import DataSet
from bilim.registry import selectors as registry_selectors
from bilim.registry.models import GoverningRelation, LegalAct, OrgUnit
from bilim.registry.services import RegistryError

from . import readers, registry_io, writers
from .orgunits import plan_orgunits, register
from .readers import ExchangeError, ParsedValues
from .registry_io import looks_like_registry

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]

FORMATS = {
    # name accepted by --format -> (kind of content, file format)
    "csv": ("values", "csv"),
    "xlsx": ("values", "xlsx"),
    "orgunits": ("orgunits", "csv"),
    "orgunits-csv": ("orgunits", "csv"),
    "orgunits-xlsx": ("orgunits", "xlsx"),
    "dhis2": ("values", "dhis2"),
    "json": ("values", "dhis2"),
    "adx": ("values", "adx"),
    "registry": ("registry", "json"),  # the registry with its history (`registry_io`), into an empty install
}


@dataclass
class ImportReport:
    format: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False
    batch: str = ""
    seconds: float = 0.0
    source: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        what = "units" if self.format.startswith(("orgunits", "registry")) else "values"
        if self.errors:
            rows = len({e.line for e in self.errors})
            return (f"{self.source or 'input'}: {len(self.errors)} error(s) in {rows} row(s); nothing was imported"
                    f"{' (dry run)' if self.dry_run else ''}")
        verb = "would be" if self.dry_run else ""
        head = f"{self.source or 'input'} ({self.format}): {self.rows} {what} read"
        parts = [f"{self.created} {verb} created".replace("  ", " "),
                 f"{self.updated} {verb} updated".replace("  ", " "),
                 f"{self.unchanged} unchanged"]
        return f"{head}; " + ", ".join(parts) + (" (dry run, nothing written)" if self.dry_run else "") + (
            f" in {self.seconds:.1f} s")


def _read_source(source: str | os.PathLike | bytes | IO[Any]) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), ""
    if isinstance(source, str | os.PathLike):
        p = Path(source)
        return p.read_bytes(), p.name
    data = source.read()  # an open file, an upload (Django's UploadedFile), stdin
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = getattr(source, "name", "")
    return data, Path(name).name if isinstance(name, str) else ""


def detect_format(data: bytes, name: str = "") -> str:
    """A key of FORMATS, from the file name's extension and the content (header row, first bytes)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    ext = Path(name).suffix.lower()
    if looks_like_registry(data):
        return "registry"
    if data.startswith(b"PK\x03\x04") or ext in (".xlsx", ".xlsm"):
        return "xlsx"  # values or org units decided by the header once the sheet is read
    if head.startswith((b"{", b"[")) or ext == ".json":
        return "dhis2"
    if head.startswith(b"<") or ext in (".xml", ".adx"):
        return "adx"
    try:
        first = readers._first_record(head.decode("utf-8", errors="replace"))
    except Exception:  # noqa: BLE001 - any oddity: let the CSV reader explain
        first = []
    lowered = {c.lower() for c in first}
    if "kind" in lowered and "code" in lowered and "dataelement" not in lowered:
        return "orgunits"
    return "csv"


def import_file(source: str | os.PathLike | bytes | IO[Any], format: str | None = None, dry_run: bool = False,
                actor: str = "", progress: Progress | None = None, legal_act: LegalAct | None = None,
                name: str | None = None, unit_allowed: Callable[[str], bool] | None = None,
                readable: Callable[[str, str, str], bool] | None = None) -> ImportReport:
    """Import data values or org units from a file; see the module docstring for the guarantees.

    `format`: one of FORMATS (None = detect from extension and content). `progress(done, total,
    stage)` is called now and then with done/total in percent. `unit_allowed(code)`, when given,
    restricts the org units a caller may write values for (a user's scope: every row outside it is
    an error) and refuses org unit registration. `readable(data element, period, org unit)`, when
    given, is the writer's read permission on each cell (`permissions.value_rows_reader`): a row
    whose stored value the writer may not read is an error, and nothing else is said about it, so
    neither a dry run (created / updated / unchanged) nor a validation message tells a writer what
    a cell it may not read holds. Returns an ImportReport; problems with the input are in
    `report.errors`, never raised.
    """
    started = time.perf_counter()
    report = ImportReport(dry_run=dry_run)
    try:
        data, fname = _read_source(source)
    except OSError as e:
        report.errors = [RowError("file", "", f"cannot read the file: {e.strerror or e}")]
        return report
    report.source = name or fname
    fmt = (format or "").lower() or detect_format(data, report.source)
    if fmt not in FORMATS:
        report.errors = [RowError("file", "", f"unknown format '{fmt}' (formats: {', '.join(FORMATS)})")]
        return report
    kind, container = FORMATS[fmt]
    report.format = fmt
    refuse_units = RowError("file", "", "org units can only be registered by a user whose role may change "
                                        "the registry (administrator); ask one to import this file")

    def tick(done: int, total: int, stage: str) -> None:
        if progress:
            progress(done, total, stage)

    tick(0, 100, "reading")
    try:
        if container == "xlsx":
            table = readers.read_table_xlsx(data)
            looks_like_units = {"code", "kind"} <= {h.lower() for h in table.header} and \
                "dataelement" not in {h.lower() for h in table.header}
            if (format in (None, "xlsx") and looks_like_units) or kind == "orgunits":
                report.format = "orgunits-xlsx"
                if unit_allowed is not None:
                    report.errors = [refuse_units]
                    return _finish(report, started)
                return _finish(_import_orgunits(table, report, dry_run, actor, legal_act, tick), started)
            table.header = readers.canonical_header(table.header, readers.VALUE_COLUMNS)
            if table.template and "value" in table.header:
                # a form template: the rows the reporter left empty are not values
                at = table.header.index("value")
                table.rows = [(line, cells) for line, cells in table.rows if cells[at].strip() != ""]
            parsed = ParsedValues(readers.table_to_rows(table, readers.VALUE_COLUMNS))
        elif kind == "registry":
            if unit_allowed is not None:
                report.errors = [refuse_units]
                return _finish(report, started)
            return _finish(_import_registry(data, report, dry_run, actor, tick), started)
        elif kind == "orgunits":
            if unit_allowed is not None:
                report.errors = [refuse_units]
                return _finish(report, started)
            table = readers.read_table_csv(readers.decode_utf8(data))
            return _finish(_import_orgunits(table, report, dry_run, actor, legal_act, tick), started)
        elif container == "csv":
            parsed = readers.read_values_csv(data)
        elif container == "dhis2":
            from bilim.collection.validation import Reference

            parsed = readers.read_dhis2_json(data, Reference.load(unit_codes=[]).option_category)
        else:
            parsed = readers.read_adx(data)
    except ExchangeError as e:
        report.errors = e.errors
        return _finish(report, started)
    if unit_allowed is not None:
        parsed.errors.extend(_out_of_scope(parsed.rows, unit_allowed))
    sealed: set[Any] = set()
    if readable is not None:
        done = {e.line for e in parsed.errors if e.field == "orgUnit"}  # already refused: outside the scope
        unread = _unreadable(parsed.rows, readable, done)
        parsed.errors.extend(unread)
        sealed = {e.line for e in unread}
    return _finish(_import_values(parsed, report, data, dry_run, actor, tick, sealed), started)


def _unreadable(rows, readable: Callable[[str, str, str], bool], skip: set[Any]) -> list[RowError]:
    """An error for each row whose stored cell the writer may not read (checked before anything is
    compared with the stored values)."""
    from bilim.metadata.periods import PeriodError

    cols = [rows.columns.get(c) for c in ("dataElement", "period", "orgUnit")]
    if any(c is None for c in cols):
        return []
    errors = []
    verdict: dict[tuple[str, str, str], bool] = {}
    for i, key in enumerate(zip(*(c.to_pylist() for c in cols), strict=True)):
        key = tuple((k or "").strip() for k in key)
        pos = rows.positions[i]
        line = int(pos) if not isinstance(pos, str) else pos
        if not all(key) or line in skip:
            continue  # the validation names a missing cell
        if key not in verdict:
            try:
                verdict[key] = bool(readable(*key))
            except (PeriodError, ValueError):
                verdict[key] = True  # a malformed period: the validation names it
        if not verdict[key]:
            de, pe, ou = key
            errors.append(RowError(line, "value", f"you may not read the stored values of {de} for {ou} in {pe} "
                                                  "(not approved up to your level yet, or outside your scope), so "
                                                  "you may not import them"))
    return errors


def _out_of_scope(rows, unit_allowed: Callable[[str], bool]) -> list[RowError]:
    col = rows.columns.get("orgUnit")
    if col is None:
        return []
    verdict: dict[str, bool] = {}
    errors = []
    for i, code in enumerate(col.to_pylist()):
        code = (code or "").strip()
        if not code:
            continue
        if code not in verdict:
            verdict[code] = bool(unit_allowed(code))
        if not verdict[code]:
            pos = rows.positions[i]
            errors.append(RowError(int(pos) if not isinstance(pos, str) else pos, "orgUnit",
                                   f"'{code}' is outside your scope; you may not write its values"))
    return errors


def _finish(report: ImportReport, started: float) -> ImportReport:
    report.seconds = time.perf_counter() - started
    report.errors.sort(key=_error_order)
    return report


def _error_order(e: RowError) -> tuple:
    if isinstance(e.line, int):
        return (0, [e.line], "")
    # positions such as dataValues[12] in numeric order
    return (1, [int(x) for x in re.findall(r"\d+", str(e.line))], str(e.line))


SMALL_IMPORT_ROWS = 2000


def _import_values(parsed: ParsedValues, report: ImportReport, data: bytes, dry_run: bool, actor: str,
                   tick: Progress, sealed: set[Any] | frozenset[Any] = frozenset()) -> ImportReport:
    from bilim.collection.validation import Reference

    rows = parsed.rows
    report.rows = rows.n
    tick(30, 100, "checking")
    # a small file loads only the org units it names (a single-value import read all 20,000 units:
    # most of its 0.1 s); a large one loads them all, which is cheaper than a long IN list
    column = rows.columns.get("orgUnit")
    named = None
    if column is not None and rows.n <= SMALL_IMPORT_ROWS:
        named = sorted({str(c).strip() for c in column.to_pylist() if c})
    ref = Reference.load(unit_codes=named)
    resolved, errors = validate_rows(rows, ref, is_locked=collection.is_locked)
    if parsed.errors:
        # a cell the reader could not take is blank for the rules: say it once, in the reader's words
        seen = {(e.line, e.field) for e in parsed.errors}
        bad_rows = {e.line for e in parsed.errors}
        errors = [e for e in errors if (e.line, e.field) not in seen and not (e.field == "key" and e.line in bad_rows)]
    # a row the writer may not read gets no other message (a lock or a rule would tell about the cell)
    errors = [e for e in errors if e.line not in sealed]
    report.errors = [*parsed.errors, *errors]
    if report.errors or resolved is None:
        return report
    tick(50, 100, "writing")
    batch = collection.new_batch_id()
    source = f"{report.source} sha256:{hashlib.sha256(data).hexdigest()[:16]}"
    collection.prepare_bulk_connection()
    try:
        with transaction.atomic():
            counts = collection.write_values(resolved, actor=actor, batch=batch, dry_run=dry_run, progress=tick,
                                             source=source)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as e:  # e.g. the database stayed locked by another writer: nothing was written
        log.warning("import of %s failed in the database: %s", report.source, e)
        report.errors = [RowError("database", "", f"nothing was written: the database refused the import ({e}); "
                                                  "try again")]
        return report
    finally:
        collection.finish_bulk_connection()
    report.created, report.updated, report.unchanged = counts.created, counts.updated, counts.unchanged
    report.batch = "" if dry_run else batch
    return report


def _import_orgunits(table: readers.Table, report: ImportReport, dry_run: bool, actor: str,
                     legal_act: LegalAct | None, tick: Progress) -> ImportReport:
    report.rows = len(table.rows)
    tick(30, 100, "checking")
    plan, errors = plan_orgunits(table)
    if errors or plan is None:
        report.errors = errors
        return report
    report.created, report.unchanged = len(plan.new), plan.unchanged
    if dry_run or not plan.new:
        return report
    tick(50, 100, "writing")
    try:
        with transaction.atomic():
            act = legal_act
            if act is None:
                act = LegalAct.objects.create(
                    kind=LegalAct.ActKind.OTHER, date=dt.date.today(), issuer=actor or "import",
                    title_en=f"Registration of {len(plan.new)} org units by import of {report.source or 'a file'}")
            register(plan, act, actor, f"Import of {report.source or 'org units'}")
    except RegistryError as e:
        report.created = 0
        report.errors = [RowError("file", "", str(e.message if hasattr(e, "message") else e))]
    return report


def _import_registry(data: bytes, report: ImportReport, dry_run: bool, actor: str, tick: Progress) -> ImportReport:
    tick(30, 100, "checking")
    try:
        counts = registry_io.import_registry(data, actor=actor, dry_run=dry_run)
    except RegistryError as e:
        report.errors = [RowError("file", "", m) for m in e.messages]
        return report
    report.rows = report.created = counts["units"]
    return report


# --- exports -------------------------------------------------------------------------------------

VALUE_EXPORT_FORMATS = ("csv", "xlsx", "dhis2", "adx")


def value_rows(*, data_element: str | list[str] | None = None, period: str | list[str] | None = None,
               org_unit: str | None = None, as_of: dt.date | None = None, unit_ids: Collection[int] | None = None,
               data_set: DataSet | None = None, readable: Callable[[str, str, str], bool] | None = None
               ) -> Iterator[writers.ValueRow]:
    """The stored values an export writes, in a stable order: the one query (`iter_values`) and the
    one access filter, shared by `bilim export` and `GET /api/v1/exchange/values` so that both
    answer the same question the same way.

    `org_unit`: its subtree on `as_of`; `unit_ids`: only those units (a resolved selection);
    `data_set`: only the form's data elements (within `data_element` when both are given);
    `readable(data element, period, org unit code)`: only the values it accepts (a user's scope and
    the approval rule: `accounts.permissions.value_rows_reader`).
    """
    if data_set is not None:
        given = [data_element] if isinstance(data_element, str) else data_element
        codes = list(data_set.data_elements.order_by("code").values_list("code", flat=True))
        data_element = [c for c in codes if c in given] if given else codes
        if not data_element:  # an empty list would mean "every element" to the query
            return iter(())
    rows = values_selectors.iter_values(data_element, period, org_unit, as_of, unit_ids=unit_ids)
    if readable is not None:
        rows = (r for r in rows if readable(r[0], r[1], r[2]))
    return rows


def export_values(out: IO[Any] | str | os.PathLike | None = None, *, data_element: str | list[str] | None = None,
                  period: str | list[str] | None = None, org_unit: str | None = None, as_of: dt.date | None = None,
                  format: str = "csv", readable: Callable[[str, str, str], bool] | None = None,
                  unit_ids: Collection[int] | None = None, data_set: DataSet | None = None
                  ) -> int | bytes | str:
    """Write values (filtered by data element, period, org unit subtree) in an import layout.

    `out` is a path, a text stream (csv, dhis2, adx) or binary stream (xlsx); None returns the
    content. Returns the number of values written when `out` is given. The selection and
    `readable` are those of `value_rows`.
    """
    if format not in VALUE_EXPORT_FORMATS:
        raise ValueError(f"unknown export format '{format}' (formats: {', '.join(VALUE_EXPORT_FORMATS)})")
    rows = value_rows(data_element=data_element, period=period, org_unit=org_unit, as_of=as_of,
                      unit_ids=unit_ids, data_set=data_set, readable=readable)
    form = data_set.code if data_set is not None else None
    return _emit(lambda f: _write_values(rows, f, format, data_set=form), out, binary=format == "xlsx")


@dataclass(frozen=True)
class ValuesPage:
    """One page of an export (`export_values_page`): the content in its layout and DHIS2's pager."""

    content: str
    page: int
    page_size: int
    total: int

    @property
    def page_count(self) -> int:
        return -(-self.total // self.page_size)

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    def pager(self) -> dict[str, int]:
        return {"page": self.page, "pageSize": self.page_size, "total": self.total, "pageCount": self.page_count}


def export_values_page(page: int, page_size: int, *, format: str = "dhis2", **selection: Any) -> ValuesPage:
    """Page `page` (from 1) of `page_size` values of `value_rows(**selection)` in a text layout (csv,
    dhis2, adx), with the total the caller may read; the dhis2 layout carries the pager.

    The pages cut the one stable order of `iter_values`, so consecutive pages neither repeat nor
    skip a value while nothing is written, and each page is a file the import takes on its own. The
    whole stream is read to count it (the access rule decides value by value, so no SQL COUNT could
    tell the total), but only the page is kept in memory.
    """
    if format not in ("csv", "dhis2", "adx"):
        raise ValueError(f"unknown page format '{format}' (formats: csv, dhis2, adx)")
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size start at 1")
    start, stop = (page - 1) * page_size, page * page_size
    window: list[writers.ValueRow] = []
    total = 0
    for total, row in enumerate(value_rows(**selection), 1):
        if start < total <= stop:
            window.append(row)
    result = ValuesPage("", page, page_size, total)
    data_set = selection.get("data_set")
    buf = io.StringIO()
    _write_values(window, buf, format, data_set=data_set.code if data_set is not None else None,
                  pager=result.pager() if format == "dhis2" else None)
    return replace(result, content=buf.getvalue())


def _emit(write, out: IO[Any] | str | os.PathLike | None, binary: bool) -> int | bytes | str:
    """Run `write(stream)` into a new buffer (returned), a file path, or the caller's stream."""
    if out is None:
        if binary:
            bbuf = io.BytesIO()
            write(bbuf)
            return bbuf.getvalue()
        sbuf = io.StringIO()
        write(sbuf)
        return sbuf.getvalue()
    if isinstance(out, str | os.PathLike):
        if binary:
            with open(out, "wb") as fb:
                return write(fb)
        with open(out, "w", encoding="utf-8", newline="") as ft:
            return write(ft)
    return write(out)


def _count(rows, counter: list[int]):
    for r in rows:
        counter[0] += 1
        yield r


def _write_values(rows, out: IO[Any], format: str, data_set: str | None = None,
                  pager: dict[str, int] | None = None) -> int:
    """`data_set`: the form the caller asked for, named by every ADX group (else the form that
    collects each element from that kind of unit); `pager`: written into the dhis2 layout."""
    if format == "csv":
        return writers.write_values_csv(rows, out)
    if format == "xlsx":
        return writers.write_values_xlsx(rows, out)
    counter = [0]
    if format == "dhis2":
        writers.write_dhis2_json(_count(rows, counter), out, pager)
    else:
        writers.write_adx(_count(rows, counter), out,
                          (lambda de, ou: data_set) if data_set else _data_set_finder())
    return counter[0]


def _data_set_finder():
    """(data element, org unit) -> the code of the form that collects it from that kind of unit."""
    by_element: dict[str, list[tuple[str, set[str]]]] = {}
    for ds in DataSet.objects.prefetch_related("data_elements").order_by("code"):
        for de in ds.data_elements.all():
            by_element.setdefault(de.code, []).append((ds.code, set(ds.org_types or [])))
    unit_types = {code: (org_type, kind) for code, org_type, kind in
                  OrgUnit.objects.values_list("code", "org_type", "kind")}
    cache: dict[tuple[str, str], str] = {}

    def find(de: str, ou: str) -> str:
        t = unit_types.get(ou, ("", ""))
        key = (de, t[0] or t[1])
        if key not in cache:
            forms = by_element.get(de, [])
            cache[key] = next((c for c, types in forms if types & set(t)), forms[0][0] if forms else "BILIM")
        return cache[key]

    return find


def orgunit_rows(as_of: dt.date | None = None, root: str | None = None,
                 unit_allowed: Callable[[OrgUnit], bool] | None = None) -> list[dict[str, Any]]:
    """Units existing on `as_of` (default today), parents and governing bodies before the units under them.

    `root`: only its subtree on `as_of`; `unit_allowed(unit)`: only the units it accepts (a user's scope)."""
    day = as_of or dt.date.today()
    units = {u.pk: u for u in registry_selectors.units_on(day)}
    if root:
        keep = values_selectors.subtree_ids(root, day)
        units = {pk: u for pk, u in units.items() if pk in keep}
    if unit_allowed is not None:
        units = {pk: u for pk, u in units.items() if unit_allowed(u)}
    parent_of = registry_selectors.parent_map(day)
    body_of = dict(GoverningRelation.objects.filter(valid_from__lte=day).exclude(valid_to__lte=day)
                   .values_list("unit_id", "body_id"))
    code_of = dict(OrgUnit.objects.values_list("id", "code"))
    ordered: list[int] = []
    state: dict[int, int] = {}

    def visit(pk: int) -> None:
        # iterative DFS: a unit after its parent and its governing body (within the export)
        stack = [(pk, False)]
        while stack:
            node, done = stack.pop()
            if done:
                if state.get(node) != 2:
                    state[node] = 2
                    ordered.append(node)
                continue
            if state.get(node):
                continue
            state[node] = 1
            stack.append((node, True))
            for dep in (body_of.get(node), parent_of.get(node)):
                if dep is not None and dep in units and not state.get(dep):
                    stack.append((dep, False))

    for pk in sorted(units, key=lambda p: (_KIND_RANK.get(units[p].kind, 9), units[p].code)):
        visit(pk)
    out = []
    for pk in ordered:
        u = units[pk]
        out.append({
            "code": u.code, "kind": u.kind, "type": u.org_type, "name_kk": u.name_kk, "name_ru": u.name_ru,
            "name_en": u.name_en, "parent": code_of.get(parent_of.get(pk) or 0, ""),
            "governing_body": code_of.get(body_of.get(pk) or 0, ""), "area": u.area, "valid_from": u.opened,
            "subtype": u.subtype, "small_school": u.small_school, "ownership": u.ownership,
            "languages": u.languages or [], "capacity": u.capacity, "shifts": u.shifts, "emergency": u.emergency,
            "lat": u.lat, "lon": u.lon,
        })
    return out


_KIND_RANK = {"republic": 0, "region": 1, "district": 2, "authority": 3, "organization": 4}


def export_orgunits(out: IO[Any] | str | os.PathLike | None = None, *, as_of: dt.date | None = None,
                    root: str | None = None, format: str = "csv",
                    unit_allowed: Callable[[OrgUnit], bool] | None = None) -> int | bytes | str:
    """The registry as of a date in the org units layout (imports back as 'unchanged');
    `unit_allowed(unit)`, when given, keeps only the units it accepts."""
    if format not in ("csv", "xlsx"):
        raise ValueError(f"unknown org unit export format '{format}' (formats: csv, xlsx)")
    rows = orgunit_rows(as_of, root, unit_allowed)
    writer = writers.write_orgunits_xlsx if format == "xlsx" else writers.write_orgunits_csv
    return _emit(lambda f: writer(rows, f), out, binary=format == "xlsx")
