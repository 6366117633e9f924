"""Refresh of the DuckDB warehouse from the operational database.

Incremental and idempotent by construction:
- facts are partitioned by (data element, period); a partition whose fingerprint (row count, last
  update, sum of row versions) changed is rebuilt whole — deleted and reloaded — never patched, so a
  value can never be counted twice; a partition that disappeared from the source is dropped;
- the registry dimensions (org units, closure per validity interval) are rebuilt only when the
  registry's fingerprint changed;
- a refresh after nothing changed reads the fingerprints and writes nothing.

Readers never see a half-written warehouse: the refresh works on a copy and swaps it into place
atomically (`os.replace`); open readers keep their snapshot until they reconnect.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection, transaction

from . import cube, visibility
from .warehouse import SCHEMAS, closure_from_parents

CATEGORY_COLUMNS = ("sex", "age", "grade", "qual", "exp", "lang")


@dataclass
class RefreshReport:
    rebuilt: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    fact_rows: int = 0
    registry_rebuilt: bool = False
    visibility_rebuilt: bool = False
    seconds: float = 0.0
    cube: cube.CubeReport | None = None

    @property
    def changed(self) -> bool:
        return bool(self.rebuilt or self.dropped or self.registry_rebuilt or self.visibility_rebuilt)

    def summary(self) -> str:
        if not self.changed:
            return f"Warehouse up to date ({self.unchanged} partitions unchanged; {self.seconds:.2f}s)."
        return (f"Rebuilt {len(self.rebuilt)} partition(s) ({self.fact_rows:,} fact rows), dropped "
                f"{len(self.dropped)}, {self.unchanged} unchanged; registry "
                f"{'rebuilt' if self.registry_rebuilt else 'unchanged'}; approval visibility "
                f"{'rebuilt' if self.visibility_rebuilt else 'unchanged'}; {self._cube_summary()}{self.seconds:.2f}s.")

    def _cube_summary(self) -> str:
        c = self.cube
        if c is None:
            return ""
        what = "cube rebuilt" if c.rebuilt else f"cube: {c.pairs} cell(s) recomputed, {c.level_pairs} for reader levels"
        if not c.rebuilt and c.units is not None:
            what += f", for {c.units} unit(s)"
        return f"{what} ({c.rows:,} rows, {c.seconds:.2f}s); "


def warehouse_path() -> Path:
    return Path(settings.BILIM_WAREHOUSE_PATH)


def _ddl(name: str) -> str:
    types = {pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.float64(): "DOUBLE",
             pa.bool_(): "BOOLEAN", pa.date32(): "DATE"}
    cols = ", ".join(f'"{f.name}" {types[f.type]}' for f in SCHEMAS[name])
    return f"CREATE TABLE IF NOT EXISTS {name} ({cols})"


def _ensure_schema(db: duckdb.DuckDBPyConnection) -> None:
    for name in ("facts", "org_units", "closure"):
        db.execute(_ddl(name))
    db.execute("CREATE TABLE IF NOT EXISTS partitions (de VARCHAR, period VARCHAR, n BIGINT, "
               "max_updated VARCHAR, sum_version BIGINT, refreshed_at TIMESTAMP)")
    db.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    # approval (bilim.analytics.visibility): only values NOT yet public are listed in `visibility`
    db.execute("CREATE TABLE IF NOT EXISTS visibility (de VARCHAR, period VARCHAR, ou_id BIGINT, visible_to INTEGER)")
    db.execute("CREATE TABLE IF NOT EXISTS partition_levels (de VARCHAR, period VARCHAR, max_visible INTEGER)")


def _load_visibility(db: duckdb.DuckDBPyConnection, partitions: set[tuple[str, str]]) -> None:
    """`visibility`: (element, period, unit) whose values some readers may not see yet, and the
    highest reader level that may; approved-to-the-top values are absent (public)."""
    form_vis, form_elements = visibility.build(partitions)
    db.register("form_vis", form_vis)
    db.register("form_elements", form_elements)
    try:
        db.execute("DELETE FROM visibility")
        db.execute("INSERT INTO visibility SELECT e.de, v.period, v.ou_id, MAX(v.visible_to) "
                   "FROM form_vis v JOIN form_elements e ON e.form = v.form "
                   "GROUP BY e.de, v.period, v.ou_id HAVING MAX(v.visible_to) < ?", [visibility.PUBLIC])
    finally:
        db.unregister("form_vis")
        db.unregister("form_elements")


def _load_partition_levels(db: duckdb.DuckDBPyConnection) -> None:
    """The highest reader level that sees at least one value of each (element, period): the periods
    a reader is offered are those with something they may see."""
    db.execute("DELETE FROM partition_levels")
    db.execute("INSERT INTO partition_levels SELECT f.de, f.period, MAX(COALESCE(v.visible_to, ?)) FROM facts f "
               "LEFT JOIN visibility v ON v.de = f.de AND v.period = f.period AND v.ou_id = f.ou_id "
               "GROUP BY f.de, f.period", [visibility.PUBLIC])


def _visibility_signatures(db: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple]:
    """Per (element, period), a digest of its visibility rows: the partitions an approval step
    changed are those whose digest differs (their cube rows for reader levels are recomputed)."""
    rows = db.execute("SELECT de, period, COUNT(*), BIT_XOR(HASH(ou_id, visible_to)) FROM visibility "
                      "GROUP BY de, period").fetchall()
    return {(de, p): (n, h) for de, p, n, h in rows}


def cube_enabled() -> bool:
    """Whether a refresh materialises the indicator cube (setting BILIM_CUBE, default on)."""
    return bool(getattr(settings, "BILIM_CUBE", True))


def _update_cube(work: Path, *, changed: set[tuple[str, str]], units: set[int] | None,
                 visibility_changed: set[tuple[str, str]], rebuild: bool,
                 log: Callable[[str], None] | None) -> cube.CubeReport:
    """Materialise the cube into the work copy before it is swapped in (see `bilim.analytics.cube`)."""
    from .service import _level_backend, _open_snapshot

    con = _open_snapshot(work, read_only=False)
    try:
        today = dt.date.today()
        cur = con.con.cursor()
        try:
            cur.execute("USE memory.lvl0")
            win = cube.window(cur, cube.catalogue_fingerprint())
        finally:
            cur.close()
        rebuild = rebuild or not win.covers("current", today) or not _has_cube(con)
        levels = {level: _level_backend(con, level) for level in visibility.LEVELS}
        out = cube.update(levels[0], levels, changed=changed, units=units, visibility_changed=visibility_changed,
                          rebuild=rebuild, as_of=today, log=log)
        con.raw_sql("CHECKPOINT warehouse")
        return out
    finally:
        con.disconnect()


def _has_cube(con) -> bool:  # noqa: ANN001
    rows = con.raw_sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_catalog = 'warehouse' "
                       "AND table_name = 'cube'").fetchone()
    return bool(rows[0])


def _registry_fingerprint() -> str:
    """A hash of everything the dimensions are built from (units, their attributes, territorial links)."""
    h = hashlib.sha256()
    with connection.cursor() as cur:
        cur.execute("SELECT id, code, kind, org_type, area, ownership, shifts, emergency, capacity, opened, closed, "
                    "name_kk, name_ru, name_en FROM registry_orgunit ORDER BY id")
        for row in cur.fetchall():
            h.update(repr(row).encode())
        cur.execute("SELECT unit_id, parent_id, valid_from, valid_to FROM registry_territorialrelation ORDER BY id")
        for row in cur.fetchall():
            h.update(repr(row).encode())
    return h.hexdigest()


def _date(value: object) -> dt.date | None:
    """SQLite returns dates as text, PostgreSQL as dates; NULL stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _load_dimensions(db: duckdb.DuckDBPyConnection) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT id, code, kind, org_type, area, ownership, shifts, emergency, capacity, name_en, name_kk, "
                    "name_ru, opened, closed FROM registry_orgunit")
        units = pd.DataFrame(cur.fetchall(), columns=["ou_id", "code", "kind", "org_type", "area", "ownership", "shifts",
                                                      "emergency", "capacity", "name_en", "name_kk", "name_ru",
                                                      "valid_from", "valid_to"])
        cur.execute("SELECT unit_id, parent_id, valid_from, valid_to FROM registry_territorialrelation")
        parents = pd.DataFrame(cur.fetchall(), columns=["child_id", "parent_id", "valid_from", "valid_to"])
    for frame in (units, parents):
        for col in ("valid_from", "valid_to"):
            frame[col] = pd.Series([_date(v) for v in frame[col]], dtype=object, index=frame.index)
    closure = closure_from_parents(parents, units[["ou_id", "valid_from", "valid_to"]])
    dims = units.drop(columns=["valid_from", "valid_to"]).replace({"": None})
    dims["emergency"] = dims["emergency"].astype(bool)
    # registered explicitly (not found by DuckDB's replacement scan of local names): a linter that
    # sees an "unused" variable must not be able to break the load
    db.register("org_tbl", pa.Table.from_pandas(dims, schema=SCHEMAS["org_units"], preserve_index=False))
    db.register("clo_tbl", pa.Table.from_pandas(closure, schema=SCHEMAS["closure"], preserve_index=False))
    try:
        db.execute("DELETE FROM org_units")
        db.execute("INSERT INTO org_units SELECT * FROM org_tbl")
        db.execute("DELETE FROM closure")
        db.execute("INSERT INTO closure SELECT * FROM clo_tbl")
    finally:
        db.unregister("org_tbl")
        db.unregister("clo_tbl")


