"""The analytics query service used by pages, the API and the CLI.

It owns the connection to the warehouse file (read-only, reopened when a refresh swapped in a new
snapshot) and the indicator catalogue, and forwards to the engine. Every result says its mode.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import duckdb
import ibis
import pandas as pd

from . import composite as _composite
from . import cube as _cube
from . import engine, visibility
from .catalogue import Catalogue, load_catalogue
from .equity import MEASURES as _MEASURES
from .equity import equity_table as _equity_table
from .equity import org_values as _org_values
from .parity import PARITY_BAND
from .parity import parity_of as _parity_of
from .parity import parity_split as _parity_split
from .refresh import refresh, warehouse_path

__all__ = ["catalogue", "connect", "explain", "indicators", "parity", "equity", "composite", "refresh",
           "WarehouseMissing", "periods_available", "periods_known", "check_periods", "latest_school_year",
           "children", "unit_names", "LEVELS", "adopt", "reader_level", "as_reader"]

LEVELS = ("republic", "region", "district", "authority", "organization")

MODES = ("current", "historical")


# NB the functions are imported above, not `from . import parity`: the package re-exports functions
# under the module names, so that form bound the *function* `parity` and every call failed.


class WarehouseMissing(RuntimeError):
    """The warehouse has not been built yet: run `bilim analytics refresh`."""


_lock = threading.Lock()
_state: dict[str, Any] = {"con": None, "stamp": None, "catalogue": None, "warming": None, "carried": 0}

# Open a new snapshot in the background and recompute the recently asked questions on it before
# readers switch to it (tests switch at once: they refresh and read in one thread).
WARM_BEFORE_SWAP: bool | None = None  # None: the setting BILIM_ANALYTICS_WARM


def _warm_before_swap() -> bool:
    if WARM_BEFORE_SWAP is not None:
        return WARM_BEFORE_SWAP
    from django.conf import settings

    return bool(getattr(settings, "BILIM_ANALYTICS_WARM", True))
HOT_SIZE = 32
WARM_BUDGET_SECONDS = 60.0


def catalogue() -> Catalogue:
    if _state["catalogue"] is None:
        _state["catalogue"] = load_catalogue()
    return _state["catalogue"]


# The reader's approval level for this request or command (see `visibility`): 0 sees every value,
# 1 a district, 2 a region, 3 the ministry, 4 the public. Set per request by
# `bilim.web.middleware.AnalyticsLevelMiddleware` and the API's permission check; 0 outside requests
# (tests, the CLI operator; `bilim indicators --user` sets the user's level).
reader_level: ContextVar[int] = ContextVar("bilim_analytics_reader_level", default=0)


@contextmanager
def as_reader(level: int) -> Iterator[None]:
    """Answer the enclosed questions as a reader of `level` (0-4, see `visibility`)."""
    if level not in visibility.LEVELS:
        raise ValueError(f"reader level must be one of {visibility.LEVELS}, not {level!r}")
    token = reader_level.set(level)
    try:
        yield
    finally:
        reader_level.reset(token)


def _schema(level: int) -> str:
    return f"memory.lvl{level}"


def _open_snapshot(path: os.PathLike, read_only: bool = True) -> ibis.BaseBackend:
    """An in-memory DuckDB with the warehouse file attached read-only, and one schema of views per
    reader level in which `facts` (and the period list) leave out what that level may not see yet.

    Not ``ibis.duckdb.connect(path)``: DuckDB caches database instances by path within a process, so
    while any connection to the old snapshot is still open (a request in flight, a cursor) reopening
    the same path returned the *old* instance, and readers kept seeing stale figures after a refresh.
    An in-memory instance is never shared, and the attached file is the one now at ``path``.
    The engine is unchanged by levels: it reads `facts` of whichever schema its cursor uses.
    The refresh opens its work copy the same way (``read_only=False``) to materialise the cube.
    """
    con = ibis.duckdb.connect()
    quoted = str(path).replace("'", "''")
    con.raw_sql(f"ATTACH '{quoted}' AS warehouse" + (" (READ_ONLY)" if read_only else ""))
    tables = {r[0] for r in con.raw_sql("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_catalog = 'warehouse'").fetchall()}
    approval = {"visibility", "partition_levels"} <= tables
    for level in visibility.LEVELS:
        con.raw_sql(f"CREATE SCHEMA {_schema(level)}")
        for table in sorted(tables):
            body = f"SELECT * FROM warehouse.main.{table}"
            if level and table == "facts":
                body = ("SELECT f.* FROM warehouse.main.facts f WHERE NOT EXISTS (SELECT 1 FROM "
                        "warehouse.main.visibility v WHERE v.de = f.de AND v.period = f.period AND "
                        f"v.ou_id = f.ou_id AND v.visible_to < {level})") if approval else body + " WHERE false"
            elif level and table == "partitions":
                body = ("SELECT p.* FROM warehouse.main.partitions p JOIN warehouse.main.partition_levels l "
                        f"ON l.de = p.de AND l.period = p.period WHERE l.max_visible >= {level}"
                        ) if approval else body + " WHERE false"
            con.raw_sql(f"CREATE VIEW {_schema(level)}.{table} AS {body}")
    con.raw_sql(f"USE {_schema(0)}")
    return con


def _cursor(con: ibis.BaseBackend | None = None, level: int | None = None):  # noqa: ANN202 - a duckdb connection
    """A per-call DuckDB handle on the shared snapshot (thread-safe), reading the views of `level`
    (default: this reader's)."""
    cur = (con or connect()).con.cursor()
    try:
        cur.execute(f"USE {_schema(reader_level.get() if level is None else level)}")
    except duckdb.Error:
        pass  # a connection whose tables are in its own database (tests load one in memory)
    return cur


_local = threading.local()


def _file_stamp(path: os.PathLike) -> tuple:
    try:
        st = os.stat(path)
    except FileNotFoundError as e:
        raise WarehouseMissing("The analytics warehouse has not been built; run `bilim analytics refresh`.") from e
    return (str(path), st.st_ino, st.st_mtime_ns)  # the path too: tests point settings at new files


def _swap(con: ibis.BaseBackend, stamp: tuple) -> None:
    """Make `con` the snapshot readers use (call with `_lock` held).

    The old snapshot is not closed here: other threads may be running queries on cursors of it
    (closing it under them failed those requests with DuckDB's "bad_weak_ptr" under load). Each
    thread drops its cursor on its next call, and the old database goes when the last one has.
    """
    _state["con"], _state["stamp"] = con, stamp


def _shared() -> tuple[ibis.BaseBackend, tuple]:
    """The process-wide connection to the current warehouse snapshot and its stamp.

    When a refresh has swapped in a new file, readers keep the old snapshot while a background
    thread warms the new one (`adopt`); without questions to warm, or before any snapshot was open,
    they switch at once.
    """
    path = warehouse_path()
    stamp = _file_stamp(path)
    with _lock:
        if _state["con"] is not None and _state["stamp"] == stamp:
            return _state["con"], stamp
        if _state["con"] is None or not _hot or not _warm_before_swap():
            _swap(_open_snapshot(path), stamp)
            return _state["con"], stamp
        if _state["warming"] != stamp:
            _state["warming"] = stamp
            threading.Thread(target=_adopt_quietly, name="analytics-warm", daemon=True).start()
        return _state["con"], _state["stamp"]


def _adopt_quietly() -> None:
    try:
        _warm_and_swap(_state["warming"])
    except Exception:  # noqa: BLE001 - readers open the snapshot themselves on their next call
        with _lock:
            _state["warming"] = None


def adopt() -> None:
    """Open the snapshot now on disk, recompute the recently asked questions on it, then switch.

    Why: a refresh used to invalidate every memoised answer at once, so the next dashboards all
    recomputed together (under load, each took tens of seconds). Now the answers readers were asking
    for are ready before they are switched over; they see the old figures a little longer instead.
    The background refresher calls this right after a refresh; readers that notice a new file first
    start the same work in a thread of its own (only one of them does it).
    """
    stamp = _file_stamp(warehouse_path())
    with _lock:
        if (_state["con"] is not None and _state["stamp"] == stamp) or _state["warming"] == stamp:
            return
        _state["warming"] = stamp
    try:
        _warm_and_swap(stamp)
    finally:
        with _lock:
            if _state["warming"] == stamp:
                _state["warming"] = None


def _warm_and_swap(stamp: tuple | None) -> None:
    path = warehouse_path()
    if stamp is None or _file_stamp(path) != stamp:
        return  # another refresh replaced the file meanwhile: the reader that notices it starts again
    con = _open_snapshot(path)
    with _lock:
        old_con, old_stamp = _state["con"], _state["stamp"]
    changed = _changed_elements(old_con, con) if old_con is not None else None
    with _lock:
        carried = _carry_over(old_stamp, stamp, changed)
        hot = [(q, fn) for q, fn in reversed(_hot.items()) if (stamp, *q) not in _cache]  # most recent first
    started = time.monotonic()
    backends: dict[int, ibis.BaseBackend] = {}
    for qkey, fn in hot:
        if time.monotonic() - started > WARM_BUDGET_SECONDS:
            break
        level = qkey[0]
        if level not in backends:
            backends[level] = _level_backend(con, level)
        try:
            res = fn(backends[level])
        except Exception:  # noqa: BLE001 - a question the new snapshot cannot answer is asked again live
            continue
        with _lock:
            _store((stamp, *qkey), res)
    with _lock:
        _swap(con, stamp)
        _state["warming"] = None
        _state["carried"] = carried


def _changed_elements(old: ibis.BaseBackend, new: ibis.BaseBackend) -> frozenset[str] | None:
    """Data elements whose facts differ between two snapshots; None when anything else changed (the
    registry, approval visibility) or the snapshots cannot be compared: then every answer is stale."""
    def read(con: ibis.BaseBackend) -> tuple[set, set]:
        cur = con.con.cursor()
        try:
            parts = set(cur.execute("SELECT de, period, n, max_updated, sum_version "
                                    "FROM warehouse.main.partitions").fetchall())
            meta = set(cur.execute("SELECT key, value FROM warehouse.main.meta").fetchall())
        finally:
            cur.close()
        return parts, meta

    try:
        old_parts, old_meta = read(old)
        new_parts, new_meta = read(new)
    except duckdb.Error:
        return None
    if old_meta != new_meta:
        return None
    return frozenset(row[0] for row in old_parts ^ new_parts)


def _carry_over(old_stamp: tuple | None, stamp: tuple, changed: frozenset[str] | None) -> int:
    """Copy the old snapshot's answers that read none of the changed data elements (call with `_lock`):
    a value typed into one form leaves every indicator that does not use it as it was."""
    if changed is None or old_stamp is None:
        return 0
    n = 0
    for key in [k for k in _cache if k[0] == old_stamp]:
        deps = _deps.get(key[1:])
        if deps is not None and not deps & changed:
            _cache[(stamp, *key[1:])] = _cache[key]
            n += 1
    return n


def _term_elements(term: Any, out: set[str]) -> None:
    out.add(term.de)
    if term.apportion is not None:
        _term_elements(term.apportion, out)
    cond = term.org_condition
    if cond is not None:
        out.add(cond.left_de)
        if cond.right_de:
            out.add(cond.right_de)


def _elements_of(codes: Sequence[str], extra: Sequence[str] = ()) -> frozenset[str] | None:
    """The data elements the indicators read (None if that cannot be told from their terms)."""
    cat = catalogue()
    out = set(extra)
    for code in codes:
        ind = cat.indicators.get(code)
        if ind is None or ind.method not in ("ratio", "flow"):
            return None
        for _part, term in ind.parts():
            _term_elements(term, out)
    return frozenset(out)


def connect() -> ibis.BaseBackend:
    """A read-only Ibis connection to the current warehouse snapshot, one per thread.

    A DuckDB connection must not run queries from two threads at once: under the threaded server two
    concurrent analytics requests failed ("Attempting to execute an unsuccessful or closed pending
    query result") or hung. Each thread gets its own cursor on the shared snapshot database instead
    (cheap, sees the same attached warehouse), replaced when a refresh swaps in a new snapshot.
    """
    shared, stamp = _shared()
    level = reader_level.get()
    mine: dict[int, tuple] = getattr(_local, "cons", None) or {}
    entry = mine.get(level)
    if entry is None or entry[0] is not shared:
        if entry is not None:
            try:
                entry[1].disconnect()
            except Exception:  # noqa: BLE001 - a cursor on an old snapshot that is already gone
                pass
        entry = mine[level] = (shared, _level_backend(shared, level), stamp)
        _local.cons = mine
    return entry[1]


def _level_backend(shared: ibis.BaseBackend, level: int) -> ibis.BaseBackend:
    return ibis.duckdb.from_connection(_cursor(shared, level))


def _current() -> tuple[ibis.BaseBackend, tuple]:
    """This thread's connection and the stamp of the snapshot it reads (the memo key)."""
    con = connect()
    entry = (getattr(_local, "cons", None) or {}).get(reader_level.get())
    if entry is not None and entry[1] is con:
        return con, entry[2]
    return con, _state["stamp"]  # a connection supplied from outside (tests)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'current' or 'historical', not {mode!r}")


CACHE_SIZE = 256
_cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
# question (without the snapshot) -> how to answer it on a connection; the warm list for `adopt`
_hot: OrderedDict[tuple, Callable[[ibis.BaseBackend], pd.DataFrame]] = OrderedDict()
_inflight: dict[tuple, threading.Event] = {}
# question -> the data elements its answer reads (answers carried over to a snapshot that changed others)
_deps: dict[tuple, frozenset[str]] = {}


def _store(key: tuple, res: pd.DataFrame) -> None:
    _cache[key] = res.copy()
    _cache.move_to_end(key)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_freeze(v) for v in value)
    return value


