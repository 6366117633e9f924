"""The indicator cube: every catalogue indicator for every aggregate unit, materialised at refresh.

Why: a dashboard question used to compile Ibis expressions and join the 4 M facts with the closure
again, in every web process, for every reader level (0.75 s for six indicators of the republic).
The answers readers ask most (the republic, regions and districts, every period, total and by SEX
and AREA, in both modes) are few enough to compute once per refresh and store in the warehouse
file, where every process reads the same rows by point lookup. Organization-level answers and
``current`` as of another date are still computed on demand from the facts.

What is stored (tables of the warehouse file, written by :func:`update` inside the refresh):

``cube``        level, mode, split (the disaggregation: "", SEX or AREA), indicator, period, ou_id, ou_code, kind, dim, numerator,
                denominator, value: exactly the rows `engine.compute` returns for that question;
``cube_pairs``  level, indicator, period: the cells a reader level > 0 has rows of its own for.
                A level sees fewer facts than the level below it only where some values are
                approved up to that level and no further; a reader reads each (indicator, period)
                from the highest level at or below its own that has rows of its own (else 0);
``meta``        ``cube_current_from`` / ``cube_current_to``: the as-of dates whose hierarchy is the
                one the ``current`` rows were computed on (the same closure rows are valid).

Incremental: a changed (data element, period) partition recomputes the indicators and periods
that read it (flow indicators read t+1, finance terms the calendar year); a change of approval
recomputes the level rows of the partitions whose visibility changed; a registry change rebuilds
everything. The same computation (`engine` with :class:`engine.OrgSums`) runs on any Ibis backend.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import ibis
import pandas as pd

from . import engine
from .catalogue import Catalogue, Indicator, Term, load_catalogue
from .periods import shift, to_calendar

__all__ = ["CUBE_KINDS", "BYS", "CubeReport", "reads", "materialise", "update", "lookup", "answerable"]

CUBE_KINDS = ("republic", "region", "district")
BYS: tuple[str | None, ...] = (None, "SEX", "AREA")
MODES = ("historical", "current")

DDL = (
    "CREATE TABLE IF NOT EXISTS cube (level INTEGER, mode VARCHAR, split VARCHAR, indicator VARCHAR, "
    "period VARCHAR, ou_id BIGINT, ou_code VARCHAR, kind VARCHAR, dim VARCHAR, numerator DOUBLE, "
    "denominator DOUBLE, value DOUBLE)",
    "CREATE TABLE IF NOT EXISTS cube_pairs (level INTEGER, indicator VARCHAR, period VARCHAR)",
)
COLUMNS = ["level", "mode", "split", "indicator", "period", "ou_id", "ou_code", "kind", "dim", "numerator",
           "denominator", "value"]  # fmt: skip

Pair = tuple[str, str]  # (indicator, requested period)
Partition = tuple[str, str]  # (data element, fact period)


@dataclass
class CubeReport:
    rebuilt: bool = False
    pairs: int = 0  # (indicator, period) cells recomputed at level 0
    level_pairs: int = 0  # ... and at reader levels above 0
    units: int | None = None  # the units whose rows were recomputed (None: every unit)
    rows: int = 0
    seconds: float = 0.0
    passes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- what reads what


def _components(ind: Indicator) -> list[Indicator]:
    if ind.method != "survival":
        return [ind]
    from .flow import flow_indicators

    return flow_indicators(ind.params["grades"], graduates_grade=ind.params.get("graduates_grade", "G11"))


def _term_reads(term: Term, period: str) -> set[Partition]:
    shifted = shift(period, term.period_offset)
    out = {(term.de, to_calendar(shifted) if term.period_kind == "calendar" else shifted)}
    if term.apportion is not None:
        out.add((term.apportion.de, shifted))
    cond = term.org_condition
    if cond is not None:
        out.add((cond.left_de, shifted))
        if cond.right_de:
            out.add((cond.right_de, shifted))
    return out


def reads(ind: Indicator, period: str) -> set[Partition]:
    """The (data element, period) partitions an indicator's value for ``period`` is computed from."""
    out: set[Partition] = set()
    for comp in _components(ind):
        for _part, term in comp.parts():
            out |= _term_reads(term, period)
    return out