def _bulk_connection():  # noqa: ANN202
    """An ADBC connection to the operational database, which hands rows over as Arrow columns (about
    3× faster than Python tuples for the 4 M values of the national demo), or None.

    None when the refresh runs inside a transaction (a test, or a caller's atomic block): a second
    connection would not see its uncommitted rows, so Django's own connection reads them instead;
    and None for a database ADBC has no driver for here.
    """
    if connection.in_atomic_block:
        return None
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if "memory" in name or not Path(name).is_file():
            return None
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        return adbc_sqlite.connect(f"file:{name}?mode=ro")
    if connection.vendor == "postgresql":
        import adbc_driver_postgresql.dbapi as adbc_pg
        from psycopg.conninfo import make_conninfo

        conninfo = make_conninfo(dbname=db.get("NAME") or "", user=db.get("USER") or None,
                                 password=db.get("PASSWORD") or None, host=db.get("HOST") or None,
                                 port=str(db["PORT"]) if db.get("PORT") else None)
        return adbc_pg.connect(conninfo)
    return None


def _facts_layout(de: str, raw: pa.Table) -> pa.Table:
    """Source columns (period, ou_id, categories with '' for none, value) in the facts layout."""
    n = raw.num_rows
    arrays = {"de": pa.array([de] * n, pa.string()) if n else pa.array([], pa.string()),
              "period": raw.column("period").cast(pa.string()), "ou_id": raw.column("ou_id").cast(pa.int64())}
    for name in CATEGORY_COLUMNS:
        col = raw.column(name).cast(pa.string())
        arrays[name] = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
    arrays["area"] = pa.nulls(n, pa.string())
    arrays["value"] = raw.column("value").cast(pa.float64())
    return pa.table(arrays, schema=SCHEMAS["facts"])


