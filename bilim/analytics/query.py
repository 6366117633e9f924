"""One indicator question, parsed once: `IndicatorQuery` and its org-unit `Selection`.

Every reader of indicators — the API (`/analytics`, `/explain`, `/exchange/sdmx`, CSV), the pages,
`bilim indicators` and `bilim export --sdmx-*` — builds an `IndicatorQuery` here, has
`bilim.accounts.permissions.decide_access` take the one access decision on it (scope, the
public's aggregates-only rule, the reader's approval level), and asks `answer` for the rows. Before,
four parsers of the selection language disagreed (one read `CHILDREN-<district>` as the district
itself, so the public received single schools) and the scope was guessed from query-parameter names.

The selection language (`ou`), as in DHIS2: items separated by `;` (or `,`), each one of

* a unit code (`KZ`, `KZ-63-001`);
* `LEVEL-<kind>`: every unit of that kind on each period's hierarchy; with codes beside it, the
  codes are the *boundaries* the level is taken within and are not returned themselves;
* `CHILDREN-<code>`: the direct children of a unit on each period's hierarchy.

Bad input is a `QueryError` (a `ValueError`: 400 in the API, a `CommandError` in the CLI) that
names the parameter; control and invisible characters are refused before anything reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from bilim.accounts.permissions import AccessDecision

LEVEL_KINDS = ("republic", "region", "district", "authority", "organization")
MODES = ("current", "historical")
SPLITS = ("SEX", "AREA")
MAX_ITEMS = 200
MAX_ITEM_LENGTH = 64
DEFAULT_SELECTION = "KZ"

# C0/C1 controls (NUL included), zero-width and bidirectional marks, the BOM: never part of a code,
# and a NUL reaching SQLite or DuckDB was a server error.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SEPARATORS = re.compile(r"[;,]")


class QueryError(ValueError):
    """A malformed indicator question; the message names the parameter (`ou`, `dx`, `pe`, ...)."""


def _check_text(text: str, param: str) -> None:
    bad = _INVISIBLE.search(text)
    if bad:
        raise QueryError(f"{param}: control or invisible character U+{ord(bad.group()):04X} is not allowed")


def split_items(text: str | Sequence[str] | None, param: str) -> list[str]:
    """The `;`- (or `,`-) separated items of a parameter, stripped, without duplicates, in order."""
    parts = [text] if isinstance(text, str) or text is None else list(text)
    items: list[str] = []
    for part in parts:
        if part is None:
            continue
        part = str(part)
        _check_text(part, param)
        items += [i.strip() for i in _SEPARATORS.split(part) if i.strip()]
    items = list(dict.fromkeys(items))
    if len(items) > MAX_ITEMS:
        raise QueryError(f"{param}: too many items ({len(items)} > {MAX_ITEMS})")
    for item in items:
        if len(item) > MAX_ITEM_LENGTH or any(c.isspace() for c in item):
            raise QueryError(f"{param}: {item[:MAX_ITEM_LENGTH]!r} is not a code (at most {MAX_ITEM_LENGTH} "
                             "characters, no spaces)")
    return items


@dataclass(frozen=True)
class Selection:
    """The org units a question names: codes, `LEVEL-<kind>` kinds, `CHILDREN-<code>` parents."""

    codes: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    children: tuple[str, ...] = ()

    @property
    def named(self) -> tuple[str, ...]:
        """Every code the selection names (boundaries, units, parents of children)."""
        return tuple(dict.fromkeys(self.codes + self.children))

    def text(self) -> str:
        """The canonical `ou` text of this selection (`parse_selection(s.text()) == s`)."""
        return ";".join([*self.codes, *(f"LEVEL-{k}" for k in self.levels),
                         *(f"CHILDREN-{c}" for c in self.children)])

    def __bool__(self) -> bool:
        return bool(self.codes or self.levels or self.children)


def parse_selection(text: str | Sequence[str] | None, *, param: str = "ou",
                    default: str | None = DEFAULT_SELECTION) -> Selection:
    """The one parser of the selection language (module docstring). Empty text: `default`."""
    items = split_items(text, param)
    if not items and default:
        items = split_items(default, param)
    codes: list[str] = []
    levels: list[str] = []
    children: list[str] = []
    for item in items:
        head, sep, rest = item.partition("-")
        head = head.upper()
        if sep and head == "LEVEL":
            kind = rest.lower()
            if kind not in LEVEL_KINDS:
                raise QueryError(f"{param}: unknown level {rest!r}; use one of {', '.join(LEVEL_KINDS)}")
            levels.append(kind)
        elif sep and head == "CHILDREN":
            if not rest:
                raise QueryError(f"{param}: CHILDREN- needs a unit code (CHILDREN-KZ-63)")
            children.append(rest)
        elif head in ("LEVEL", "CHILDREN"):
            raise QueryError(f"{param}: {item} needs a kind or a code after '-' (LEVEL-region, CHILDREN-KZ)")
        else:
            codes.append(item)
    return Selection(tuple(dict.fromkeys(codes)), tuple(dict.fromkeys(levels)), tuple(dict.fromkeys(children)))


@dataclass(frozen=True)
class IndicatorQuery:
    """One indicator question. `periods` empty: the latest school year the reader may see.
    `detail`: the answer lists single organizations (explain's contributions, per-organization
    values), which the public may never receive. `reader_level` is set by the access decision."""

    indicators: tuple[str, ...]
    periods: tuple[str, ...] = ()
    selection: Selection = field(default_factory=lambda: parse_selection(None))
    by: str | None = None
    mode: str = "current"
    as_of: dt.date | None = None
    reader_level: int | None = None
    detail: bool = False

    def with_reader(self, level: int) -> IndicatorQuery:
        return replace(self, reader_level=level)


def parse_by(text: str | None, param: str = "by") -> str | None:
    if text in (None, ""):
        return None
    _check_text(text, param)
    by = text.strip().upper()
    if by == "LOCATION":
        by = "AREA"
    if by not in SPLITS:
        raise QueryError(f"{param} must be SEX or AREA, not {text!r}")
    return by


def parse_query(dx: str | Sequence[str] | None, pe: str | Sequence[str] | None = None,
                ou: str | Sequence[str] | None = None, *, by: str | None = None, mode: str = "current",
                as_of: dt.date | None = None, single_indicator: bool = False, single_period: bool = False,
                detail: bool = False, default_ou: str | None = DEFAULT_SELECTION) -> IndicatorQuery:
    """An `IndicatorQuery` from the parameters every reader shares; `QueryError` naming the bad one.

    Indicators are checked against the catalogue and periods against the period grammar here;
    whether the warehouse has the periods depends on the reader's level and is checked by `answer`.
    """
    from .catalogue import load_catalogue
    from .periods import PeriodError, period_kind

    codes = split_items(dx, "dx")
    if not codes:
        raise QueryError("dx is required: one or more indicator codes separated by ';'")
    if single_indicator and len(codes) != 1:
        raise QueryError("dx must be exactly one indicator code here")
    unknown = [c for c in codes if c not in load_catalogue().indicators]
    if unknown:
        raise QueryError(f"Unknown indicator code(s): {', '.join(unknown)}")
    periods = split_items(pe, "pe")
    if single_period and len(periods) > 1:
        raise QueryError("pe must be exactly one period here")
    bad = []
    for p in periods:
        try:
            period_kind(p)
        except PeriodError:
            bad.append(p)
    if bad:
        raise QueryError(f"Unknown period code(s): {', '.join(bad)} (use e.g. 2024S for a school year, 2024 for a "
                         "calendar year)")
    if mode not in MODES:
        raise QueryError(f"mode must be 'current' or 'historical', not {mode!r}")
    if as_of is not None and mode == "historical":
        raise QueryError("as_of applies to mode=current only")
    return IndicatorQuery(tuple(codes), tuple(periods), parse_selection(ou, default=default_ou), parse_by(by), mode,
                          as_of, detail=detail)


# --------------------------------------------------------------------------- answering


def resolve_periods(query: IndicatorQuery) -> list[str]:
    """The query's periods checked against the warehouse, or the latest school year (at the reader's level)."""
    from . import service

    return service.check_periods(list(query.periods) or [service.latest_school_year()])


def periods_of(decision: AccessDecision) -> list[str]:
    """The periods a decided query is answered for (those asked, else the latest school year), at
    the reader's level: a period no one has approved up to the reader is not offered."""
    from . import service

    with service.as_reader(decision.reader_level):
        return resolve_periods(decision.query)


