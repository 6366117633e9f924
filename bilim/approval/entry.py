"""The data-entry grid of a form: which cells it has, what they hold, and saving what was typed.

Pragmatic layout: per data element, rows are the options of one category (GRADE where the element
has it, else its first category other than SEX; the user may pick another), columns are SEX where
the element has it; an element without categories is one cell. Categories not on the grid are left
as totals. Every save goes through `collection.services.save_value` with the version that was read,
and a Save is all-or-nothing: one transaction for every changed cell (see `save_cells`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext

from bilim.collection import services as collection
from bilim.collection.validation import InvalidValue
from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER, Category, CategoryOption, DataElement, DataSet
from bilim.registry.models import OrgUnit

from .selectors import ValueTable, label_of


@dataclass
class Cell:
    key: str  # "ENROL:SEX=F,GRADE=G01" — the element and the disaggregation label
    categories: dict[str, str]
    value: str = ""  # what the input shows
    version: str = ""
    original: str = ""
    finer: float | None = None  # sum of more detailed stored values, when no value is stored here
    previous: float | None = None
    error: str = ""

    @property
    def finer_text(self) -> str:
        return _fmt(self.finer)

    @property
    def previous_text(self) -> str:
        return _fmt(self.previous)

    @property
    def anchor(self) -> str:
        return "c-" + self.key.replace(":", "-").replace(",", "-").replace("=", "_")


@dataclass
class Row:
    code: str
    name: str
    cells: list[Cell]


@dataclass
class ElementGrid:
    element: DataElement
    row_category: str
    row_choices: list[str]
    columns: list[tuple[str, str]]  # (option code, name); [("", "")] when no SEX
    rows: list[Row] = field(default_factory=list)
    category_names: dict[str, str] = field(default_factory=dict)  # GRADE -> "Grade" in the page's language

    @property
    def row_category_name(self) -> str:
        return self.category_names.get(self.row_category, self.row_category)

    @property
    def row_choice_names(self) -> list[tuple[str, str]]:
        """(category code, translated name) of each category the rows may show: the page names, links carry codes."""
        return [(c, self.category_names.get(c, c)) for c in self.row_choices]

    @property
    def anchor(self) -> str:
        return f"de-{self.element.code}"


def _option_names() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for opt in CategoryOption.objects.select_related("category").order_by("category__sort_order", "sort_order",
                                                                           "code"):
        out.setdefault(opt.category.code, []).append((opt.code, opt.name))
    return out


def default_row_category(categories: list[str]) -> str:
    others = [c for c in categories if c != "SEX"]
    return "GRADE" if "GRADE" in others else (others[0] if others else "")


def _fmt(v: float | None) -> str:
    """Plain digits, as typed (no exponent, no locale separators): 1234567 not 1.23457e+06."""
    return "" if v is None else format(v, ".15g")


def build_grid(data_set: DataSet, unit: OrgUnit, period: str, row_choice: dict[str, str] | None = None
               ) -> list[ElementGrid]:
    """The grid for every element of the form that `unit`'s kind reports, filled from the database."""
    pe = periods.parse(period)
    try:
        prev = pe.shift(-1).code
    except periods.PeriodError:
        prev = None
    elements = [de for de in data_set.data_elements.prefetch_related("categories").order_by("pk")
                if unit.kind in (de.attached_to or [])]
    table = ValueTable.load(unit, [de.code for de in elements], [pe.code] + ([prev] if prev else []))
    names = _option_names()
    category_names = {c.code: c.name for c in Category.objects.all()}
    grids = []
    for de in elements:
        cats = [c for c in CATEGORY_ORDER if c in de.category_codes()]
        choices = [c for c in cats if c != "SEX"]
        row_cat = (row_choice or {}).get(de.code, "")
        if row_cat not in choices:
            row_cat = default_row_category(cats)
        columns = names.get("SEX", []) if "SEX" in cats else [("", "")]
        rows_opts = names.get(row_cat, []) if row_cat else [("", "")]
        grid = ElementGrid(de, row_cat, choices, columns, category_names=category_names)
        for r_code, r_name in rows_opts:
            cells = []
            for c_code, _ in columns:
                cat = {k: v for k, v in ((row_cat, r_code), ("SEX", c_code)) if k and v}
                combo = tuple(cat.get(c, "") for c in CATEGORY_ORDER)
                stored = table.get(de.code, pe.code, combo)
                cell = Cell(f"{de.code}:{label_of(combo)}", cat)
                if stored:
                    cell.value = cell.original = _fmt(stored.value)
                    cell.version = str(stored.version)
                else:
                    cell.finer = table.total(de.code, pe.code, cat)[0]
                if prev:
                    cell.previous = table.total(de.code, prev, cat)[0]
                cells.append(cell)
            grid.rows.append(Row(r_code, r_name, cells))
        grids.append(grid)
    return grids