_SOURCE_COLUMNS = ("period, org_unit_id AS ou_id, sex, age, grade, qual, exp, lang, "
                   "CAST(value AS DOUBLE PRECISION) AS value FROM collection_datavalue")

# A (data element, period) slice is either read whole (None) or for these units only.
Slices = dict[tuple[str, str], "set[int] | None"]
_UNITS_PER_QUERY = 500


def _fetch_partitions(parts: list[tuple[str, str]] | Slices | None) -> pa.Table:
    """Read the source rows of the given partitions (or of some units of them: `Slices`; None: every
    value) as an Arrow table in the facts layout: in bulk through ADBC where it can
    (`_bulk_connection`), else through Django's cursor."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, code FROM metadata_dataelement")
        de_ids = {code: i for i, code in cur.fetchall()}
    # one query per data element for the partitions read whole, one per (partition, units chunk) else
    queries: list[tuple[str, list[str] | None, list[int] | None]] = []
    if parts is None:
        queries = [(de, None, None) for de in sorted(de_ids)]
    else:
        slices: Slices = parts if isinstance(parts, dict) else dict.fromkeys(parts)
        whole: dict[str, list[str]] = {}
        for (de, period), units in slices.items():
            if units is None:
                whole.setdefault(de, []).append(period)
            else:
                ids = sorted(units)
                queries += [(de, [period], ids[i:i + _UNITS_PER_QUERY]) for i in range(0, len(ids), _UNITS_PER_QUERY)]
        queries = [(de, periods, None) for de, periods in whole.items()] + queries
    def sql(mark: Callable[[int], str], periods: list[str] | None, units: list[int] | None) -> str:
        text = f"SELECT {_SOURCE_COLUMNS} WHERE data_element_id = {mark(1)}"
        n = 2
        if periods is not None:
            text += " AND period IN (" + ", ".join(mark(n + i) for i in range(len(periods))) + ")"
            n += len(periods)
        if units is not None:
            text += " AND org_unit_id IN (" + ", ".join(mark(n + i) for i in range(len(units))) + ")"
        return text

    chunks: list[pa.Table] = []
    bulk = _bulk_connection()
    # ADBC's placeholders are the database's own (? or $n); Django's cursor takes %s for both
    mark = (lambda _i: "?") if connection.vendor == "sqlite" else (lambda i: f"${i}")
    try:
        if bulk is not None:
            with bulk.cursor() as cur:
                for de, periods, units in queries:
                    # SQLite's driver guesses a column's type from its first rows: the categories
                    # come as stored ('' for none, never NULL) and the value cast to a float
                    cur.execute(sql(mark, periods, units), [de_ids[de], *(periods or []), *(units or [])])
                    chunks.append(_facts_layout(de, cur.fetch_arrow_table()))
        else:
            with connection.cursor() as cur:
                for de, periods, units in queries:
                    cur.execute(sql(lambda _i: "%s", periods, units), [de_ids[de], *(periods or []), *(units or [])])
                    while rows := cur.fetchmany(500_000):
                        cols = list(zip(*rows, strict=True))
                        raw = pa.table({name: pa.array(cols[i]) for i, name in enumerate(
                            ("period", "ou_id", *CATEGORY_COLUMNS, "value"))})
                        chunks.append(_facts_layout(de, raw))
    finally:
        if bulk is not None:
            bulk.close()
    if not chunks:
        return SCHEMAS["facts"].empty_table()
    return pa.concat_tables(chunks)


def refresh(full: bool = False, log: Callable[[str], None] | None = None) -> RefreshReport:
    """Bring the warehouse up to date with the database; `full` rebuilds everything.

    One refresh at a time per warehouse, across processes (the web's background refresher and a
    `bilim analytics refresh` in a shell would otherwise write the same work file): a second caller
    waits for the lock and then finds little or nothing left to do.
    """
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _refresh_locked(path, full, log)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# A partition with more changed units than this is read whole: one query beats many IN lists.
DELTA_MAX_UNITS = 2_000
# meta key: the warehouse is kept in step with the change log (`ValueChange`); a warehouse without
# it (built before the log existed) is rebuilt whole once
CHANGE_LOG_META = "change_log"


def _log_top() -> int:
    """The highest change-log id such that every row up to it is committed.

    PostgreSQL hands out ids before commit, so a transaction still writing could commit a lower id
    after this read: the table lock waits for writers in flight and holds new ones back for the one
    statement. SQLite has one writer at a time: committed ids are all below an open writer's."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("LOCK TABLE collection_valuechange IN SHARE ROW EXCLUSIVE MODE")
        cur.execute("SELECT MAX(id) FROM collection_valuechange")
        return int(cur.fetchone()[0] or 0)


