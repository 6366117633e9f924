"""Readers: turn the bytes of an uploaded file into rows, or say exactly where and why they cannot.

Every reader either returns rows (with the line or position each came from) or raises
`ExchangeError` carrying `RowError`s. Nothing here touches the database: checking codes against
metadata and the registry is `collection.validation`'s job.

Formats (catalog.md, "Data exchange"): data values as CSV/XLSX (`dataElement,period,orgUnit,value`
plus category columns and `comment`), DHIS2 `dataValueSets` JSON with `idScheme=code`, ADX XML, and
org units as CSV/XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

import pyarrow as pa
import pyarrow.csv as pcsv

from bilim.collection.validation import VALUE_COLUMNS, RowError, ValueRows
from bilim.metadata.models import CATEGORY_ORDER

from .safecell import unescape, unescape_array

ORGUNIT_COLUMNS = ("code", "kind", "type", "name_kk", "name_ru", "name_en", "parent", "governing_body", "area",
                   "valid_from")
ORGUNIT_EXTRA_COLUMNS = ("subtype", "small_school", "ownership", "languages", "capacity", "shifts", "emergency",
                         "lat", "lon")
ADX_NS = "urn:ihe:qrph:adx:2015"
DEFAULT_COMBOS = {"", "default", "HllvX50cXC0"}  # DHIS2's default category option combo (code, uid)
MAX_ERRORS_PER_FILE_LEVEL = 50


class ExchangeError(Exception):
    """The input cannot be read; `errors` says where and why (line or position, field, reason)."""

    def __init__(self, errors: list[RowError] | RowError):
        self.errors = [errors] if isinstance(errors, RowError) else list(errors)
        super().__init__("; ".join(str(e) for e in self.errors[:5]) + (
            f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""))


@dataclass
class Table:
    """A header and rows of text cells, each row with its line (CSV) or row number (XLSX)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    header_line: int = 1
    template: bool = False  # a Bilim form template (`exchange.templates`): rows left empty are skipped


@dataclass
class ParsedValues:
    rows: ValueRows
    errors: list[RowError] = field(default_factory=list)  # problems found while reading (kept per row)


# --- text and CSV ------------------------------------------------------------------------------------

