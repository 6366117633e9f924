"""The analytics query service used by pages, the API and the CLI.

It owns the connection to the warehouse file (read-only, reopened when a refresh swapped in a new
snapshot) and the indicator catalogue, and forwards to the engine. Every result says its mode.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import duckdb
import ibis
import pandas as pd

from . import composite as _composite
from . import engine
from .catalogue import Catalogue, load_catalogue
from .equity import equity as _equity_of
from .equity import org_values as _org_values
from .parity import parity as _parity_of
from .refresh import refresh, warehouse_path

__all__ = ["catalogue", "connect", "explain", "indicators", "parity", "equity", "composite", "refresh",
           "WarehouseMissing", "periods_available", "periods_known", "check_periods", "latest_school_year",
           "children", "unit_names", "LEVELS"]

LEVELS = ("republic", "region", "district", "authority", "organization")

MODES = ("current", "historical")


# NB the functions are imported above, not `from . import parity`: the package re-exports functions
# under the module names, so that form bound the *function* `parity` and every call failed.


class WarehouseMissing(RuntimeError):
    """The warehouse has not been built yet: run `bilim analytics refresh`."""


_lock = threading.Lock()
_state: dict[str, Any] = {"con": None, "stamp": None, "catalogue": None}


def catalogue() -> Catalogue:
    if _state["catalogue"] is None:
        _state["catalogue"] = load_catalogue()
    return _state["catalogue"]


def _open_snapshot(path: os.PathLike) -> ibis.BaseBackend:
    """An in-memory DuckDB with the warehouse file attached read-only.

    Not ``ibis.duckdb.connect(path)``: DuckDB caches database instances by path within a process, so
    while any connection to the old snapshot is still open (a request in flight, a cursor) reopening
    the same path returned the *old* instance, and readers kept seeing stale figures after a refresh.
    An in-memory instance is never shared, and the attached file is the one now at ``path``.
    """
    con = ibis.duckdb.connect()
    quoted = str(path).replace("'", "''")
    con.raw_sql(f"ATTACH '{quoted}' AS warehouse (READ_ONLY)")
    con.raw_sql("USE warehouse")
    return con


def _cursor(con: ibis.BaseBackend | None = None):  # noqa: ANN202 - a duckdb connection
    """A per-call DuckDB handle on the shared snapshot (thread-safe), reading the attached warehouse."""
    cur = (con or connect()).con.cursor()
    try:
        cur.execute("USE warehouse")
    except duckdb.Error:
        pass  # a connection whose tables are in its own database (tests load one in memory)
    return cur


_local = threading.local()


def _shared() -> ibis.BaseBackend:
    """The process-wide connection to the current warehouse snapshot (reopened after a refresh)."""
    path = warehouse_path()
    try:
        st = os.stat(path)
    except FileNotFoundError as e:
        raise WarehouseMissing("The analytics warehouse has not been built; run `bilim analytics refresh`.") from e
    stamp = (str(path), st.st_ino, st.st_mtime_ns)  # the path too: tests point settings at new files
    with _lock:
        if _state["con"] is None or _state["stamp"] != stamp:
            if _state["con"] is not None:
                try:
                    _state["con"].disconnect()
                except Exception:  # noqa: BLE001 - an old snapshot that is already gone
                    pass
            _state["con"] = _open_snapshot(path)
            _state["stamp"] = stamp
        return _state["con"]


def connect() -> ibis.BaseBackend:
    """A read-only Ibis connection to the current warehouse snapshot, one per thread.

    A DuckDB connection must not run queries from two threads at once: under the threaded server two
    concurrent analytics requests failed ("Attempting to execute an unsuccessful or closed pending
    query result") or hung. Each thread gets its own cursor on the shared snapshot database instead
    (cheap, sees the same attached warehouse), replaced when a refresh swaps in a new snapshot.
    """
    shared = _shared()
    mine = getattr(_local, "con", None)
    if mine is None or mine[0] is not shared:
        if mine is not None:
            try:
                mine[1].disconnect()
            except Exception:  # noqa: BLE001 - a cursor on an old snapshot that is already gone
                pass
        cur = shared.con.cursor()
        cur.execute("USE warehouse")
        _local.con = mine = (shared, ibis.duckdb.from_connection(cur))
    return mine[1]


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be 'current' or 'historical', not {mode!r}")


CACHE_SIZE = 256
_cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()


def indicators(codes: Sequence[str], periods: Sequence[str], *, ou_codes: Sequence[str] | None = None,
               level: str | None = None, within: str | None = None, by: str | None = None,
               mode: str = "current", as_of: dt.date | None = None, cache: bool = True) -> pd.DataFrame:
    """Indicator values: columns indicator, period, ou_code, [sex|area], numerator, denominator, value, mode.

    Results are memoised per warehouse snapshot (a snapshot never changes; a refresh swaps in a new
    file and with it a new key), so a dashboard asking the same question twice pays once.
    """
    _check_mode(mode)
    unknown = [c for c in codes if c not in catalogue().indicators]
    if unknown:
        raise ValueError(f"Unknown indicator code(s): {', '.join(unknown)}")
    con = connect()
    day = (as_of or dt.date.today()) if mode == "current" else None
    key = (_state["stamp"], tuple(codes), tuple(periods), tuple(ou_codes) if ou_codes is not None else None, level,
           within, by, mode, day)
    if cache:
        with _lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return hit.copy()
    res = engine.compute(con, list(codes), list(periods), ou_codes=ou_codes, level=level, within=within,
                         by=by, mode=mode, as_of=as_of, catalogue=catalogue())
    if cache:
        with _lock:
            _cache[key] = res.copy()
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return res


def explain(code: str, ou_code: str, period: str, *, by: str | None = None, group: str | None = None,
            mode: str = "current", as_of: dt.date | None = None) -> pd.DataFrame:
    _check_mode(mode)
    return engine.explain(connect(), code, ou_code, period, by=by, group=group, mode=mode, as_of=as_of,
                          catalogue=catalogue())


def parity(codes: Sequence[str], periods: Sequence[str], *, index: str = "GPIA", **kw: Any) -> pd.DataFrame:
    _check_mode(kw.get("mode", "current"))
    return _parity_of(connect(), list(codes), list(periods), index=index, catalogue=catalogue(), **kw)


def equity(code: str, ou_codes: Sequence[str], periods: Sequence[str], **kw: Any) -> pd.DataFrame:
    return _equity_of(connect(), code, list(ou_codes), list(periods), catalogue=catalogue(), **kw)


def org_values(code: str, ou_code: str, periods: Sequence[str], **kw: Any) -> pd.DataFrame:
    return _org_values(connect(), code, ou_code, list(periods), catalogue=catalogue(), **kw)


def composite(spec: _composite.CompositeSpec, period: str, **kw: Any) -> pd.DataFrame:
    """The composite index with rank uncertainty; memoised per snapshot like :func:`indicators`
    (the Monte Carlo is seeded, so the same question always has the same answer)."""
    con = connect()
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kw.items()))
    day = dt.date.today() if kw.get("mode", "current") == "current" and kw.get("as_of") is None else None
    key = ("composite", _state["stamp"], spec, period, frozen, day)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit.copy()
    res = _composite.composite_from_warehouse(con, spec, period, catalogue=catalogue(), **kw)
    with _lock:
        _cache[key] = res.copy()
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return res


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