def _memo(qkey: tuple, fn: Callable[[ibis.BaseBackend], pd.DataFrame],
          deps: frozenset[str] | None = None) -> pd.DataFrame:
    """Answer a question once per snapshot, however many threads ask it at the same moment.

    Memoised per warehouse snapshot (a snapshot never changes; a refresh swaps in a new file and with
    it a new key). Concurrent askers of the same uncached question wait for the one computing it
    instead of all computing it (50 users opening the overview together took minutes before).
    """
    con, stamp = _current()
    qkey = (reader_level.get(), *qkey)
    key = (stamp, *qkey)
    if deps is not None:
        with _lock:
            _deps[qkey] = deps
            if len(_deps) > 4 * CACHE_SIZE:  # keep the questions still memoised (the rest are gone)
                live = {k[1:] for k in _cache} | {qkey}
                for stale in [k for k in _deps if k not in live]:
                    del _deps[stale]
    while True:
        with _lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                _remember(qkey, fn)
                return hit.copy()
            event = _inflight.get(key)
            mine = event is None
            if mine:
                event = _inflight[key] = threading.Event()
        if not mine:
            event.wait()
            continue  # answered (a hit now) or failed (then this thread tries, and reports the error)
        try:
            res = fn(con)
            with _lock:
                _store(key, res)
                _remember(qkey, fn)
            return res
        finally:
            with _lock:
                _inflight.pop(key, None)
            event.set()