def decode_utf8(data: bytes) -> str:
    """UTF-8 text without a BOM; a clear error naming the line of the first undecodable byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        hint = ""
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = " (the file looks like UTF-16; save it as 'CSV UTF-8')"
        raise ExchangeError(RowError(line, "", f"not UTF-8 text: byte 0x{data[e.start]:02x} at column {col}{hint}; "
                                               "save the file as 'CSV UTF-8'")) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise ExchangeError(RowError(text.count("\n", 0, nul) + 1, "", "contains a NUL character (a binary file?)"))
    return text


def _header_error(header: list[str], line: int = 1) -> list[RowError]:
    errors = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name == "":
            errors.append(RowError(line, "", f"column {i + 1} has no name"))
        elif name in seen:
            errors.append(RowError(line, name, f"column '{name}' appears twice (columns {seen[name] + 1} and {i + 1})"))
        else:
            seen[name] = i
    return errors


def _delimiter_hint(first_line: str) -> str:
    if "," not in first_line:
        for d, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if d in first_line:
                return f"; columns must be separated by commas, this file uses {name}"
    return ""


def read_table_csv(text: str) -> Table:
    """A CSV file (RFC 4180, comma-separated) as a Table with physical line numbers."""
    if not text.strip():
        raise ExchangeError(RowError(1, "", "the file is empty (expected a header row)"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    errors: list[RowError] = []
    header: list[str] | None = None
    header_line = 1
    last_end = 0
    while True:
        start = last_end + 1
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            errors.append(RowError(reader.line_num or start, "", f"cannot read this line as CSV: {e}"))
            if len(errors) >= MAX_ERRORS_PER_FILE_LEVEL:
                break
            last_end = reader.line_num
            continue
        last_end = reader.line_num
        if not rec or all(c.strip() == "" for c in rec):
            continue  # blank line
        if header is None:
            header = [c.strip() for c in rec]
            header_line = start
            errors += _header_error(header, start)
            continue
        if len(rec) != len(header):
            errors.append(RowError(start, "", f"has {len(rec)} fields but the header has {len(header)}"
                                              f"{_delimiter_hint(','.join(rec)) if len(rec) == 1 else ''}"))
            continue
        rows.append((start, [unescape(c) for c in rec]))
    if header is None:
        raise ExchangeError(errors or [RowError(1, "", "the file is empty (expected a header row)")])
    if errors:
        raise ExchangeError(errors)
    return Table(header, rows, header_line)


def canonical_header(header: list[str], known: Iterable[str]) -> list[str]:
    """Column names as the format spells them ('sex' -> 'SEX', 'DataElement' -> 'dataElement')."""
    by_lower = {k.lower(): k for k in known}
    return [by_lower.get(h.lower(), h) for h in header]


def _first_record(text: str) -> list[str]:
    try:
        for rec in csv.reader(io.StringIO(text[:65536], newline="")):
            if rec and any(c.strip() for c in rec):
                return [c.strip() for c in rec]
    except csv.Error:
        pass
    return []


def _fast_csv_possible(data: bytes) -> bool:
    # Arrow numbers records, not lines: use it only when the two coincide (no quotes, no blank
    # lines, no lone carriage returns), which is the case for machine-written files.
    if b'"' in data or b"\n\n" in data or b"\n\r\n" in data:
        return False
    return data.count(b"\r") == data.count(b"\r\n")


def read_values_csv(data: bytes) -> ParsedValues:
    """Data values CSV. Large machine-written files go through Arrow (multi-threaded, no Python
    object per cell); anything unusual (quotes, blank lines, ragged rows) through the csv module,
    which knows the physical line of every record."""
    text = decode_utf8(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    header = _first_record(text)
    if not header:
        raise ExchangeError(RowError(1, "", "the file is empty (expected a header row: "
                                            f"{','.join(VALUE_COLUMNS[:4])},...)"))
    hint = _delimiter_hint(text.split("\n", 1)[0])
    if hint and len(header) == 1:
        raise ExchangeError(RowError(1, "", f"the header has a single column '{header[0][:60]}'{hint}"))
    header = canonical_header(header, VALUE_COLUMNS)
    errors = _header_error(header)
    if errors:
        raise ExchangeError(errors)
    first_line_blank = not text.split("\n", 1)[0].strip()
    if _fast_csv_possible(data) and not first_line_blank:
        try:
            return ParsedValues(_arrow_values(data, header))
        except _Fallback:
            pass
    table = read_table_csv(text)
    table.header = canonical_header(table.header, VALUE_COLUMNS)
    return ParsedValues(table_to_rows(table, VALUE_COLUMNS))


class _Fallback(Exception):
    pass


def _arrow_values(data: bytes, header: list[str]) -> ValueRows:
    invalid: list[Any] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row)
        return "skip"

    try:
        tbl = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=header, use_threads=True,
                                          block_size=8 << 20),
            parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid, quote_char=False),
            convert_options=pcsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, pa.ArrowKeyError) as e:
        raise _Fallback() from e
    if invalid:
        raise _Fallback()
    n = tbl.num_rows
    import numpy as np

    positions = np.arange(2, n + 2, dtype=np.int64)
    columns = {name: tbl.column(i).combine_chunks() for i, name in enumerate(header)}
    if b"'" in data:  # cells our writers protected from spreadsheets (safecell)
        columns = {name: unescape_array(arr) for name, arr in columns.items()}
    return ValueRows(columns, positions, 1)


def table_to_rows(table: Table, known: Iterable[str]) -> ValueRows:
    """Column-wise rows from a Table (columns named in the header, in any order)."""
    cols: dict[str, list[str]] = {name: [] for name in table.header}
    for _, rec in table.rows:
        for name, cell in zip(table.header, rec, strict=True):
            cols[name].append(cell)
    return ValueRows.from_lists(cols, [line for line, _ in table.rows], table.header_line)


# --- XLSX -----------------------------------------------------------------------------------------

def cell_text(v: Any) -> str:
    """How a spreadsheet cell reads as text: 2024 not 2024.0, dates as YYYY-MM-DD."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return unescape(str(v).strip()) if isinstance(v, str) else str(v)


