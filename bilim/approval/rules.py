"""Running validation rules and outlier checks for one form, org unit and period (reads only)."""

from __future__ import annotations

import math
import operator as op
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from bilim.metadata import periods
from bilim.metadata.models import CATEGORY_ORDER, CategoryOption, DataSet
from bilim.registry.models import OrgUnit

from . import expressions as ex
from .models import ValidationRule
from .selectors import ValueTable, label_of

OPERATORS = {"<=": op.le, "<": op.lt, "==": lambda a, b: math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9),
             ">=": op.ge, ">": op.gt, "!=": lambda a, b: not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)}


@dataclass
class ValueKey:
    data_element: str
    period: str
    org_unit: str
    disaggregation: str
    stored: bool = True  # False: the rule looked for values here and found none

    def as_dict(self) -> dict:
        return {"data_element": self.data_element, "period": self.period, "org_unit": self.org_unit,
                "disaggregation": self.disaggregation, "stored": self.stored}


@dataclass
class Violation:
    rule: ValidationRule
    option: str  # the for-each option ('' when the rule has none)
    left_value: float | None
    right_value: float | None
    message: str
    links: list[ValueKey] = field(default_factory=list)

    @property
    def importance(self) -> str:
        return self.rule.importance

    def as_dict(self) -> dict:
        return {"rule": self.rule.code, "name": self.rule.name, "importance": self.rule.importance,
                "option": self.option, "left": self.rule.left, "operator": self.rule.operator,
                "right": self.rule.right, "left_value": self.left_value, "right_value": self.right_value,
                "message": self.message, "links": [k.as_dict() for k in self.links]}


@dataclass
class CompiledRule:
    rule: ValidationRule
    left: ex.Node
    right: ex.Node
    condition: tuple[ex.Node, str, ex.Node] | None
    options: tuple[tuple[str, str], ...] = ()  # `for_each_options`, parsed

    def offsets(self) -> list[tuple[str, int]]:
        """(element, period offset) of every reference of the two sides, the right's own offset included."""
        return ([(r.element, r.period_offset) for r in ex.refs(self.left)]
                + [(r.element, r.period_offset + self.rule.right_period_offset) for r in ex.refs(self.right)])


def parse_condition(text: str) -> tuple[ex.Node, str, ex.Node]:
    """`expr op expr`, e.g. ``ENROL > 0``."""
    for sym in ("<=", ">=", "==", "!=", "<", ">"):
        if sym in text:
            left, right = text.split(sym, 1)
            return ex.parse(left), sym, ex.parse(right)
    raise ex.ExpressionError("a condition needs a comparison (<=, <, ==, >=, >, !=), e.g. ENROL > 0")


def compile_rule(rule: ValidationRule) -> CompiledRule:
    cond = parse_condition(rule.condition) if rule.condition.strip() else None
    return CompiledRule(rule, ex.parse(rule.left), ex.parse(rule.right), cond,
                        ex.parse_options(rule.for_each_options or ""))


def _shift(period: periods.Period, offset: int) -> str | None:
    if not offset:
        return period.code
    try:
        return period.shift(offset).code
    except periods.PeriodError:
        return None


def _options(category: str) -> dict[str, str]:
    """Option code -> name in the active language, in the category's order."""
    return {o.code: o.name or o.code for o in CategoryOption.objects.filter(category__code=category)
            .order_by("sort_order", "code")}


class _Evaluator:
    def __init__(self, table: ValueTable, period: periods.Period, option_order: dict[str, list[str]]):
        self.table, self.period, self.option_order = table, period, option_order
        self.touched: list[ValueKey] = []
        self.missing = False

    def value(self, node: ex.Node, option: str, for_each: str, extra_offset: int = 0) -> float | None:
        def lookup(ref: ex.Ref) -> float | None:
            pe = _shift(self.period, ref.period_offset + extra_offset)
            filters: dict[str, str] = {}
            for cat, v in ref.filters:
                if isinstance(v, ex.OptionRef):
                    order = self.option_order.get(for_each, [])
                    if option not in order:
                        return self._missing()
                    i = order.index(option) + v.offset
                    if not 0 <= i < len(order):
                        return self._missing()
                    filters[cat] = order[i]
                else:
                    filters[cat] = v
            if pe is None:
                return self._missing()
            total, combos = self.table.total(ref.element, pe, filters)
            if total is None:
                self.touched.append(ValueKey(ref.element, pe, self.table.org_unit,
                                             label_of(tuple(filters.get(c, "") for c in CATEGORY_ORDER)), False))
                return self._missing()
            self.touched += [ValueKey(ref.element, pe, self.table.org_unit, label_of(c)) for c in combos]
            return total

        return ex.evaluate(node, lookup)

    def _missing(self) -> None:
        self.missing = True
        return None


