"""Per-form XLSX templates: fill a census form offline, upload it back through `import_file`.

A template is the data values XLSX layout of catalog.md (`dataElement, period, orgUnit, value, SEX,
AGE, GRADE, QUAL, EXP, LANG, comment`) on its first sheet, with one prefilled row per data element
of the form and combination of its disaggregations, for one org unit and period:

* key columns (dataElement .. orgUnit and the categories) are filled and locked (the sheet is
  protected without a password: it prevents slips, not determined edits);
* `value` and `comment` are empty and editable; `value` accepts numbers only;
* below the prefilled rows, 200 blank rows are editable, with drop-downs (data elements of the form,
  options of each category) for values the prefilled breakdown does not cover;
* a hidden sheet `lists` holds the drop-down options; the workbook's keywords mark it as a Bilim
  template, so the import skips rows whose value was left empty (a normal values file reports a
  missing value as an error).

A data element disaggregated in many ways would need thousands of rows (ENROL: SEX × GRADE × AGE ×
LANG); the template takes its categories in the order SEX, GRADE, QUAL, EXP, LANG, AGE while the
rows per element stay within `MAX_ROWS_PER_ELEMENT`, and leaves the others blank (totals).
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass

from bilim.collection.validation import VALUE_COLUMNS
from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER, CategoryOption, DataSet
from bilim.registry.models import OrgUnit

TEMPLATE_KEYWORD = "bilim-form-template"
MAX_ROWS_PER_ELEMENT = 200
BLANK_ROWS = 200
BREAKDOWN_PRIORITY = ("SEX", "GRADE", "QUAL", "EXP", "LANG", "AGE")
KEY_COLUMNS = ("dataElement", "period", "orgUnit", *CATEGORY_ORDER)


class TemplateError(ValueError):
    """The form, unit or period cannot make a template (the message says which and why)."""


@dataclass
class TemplateRow:
    data_element: str
    categories: dict[str, str]


def breakdown(element_categories: list[str], options: dict[str, list[str]]) -> list[str]:
    """The categories a template spells out for one element (see the module docstring)."""
    chosen: list[str] = []
    rows = 1
    for cat in BREAKDOWN_PRIORITY:
        if cat in element_categories and options.get(cat):
            n = len(options[cat])
            if rows * n <= MAX_ROWS_PER_ELEMENT:
                chosen.append(cat)
                rows *= n
    return [c for c in CATEGORY_ORDER if c in chosen]


def template_rows(data_set: DataSet) -> list[TemplateRow]:
    options: dict[str, list[str]] = {}
    for cat, opt in CategoryOption.objects.order_by("category__sort_order", "sort_order", "code").values_list(
            "category__code", "code"):
        options.setdefault(cat, []).append(opt)
    out = []
    for de in data_set.data_elements.prefetch_related("categories").order_by("code"):
        cats = breakdown([c.code for c in de.categories.all()], options)
        for combo in itertools.product(*(options[c] for c in cats)):
            out.append(TemplateRow(de.code, dict(zip(cats, combo, strict=True))))
    return out


def resolve(data_set: str, org_unit: str, period: str) -> tuple[DataSet, OrgUnit, periods.Period]:
    """The form, unit and period, or TemplateError naming what is wrong."""
    ds = DataSet.objects.filter(code=data_set).first()
    if ds is None:
        known = ", ".join(DataSet.objects.values_list("code", flat=True)[:20])
        raise TemplateError(f"unknown data set '{data_set}' (data sets: {known})")
    unit = OrgUnit.objects.filter(code=org_unit).first()
    if unit is None:
        raise TemplateError(f"unknown org unit '{org_unit}'")
    types = set(ds.org_types or [])
    if types and unit.org_type not in types and unit.kind not in types:
        raise TemplateError(f"{unit.code} ({unit.org_type or unit.kind}) does not report {ds.code} "
                            f"(reported by {', '.join(sorted(types))})")
    try:
        pe = periods.parse(period)
    except periods.PeriodError as e:
        raise TemplateError(str(e)) from None
    if pe.type != ds.period_type:
        raise TemplateError(f"{ds.code} is collected per {ds.period_type.replace('_', ' ')}, "
                            f"not per {pe.type.replace('_', ' ')} ('{period}')")
    return ds, unit, pe


def build_template(data_set: str, org_unit: str, period: str) -> bytes:
    """The XLSX bytes of a template for one form, org unit and period."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ds, unit, pe = resolve(data_set, org_unit, period)
    rows = template_rows(ds)
    wb = Workbook()
    wb.properties.keywords = TEMPLATE_KEYWORD
    wb.properties.title = f"{ds.code} {unit.code} {pe.code}"
    wb.properties.subject = ds.name_en or ds.code
    ws = wb.active
    ws.title = "dataValues"
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"

    columns = list(VALUE_COLUMNS)
    col = {name: i + 1 for i, name in enumerate(columns)}
    ws.append(columns)
    bold = Font(bold=True)
    for c in ws[1]:
        c.font = bold
    key_fill = PatternFill("solid", fgColor="EEF2F6")
    for r in rows:
        ws.append([r.data_element, pe.code, unit.code, None, *(r.categories.get(c, "") for c in CATEGORY_ORDER), ""])
    last = len(rows) + 1
    unlocked = Protection(locked=False)
    for row in ws.iter_rows(min_row=2, max_row=last):
        for cell in row:
            if columns[cell.column - 1] in ("value", "comment"):
                cell.protection = unlocked
            else:
                cell.fill = key_fill
    for blank in range(last + 1, last + 1 + BLANK_ROWS):
        for c in range(1, len(columns) + 1):
            ws.cell(row=blank, column=c).protection = unlocked

    # drop-down lists, one column of the hidden sheet each
    option_lists: dict[str, list[str]] = {"dataElement": [d.code for d in ds.data_elements.order_by("code")]}
    for cat, opt in CategoryOption.objects.order_by("category__sort_order", "sort_order", "code").values_list(
            "category__code", "code"):
        option_lists.setdefault(cat, []).append(opt)
    for j, (name, values) in enumerate(option_lists.items(), start=1):
        lists.cell(row=1, column=j, value=name)
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=j, value=v)
        if name not in col or not values:
            continue
        letter = get_column_letter(j)
        dv = DataValidation(type="list", formula1=f"=lists!${letter}$2:${letter}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorTitle=name,
                            error=f"Choose a {name} code from the list")
        target = get_column_letter(col[name])
        dv.add(f"{target}2:{target}{last + BLANK_ROWS}")
        ws.add_data_validation(dv)
    value_col = get_column_letter(col["value"])
    num = DataValidation(type="decimal", operator="between", formula1="-1000000000000000",
                         formula2="1000000000000000", allow_blank=True, showErrorMessage=True,
                         errorTitle="value", error="Enter a number")
    num.add(f"{value_col}2:{value_col}{last + BLANK_ROWS}")
    ws.add_data_validation(num)

    widths = {"dataElement": 16, "period": 9, "orgUnit": 16, "value": 12, "comment": 30}
    for name, i in col.items():
        ws.column_dimensions[get_column_letter(i)].width = widths.get(name, 8)
    ws.freeze_panes = "A2"
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_name(data_set: str, org_unit: str, period: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in f"{data_set}_{org_unit}_{period}")
    return f"{safe}.xlsx"