def _parts(query: IndicatorQuery, periods: list[str]) -> list[tuple[list[str], dict]]:
    """The selection as the engine's unit arguments: (periods, {ou_codes} or {level, within}) per
    part. `answer` computes values on these parts and `units` lists their units, so the two agree."""
    from . import service

    sel = query.selection
    parts: list[tuple[list[str], dict]] = []
    if sel.levels:
        for level in sel.levels:
            for boundary in sel.codes or (None,):
                parts.append((periods, {"level": level, "within": boundary}))
    elif sel.codes:
        parts.append((periods, {"ou_codes": list(sel.codes)}))
    for parent in sel.children:
        groups: dict[tuple[str, ...], list[str]] = {}
        for period, kids in service.children(parent, periods, mode=query.mode, as_of=query.as_of).items():
            groups.setdefault(tuple(kids), []).append(period)
        for kids, group_periods in groups.items():
            if kids:
                parts.append((group_periods, {"ou_codes": list(kids)}))
    return parts


def _frames(query: IndicatorQuery, periods: list[str], by: str | None) -> list[pd.DataFrame]:
    from . import service

    codes = list(query.indicators)
    kw = {"by": by, "mode": query.mode, "as_of": query.as_of}
    frames = [service.indicators(codes, part_periods, **unit_args, **kw)
              for part_periods, unit_args in _parts(query, periods)]
    return [f for f in frames if not f.empty]