def _elements(compiled: list[CompiledRule]) -> set[str]:
    out = set()
    for c in compiled:
        nodes = [c.left, c.right] + ([c.condition[0], c.condition[2]] if c.condition else [])
        for n in nodes:
            out |= {r.element for r in ex.refs(n)}
    return out


def _periods_needed(compiled: list[CompiledRule], period: periods.Period) -> list[str]:
    out = {period.code}
    for c in compiled:
        offs = [r.period_offset for r in ex.refs(c.left)]
        offs += [r.period_offset + c.rule.right_period_offset for r in ex.refs(c.right)]
        if c.condition:
            offs += [r.period_offset for n in (c.condition[0], c.condition[2]) for r in ex.refs(n)]
        for o in offs:
            p = _shift(period, o)
            if p:
                out.add(p)
    return sorted(out)


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:g}"


def _message(rule: ValidationRule, unit: OrgUnit, category: str, option: str, option_name: str,
             period_codes: list[str], left: float | None, right: float | None) -> str:
    """What a violation says, in the reader's language: the rule, the unit, the option the rule ran
    for and the periods it compared, then both sides with their values. A cross-period rule (this
    year's grade 3 against last year's grade 2) is only understood with its periods named."""
    values = {"rule": rule.name or rule.code, "unit": f"{unit.name} ({unit.code})",
              "periods": ", ".join(periods.label(p) for p in period_codes), "left": rule.left,
              "left_value": _fmt(left), "operator": rule.get_operator_display(), "right": rule.right,
              "right_value": _fmt(right)}
    if option:
        values["option"] = f"{option_name} ({category}={option})"
        return _("%(rule)s: %(unit)s, %(option)s, %(periods)s: %(left)s = %(left_value)s must be "
                 "%(operator)s %(right)s = %(right_value)s") % values
    return _("%(rule)s: %(unit)s, %(periods)s: %(left)s = %(left_value)s must be %(operator)s %(right)s = "
             "%(right_value)s") % values


def run_validation(data_set: DataSet | str, org_unit: OrgUnit | str, period: str,
                   rules: list[ValidationRule] | None = None) -> list[Violation]:
    """Every violation of the active rules of the form for the unit and period.

    A rule "for each" category runs once per option present in the values it refers to. A rule that
    cannot be parsed is reported as a violation of itself rather than crashing the form.
    """
    ds = data_set if isinstance(data_set, DataSet) else DataSet.objects.get(code=data_set)
    ou = org_unit if isinstance(org_unit, OrgUnit) else OrgUnit.objects.get(code=org_unit)
    pe = periods.parse(period)
    if rules is None:
        rules = list(ValidationRule.objects.filter(data_set=ds, active=True).order_by("code"))
    compiled, out = [], []
    for r in rules:
        try:
            compiled.append(compile_rule(r))
        except ex.ExpressionError as e:
            out.append(Violation(r, "", None, None, f"rule {r.code} cannot be evaluated: {e}"))
    elements = sorted(_elements(compiled))
    table = ValueTable.load(ou, elements, _periods_needed(compiled, pe))
    names_cache: dict[str, dict[str, str]] = {}
    order_cache: dict[str, list[str]] = {}
    for c in compiled:
        rule = c.rule
        options = [""]
        cat = rule.for_each.upper()
        if rule.for_each:
            if cat not in CATEGORY_ORDER:
                out.append(Violation(rule, "", None, None, f"rule {rule.code}: unknown category {cat}"))
                continue
            if cat not in names_cache:
                names_cache[cat] = _options(cat)
                order_cache[cat] = list(names_cache[cat])
            try:
                wanted = set(ex.select_options(c.options, order_cache[cat]))
            except ex.ExpressionError as e:
                out.append(Violation(rule, "", None, None, f"rule {rule.code} cannot be evaluated: {e}"))
                continue
            # an option is present when any reference finds it in the period that reference reads
            # (last year's grade 9 counts for a rule comparing it with this year's grade 10)
            present: set[str] = set()
            for element, offset in c.offsets():
                p = _shift(pe, offset)
                if p:
                    present |= table.options_present([element], p, cat)
            options = [o for o in order_cache[cat] if o in present and o in wanted]
        compared = sorted({p for _el, offset in c.offsets() if (p := _shift(pe, offset))})
        for option in options:
            ev = _Evaluator(table, pe, order_cache)
            if c.condition:
                a = ev.value(c.condition[0], option, rule.for_each.upper())
                b = ev.value(c.condition[2], option, rule.for_each.upper())
                if a is None and ev.missing:
                    a = 0.0
                if b is None and ev.missing:
                    b = 0.0
                if a is None or b is None or not OPERATORS[c.condition[1]](a, b):
                    continue
                ev = _Evaluator(table, pe, order_cache)
            left = ev.value(c.left, option, rule.for_each.upper())
            right = ev.value(c.right, option, rule.for_each.upper(), rule.right_period_offset)
            if ev.missing and rule.skip_if_missing:
                continue
            if ev.missing:
                ev.missing = False
                left = left if left is not None else _zero_eval(c.left, ev, option, rule, 0)
                right = right if right is not None else _zero_eval(c.right, ev, option, rule, rule.right_period_offset)
            if left is None or right is None:
                continue  # division by zero
            if OPERATORS[rule.operator](left, right):
                continue
            msg = _message(rule, ou, cat, option, names_cache.get(cat, {}).get(option, option), compared, left,
                           right)
            seen, links = set(), []
            for k in ev.touched:
                t = (k.data_element, k.period, k.disaggregation)
                if t not in seen:
                    seen.add(t)
                    links.append(k)
            out.append(Violation(rule, option, left, right, msg, links))
    return out


