"""Rules a data value must satisfy before it is stored, for one value and for a million at once.

The same checks, with the same wording, run for a value typed into a form (`check_value`) and for
every row of an import (`validate_rows`). Bulk validation works on the *distinct* codes of each
column (a census file has a few thousand org units and a handful of periods, but a million rows),
then spreads the verdicts back to rows with numpy indexing, so validating a million values costs
about as much as reading them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext

from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER, Category, CategoryOption, DataElement
from bilim.registry.models import Kind, OrgUnit

# Columns of the data-value exchange layout (catalog.md, "Data exchange"), in file order.
VALUE_COLUMNS = ("dataElement", "period", "orgUnit", "value", *CATEGORY_ORDER, "comment")
REQUIRED_COLUMNS = ("dataElement", "period", "orgUnit", "value")
KIND_ORDER = tuple(k.value for k in Kind)

PERIOD_TYPE_EXAMPLES = {
    "school_year": "2024S", "year": "2024", "quarter": "2024Q1", "month": "202401", "term": "2024T1",
}
# How values are written: the one grammar for the entry grid and every import format. ASCII only:
# Python's \d, int(), float() and Decimal() also take Arabic-Indic "٣" or full-width "３", which a
# clerk cannot tell from a typo and an export would write back differently. The bulk path of
# `validate_rows` runs the same patterns with Arrow (RE2, where [0-9] is ASCII too).
COUNT_PATTERN = r"[0-9]+"
NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_COUNT = re.compile(COUNT_PATTERN)
_NUMBER = re.compile(NUMBER_PATTERN)
_DECIMAL_COMMA = re.compile(r"[+-]?([0-9]+,[0-9]*|,[0-9]+)([eE][+-]?[0-9]+)?")

# Value types of data elements (`DataElement.value_type`): counts are whole numbers of people or
# things; amounts (money, scores, GDP) may have decimals. Neither is ever negative.
COUNT, AMOUNT = DataElement.ValueType.COUNT.value, DataElement.ValueType.AMOUNT.value


class RowError(NamedTuple):
    """One problem in an input: where (line number or position), which field, and why."""

    line: int | str
    field: str
    reason: str

    def __str__(self) -> str:
        where = gettext("line %(n)s") % {"n": self.line} if isinstance(self.line, int) else str(self.line)
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class InvalidValue(ValidationError):
    """A single value that breaks a rule; `message_dict` maps field -> reasons (forms, API)."""


@dataclass(frozen=True)
class ElementInfo:
    id: int
    code: str
    categories: tuple[str, ...]
    attached_to: frozenset[str]
    period_type: str
    value_type: str = COUNT


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    kind: str
    opened: dt.date | None
    closed: dt.date | None


@dataclass
class Reference:
    """Codes the rules refer to, loaded once per import (metadata and the registry's unit list)."""

    elements: dict[str, ElementInfo]
    options: dict[str, tuple[str, ...]]  # category -> option codes in sort order
    units: dict[str, UnitInfo]
    option_category: dict[str, list[str]] = field(default_factory=dict)  # option code -> categories

    @classmethod
    def load(cls, unit_codes: Sequence[str] | None = None) -> Reference:
        """Load metadata and org units (all of them, or only `unit_codes` when the input is small)."""
        cats: dict[int, list[str]] = {}
        for de_id, code in DataElement.categories.through.objects.values_list(
                "dataelement_id", "category__code"):
            cats.setdefault(de_id, []).append(code)
        elements = {}
        for de in DataElement.objects.all().only("id", "code", "attached_to", "period_type", "value_type"):
            ordered = tuple(c for c in CATEGORY_ORDER if c in cats.get(de.pk, []))
            elements[de.code] = ElementInfo(de.pk, de.code, ordered, frozenset(de.attached_to or ()),
                                            de.period_type, de.value_type)
        options: dict[str, list[str]] = {c.code: [] for c in Category.objects.all()}
        option_category: dict[str, list[str]] = {}
        for cat, opt in CategoryOption.objects.order_by("category__sort_order", "sort_order", "code").values_list(
                "category__code", "code"):
            options.setdefault(cat, []).append(opt)
            option_category.setdefault(opt, []).append(cat)
        qs = OrgUnit.objects.all()
        if unit_codes is not None:
            qs = qs.filter(code__in=list(unit_codes))
        units = {code: UnitInfo(pk, code, kind, opened, closed)
                 for pk, code, kind, opened, closed in qs.values_list("id", "code", "kind", "opened", "closed")}
        return cls(elements, {k: tuple(v) for k, v in options.items()}, units, option_category)

    # --- the rules, one distinct code at a time; each returns a reason or None -------------------

    def element_error(self, code: str) -> str | None:
        if not code:
            return gettext("data element is missing")
        if code not in self.elements:
            return gettext("unknown data element '%(c)s'") % {"c": code}
        return None

    def unit_error(self, code: str) -> str | None:
        if not code:
            return gettext("org unit is missing")
        if code not in self.units:
            return gettext("unknown org unit '%(c)s'") % {"c": code}
        return None

    def option_error(self, category: str, code: str) -> str | None:
        opts = self.options.get(category, ())
        if code in opts:
            return None
        shown = ", ".join(opts) if len(opts) <= 8 else f"{', '.join(opts[:4])} ... {', '.join(opts[-2:])}"
        return gettext("unknown option '%(o)s' for category %(c)s (expected one of %(shown)s)") % {
            "o": code, "c": category, "shown": shown}

    @staticmethod
    def category_not_allowed(element: ElementInfo, category: str) -> str:
        allowed = ", ".join(element.categories) or "—"
        return gettext("data element %(de)s is not disaggregated by %(c)s (its categories: %(allowed)s)") % {
            "de": element.code, "c": category, "allowed": allowed}

    @staticmethod
    def period_type_error(element: ElementInfo, period: periods.Period) -> str | None:
        if period.type == element.period_type:
            return None
        example = PERIOD_TYPE_EXAMPLES.get(element.period_type, "")
        return gettext("period %(p)s is a %(t)s but %(de)s is collected per %(want)s, e.g. %(ex)s") % {
            "p": period.code, "t": _type_name(period.type), "de": element.code,
            "want": _type_name(element.period_type), "ex": example}

    @staticmethod
    def attachment_error(element: ElementInfo, unit: UnitInfo) -> str | None:
        if unit.kind in element.attached_to:
            return None
        return gettext("%(de)s is reported by %(kinds)s units, not by %(u)s (a %(kind)s)") % {
            "de": element.code, "kinds": " / ".join(sorted(element.attached_to)) or "—", "u": unit.code,
            "kind": unit.kind}

    @staticmethod
    def open_error(unit: UnitInfo, period: periods.Period) -> str | None:
        if unit.opened is not None and unit.opened > period.end:
            return gettext("org unit %(u)s opened on %(d)s, after period %(p)s") % {
                "u": unit.code, "d": unit.opened.isoformat(), "p": period.code}
        if unit.closed is not None and unit.closed <= period.start:
            return gettext("org unit %(u)s closed on %(d)s, before period %(p)s") % {
                "u": unit.code, "d": unit.closed.isoformat(), "p": period.code}
        return None


def _type_name(period_type: str) -> str:
    names = {"school_year": gettext("school year"), "year": gettext("year"), "quarter": gettext("quarter"),
             "month": gettext("month"), "term": gettext("term")}
    return names.get(period_type, period_type.replace("_", " "))


def parse_period(code: str) -> tuple[periods.Period | None, str | None]:
    if not code:
        return None, gettext("period is missing")
    try:
        return periods.parse(code), None
    except periods.PeriodError as e:
        return None, str(e)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _foreign_digit(text: str) -> bool:
    """Whether the text holds a digit other than ASCII 0-9 (Arabic-Indic, full-width, superscript, ...)."""
    return any(ch.isnumeric() and not ("0" <= ch <= "9") for ch in text)


def show_number(number: float) -> str:
    """A number as the reader's locale writes it (decimal comma in kk and ru), for messages."""
    if float(number).is_integer() and abs(number) < 1e15:
        return formats.number_format(int(number), use_l10n=True, force_grouping=True)
    return formats.number_format(number, use_l10n=True, force_grouping=True)


def parse_value(text: Any, value_type: str | None, element: str) -> tuple[float | None, str | None]:
    """The number a submitted value stands for, or why it is refused: the one rule for a cell typed
    into the grid (`check_value`, so `save_value`) and for every row of every import format
    (`validate_rows`: CSV, XLSX, DHIS2 JSON, ADX, the upload page and the import API).

    Text is trimmed and must use the ASCII digits 0-9. No value is negative. A count
    (`value_type` COUNT) is written with digits only — no sign, decimal separator, exponent or group
    separator — so '-5', '2.5', '2,5' and '1e3' are refused, each with its reason; an amount is a
    plain finite decimal ('1500000.25', '1.5e3'; not '1 000', '0x10', 'nan'). `value_type` None (an
    unknown data element, already an error of its own) asks only for a number. XLSX number cells and
    JSON numbers reach here as text ('7', not '7.0'); Python callers may pass int or float, which
    follow the same limits. Empty text is "value is missing" (the grid deletes, templates skip).
    """
    count = value_type == COUNT
    if isinstance(text, bool):
        return None, gettext("'%(v)s' is not a number") % {"v": text}
    if isinstance(text, int | float):
        try:
            number = float(text) + 0.0  # -0.0 is stored as 0
        except OverflowError:
            number = math.inf
        shown = str(text)
    else:
        shown = _shown(str(text).strip())
        s = str(text).strip()
        if not s:
            return None, gettext("value is missing")
        if _foreign_digit(s):
            return None, gettext("'%(v)s' is not a number: write it with the digits 0-9") % {"v": shown}
        if count and not _COUNT.fullmatch(s):
            return None, _not_a_count(s, shown, element)
        if not _NUMBER.fullmatch(s):
            return None, gettext("'%(v)s' is not a number") % {"v": shown}
        number = float(s)
    if not math.isfinite(number):
        return None, gettext("'%(v)s' is not a finite number (too large?)") % {"v": shown}
    if value_type is not None and number < 0:
        return None, gettext("%(de)s cannot be negative (%(v)s was given)") % {"de": element, "v": show_number(number)}
    if count and not number.is_integer():
        return None, gettext("%(de)s is a count: a whole number is expected, not %(v)s") % {
            "de": element, "v": show_number(number)}
    return number, None


def _not_a_count(s: str, shown: str, element: str) -> str:
    """Why ASCII text that is not plain digits is not a count: negative, too large, not whole, or a
    whole number written another way ('1e3', '+5', '12.0', '1,000')."""
    written = s if _NUMBER.fullmatch(s) else s.replace(",", ".", 1) if _DECIMAL_COMMA.fullmatch(s) else ""
    if not written:
        return gettext("'%(v)s' is not a number") % {"v": shown}
    number = Decimal(written)  # the patterns let only plain decimals through
    if not math.isfinite(float(number)):
        return gettext("'%(v)s' is not a finite number (too large?)") % {"v": shown}
    if written.startswith("-"):
        return gettext("%(de)s cannot be negative (%(v)s was given)") % {"de": element,
                                                                         "v": show_number(float(number))}
    if number != number.to_integral_value():
        return gettext("%(de)s is a count: a whole number is expected, not %(v)s") % {
            "de": element, "v": show_number(float(number))}
    return gettext("%(de)s is a count: write it with the digits 0-9 only (no sign, decimal point or "
                   "exponent), not '%(v)s'") % {"de": element, "v": shown}


def disaggregation_label(cats: dict[str, str]) -> str:
    """'SEX=F,GRADE=G01' — how a disaggregation is written in audit rows and messages."""
    return ",".join(f"{c}={cats[c]}" for c in CATEGORY_ORDER if cats.get(c))


@dataclass
class CheckedValue:
    element: ElementInfo
    period: periods.Period
    unit: UnitInfo
    value: float
    categories: dict[str, str]


def check_value(ref: Reference, data_element: str, period: str, org_unit: str, value: Any,
                categories: dict[str, str] | None = None) -> CheckedValue:
    """Validate one value; raise `InvalidValue` with every problem, field by field."""
    errors: dict[str, list[str]] = {}

    def add(f: str, reason: str | None) -> None:
        if reason:
            errors.setdefault(f, []).append(reason)

    add("dataElement", ref.element_error(data_element))
    add("orgUnit", ref.unit_error(org_unit))
    per, reason = parse_period(period)
    add("period", reason)
    element = ref.elements.get(data_element)
    number, reason = parse_value(value, element.value_type if element else None, data_element)
    add("value", reason)
    unit = ref.units.get(org_unit)
    cats = {k.upper(): (v or "").strip() for k, v in (categories or {}).items() if (v or "").strip()}
    for cat, opt in cats.items():
        if cat not in CATEGORY_ORDER:
            add(cat, gettext("unknown category %(c)s (categories: %(all)s)") % {"c": cat,
                                                                              "all": ", ".join(CATEGORY_ORDER)})
            continue
        add(cat, ref.option_error(cat, opt))
        if element and cat not in element.categories:
            add(cat, ref.category_not_allowed(element, cat))
    if element and per:
        add("period", ref.period_type_error(element, per))
    if element and unit:
        add("orgUnit", ref.attachment_error(element, unit))
    if unit and per:
        add("orgUnit", ref.open_error(unit, per))
    if errors:
        raise InvalidValue(errors)
    assert element and per and unit and number is not None
    return CheckedValue(element, per, unit, number, cats)


# --- bulk ------------------------------------------------------------------------------------------

@dataclass
class ValueRows:
    """Rows read from a file, column by column (Arrow string arrays), with where each came from.

    `positions` holds line numbers (ints, header = line 1) or position labels (str) for formats
    without lines; `header_line` is where column problems are reported.
    """

    columns: dict[str, pa.Array]
    positions: np.ndarray | list[Any]
    header_line: int | str = 1

    @property
    def n(self) -> int:
        return len(self.positions)

    @classmethod
    def from_lists(cls, columns: dict[str, list[Any]], positions: Sequence[Any], header_line: int | str = 1
                   ) -> ValueRows:
        arrays = {}
        for name, values in columns.items():
            arrays[name] = pa.array(["" if v is None else str(v) for v in values], type=pa.string())
        pos: np.ndarray | list[Any]
        pos = np.asarray(positions, dtype=np.int64) if all(isinstance(p, int) for p in positions) else list(positions)
        return cls(arrays, pos, header_line)


@dataclass
class ResolvedValues:
    """Valid rows as ids and numbers, ready to be written (see collection.services.write_values)."""

    n: int
    element_ids: np.ndarray  # int64 per row
    element_codes: np.ndarray  # object per row: the data element code (for audit)
    period_codes: list[str]  # canonical code per distinct period
    period_index: np.ndarray  # int per row, into period_codes
    unit_ids: np.ndarray  # int64 per row
    combos: list[tuple[str, ...]]  # distinct disaggregations, one option code (or '') per category
    combo_index: np.ndarray  # int per row, into combos
    values: np.ndarray  # float64 per row
    comments: pa.Array | None  # None when every comment is empty
    positions: np.ndarray | list[Any] = field(default_factory=list)
    comment_given: bool = True  # False: the input has no comment column, stored comments stay

    @property
    def partitions(self) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """Per row, the index of its (data element, period) partition; and the partitions."""
        key = self.element_ids.astype(np.int64) * (len(self.period_codes) + 1) + self.period_index
        uniq, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.ravel()
        parts = []
        for k in uniq.tolist():
            de_id, p = divmod(k, len(self.period_codes) + 1)
            parts.append((int(de_id), self.period_codes[p]))
        return inverse, parts


def _encode(arr: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Distinct values of a string column and, per row, the index of its value."""
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    d = pc.dictionary_encode(arr)
    if isinstance(d, pa.ChunkedArray):
        d = d.combine_chunks()
    return d.indices.to_numpy(zero_copy_only=False).astype(np.int64), d.dictionary.to_pylist()


def _trimmed(arr: pa.Array) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    return pc.utf8_trim_whitespace(arr)


class _Errors:
    def __init__(self, rows: ValueRows):
        self.rows = rows
        self.items: list[tuple[int, RowError]] = []  # (row index or -1, error)
        self.bad = np.zeros(rows.n, dtype=bool)

    def header(self, f: str, reason: str) -> None:
        self.items.append((-1, RowError(self.rows.header_line, f, reason)))

    def rows_where(self, mask: np.ndarray, f: str, reason_of_row) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        self.bad[idx] = True
        pos = self.rows.positions
        for i in idx.tolist():
            self.items.append((i, RowError(pos[i] if isinstance(pos, list) else int(pos[i]), f, reason_of_row(i))))

    def by_code(self, index: np.ndarray, verdicts: list[str | None], f: str) -> None:
        """Report rows whose distinct value (index into `verdicts`) has a reason."""
        bad_codes = np.array([v is not None for v in verdicts], dtype=bool)
        if not bad_codes.any():
            return
        self.rows_where(bad_codes[index], f, lambda i: verdicts[index[i]])

    def sorted(self) -> list[RowError]:
        self.items.sort(key=lambda t: (t[0],))
        return [e for _, e in self.items]


def validate_rows(rows: ValueRows, ref: Reference, check_duplicates: bool = True,
                  is_locked=None) -> tuple[ResolvedValues | None, list[RowError]]:
    """Check every row; return the resolved values, or None and every problem found.

    Problems are reported per row and per field, so one row can carry several; a problem with the
    columns themselves (missing `value`, unknown column) is reported on the header line.
    """
    errs = _Errors(rows)
    cols = rows.columns
    for name in REQUIRED_COLUMNS:
        if name not in cols:
            errs.header(name, gettext("required column '%(c)s' is missing (columns: %(all)s)") % {
                "c": name, "all": ", ".join(VALUE_COLUMNS)})
    if errs.items:
        return None, errs.sorted()
    n = rows.n
    if n == 0:
        return _empty_resolved(rows), []

    # data element
    de_idx, de_codes = _encode(_trimmed(cols["dataElement"]))
    errs.by_code(de_idx, [ref.element_error(c) for c in de_codes], "dataElement")
    de_info: list[Any] = [ref.elements.get(c) for c in de_codes]  # None where unknown (rows already in error)

    # org unit
    ou_idx, ou_codes = _encode(_trimmed(cols["orgUnit"]))
    errs.by_code(ou_idx, [ref.unit_error(c) for c in ou_codes], "orgUnit")
    ou_info: list[Any] = [ref.units.get(c) for c in ou_codes]

    # period: parse each distinct code once, then map to canonical codes
    pe_idx, pe_codes = _encode(_trimmed(cols["period"]))
    parsed = [parse_period(c) for c in pe_codes]
    errs.by_code(pe_idx, [r for _, r in parsed], "period")
    canon = sorted({p.code for p, _ in parsed if p is not None})
    canon_pos = {c: i for i, c in enumerate(canon)}
    pe_to_canon = np.array([canon_pos[p.code] if p else 0 for p, _ in parsed], dtype=np.int64)
    pe_obj: list[Any] = [p for p, _ in parsed]

    de_ok = np.array([i is not None for i in de_info], dtype=bool)[de_idx]
    ou_ok = np.array([i is not None for i in ou_info], dtype=bool)[ou_idx]
    pe_ok = np.array([p is not None for p in pe_obj], dtype=bool)[pe_idx]

    # period type of the element, on distinct (element, period) pairs
    pair_checks(errs, de_idx, pe_idx, de_ok & pe_ok, len(pe_codes), "period",
                lambda d, p: ref.period_type_error(de_info[d], pe_obj[p]))
    # kind of unit the element is reported by
    pair_checks(errs, de_idx, ou_idx, de_ok & ou_ok, len(ou_codes), "orgUnit",
                lambda d, o: ref.attachment_error(de_info[d], ou_info[o]))
    # the unit existed during the period
    pair_checks(errs, ou_idx, pe_idx, ou_ok & pe_ok, len(pe_codes), "orgUnit",
                lambda o, p: ref.open_error(ou_info[o], pe_obj[p]))

    # value: the rule of its element's value type (an unknown element: just a number)
    values = _numbers(errs, _trimmed(cols["value"]), de_idx, [i.value_type if i else None for i in de_info],
                      de_codes)

    # categories
    cat_idx: dict[str, np.ndarray] = {}
    cat_codes: dict[str, list[str]] = {}
    for cat in CATEGORY_ORDER:
        if cat not in cols:
            continue
        idx, codes = _encode(_trimmed(cols[cat]))
        errs.by_code(idx, [None if c == "" else ref.option_error(cat, c) for c in codes], cat)
        given = np.array([c != "" for c in codes], dtype=bool)[idx]
        allowed_de = np.array([bool(i) and cat in i.categories for i in de_info], dtype=bool)
        not_allowed = given & de_ok & ~allowed_de[de_idx]
        errs.rows_where(not_allowed, cat,
                        lambda i, _c=cat: ref.category_not_allowed(de_info[de_idx[i]], _c))
        cat_idx[cat], cat_codes[cat] = idx, codes
    for name in cols:
        if name not in VALUE_COLUMNS:
            errs.header(name, gettext("unknown column '%(c)s' (columns: %(all)s)") % {
                "c": name, "all": ", ".join(VALUE_COLUMNS)})

    # distinct disaggregations (combinations of options) present
    combo_key = np.zeros(n, dtype=np.int64)
    for cat in CATEGORY_ORDER:
        if cat in cat_idx:
            combo_key = _combine(combo_key, cat_idx[cat], len(cat_codes[cat]))
    _, first_row, combo_index = _unique_small(combo_key)
    combo_index = combo_index.ravel()
    combos = [tuple(cat_codes[c][cat_idx[c][r]] if c in cat_idx else "" for c in CATEGORY_ORDER)
              for r in first_row.tolist()]

    canon_idx = pe_to_canon[pe_idx]
    if check_duplicates:
        _duplicates(errs, de_idx, canon_idx, ou_idx, combo_index, len(canon), len(ou_codes), len(combos))

    if is_locked is not None:
        _locks(errs, is_locked, de_idx, ou_idx, canon_idx, de_info, ou_info, canon, ~errs.bad)

    if errs.items:
        return None, errs.sorted()

    comments = None
    if "comment" in cols:
        c = cols["comment"]
        if isinstance(c, pa.ChunkedArray):
            c = c.combine_chunks()
        c = pc.fill_null(c, "") if c.null_count else c
        if pc.max(pc.utf8_length(c)).as_py():
            comments = c
    de_ids = np.array([i.id for i in de_info], dtype=np.int64)[de_idx]
    de_code_arr = np.array(de_codes, dtype=object)[de_idx]
    ou_ids = np.array([i.id for i in ou_info], dtype=np.int64)[ou_idx]
    return ResolvedValues(n, de_ids, de_code_arr, canon, canon_idx, ou_ids, combos, combo_index, values,
                          comments, rows.positions, "comment" in cols), []


def pair_checks(errs: _Errors, a_idx: np.ndarray, b_idx: np.ndarray, ok: np.ndarray, b_count: int, f: str,
                check) -> None:
    """Run `check(a, b)` once per distinct pair among rows where `ok`; report the rows of bad pairs."""
    if not ok.any():
        return
    key = a_idx * max(b_count, 1) + b_idx  # < n * n: no overflow below 3e9 rows
    verdict = {}
    for k in np.unique(key[ok]).tolist():
        reason = check(*divmod(k, max(b_count, 1)))
        if reason:
            verdict[k] = reason
    if verdict:
        bad = ok & np.isin(key, np.fromiter(verdict, dtype=np.int64))
        errs.rows_where(bad, f, lambda i: verdict[int(key[i])])


def _numbers(errs: _Errors, arr: pa.Array, de_idx: np.ndarray, value_types: list[str | None],
             de_codes: list[str]) -> np.ndarray:
    """The value of every row by `parse_value` — or, when Arrow can tell that `parse_value` would
    accept every text and read it the same way, by one vectorised cast.

    The shortcut is taken only when each row's text matches its type's pattern (the rule's own
    `COUNT_PATTERN` / `NUMBER_PATTERN`), the cast is finite and no value of a known element is
    negative: for such text `parse_value` returns `float(text)`, which Arrow's correctly rounded cast
    equals. Anything else — a file with one bad or unusual value — is judged by `parse_value` once per
    distinct (data element, text), so a million-row file costs a few thousand calls at most.
    """
    if _patterns_hold(arr, de_idx, value_types):
        values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        typed = np.array([t is not None for t in value_types], dtype=bool)[de_idx]
        if np.isfinite(values).all() and not (typed & (values < 0)).any():
            return values
    idx, texts = _encode(arr)
    width = max(len(texts), 1)
    uniq, inverse = np.unique(de_idx * width + idx, return_inverse=True)  # < n * n: no overflow below 3e9 rows
    numbers = np.full(len(uniq), np.nan, dtype=np.float64)
    verdicts: list[str | None] = []
    for j, k in enumerate(uniq.tolist()):
        d, t = divmod(k, width)
        number, reason = parse_value(texts[t], value_types[d], de_codes[d])
        verdicts.append(reason)
        if number is not None:
            numbers[j] = number
    inverse = inverse.ravel()
    errs.by_code(inverse, verdicts, "value")
    return numbers[inverse]


def _patterns_hold(arr: pa.Array, de_idx: np.ndarray, value_types: list[str | None]) -> bool:
    """Whether every text matches the pattern of its row's value type (plain digits for counts)."""
    if not len(arr) or arr.null_count:
        return False
    # `COUNT_PATTERN` is "non-empty and ASCII 0-9 only", which Arrow tests 7x faster than by the regex
    plain = pc.ascii_is_decimal(arr).to_numpy(zero_copy_only=False)
    if plain.all():
        return True
    counts = np.array([t == COUNT for t in value_types], dtype=bool)[de_idx]
    if (counts & ~plain).any():
        return False
    rest = arr.filter(pa.array(~plain))
    return bool(pc.all(pc.match_substring_regex(rest, f"^(?:{NUMBER_PATTERN})$")).as_py())


def _combine(a: np.ndarray, b: np.ndarray, b_count: int) -> np.ndarray:
    """Codes of the pairs (a, b): equal pairs get equal codes, and codes stay small enough to combine
    again (a mixed-radix number while it fits in 62 bits, else renumbered densely)."""
    b_count = max(b_count, 1)
    top = int(a.max()) + 1 if len(a) else 1
    if top * b_count < 2**62:
        return a * b_count + b
    return np.unique(a * b_count + b, return_inverse=True)[1].ravel()


def _span(a: np.ndarray) -> int:
    return int(a.max()) + 1 if len(a) else 1


def _unique_small(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(return_index, return_inverse) — by counting when the keys are small numbers."""
    if len(key) and 0 <= key.min() and key.max() < 4 * len(key) + 1024:
        present = np.zeros(int(key.max()) + 1, dtype=bool)
        present[key] = True
        uniq = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        inverse = rank[key]
        first = np.full(len(uniq), len(key), dtype=np.int64)
        np.minimum.at(first, inverse, np.arange(len(key)))
        return uniq, first, inverse
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return uniq, first, inverse.ravel()


def _duplicates(errs: _Errors, de_idx, pe_idx, ou_idx, combo_idx, n_pe, n_ou, n_combo) -> None:
    key = _combine(_combine(_combine(de_idx, pe_idx, n_pe), ou_idx, n_ou), combo_idx, n_combo)
    order = np.argsort(key, kind="stable")
    sk = key[order]
    same = sk[1:] == sk[:-1]
    if not same.any():
        return
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_of_row = first[inverse.ravel()]
    dup = first_of_row != np.arange(len(key))
    pos = errs.rows.positions

    def reason(i: int) -> str:
        where = pos[first_of_row[i]] if isinstance(pos, list) else int(pos[first_of_row[i]])
        label = gettext("line %(n)s") % {"n": where} if isinstance(where, int) else str(where)
        return gettext("duplicate of %(where)s (same data element, period, org unit and disaggregation)") % {
            "where": label}

    errs.rows_where(dup, "key", reason)


def _locks(errs, is_locked, de_idx, ou_idx, pe_idx, de_info, ou_info, canon, ok) -> None:
    """Ask the lock hook once per distinct (org unit, period, data element)."""
    if not ok.any():
        return
    key = _combine(_combine(ou_idx, pe_idx, len(canon)), de_idx, len(de_info))
    _, first = np.unique(np.where(ok, key, -1), return_index=True)
    verdict = {}
    for r in first.tolist():
        if not ok[r]:
            continue
        o, p, d = ou_info[ou_idx[r]], canon[pe_idx[r]], de_info[de_idx[r]]
        if is_locked(o, p, d):
            verdict[int(key[r])] = gettext("values of %(de)s for %(u)s in %(p)s are locked (approved); ask for "
                                           "the approval to be withdrawn first") % {"de": d.code, "u": o.code,
                                                                                     "p": p}
    if verdict:
        bad = ok & np.isin(key, np.fromiter(verdict, dtype=np.int64))
        errs.rows_where(bad, "key", lambda i: verdict[int(key[i])])


def _empty_resolved(rows: ValueRows) -> ResolvedValues:
    z = np.zeros(0, dtype=np.int64)
    return ResolvedValues(0, z, np.zeros(0, dtype=object), [], z, z, [], z, np.zeros(0), None, rows.positions)