@dataclass
class SaveResult:
    saved: int = 0
    deleted: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # cell key -> message
    conflicts: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (current value, version)
    not_saved: int = 0  # changed cells left unsaved because some cell had a problem (all-or-nothing)

    @property
    def cell_errors(self) -> list[tuple[str, str, str]]:
        """(cell label, anchor of its input, message), for the list above the grid that links to each cell.

        The label names the cell as the grid does ("ENROL · Female · Grade 1"), not by its key
        ("ENROL:SEX=F,GRADE=G01"), which a clerk has never seen."""
        if not self.errors:
            return []
        names = {(cat, code): name for cat, opts in _option_names().items() for code, name in opts}

        def label(key: str) -> str:
            element, cats = parse_key(key)
            return " · ".join([element, *(names.get((c, o), o) for c, o in cats.items())])

        return [(label(k), Cell(k, {}).anchor, m) for k, m in self.errors.items()]


class _Refused(Exception):
    """Some cell could not be saved: roll the whole Save back."""


def parse_key(key: str) -> tuple[str, dict[str, str]]:
    element, _, label = key.partition(":")
    cats = {}
    for part in filter(None, label.split(",")):
        c, _, o = part.partition("=")
        cats[c] = o
    return element, cats


def save_cells(data_set: DataSet, unit: OrgUnit, period: str, post: dict[str, str], actor: str) -> SaveResult:
    """Save every cell whose value differs from what was read, all or nothing.

    A clerk who presses Save once expects the form to be either saved or not; a half-saved form (the
    good cells stored, a '-5' or a conflicting cell not) left the stored figures in a state nobody
    typed and that validation rules then judged. So every changed cell is tried in one transaction
    (each `save_value` in its own savepoint, so every bad cell is found, not only the first); if any
    cell is refused — a bad value, a conflict, a lock — the whole Save is rolled back and
    `not_saved` says how many changes are waiting in the form.
    """
    res = SaveResult()
    allowed = set(data_set.data_elements.values_list("code", flat=True))
    changed = 0
    try:
        with transaction.atomic():
            for name, text in post.items():
                if not name.startswith("v:"):
                    continue
                key = name[2:]
                text = (text or "").strip()
                original = (post.get("orig:" + key) or "").strip()
                if text == original:
                    continue
                changed += 1
                _save_cell(res, data_set, allowed, unit, period, post, key, text, actor)
            if res.errors:
                raise _Refused
    except _Refused:
        res.not_saved, res.saved, res.deleted = changed, 0, 0
        return res
    if res.saved or res.deleted:
        from bilim.analytics import refresher

        refresher.request()  # the dashboards follow the grid within seconds (coalesced, in the background)
    return res


def _save_cell(res: SaveResult, data_set: DataSet, allowed: set[str], unit: OrgUnit, period: str,
               post: dict[str, str], key: str, text: str, actor: str) -> None:
    """Write one changed cell (an emptied cell deletes its value), or record in `res` why not."""
    element, cats = parse_key(key)
    if element not in allowed or any(c not in CATEGORY_ORDER for c in cats):
        res.errors[key] = gettext("%(element)s is not part of %(form)s") % {"element": element,
                                                                             "form": data_set.code}
        return
    ver_text = (post.get("ver:" + key) or "").strip()
    version = int(ver_text) if ver_text.isdigit() else None
    try:
        if text == "" and version is not None:
            collection.delete_value(data_element=element, period=period, org_unit=unit, categories=cats,
                                    version=version, actor=actor)
            res.deleted += 1
        elif text != "":
            collection.save_value(data_element=element, period=period, org_unit=unit, value=text,
                                  categories=cats, version=version, actor=actor)
            res.saved += 1
    except collection.ConflictError as e:
        res.errors[key] = str(e)
        cur = e.current
        res.conflicts[key] = (_fmt(cur.value) if cur else "", str(cur.version) if cur else "")
    except collection.LockedError as e:
        res.errors[key] = str(e)
    except InvalidValue as e:
        res.errors[key] = "; ".join(f"{f}: {', '.join(m)}" for f, m in e.message_dict.items())


def apply_post(grids: list[ElementGrid], post: dict[str, str], result: SaveResult) -> None:
    """After a refused save: every cell shows what the user typed (nothing was saved, so the good
    changes must not vanish either), read at the version the form was opened with; a failed cell also
    shows the reason, and a conflicting one carries the current version, so saving again overwrites it
    deliberately."""
    for g in grids:
        for row in g.rows:
            for cell in row.cells:
                typed = post.get("v:" + cell.key)
                if typed is None:
                    continue
                typed = typed.strip()
                original = (post.get("orig:" + cell.key) or "").strip()
                if typed != original or cell.key in result.errors:
                    cell.value = typed
                    cell.original, cell.version = original, (post.get("ver:" + cell.key) or "").strip()
                if cell.key in result.errors:
                    cell.error = result.errors[cell.key]
                    if cell.key in result.conflicts:
                        current, version = result.conflicts[cell.key]
                        cell.original, cell.version = current, version