def affected(cat: Catalogue, periods: Sequence[str], partitions: set[Partition]) -> set[Pair]:
    """The (indicator, period) cells that read any of ``partitions``."""
    if not partitions:
        return set()
    return {(code, p) for code in cat.codes() for p in periods if reads(cat[code], p) & partitions}


# --------------------------------------------------------------------------- computing


def _targets(con: ibis.BaseBackend, periods: list[str], refs: dict[str, dt.date]) -> pd.DataFrame:
    frames = [engine.resolve_targets(con, periods, refs, level=kind) for kind in CUBE_KINDS]
    return pd.concat(frames, ignore_index=True)


def materialise(
    con: ibis.BaseBackend,
    pairs: set[Pair],
    *,
    as_of: dt.date,
    catalogue: Catalogue | None = None,
    level: int = 0,
    modes: Sequence[str] = MODES,
    only: set[int] | None = None,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Cube rows (:data:`COLUMNS`) of ``pairs`` for every aggregate unit, mode and disaggregation
    (``only``: for these units only — those above the organizations whose values changed).

    The pairs are grouped by the set of periods wanted per indicator, so that one pass computes many
    indicators at once over per-organization sums shared by all passes (`engine.OrgSums`).
    """
    cat = catalogue or load_catalogue()
    if not pairs:
        return pd.DataFrame(columns=COLUMNS)
    # one pass for the codes x periods that cover the pairs (extra cells are dropped at the end):
    # a pass costs about the same for one indicator as for the catalogue
    codes_wanted = [c for c in cat.codes() if any(code == c for code, _p in pairs)]
    groups = {tuple(sorted({p for _c, p in pairs})): codes_wanted}
    inds = [cat[c] for c in codes_wanted]
    sums = engine.OrgSums(con, engine.terms_of(inds), periods=_fact_periods(inds, {p for _c, p in pairs}))
    kinds = con.execute(con.table("org_units").select("ou_id", "kind"))
    kind_of = dict(zip(kinds["ou_id"], kinds["kind"], strict=True))
    frames = []
    for periods, codes in groups.items():
        plist = list(periods)
        for mode in modes:
            started = time.perf_counter()
            refs = engine.reference_dates(plist, mode, as_of)  # type: ignore[arg-type]
            targets = _targets(con, plist, refs)
            if only is not None:
                targets = targets[targets["target_id"].isin(only)].reset_index(drop=True)
                if targets.empty:
                    continue
            group = [cat[c] for c in codes]
            split = engine.cube_sums(con, group, plist, mode=mode, as_of=as_of, targets=targets,  # type: ignore[arg-type]
                                     fused=sums, bys=BYS)  # fmt: skip
            for by in BYS:
                res = engine._compute_defs(con, group, plist, by=by, mode=mode, as_of=as_of,  # type: ignore[arg-type]  # noqa: SLF001
                                           targets=targets, sums=split[by])  # fmt: skip
                if log:
                    log(f"cube level {level} {mode} {by or 'total'}: {len(codes)} indicators x {len(plist)} "
                        f"periods, {len(res):,} rows, {time.perf_counter() - started:.2f}s")
                if res.empty:
                    continue
                res = res.rename(columns={"target_id": "ou_id"})
                res["level"], res["split"] = level, by or ""
                res["kind"] = res["ou_id"].map(kind_of)
                frames.append(res[COLUMNS])
    sums.release()
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    keep = pd.Series([(i, p) in pairs for i, p in zip(out["indicator"], out["period"], strict=True)], index=out.index)
    return out[keep]


def _fact_periods(inds: Iterable[Indicator], periods: set[str]) -> set[str]:
    out: set[str] = set()
    for ind in inds:
        for p in periods:
            out |= {fp for _de, fp in reads(ind, p)}
    return out


# --------------------------------------------------------------------------- the refresh step


def _hidden_from(db: ibis.BaseBackend, level: int) -> set[Partition]:
    """Partitions with values a reader of ``level`` may not see but one of ``level - 1`` may: where
    this level's facts differ from the level below's."""
    rows = db.raw_sql("SELECT DISTINCT de, period FROM warehouse.main.visibility WHERE visible_to = ?",
                      parameters=[level - 1]).fetchall()  # fmt: skip
    return {(de, p) for de, p in rows}


def _periods(db: ibis.BaseBackend) -> list[str]:
    return sorted(r[0] for r in db.raw_sql("SELECT DISTINCT period FROM warehouse.main.facts").fetchall())


def current_window(db: ibis.BaseBackend, day: dt.date) -> tuple[dt.date, dt.date | None]:
    """The as-of dates whose hierarchy equals that of ``day``: between the closure's change dates
    around it (no relation starts or ends in between, so the same closure rows are valid)."""
    row = db.raw_sql(
        "SELECT MAX(d) FILTER (WHERE d <= ?), MIN(d) FILTER (WHERE d > ?) FROM ("
        "SELECT valid_from AS d FROM warehouse.main.closure UNION SELECT valid_to FROM warehouse.main.closure "
        "WHERE valid_to IS NOT NULL)", parameters=[day, day]).fetchone()  # fmt: skip
    return (row[0] or dt.date(1900, 1, 1)), row[1]


def update(
    db: ibis.BaseBackend,
    level_backends: dict[int, ibis.BaseBackend],
    *,
    changed: set[Partition],
    visibility_changed: set[Partition],
    rebuild: bool,
    as_of: dt.date,
    units: set[int] | None = None,
    catalogue: Catalogue | None = None,
    log: Callable[[str], None] | None = None,
) -> CubeReport:
    """Bring the cube of the attached warehouse (``warehouse``) up to date after a refresh.

    ``db`` reads level 0 and writes; ``level_backends`` read the facts each reader level may see.
    ``changed`` are the fact partitions rebuilt or dropped, ``visibility_changed`` those whose
    approval visibility changed; ``rebuild`` recomputes everything (registry changed, first build,
    or the as-of date left the window the ``current`` rows were computed for). ``units``, when
    given, are the only organizations whose values in ``changed`` moved: a cell of a unit depends on
    its descendants' values alone, so only the cells of their ancestors (on any date: both modes) are
    recomputed and replaced.
    """
    started = time.perf_counter()
    cat = catalogue or load_catalogue()
    report = CubeReport(rebuilt=rebuild)
    for ddl in DDL:
        db.raw_sql(ddl.replace("EXISTS ", "EXISTS warehouse.main.", 1))
    periods = _periods(db)
    everything = {(c, p) for c in cat.codes() for p in periods}
    if rebuild:
        db.raw_sql("DELETE FROM warehouse.main.cube")
        db.raw_sql("DELETE FROM warehouse.main.cube_pairs")
        level0 = everything
    else:
        level0 = affected(cat, periods, changed)
    only = None if rebuild or units is None else _ancestors(db, units)
    report.units = None if only is None else len(only)
    frames = []
    if level0:
        frames.append(materialise(db, level0, as_of=as_of, catalogue=cat, only=only, log=log))
        _delete(db, 0, level0, only)
    report.pairs = len(level0)
    by_values = everything if rebuild else affected(cat, periods, changed)
    by_approval = everything if rebuild else affected(cat, periods, visibility_changed)
    if only is None:
        by_approval = by_approval | by_values  # every touched cell is recomputed for every unit
    old_pairs = {(lv, i, p) for lv, i, p in db.raw_sql(
        "SELECT level, indicator, period FROM warehouse.main.cube_pairs").fetchall()}  # fmt: skip
    new_pairs: list[tuple[int, str, str]] = []
    for level, backend in sorted(level_backends.items()):
        if level == 0:
            continue
        need = affected(cat, periods, _hidden_from(db, level))
        old = {(i, p) for lv, i, p in old_pairs if lv == level}
        recompute = need & (by_approval | (need - old))
        drop = old & (by_approval | (old - need))
        # cells kept at this level whose values moved for some units only: those units' rows
        partial = (need & old & by_values) - recompute if only is not None else set()
        _delete(db, level, drop | recompute)
        if recompute:
            frames.append(materialise(backend, recompute, as_of=as_of, catalogue=cat, level=level, log=log))
        if partial:
            _delete(db, level, partial, only)
            frames.append(materialise(backend, partial, as_of=as_of, catalogue=cat, level=level, only=only, log=log))
        report.level_pairs += len(recompute | partial)
        new_pairs += [(level, i, p) for i, p in recompute]
        gone = drop - recompute
        if gone:
            _delete_pairs(db, level, gone)
    if new_pairs:
        frame = pd.DataFrame(new_pairs, columns=["level", "indicator", "period"])
        _delete_pairs(db, None, {(lv, i, p) for lv, i, p in new_pairs})
        _insert(db, "cube_pairs", frame)
    if frames:
        rows = pd.concat(frames, ignore_index=True)
        if not rows.empty:
            rows = rows.sort_values(["mode", "split", "indicator", "period", "level"], kind="stable")
            _insert(db, "cube", rows[COLUMNS])
        report.rows = len(rows)
    start, end = current_window(db, as_of)
    for key, value in (("cube_current_from", start.isoformat()), ("cube_current_to", end.isoformat() if end else ""),
                       ("cube_catalogue", catalogue_fingerprint())):
        db.raw_sql("INSERT OR REPLACE INTO warehouse.main.meta VALUES (?, ?)", parameters=[key, value])
    report.seconds = time.perf_counter() - started
    return report


def _insert(db: ibis.BaseBackend, table: str, frame: pd.DataFrame) -> None:
    raw = db.con
    raw.register("cube_rows", frame)
    try:
        raw.execute(f"INSERT INTO warehouse.main.{table} SELECT * FROM cube_rows")
    finally:
        raw.unregister("cube_rows")


def _delete(db: ibis.BaseBackend, level: int, pairs: set[Pair], only: set[int] | None = None) -> None:
    """Delete the cube rows of ``pairs`` at ``level`` (``only``: of these units only)."""
    if not pairs:
        return
    frame = pd.DataFrame(sorted(pairs), columns=["indicator", "period"])
    raw = db.con
    raw.register("gone_pairs", frame)
    if only is not None:
        raw.register("gone_units", pd.DataFrame({"ou_id": sorted(only)}, dtype="int64"))
    try:
        raw.execute("DELETE FROM warehouse.main.cube c USING gone_pairs g WHERE c.level = ? "
                    "AND c.indicator = g.indicator AND c.period = g.period"
                    + ("" if only is None else " AND c.ou_id IN (SELECT ou_id FROM gone_units)"), [level])  # fmt: skip
    finally:
        raw.unregister("gone_pairs")
        if only is not None:
            raw.unregister("gone_units")


def _ancestors(db: ibis.BaseBackend, units: set[int]) -> set[int]:
    """Every unit that has ever been above one of ``units`` (and the units themselves): the cells a
    change of their values can move, in either mode (a closed unit counts under its ancestors of
    the day before it closed, which are among these)."""
    if not units:
        return set()
    raw = db.con
    raw.register("changed_units", pd.DataFrame({"ou_id": sorted(units)}, dtype="int64"))
    try:
        rows = raw.execute("SELECT DISTINCT ancestor_id FROM warehouse.main.closure "
                           "WHERE descendant_id IN (SELECT ou_id FROM changed_units)").fetchall()
    finally:
        raw.unregister("changed_units")
    return {int(r[0]) for r in rows} | set(units)


def _delete_pairs(db: ibis.BaseBackend, level: int | None, pairs: set) -> None:
    if not pairs:
        return
    if level is None:
        frame = pd.DataFrame(sorted(pairs), columns=["level", "indicator", "period"])
    else:
        frame = pd.DataFrame([(level, i, p) for i, p in sorted(pairs)], columns=["level", "indicator", "period"])
    raw = db.con
    raw.register("gone_pairs", frame)
    try:
        raw.execute("DELETE FROM warehouse.main.cube_pairs c USING gone_pairs g WHERE c.level = g.level "
                    "AND c.indicator = g.indicator AND c.period = g.period")  # fmt: skip
    finally:
        raw.unregister("gone_pairs")


# --------------------------------------------------------------------------- serving


@dataclass(frozen=True)
class Window:
    """What the cube of one snapshot can answer: whether it exists, and the ``current`` dates."""

    present: bool
    current_from: dt.date | None = None
    current_to: dt.date | None = None

    def covers(self, mode: str, as_of: dt.date | None) -> bool:
        if not self.present:
            return False
        if mode == "historical":
            return True
        day = as_of or dt.date.today()
        if self.current_from is None or day < self.current_from:
            return False
        return self.current_to is None or day < self.current_to


def catalogue_fingerprint() -> str:
    """A digest of the shipped catalogue: cube rows computed from other definitions are not used."""
    from .catalogue import CATALOGUE_PATH

    return hashlib.sha256(CATALOGUE_PATH.read_bytes()).hexdigest()


def window(cur, fingerprint: str | None = None) -> Window:  # noqa: ANN001 - a DuckDB cursor on the snapshot
    """Read the cube's extent from a snapshot (absent when the warehouse predates the cube, or its
    rows were computed from another catalogue than ``fingerprint``)."""
    try:
        rows = dict(cur.execute("SELECT key, value FROM meta WHERE key LIKE 'cube_%'").fetchall())
    except Exception:  # noqa: BLE001 - no meta table: a warehouse loaded by hand (tests)
        return Window(False)
    if "cube_current_from" not in rows:
        return Window(False)
    if fingerprint is not None and rows.get("cube_catalogue") != fingerprint:
        return Window(False)
    start = dt.date.fromisoformat(rows["cube_current_from"])
    end = dt.date.fromisoformat(rows["cube_current_to"]) if rows.get("cube_current_to") else None
    return Window(True, start, end)


def answerable(*, ou_codes: Sequence[str] | None, level: str | None, by: str | None, kinds: dict[str, str]) -> bool:
    """Whether a question's units are all aggregate units (``kinds`` maps the asked codes to kinds)."""
    if by not in BYS:
        return False
    if level is not None:
        return level in CUBE_KINDS
    return ou_codes is not None and all(kinds.get(c) in CUBE_KINDS for c in ou_codes)