def check_archive_bounds(data: bytes) -> None:
    """Refuse a workbook that would inflate out of bounds, before openpyxl decompresses anything.

    An XLSX is a zip: 535 KB can hold a 303 MB sheet (issue 11), which openpyxl inflates into memory.
    The central directory's sizes are checked against `BILIM_XLSX_MAX_UNCOMPRESSED_BYTES` (the whole
    archive) and `BILIM_XLSX_MAX_RATIO` (any member above 1 MB); Python's zipfile enforces the declared
    sizes while reading (a member that inflates past its declared size fails its CRC check).
    """
    import zipfile

    from django.conf import settings

    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise ExchangeError(RowError(1, "", f"not a readable XLSX workbook ({type(e).__name__}: {e})"[:300])) from None
    max_total = settings.BILIM_XLSX_MAX_UNCOMPRESSED_BYTES
    max_ratio = settings.BILIM_XLSX_MAX_RATIO
    if len(infos) > 10_000:
        raise ExchangeError(RowError(1, "", f"the workbook holds {len(infos)} parts (at most 10000): refused"))
    total = sum(i.file_size for i in infos)
    if total > max_total:
        raise ExchangeError(RowError(1, "", (
            f"the workbook inflates to {total / 2**20:.0f} MB (at most {max_total / 2**20:.0f} MB): "
            "split it, or import the values as CSV")))
    for i in infos:
        if i.file_size > 2**20 and i.file_size > max_ratio * max(i.compress_size, 1):
            raise ExchangeError(RowError(1, "", (
                f"the workbook part {i.filename} inflates {i.file_size / max(i.compress_size, 1):.0f} times "
                f"(at most {max_ratio:.0f}): refused as a possible decompression bomb")))


def read_table_xlsx(data: bytes) -> Table:
    """The first sheet of a workbook; row numbers are Excel's (header = row 1)."""
    import warnings
    import zipfile

    from openpyxl import load_workbook

    check_archive_bounds(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, AttributeError) as e:
        raise ExchangeError(RowError(1, "", f"not a readable XLSX workbook ({type(e).__name__}: {e})"[:300])) from None
    except Exception as e:  # openpyxl raises many kinds of errors for damaged files
        raise ExchangeError(RowError(1, "", f"not a readable XLSX workbook ({type(e).__name__})")) from None
    try:
        template = (getattr(wb.properties, "keywords", None) or "") == "bilim-form-template"
    except Exception:  # noqa: BLE001 - damaged document properties: an ordinary workbook
        template = False
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise ExchangeError(RowError(1, "", "the workbook has no sheet"))
        header: list[str] | None = None
        header_line = 1
        rows: list[tuple[int, list[str]]] = []
        for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [cell_text(v) for v in values]
            if not any(cells):
                continue
            if header is None:
                header = cells
                while header and header[-1] == "":
                    header.pop()
                header_line = r
                errs = _header_error(header, r)
                if errs:
                    raise ExchangeError(errs)
                continue
            if len(cells) > len(header):
                extra = [c for c in cells[len(header):] if c != ""]
                if extra:
                    raise ExchangeError(RowError(r, "", f"has values in columns beyond the header ({extra[0]!r})"))
                cells = cells[:len(header)]
            cells += [""] * (len(header) - len(cells))
            rows.append((r, cells))
    except ExchangeError:
        raise
    except Exception as e:
        raise ExchangeError(RowError(1, "", f"cannot read the workbook ({type(e).__name__}: {e})"[:300])) from None
    finally:
        wb.close()
    if header is None:
        raise ExchangeError(RowError(1, "", "the sheet is empty (expected a header row)"))
    return Table(header, rows, header_line, template)


# --- DHIS2 dataValueSets JSON -----------------------------------------------------------------------

