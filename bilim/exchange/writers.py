"""Writers: the same layouts the readers accept, so every export imports back unchanged.

Text cells of CSV and XLSX go through `safecell` (no formula runs when a file is opened in a spreadsheet);
the readers undo it. Codes, periods and numbers need no protection: codes match a strict pattern.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from bilim.collection.validation import VALUE_COLUMNS
from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER

from .readers import ADX_NS, ORGUNIT_COLUMNS, ORGUNIT_EXTRA_COLUMNS, join_combo
from .safecell import cell as safe_cell
from .safecell import row as safe_row

# A value row as selectors yield it: (dataElement, period, orgUnit, value, SEX..LANG, comment)
ValueRow = tuple[Any, ...]


def format_number(v: float) -> str:
    """12 rather than 12.0; otherwise the shortest text that reads back as the same float."""
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def write_values_csv(rows: Iterable[ValueRow], out: IO[str]) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(VALUE_COLUMNS)
    n = 0
    fmt = format_number
    batch: list[list[Any]] = []
    for r in rows:
        batch.append([r[0], r[1], r[2], fmt(r[3]), *safe_row(r[4:])])
        if len(batch) >= 10000:
            w.writerows(batch)
            n += len(batch)
            batch = []
    w.writerows(batch)
    return n + len(batch)


def write_values_xlsx(rows: Iterable[ValueRow], out: IO[bytes]) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("dataValues")
    ws.append(list(VALUE_COLUMNS))
    n = 0
    for r in rows:
        # codes stay text (a period 2024 or a BIN must not turn into a number); values are numbers
        v = r[3]
        ws.append([r[0], r[1], r[2], int(v) if v.is_integer() and abs(v) < 1e15 else v, *safe_row(r[4:])])
        n += 1
    wb.save(out)
    return n


def iter_dhis2_json(rows: Iterable[ValueRow], pager: dict[str, int] | None = None) -> Iterator[str]:
    """dataValueSets JSON, streamed: idScheme=code, categoryOptionCombo = option codes joined by '_'.

    `pager` ({page, pageSize, total, pageCount}) is written first as DHIS2 does on a paged answer (the
    values API); the import ignores it, so a page re-imports like a whole export."""
    yield ('{"pager": ' + json.dumps(pager) + ', "dataValues": [') if pager is not None else '{"dataValues": ['
    first = True
    for r in rows:
        item: dict[str, Any] = {"dataElement": r[0], "period": r[1], "orgUnit": r[2]}
        coc = join_combo(dict(zip(CATEGORY_ORDER, r[4:10], strict=True)))
        if coc:
            item["categoryOptionCombo"] = coc
        item["value"] = format_number(r[3])
        if r[10]:
            item["comment"] = r[10]
        yield ("\n  " if first else ",\n  ") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def write_dhis2_json(rows: Iterable[ValueRow], out: IO[str], pager: dict[str, int] | None = None) -> None:
    for chunk in iter_dhis2_json(rows, pager):
        out.write(chunk)


def iter_adx(rows: Iterable[ValueRow], data_set_for=None) -> Iterator[str]:
    """ADX XML: one <group> per (data set, org unit, period); ISO 8601 periods; comments as annotations.

    `data_set_for(data_element, org_unit)` names the form a value belongs to (ADX requires one).
    """
    groups: dict[tuple[str, str, str], list[ValueRow]] = {}
    for r in rows:
        ds = data_set_for(r[0], r[2]) if data_set_for else "BILIM"
        groups.setdefault((ds, r[2], r[1]), []).append(r)
    exported = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<adx xmlns="{ADX_NS}" exported="{exported}">\n'
    iso_of: dict[str, str] = {}
    for (ds, ou, pe), vals in groups.items():
        if pe not in iso_of:
            iso_of[pe] = periods.parse(pe).iso()
        yield f"  <group dataSet={quoteattr(ds)} orgUnit={quoteattr(ou)} period={quoteattr(iso_of[pe])}>\n"
        for r in vals:
            cats = "".join(f" {c}={quoteattr(v)}" for c, v in zip(CATEGORY_ORDER, r[4:10], strict=True) if v)
            head = f"    <dataValue dataElement={quoteattr(r[0])}{cats} value=\"{format_number(r[3])}\""
            if r[10]:
                yield f"{head}><annotation>{xml_escape(r[10])}</annotation></dataValue>\n"
            else:
                yield f"{head}/>\n"
        yield "  </group>\n"
    yield "</adx>\n"


def write_adx(rows: Iterable[ValueRow], out: IO[str], data_set_for=None) -> None:
    for chunk in iter_adx(rows, data_set_for):
        out.write(chunk)


ORGUNIT_EXPORT_COLUMNS = (*ORGUNIT_COLUMNS, *ORGUNIT_EXTRA_COLUMNS)


def orgunit_cells(row: dict[str, Any]) -> list[str]:
    out = []
    for c in ORGUNIT_EXPORT_COLUMNS:
        v = row.get(c)
        if v is None:
            out.append("")
        elif isinstance(v, bool):
            out.append("1" if v else "0")
        elif isinstance(v, list):
            out.append(";".join(v))
        elif isinstance(v, dt.date):
            out.append(v.isoformat())
        elif isinstance(v, float):
            out.append(repr(v))
        else:
            out.append(safe_cell(str(v)))
    return out


def write_orgunits_csv(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(ORGUNIT_EXPORT_COLUMNS)
    n = 0
    for r in rows:
        w.writerow(orgunit_cells(r))
        n += 1
    return n


def write_orgunits_xlsx(rows: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("orgUnits")
    ws.append(list(ORGUNIT_EXPORT_COLUMNS))
    n = 0
    for r in rows:
        ws.append(orgunit_cells(r))
        n += 1
    wb.save(out)
    return n


def to_text(writer, rows) -> str:
    buf = io.StringIO()
    writer(rows, buf)
    return buf.getvalue()