def lookup(
    cur,  # noqa: ANN001 - a DuckDB cursor on the snapshot
    codes: Sequence[str],
    periods: Sequence[str],
    *,
    ou_codes: Sequence[str] | None,
    level: str | None,
    within: str | None,
    by: str | None,
    mode: str,
    as_of: dt.date | None,
    reader: int,
) -> pd.DataFrame:
    """The rows `engine.compute` would return, read from the cube (columns in its public shape)."""
    codes, periods = list(dict.fromkeys(codes)), list(dict.fromkeys(periods))
    refs = engine.reference_dates(periods, mode, as_of)  # type: ignore[arg-type]
    params: list = [x for p in periods for x in (p, refs[p])]  # in the order of the placeholders
    within_sql = ""
    if within is not None:
        within_sql = ("JOIN closure w ON w.descendant_id = c.ou_id AND w.ancestor_id = "
                      "(SELECT ou_id FROM org_units WHERE code = ?) AND w.valid_from <= r.ref_date "
                      "AND (w.valid_to IS NULL OR w.valid_to > r.ref_date) ")  # fmt: skip
        params.append(within)
    params += [int(reader), mode, by or "", *codes, *periods]
    units = "c.kind = ?"
    if ou_codes is not None:
        units = f"c.ou_code IN ({', '.join(['?'] * len(ou_codes))})"
        params += list(ou_codes)
    else:
        params.append(level)
    sql = (
        f"WITH r(period, ref_date) AS (VALUES {', '.join('(?, ?::DATE)' for _ in periods)}) "
        "SELECT c.indicator, c.period, c.ou_code, c.dim, c.numerator, c.denominator, c.value FROM cube c "
        f"JOIN r ON r.period = c.period {within_sql}"
        "LEFT JOIN (SELECT indicator, period, MAX(level) AS level FROM cube_pairs WHERE level <= ? "
        "GROUP BY indicator, period) o ON o.indicator = c.indicator AND o.period = c.period "
        "WHERE c.level = COALESCE(o.level, 0) AND c.mode = ? AND c.split = ? "
        f"AND c.indicator IN ({', '.join(['?'] * len(codes))}) AND c.period IN ({', '.join(['?'] * len(periods))}) "
        f"AND {units}"
    )
    res = cur.execute(sql, params).df()
    order = {c: i for i, c in enumerate(codes)}
    res["_o"] = res["indicator"].map(order)
    res = res.sort_values(["_o", "period", "ou_code", "dim"], ignore_index=True, na_position="first")
    res["mode"] = mode
    for col in ("numerator", "denominator", "value"):
        res[col] = res[col].astype("float64")
    cols = ["indicator", "period", "ou_code"]
    if by is not None:
        res = res.rename(columns={"dim": by.lower()})
        cols.append(by.lower())
    else:
        res = res.drop(columns="dim")
    return res[[*cols, "numerator", "denominator", "value", "mode"]].reset_index(drop=True)