def split_combo(coc: str, option_category: dict[str, list[str]]) -> tuple[dict[str, str], str | None]:
    """'F_G01' -> {'SEX': 'F', 'GRADE': 'G01'}: option codes joined by '_' in category order."""
    coc = coc.strip()
    if coc in DEFAULT_COMBOS:
        return {}, None
    cats: dict[str, str] = {}
    for part in coc.split("_"):
        owners = option_category.get(part, [])
        if not owners:
            return {}, f"unknown option '{part}' in categoryOptionCombo '{coc}'"
        if len(owners) > 1:
            return {}, f"option '{part}' in categoryOptionCombo '{coc}' is ambiguous ({', '.join(owners)})"
        if owners[0] in cats:
            return {}, f"categoryOptionCombo '{coc}' names two options of {owners[0]}"
        cats[owners[0]] = part
    order = [c for c in CATEGORY_ORDER if c in cats]
    if list(cats) != order:
        return {}, (f"categoryOptionCombo '{coc}' is not in category order "
                    f"({'_'.join(cats[c] for c in order)} expected)")
    return cats, None


def join_combo(cats: dict[str, str]) -> str:
    return "_".join(cats[c] for c in CATEGORY_ORDER if cats.get(c))


def _json_scalar(v: Any) -> tuple[str, str | None]:
    if v is None:
        return "", None
    if isinstance(v, bool):
        return "", f"expected text or a number, got {json.dumps(v)}"
    if isinstance(v, int):
        return str(v), None
    if isinstance(v, float):
        # a JSON number is a number, not how someone wrote it: 12.0 reads as 12, as an XLSX cell does
        return (cell_text(v), None) if math.isfinite(v) else ("", f"'{v}' is not a finite number")
    if isinstance(v, str):
        return v, None
    return "", f"expected text or a number, got a JSON {type(v).__name__}"


DHIS2_PERIOD = re.compile(r"^(\d{4})Sep$")


def read_dhis2_json(data: bytes, option_category: dict[str, list[str]]) -> ParsedValues:
    """DHIS2 `dataValueSets` JSON (idScheme=code); positions are `dataValues[i]` (0-based)."""
    text = decode_utf8(data)
    try:
        doc = json.loads(text, parse_constant=lambda c: float(c))
    except json.JSONDecodeError as e:
        raise ExchangeError(RowError(e.lineno, "", f"not valid JSON: {e.msg} (column {e.colno})")) from None
    except RecursionError:
        raise ExchangeError(RowError(1, "", "not valid JSON: nested too deeply")) from None
    set_defaults: dict[str, Any] = {}
    if isinstance(doc, dict):
        items = doc.get("dataValues")
        set_defaults = {k: doc.get(k) for k in ("period", "orgUnit") if doc.get(k) is not None}
        if not isinstance(items, list):
            raise ExchangeError(RowError("dataValues", "", "expected an object with a 'dataValues' list"))
    elif isinstance(doc, list):
        items = doc
    else:
        raise ExchangeError(RowError(1, "", "expected a dataValueSets object ({\"dataValues\": [...]})"))
    names = ("dataElement", "period", "orgUnit", "value", "comment")
    cols: dict[str, list[str]] = {n: [] for n in (*names, *CATEGORY_ORDER)}
    positions: list[Any] = []
    errors: list[RowError] = []
    for i, item in enumerate(items):
        pos = f"dataValues[{i}]"
        positions.append(pos)
        if not isinstance(item, dict):
            errors.append(RowError(pos, "", "expected an object"))
            item = {}
        for n in names:
            raw = item.get(n, set_defaults.get(n))
            value, problem = _json_scalar(raw)
            if problem:
                errors.append(RowError(pos, n, problem))
            if n == "period" and (m := DHIS2_PERIOD.match(value.strip())):
                value = f"{m[1]}S"  # DHIS2 financial year starting September = Bilim school year
            cols[n].append(value)
        coc, problem = _json_scalar(item.get("categoryOptionCombo"))
        cats: dict[str, str] = {}
        if problem:
            errors.append(RowError(pos, "categoryOptionCombo", problem))
        else:
            cats, problem = split_combo(coc, option_category)
            if problem:
                errors.append(RowError(pos, "categoryOptionCombo", problem))
        aoc, _ = _json_scalar(item.get("attributeOptionCombo"))
        if aoc.strip() not in DEFAULT_COMBOS:
            errors.append(RowError(pos, "attributeOptionCombo", f"attribute option combos are not supported "
                                                                f"('{aoc}'); leave it out or use 'default'"))
        for c in CATEGORY_ORDER:
            cols[c].append(cats.get(c, ""))
    rows = ValueRows.from_lists(cols, positions, header_line="dataValues")
    return ParsedValues(rows, errors)