def _pending(top: int) -> Slices | None:
    """The units whose values changed, per (element code, period), logged up to ``top`` (None for a
    partition with more than `DELTA_MAX_UNITS` of them: it is reread whole). None when the log names
    an element that no longer exists: the warehouse is then rebuilt whole."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, code FROM metadata_dataelement")
        codes = dict(cur.fetchall())
        cur.execute("SELECT data_element_id, period, COUNT(DISTINCT org_unit_id) FROM collection_valuechange "
                    "WHERE id <= %s GROUP BY data_element_id, period", [top])
        counts = cur.fetchall()
        out: Slices = {}
        for de_id, period, n in counts:
            if de_id not in codes:
                return None
            if n > DELTA_MAX_UNITS:
                out[(codes[de_id], period)] = None
                continue
            cur.execute("SELECT DISTINCT org_unit_id FROM collection_valuechange WHERE id <= %s AND "
                        "data_element_id = %s AND period = %s", [top, de_id, period])
            out[(codes[de_id], period)] = {int(r[0]) for r in cur.fetchall()}
    return out


def _consume(top: int) -> None:
    """Forget the changes up to ``top``: the warehouse now holds them (called after the swap; a crash
    in between only makes the next refresh read the same units again)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM collection_valuechange WHERE id <= %s", [top])