def answer(decision: AccessDecision, splits: Iterable[str | None] | None = None) -> pd.DataFrame:
    """The rows of a decided query: indicator, period, ou_code, [sex|area], numerator, denominator,
    value, mode — at the decision's reader level, and only rows whose unit the reader may see.

    `splits` (SDMX): several disaggregations in one table (None = the total); an indicator that
    does not allow a split is left out of that split. Default: the query's own `by`.
    """
    from . import service

    query = decision.query
    with service.as_reader(decision.reader_level):
        periods = resolve_periods(query)
        if splits is None:
            frames = _frames(query, periods, query.by)
            keys = ["indicator", "period", "ou_code"] + ([query.by.lower()] if query.by else [])
        else:
            cat = service.catalogue()
            frames = []
            for split in splits:
                wanted = [c for c in query.indicators if split is None or split in cat.indicators[c].disaggregations]
                if wanted:
                    frames += _frames(replace(query, indicators=tuple(wanted)), periods, split)
            for f in frames:
                for col in ("sex", "area"):
                    if col not in f.columns:
                        f[col] = None
            keys = ["indicator", "period", "ou_code", "sex", "area"]
        if not frames:
            empty = service.indicators(list(query.indicators), periods, ou_codes=["KZ"], by=query.by,
                                       mode=query.mode, as_of=query.as_of).iloc[0:0]
            if splits is not None:
                empty = empty.assign(sex=None, area=None)
            return empty
    res = pd.concat(frames, ignore_index=True).drop_duplicates(subset=keys)
    order = {c: i for i, c in enumerate(query.indicators)}
    sort = ["_o", "period", "ou_code", *keys[3:]]
    res = res.assign(_o=res["indicator"].map(order)).sort_values(sort, na_position="first")
    res = res.drop(columns="_o").reset_index(drop=True)
    return decision.filter(res)


def units(decision: AccessDecision, *, every_period: bool = False) -> list[str]:
    """The codes of the units `answer(decision)` can name, sorted: the selection resolved on each
    period's hierarchy as `answer` resolves it (`_parts`, the engine's targets), then only those the
    reader may see (`AccessDecision.allowed_codes`). No value is computed.

    `every_period` with no periods in the query: over every period of the warehouse the reader may
    see rather than the latest school year — for a description (the SDMX structure) that must hold
    for the data of any period."""
    from . import service

    query = decision.query
    with service.as_reader(decision.reader_level):
        periods = (list(service.periods_known()) if every_period and not query.periods
                   else resolve_periods(query))
        found: set[str] = set()
        for part_periods, unit_args in _parts(query, periods):
            found.update(service.target_codes(part_periods, mode=query.mode, as_of=query.as_of, **unit_args))
    return sorted(decision.allowed_codes(found))


def explain(decision: AccessDecision, group: str | None = None) -> pd.DataFrame:
    """The contributions behind the one cell of a decided query (one indicator, period and unit);
    contributions of units outside the reader's scope today are folded into one row per part."""
    from . import service

    query = decision.query
    if len(query.selection.codes) != 1 or query.selection.levels or query.selection.children:
        raise QueryError("ou must be exactly one unit code here")
    with service.as_reader(decision.reader_level):
        period = resolve_periods(query)[0]
        ex = service.explain(query.indicators[0], query.selection.codes[0], period, by=query.by, group=group,
                             mode=query.mode, as_of=query.as_of)
    return decision.fold(ex)


def selection_of(codes: Iterable[str] = (), levels: Iterable[str] = (), children: Iterable[str] = ()) -> Selection:
    """A selection from already-separated parts (the CLI's --ou, --level and --within), validated as text."""
    parts = [*codes, *(f"LEVEL-{k}" for k in levels), *(f"CHILDREN-{c}" for c in children)]
    return parse_selection(parts, default=None)