def _remember(qkey: tuple, fn: Callable[[ibis.BaseBackend], pd.DataFrame]) -> None:
    _hot[qkey] = fn
    _hot.move_to_end(qkey)
    while len(_hot) > HOT_SIZE:
        _hot.popitem(last=False)


def _day_key(mode: str, as_of: dt.date | None) -> dt.date | None:
    """The hierarchy date a question is answered on, for its memo key (today moves at midnight)."""
    return (as_of or dt.date.today()) if mode == "current" else None


_windows: dict[tuple, _cube.Window] = {}  # snapshot stamp -> what its cube answers (read from the file)


def _cube_answer(codes: Sequence[str], periods: Sequence[str], *, ou_codes: Sequence[str] | None,
                 level: str | None, within: str | None, by: str | None, mode: str,
                 as_of: dt.date | None) -> pd.DataFrame | None:
    """The answer read from the snapshot's materialised cube, or None when the cube does not hold it
    (organizations, ``current`` as of a date with another hierarchy, a warehouse without a cube).

    Every process reads the same rows of the same file, so no answer depends on which worker serves
    it, and a refresh that changed one form leaves every other cell as it was.
    """
    if not codes or not periods:
        return None
    con, stamp = _current()
    cur = _cursor(con)
    try:
        win = _windows.get(stamp)
        if win is None:
            win = _cube.window(cur, _cube.catalogue_fingerprint())
            if len(_windows) > 8:
                _windows.clear()
            _windows[stamp] = win
        if not win.covers(mode, as_of):
            return None
        kinds: dict[str, str] = {}
        asked = list(ou_codes or []) + ([within] if within is not None else [])
        if asked:
            marks = ", ".join(["?"] * len(asked))
            kinds = dict(cur.execute(f"SELECT code, kind FROM org_units WHERE code IN ({marks})", asked).fetchall())
            if any(code not in kinds for code in asked):
                return None  # the engine names the unknown units
        if not _cube.answerable(ou_codes=ou_codes, level=level, by=by, kinds=kinds):
            return None
        return _cube.lookup(cur, codes, periods, ou_codes=ou_codes, level=level, within=within, by=by, mode=mode,
                            as_of=as_of, reader=reader_level.get())
    finally:
        cur.close()