def _recount(db: duckdb.DuckDBPyConnection, keys: set[tuple[str, str]] | None) -> None:
    """Rewrite the `partitions` rows of ``keys`` (None: all) from the facts: their size and a stamp
    of this refresh, which the query service compares to tell which elements changed."""
    stamp = dt.datetime.now()
    if keys is not None and not keys:
        return
    db.register("touched_tbl", pa.table({"de": [k[0] for k in keys or ()], "period": [k[1] for k in keys or ()]},
                                        schema=pa.schema([("de", pa.string()), ("period", pa.string())])))
    try:
        if keys is None:
            db.execute("DELETE FROM partitions")
        else:
            db.execute("DELETE FROM partitions p USING touched_tbl t WHERE p.de = t.de AND p.period = t.period")
        join = "" if keys is None else "JOIN touched_tbl t ON t.de = f.de AND t.period = f.period "
        db.execute(f"INSERT INTO partitions SELECT f.de, f.period, COUNT(*), ?, 0, ? FROM facts f {join}"
                   "GROUP BY f.de, f.period", [stamp.isoformat(), stamp])
    finally:
        db.unregister("touched_tbl")


def _delete_slices(db: duckdb.DuckDBPyConnection, slices: Slices) -> None:
    for (de, period), units in slices.items():
        if units is None:
            db.execute("DELETE FROM facts WHERE de = ? AND period = ?", [de, period])
            continue
        db.register("units_tbl", pa.table({"ou_id": pa.array(sorted(units), pa.int64())}))
        try:
            db.execute("DELETE FROM facts WHERE de = ? AND period = ? AND ou_id IN (SELECT ou_id FROM units_tbl)",
                       [de, period])
        finally:
            db.unregister("units_tbl")


