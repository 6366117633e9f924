"""Indicator definitions as data.

Definitions live in ``catalogue.json`` so that a ministry can add or change an indicator without
code: the engine compiles each definition to Ibis expressions.  This module only parses and checks
that file; it knows nothing about any backend.

An indicator is ``factor * numerator / (denominator * denominator_factor)`` where each of the three
parts is a signed sum of *terms*; a term selects the rows of one data element (optionally filtered by
category options, organization attributes, period offset) and sums them through the hierarchy.
``guard`` terms contribute nothing but must have rows: a flow rate for year t is undefined until
the census of t+1 is in, and must not silently read as "nobody was promoted".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORY_COLUMNS",
    "Catalogue",
    "CatalogueError",
    "Indicator",
    "OrgCondition",
    "Term",
    "load_catalogue",
]

CATALOGUE_PATH = Path(__file__).with_name("catalogue.json")

CATEGORY_COLUMNS = ("sex", "age", "grade", "qual", "exp", "lang")
"""Category columns of the ``facts`` table (NULL = total over that category)."""

ORG_ATTRIBUTES = ("kind", "org_type", "area", "ownership", "shifts", "emergency")
PARTS = ("numerator", "denominator", "denominator_factor", "guard")
METHODS = ("ratio", "flow", "survival")
DIMENSIONS = ("SEX", "AREA")


class CatalogueError(ValueError):
    """A definition that cannot be compiled."""


@dataclass(frozen=True)
class OrgCondition:
    """Keep an organization's rows only if ``sum(left_de) <op> sum(right_de)`` for that period.

    ``right_attr`` names an ``org_units`` column used when the organization reported no
    ``right_de`` value (e.g. design capacity from the registry when CAPACITY was not collected);
    ``right_value`` is a constant used last.  The test is evaluated for the requested period
    (shifted by the term's ``period_offset``), not the calendar year of a finance term, so that
    "organizations with pupils in school year 2024S" selects the expenditure of calendar 2024.
    """

    left_de: str
    op: str
    right_de: str | None = None
    right_attr: str | None = None
    right_value: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrgCondition:
        op = data["op"]
        if op not in (">", ">=", "<", "<=", "==", "!="):
            raise CatalogueError(f"unknown comparison {op!r}")
        if not data.get("right_de") and not data.get("right_attr") and data.get("right_value") is None:
            raise CatalogueError("org_condition needs right_de, right_attr or right_value")
        if data.get("right_attr") and data["right_attr"] not in ("capacity", "shifts"):
            raise CatalogueError(f"unknown numeric attribute {data['right_attr']!r}")
        value = data.get("right_value")
        return cls(
            data["left_de"], op, data.get("right_de"), data.get("right_attr"),
            None if value is None else float(value),
        )  # fmt: skip


@dataclass(frozen=True)
class Term:
    """One signed sum of data-element rows.

    Options (all optional; see docs/indicators.md):
    ``filters`` category -> allowed option codes (``None`` in the list = the total row);
    ``sign`` +1/-1; ``period_offset`` 1 = take the value at t+1 (cohort flow);
    ``period_kind`` ``same`` or ``calendar`` (school year 2024S -> calendar 2024);
    ``required`` the cell is undefined when this term has no rows (next year's census not in yet);
    ``org`` organization attribute -> allowed values; ``org_condition`` per-organization test;
    ``apportion`` multiply each organization's value by its share of a data element (teachers of a
    level = teachers x pupils of the level / all pupils); ``count_orgs`` count reporting
    organizations instead of summing (``min_value`` = count only those with value >= it);
    ``split`` False = the term is not disaggregated and is repeated for every SEX/AREA group;
    ``lookup`` ``sum`` (add up descendants) or ``nearest_ancestor`` (take the value attached to the
    unit itself or its closest ancestor: non-additive figures such as GDP per capita).
    """

    de: str
    filters: tuple[tuple[str, tuple[str | None, ...]], ...] = ()
    sign: float = 1.0
    period_offset: int = 0
    period_kind: str = "same"
    required: bool = False
    org: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    org_condition: OrgCondition | None = None
    apportion: Term | None = None
    count_orgs: bool = False
    min_value: float | None = None
    split: bool = True
    lookup: str = "sum"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Term:
        unknown = set(data) - {
            "de", "filters", "sign", "period_offset", "period_kind", "required", "org",
            "org_condition", "apportion", "count_orgs", "split", "lookup",
        }  # fmt: skip
        if unknown:
            raise CatalogueError(f"unknown term keys {sorted(unknown)}")
        filters = []
        for cat, values in (data.get("filters") or {}).items():
            if cat not in CATEGORY_COLUMNS:
                raise CatalogueError(f"unknown category {cat!r}")
            vals = tuple(values) if isinstance(values, list | tuple) else (values,)
            filters.append((cat, vals))
        org = []
        for attr, values in (data.get("org") or {}).items():
            if attr not in ORG_ATTRIBUTES:
                raise CatalogueError(f"unknown organization attribute {attr!r}")
            org.append((attr, tuple(values) if isinstance(values, list | tuple) else (values,)))
        count = data.get("count_orgs")
        period_kind = data.get("period_kind", "same")
        if period_kind not in ("same", "calendar"):
            raise CatalogueError(f"unknown period_kind {period_kind!r}")
        lookup = data.get("lookup", "sum")
        if lookup not in ("sum", "nearest_ancestor"):
            raise CatalogueError(f"unknown lookup {lookup!r}")
        sign = float(data.get("sign", 1))
        if sign not in (1.0, -1.0):
            raise CatalogueError("sign must be +1 or -1")
        return cls(
            de=data["de"],
            filters=tuple(filters),
            sign=sign,
            period_offset=int(data.get("period_offset", 0)),
            period_kind=period_kind,
            required=bool(data.get("required", False)),
            org=tuple(org),
            org_condition=OrgCondition.from_dict(data["org_condition"])
            if data.get("org_condition")
            else None,
            apportion=Term.from_dict(data["apportion"]) if data.get("apportion") else None,
            count_orgs=count is not None and count is not False,
            min_value=(count or {}).get("min_value") if isinstance(count, Mapping) else None,
            split=bool(data.get("split", True)),
            lookup=lookup,
        )


@dataclass(frozen=True)
class Indicator:
    """A compiled-to-be definition; see the module docstring for the formula."""

    code: str
    name: Mapping[str, str] = field(default_factory=dict)
    numerator: tuple[Term, ...] = ()
    denominator: tuple[Term, ...] = ()
    denominator_factor: tuple[Term, ...] = ()
    guard: tuple[Term, ...] = ()
    factor: float = 1.0
    unit: str = ""
    direction: int = 1
    disaggregations: tuple[str, ...] = DIMENSIONS
    method: str = "ratio"
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def numerator_narrows_denominator(self) -> bool:
        """Whether the numerator counts part of the denominator's own rows, narrowed by organization
        attributes (pupils in three-shift schools of all pupils). Where no organization qualifies such
        a numerator is 0, not unknown; a numerator of another element (teachers) stays unknown."""
        if not self.numerator or not self.denominator:
            return False

        def rows(t: Term) -> tuple:
            return (t.de, t.filters, t.sign, t.period_offset, t.period_kind, t.apportion, t.count_orgs, t.lookup)

        own = {rows(t) for t in self.denominator}
        return all(rows(t) in own and (t.org or t.org_condition) for t in self.numerator)

    def parts(self) -> Iterable[tuple[str, Term]]:
        """All terms with the part they belong to."""
        for part in PARTS:
            for term in getattr(self, part):
                yield part, term

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Indicator:
        code = data["code"]
        try:
            method = data.get("method", "ratio")
            if method not in METHODS:
                raise CatalogueError(f"unknown method {method!r}")
            dims = tuple(data.get("disaggregations", DIMENSIONS))
            if set(dims) - set(DIMENSIONS):
                raise CatalogueError(f"unknown disaggregation in {dims}")
            direction = int(data.get("direction", 1))
            if direction not in (1, -1):
                raise CatalogueError("direction must be +1 or -1")
            ind = cls(
                code=code,
                name=dict(data.get("name", {})),
                numerator=tuple(Term.from_dict(t) for t in data.get("numerator", [])),
                denominator=tuple(Term.from_dict(t) for t in data.get("denominator", [])),
                denominator_factor=tuple(Term.from_dict(t) for t in data.get("denominator_factor", [])),
                guard=tuple(replace(Term.from_dict(t), required=True) for t in data.get("guard", [])),
                factor=float(data.get("factor", 1)),
                unit=data.get("unit", ""),
                direction=direction,
                disaggregations=dims,
                method=method,
                params=dict(data.get("params", {})),
                description=data.get("description", ""),
            )
            if method == "survival":
                if not ind.params.get("grades"):
                    raise CatalogueError("survival needs params.grades")
            elif not ind.numerator:
                raise CatalogueError("numerator is empty")
            return ind
        except (KeyError, TypeError) as exc:
            raise CatalogueError(f"{code}: malformed definition ({exc})") from exc
        except CatalogueError as exc:
            raise CatalogueError(f"{code}: {exc}") from exc


@dataclass(frozen=True)
class Catalogue:
    """Indicators by code, plus the named levels, parity indices and equity measures."""

    indicators: Mapping[str, Indicator]
    levels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    parity: tuple[Mapping[str, Any], ...] = ()
    equity: tuple[Mapping[str, Any], ...] = ()

    def __getitem__(self, code: str) -> Indicator:
        try:
            return self.indicators[code]
        except KeyError:
            raise CatalogueError(f"unknown indicator {code!r}") from None

    def __contains__(self, code: object) -> bool:
        return code in self.indicators

    def codes(self) -> list[str]:
        return list(self.indicators)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        indicators: dict[str, Indicator] = {}
        for item in data.get("indicators", []):
            ind = Indicator.from_dict(item)
            if ind.code in indicators:
                raise CatalogueError(f"duplicate indicator {ind.code}")
            indicators[ind.code] = ind
        return cls(
            indicators=indicators,
            levels=dict(data.get("levels", {})),
            parity=tuple(data.get("parity", ())),
            equity=tuple(data.get("equity", ())),
        )

    @classmethod
    def from_indicators(cls, items: Iterable[Mapping[str, Any] | Indicator]) -> Catalogue:
        """A catalogue built in code (tests, ad hoc definitions)."""
        inds = [i if isinstance(i, Indicator) else Indicator.from_dict(i) for i in items]
        return cls(indicators={i.code: i for i in inds})


@lru_cache(maxsize=4)
def _load(path: str) -> Catalogue:
    with open(path, encoding="utf-8") as fh:
        return Catalogue.from_dict(json.load(fh))


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The default catalogue shipped with Bilim, or the one at ``path``."""
    return _load(str(path or CATALOGUE_PATH))