def indicators(codes: Sequence[str], periods: Sequence[str], *, ou_codes: Sequence[str] | None = None,
               level: str | None = None, within: str | None = None, by: str | None = None,
               mode: str = "current", as_of: dt.date | None = None, cache: bool = True,
               use_cube: bool = True) -> pd.DataFrame:
    """Indicator values: columns indicator, period, ou_code, [sex|area], numerator, denominator, value, mode.

    Aggregate units (republic, regions, districts) are read from the cube the refresh materialised
    (`bilim.analytics.cube`); everything else is computed from the facts, and a dashboard asking
    the same question twice pays once (see `_memo`). ``use_cube=False`` always computes (the
    cube's own tests compare the two).
    """
    _check_mode(mode)
    unknown = [c for c in codes if c not in catalogue().indicators]
    if unknown:
        raise ValueError(f"Unknown indicator code(s): {', '.join(unknown)}")
    cat = catalogue()
    codes, periods = list(codes), list(periods)
    if use_cube:
        hit = _cube_answer(codes, periods, ou_codes=ou_codes, level=level, within=within, by=by, mode=mode,
                           as_of=as_of)
        if hit is not None:
            return hit

    def compute(con: ibis.BaseBackend) -> pd.DataFrame:
        return engine.compute(con, codes, periods, ou_codes=ou_codes, level=level, within=within, by=by,
                              mode=mode, as_of=as_of, catalogue=cat)

    if not cache:
        return compute(connect())
    day = _day_key(mode, as_of)
    return _memo(("indicators", tuple(codes), tuple(periods), tuple(ou_codes) if ou_codes is not None else None,
                  level, within, by, mode, day), compute, _elements_of(codes))