def _zero_eval(node: ex.Node, ev: _Evaluator, option: str, rule: ValidationRule, offset: int) -> float | None:
    """Evaluate with missing references counted as zero (rules with skip_if_missing off)."""
    def lookup(ref: ex.Ref) -> float:
        inner = _Evaluator(ev.table, ev.period, ev.option_order)
        v = inner.value(ref, option, rule.for_each.upper(), offset)
        ev.touched += inner.touched
        return 0.0 if v is None else v

    return ex.evaluate(node, lookup)


# --- outliers -----------------------------------------------------------------------------------------

@dataclass
class Outlier:
    data_element: str
    disaggregation: str
    value: float
    history: list[float]
    mean: float
    sd: float
    z: float | None
    low: float
    high: float
    reason: str

    def as_dict(self) -> dict:
        return {"data_element": self.data_element, "disaggregation": self.disaggregation, "value": self.value,
                "history": self.history, "mean": self.mean, "sd": self.sd, "z": self.z, "low": self.low,
                "high": self.high, "reason": self.reason}


def outlier_check(value: float, history: list[float], z_max: float = 3.0, band: float = 0.5
                  ) -> tuple[bool, float | None, float, float]:
    """Is `value` unusual against the same value in previous years? Returns (outlier, z, low, high).

    Min-max band: outside [min - band*|min|, max + band*|max|] of the history is an outlier.
    Z-score (with at least 3 years of history and some spread): |z| > z_max is an outlier when the
    value is also more than 10 % away from the mean (a steady series would otherwise flag tiny moves).
    Without history nothing is an outlier.
    """
    if not history:
        return False, None, value, value
    lo, hi = min(history), max(history)
    low, high = lo - abs(lo) * band, hi + abs(hi) * band
    outside = not (low <= value <= high)
    z = None
    if len(history) >= 3:
        mean = sum(history) / len(history)
        sd = math.sqrt(sum((h - mean) ** 2 for h in history) / (len(history) - 1))
        if sd > 0:
            z = (value - mean) / sd
            if abs(z) > z_max and abs(value - mean) > 0.1 * abs(mean):
                return True, z, low, high
    return outside, z, low, high


def find_outliers(data_set: DataSet | str, org_unit: OrgUnit | str, period: str, years: int = 4,
                  z_max: float = 3.0, band: float = 0.5) -> list[Outlier]:
    """Values of the form for the unit and period far from the same values in the previous `years`."""
    ds = data_set if isinstance(data_set, DataSet) else DataSet.objects.get(code=data_set)
    ou = org_unit if isinstance(org_unit, OrgUnit) else OrgUnit.objects.get(code=org_unit)
    pe = periods.parse(period)
    past = [p for p in (_shift(pe, -k) for k in range(1, years + 1)) if p]
    elements = list(ds.data_elements.values_list("code", flat=True))
    table = ValueTable.load(ou, elements, [pe.code, *past])
    out = []
    for (de, p, combo), stored in sorted(table.values.items()):
        if p != pe.code:
            continue
        hist = [h.value for h in (table.get(de, q, combo) for q in past) if h is not None]
        flagged, z, low, high = outlier_check(stored.value, hist, z_max, band)
        if not flagged:
            continue
        mean = sum(hist) / len(hist)
        sd = math.sqrt(sum((h - mean) ** 2 for h in hist) / (len(hist) - 1)) if len(hist) > 1 else 0.0
        reason = (f"{stored.value:g} is outside the band {low:g}..{high:g} of the previous {len(hist)} "
                  f"period(s)") + (f" (z = {z:.1f})" if z is not None else "")
        out.append(Outlier(de, label_of(combo), stored.value, hist, mean, sd, z, low, high, reason))
    return out