def _refresh_locked(path: Path, full: bool, log: Callable[[str], None] | None) -> RefreshReport:
    started = time.perf_counter()
    report = RefreshReport()
    top = _log_top()
    reg_fp = _registry_fingerprint()
    vis_fp = visibility.fingerprint(reg_fp)
    work = path.with_name(path.name + ".refresh")
    if work.exists():
        work.unlink()
    stored: set[tuple[str, str]] = set()
    stored_reg = stored_vis = None
    pending: Slices | None = None
    if path.exists() and not full:
        # cheap check first: an empty change log and the same registry and approvals mean nothing
        # is written (no value is aggregated to find that out)
        with duckdb.connect(str(path), read_only=True) as ro:
            try:
                stored = {(d, p) for d, p in ro.execute("SELECT de, period FROM partitions").fetchall()}
                meta = dict(ro.execute("SELECT key, value FROM meta").fetchall())
            except duckdb.CatalogException:
                meta = {}
            stored_reg, stored_vis = meta.get("registry"), meta.get("visibility")
            # the cube is stale when the catalogue changed or today's hierarchy is not the one of
            # its `current` rows (a restructuring took effect since): then it is rebuilt
            cube_ok = not cube_enabled() or cube.window(ro, cube.catalogue_fingerprint()).covers("current", None)
        if meta.get(CHANGE_LOG_META) == "1":
            pending = _pending(top)
        if pending == {} and stored_reg == reg_fp and stored_vis == vis_fp and cube_ok:
            report.unchanged = len(stored)
            report.seconds = time.perf_counter() - started
            return report
        shutil.copyfile(path, work)
    # no warehouse, or one not kept in step with the change log: the facts are read whole
    full = full or pending is None
    vis_changed: set[tuple[str, str]] = set()
    touched: set[tuple[str, str]] = set()
    db = duckdb.connect(str(work))
    try:
        _ensure_schema(db)
        if full or stored_reg != reg_fp:
            _load_dimensions(db)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('registry', ?)", [reg_fp])
            report.registry_rebuilt = True
        db.execute("BEGIN")
        if full:
            db.execute("DELETE FROM facts")
            facts_tbl = _fetch_partitions(None)
        else:
            assert pending is not None
            touched = set(pending)
            _delete_slices(db, pending)
            facts_tbl = _fetch_partitions(pending) if pending else SCHEMAS["facts"].empty_table()
        if facts_tbl.num_rows:
            db.register("facts_tbl", facts_tbl)
            db.execute("INSERT INTO facts SELECT * FROM facts_tbl")
            db.unregister("facts_tbl")
        report.fact_rows = facts_tbl.num_rows
        _recount(db, None if full else touched)
        after = {(d, p) for d, p in db.execute("SELECT de, period FROM partitions").fetchall()}
        if full:
            touched = after | stored
        report.rebuilt = sorted(touched & after)
        report.dropped = sorted(touched - after) if not full else []
        report.unchanged = len(after - touched)
        if full or stored_vis != vis_fp or after != stored:
            before = _visibility_signatures(db)
            _load_visibility(db, after)
            now = _visibility_signatures(db)
            vis_changed = {k for k in before.keys() | now.keys() if before.get(k) != now.get(k)}
            db.execute("INSERT OR REPLACE INTO meta VALUES ('visibility', ?)", [vis_fp])
            report.visibility_rebuilt = True
        if touched or report.visibility_rebuilt:
            _load_partition_levels(db)
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", [CHANGE_LOG_META])
        db.execute("COMMIT")
        db.execute("CHECKPOINT")
    finally:
        db.close()
    if cube_enabled():
        units = None
        if not full and pending and all(u is not None for u in pending.values()):
            units = set().union(*pending.values())  # type: ignore[arg-type]
        report.cube = _update_cube(work, changed=touched, units=units, visibility_changed=vis_changed,
                                   rebuild=full or report.registry_rebuilt, log=log)
    os.replace(work, path)
    _consume(top)
    report.seconds = time.perf_counter() - started
    if log:
        log(report.summary())
    return report