def explain(code: str, ou_code: str, period: str, *, by: str | None = None, group: str | None = None,
            mode: str = "current", as_of: dt.date | None = None) -> pd.DataFrame:
    _check_mode(mode)
    cat = catalogue()
    day = _day_key(mode, as_of)
    return _memo(("explain", code, ou_code, period, by, group, mode, day),
                 lambda con: engine.explain(con, code, ou_code, period, by=by, group=group, mode=mode, as_of=as_of,
                                            catalogue=cat), _elements_of([code]))


def parity(codes: Sequence[str], periods: Sequence[str], *, index: str = "GPIA",
           band: tuple[float, float] = PARITY_BAND, **kw: Any) -> pd.DataFrame:
    """A parity index (see `parity.parity`) from the split figures `indicators` gives: read from the
    cube for regions and the republic, not computed again from the facts for each index (the equity
    page asked four such questions, a second each on the national demo)."""
    res = indicators(codes, periods, by=_parity_split(index), **kw)
    return _parity_of(res, list(codes), index=index, band=band)


def equity(code: str, ou_codes: Sequence[str], periods: Sequence[str], *,
           measures: Sequence[str] = _MEASURES, **kw: Any) -> pd.DataFrame:
    """Equity measures (see `equity.equity`) of the organizations' values under each unit, from the
    memoised `org_values`: the equity page and report ask for both, which computed them twice."""
    return _equity_table(code, [(ou, org_values(code, ou, periods, **kw)) for ou in ou_codes], measures)


def org_values(code: str, ou_code: str, periods: Sequence[str], **kw: Any) -> pd.DataFrame:
    """Each organization's own value under a unit (the funding distribution); memoised like the rest."""
    cat, periods = catalogue(), list(periods)
    return _memo(("org_values", code, ou_code, tuple(periods), _freeze(kw), _day_key(kw.get("mode", "current"), kw.get("as_of"))),
                 lambda con: _org_values(con, code, ou_code, periods, catalogue=cat, **kw),
                 _elements_of([code], [kw.get("weight_de", "ENROL")]))


def composite(spec: _composite.CompositeSpec, period: str, **kw: Any) -> pd.DataFrame:
    """The composite index with rank uncertainty; memoised per snapshot like :func:`indicators`
    (the Monte Carlo is seeded, so the same question always has the same answer)."""
    cat = catalogue()
    return _memo(("composite", spec, period, _freeze(kw), _day_key(kw.get("mode", "current"), kw.get("as_of"))),
                 lambda con: _composite.composite_from_warehouse(con, spec, period, catalogue=cat, **kw),
                 _elements_of(spec.indicators))