# --- ADX ----------------------------------------------------------------------------------------------

def read_adx(data: bytes) -> ParsedValues:
    """ADX (IHE QRPH): `<group orgUnit period dataSet>` holding `<dataValue dataElement value CAT=...>`;
    an `<annotation>` child is the comment. Positions are line numbers. DTDs are refused."""
    cols: dict[str, list[str]] = {n: [] for n in VALUE_COLUMNS}
    positions: list[int] = []
    errors: list[RowError] = []
    state: dict[str, Any] = {"group": None, "in_annotation": False, "root": False, "text": []}
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def local(name: str) -> str:
        return name.rsplit(":", 1)[-1]

    def no_dtd(*_a: Any) -> None:
        raise ExchangeError(RowError(parser.CurrentLineNumber, "", "DTDs and entities are not allowed in ADX files"))

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = local(name)
        line = parser.CurrentLineNumber
        if not state["root"]:
            if tag != "adx":
                raise ExchangeError(RowError(line, "", f"expected an <adx> document, found <{tag}>"))
            state["root"] = True
            return
        if tag == "group":
            attrs = {local(k): v for k, v in attrs.items() if not k.startswith("xmlns")}
            unknown = [k for k in attrs if k not in ("orgUnit", "period", "dataSet", "completeDate")]
            for k in unknown:
                errors.append(RowError(line, k, f"group attribute '{k}' (an attribute option combo) is not "
                                                "supported"))
            for k in ("orgUnit", "period"):
                if not attrs.get(k):
                    errors.append(RowError(line, k, f"<group> has no {k} attribute"))
            state["group"] = attrs
        elif tag == "dataValue":
            g = state["group"]
            if g is None:
                errors.append(RowError(line, "", "<dataValue> outside a <group>"))
                g = {}
            attrs = {local(k): v for k, v in attrs.items() if not k.startswith("xmlns")}
            positions.append(line)
            cols["orgUnit"].append(g.get("orgUnit", ""))
            cols["period"].append(g.get("period", ""))
            cols["dataElement"].append(attrs.pop("dataElement", ""))
            cols["value"].append(attrs.pop("value", ""))
            for c in CATEGORY_ORDER:
                cols[c].append(attrs.pop(c, ""))
            cols["comment"].append("")
            for k in attrs:
                errors.append(RowError(line, k, f"unknown attribute '{k}' (categories: {', '.join(CATEGORY_ORDER)})"))
        elif tag == "annotation":
            state["in_annotation"] = True
            state["text"] = []
        else:
            errors.append(RowError(line, "", f"unexpected element <{tag}>"))

    def end(name: str) -> None:
        tag = local(name)
        if tag == "annotation":
            state["in_annotation"] = False
            if cols["comment"]:
                cols["comment"][-1] = "".join(state["text"]).strip()
        elif tag == "group":
            state["group"] = None

    def chars(text: str) -> None:
        if state["in_annotation"]:
            state["text"].append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise ExchangeError(RowError(1, "", "the file is empty (expected an <adx> document)"))
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise ExchangeError(RowError(e.lineno, "", f"not well-formed XML: {expat.ErrorString(e.code)} "
                                                   f"(column {e.offset + 1})")) from None
    if not state["root"]:
        raise ExchangeError(RowError(1, "", "expected an <adx> document"))
    if len(errors) > 10_000:
        errors = errors[:10_000]
    return ParsedValues(ValueRows.from_lists(cols, positions, header_line=1), errors)