def _periods(de: str | None) -> list[str]:
    """Periods with facts (of one data element), from the small partition table the refresh keeps."""
    db = _cursor()
    try:
        where, params = ("WHERE de = ?", [de]) if de else ("", [])
        try:
            rows = db.execute(f"SELECT DISTINCT period FROM partitions {where}", params).fetchall()
        except Exception:  # noqa: BLE001 - a warehouse loaded without the refresh job: scan the facts
            rows = db.execute(f"SELECT DISTINCT period FROM facts {where}", params).fetchall()
    finally:
        db.close()
    return sorted(r[0] for r in rows)


def periods_available(de: str = "ENROL") -> list[str]:
    """Periods present in the warehouse for a data element, oldest first."""
    return _periods(de)


def periods_known() -> list[str]:
    """Every period code that has facts in the warehouse (school years and calendar years), sorted."""
    return _periods(None)


def check_periods(periods: Sequence[str]) -> list[str]:
    """The periods, or ValueError naming those that are malformed or have no data at all."""
    from .periods import PeriodError, period_kind

    bad = []
    for p in periods:
        try:
            period_kind(p)
        except PeriodError:
            bad.append(p)
    if bad:
        raise ValueError(f"Unknown period code(s): {', '.join(bad)} (use e.g. 2024S for a school year, 2024 for a "
                         f"calendar year)")
    known = set(periods_known())
    missing = [p for p in periods if p not in known]
    if missing:
        years = [k for k in sorted(known) if k.endswith("S")]
        raise ValueError(f"No data for period(s): {', '.join(missing)}; available school years: {', '.join(years)}")
    return list(periods)


def latest_school_year() -> str:
    """The most recent school year with enrolment in the warehouse (the default period of queries)."""
    years = periods_available("ENROL")
    if not years:
        raise WarehouseMissing("The analytics warehouse has no enrolment facts; run `bilim analytics refresh`.")
    return years[-1]


def children(code: str, periods: Sequence[str], *, mode: str = "current",
             as_of: dt.date | None = None) -> dict[str, list[str]]:
    """Codes of the direct children of a unit per period, through the hierarchy the mode uses."""
    _check_mode(mode)
    con = connect()
    refs = engine.reference_dates(list(periods), mode, as_of)  # type: ignore[arg-type]
    db = _cursor(con)  # a per-call handle on the shared DuckDB database (thread-safe)
    found = db.execute("SELECT ou_id FROM org_units WHERE code = ?", [code]).fetchone()
    if found is None:
        raise ValueError(f"unknown org units: [{code!r}]")
    out: dict[str, list[str]] = {}
    cache: dict[dt.date, list[str]] = {}
    for p in periods:
        day = refs[p]
        if day not in cache:
            rows = db.execute(
                "SELECT o.code FROM closure c JOIN org_units o ON o.ou_id = c.descendant_id "
                "WHERE c.ancestor_id = ? AND c.depth = 1 AND c.valid_from <= ? "
                "AND (c.valid_to IS NULL OR c.valid_to > ?) ORDER BY o.code", [found[0], day, day]).fetchall()
            cache[day] = [r[0] for r in rows]
        out[p] = cache[day]
    db.close()
    return out


def target_codes(periods: Sequence[str], *, ou_codes: Sequence[str] | None = None, level: str | None = None,
                 within: str | None = None, mode: str = "current", as_of: dt.date | None = None) -> list[str]:
    """The codes of the units `indicators` answers for with the same arguments, without computing
    any value: the engine's own `resolve_targets`, so a description of a selection (the SDMX
    structure's area codelist) cannot disagree with the values given for it."""
    _check_mode(mode)
    periods = list(dict.fromkeys(periods))
    if not periods:
        return []
    con = connect()
    refs = engine.reference_dates(periods, mode, as_of)  # type: ignore[arg-type]
    found = engine.resolve_targets(con, periods, refs, ou_codes=list(ou_codes) if ou_codes is not None else None,
                                   level=level, within=within)
    return sorted(set(found["ou_code"]))


def unit_names(codes: Sequence[str], lang: str = "en") -> dict[str, dict[str, Any]]:
    """Name (in ``lang``, falling back to English) and kind of the given unit codes."""
    col = {"kk": "name_kk", "ru": "name_ru"}.get(lang[:2], "name_en")
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    db = _cursor()
    marks = ", ".join(["?"] * len(codes))
    rows = db.execute(f"SELECT code, COALESCE(NULLIF({col}, ''), name_en), kind FROM org_units "
                      f"WHERE code IN ({marks})", codes).fetchall()
    db.close()
    return {c: {"name": n, "kind": k} for c, n, k in rows}
