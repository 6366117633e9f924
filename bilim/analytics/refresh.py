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
from django.conf import settings
from django.db import connection

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


def _update_cube(work: Path, *, changed: set[tuple[str, str]], visibility_changed: set[tuple[str, str]],
                 rebuild: bool, log: Callable[[str], None] | None) -> cube.CubeReport:
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
        out = cube.update(levels[0], levels, changed=changed, visibility_changed=visibility_changed,
                          rebuild=rebuild, as_of=today, log=log)
        con.raw_sql("CHECKPOINT warehouse")
        return out
    finally:
        con.disconnect()


def _has_cube(con) -> bool:  # noqa: ANN001
    rows = con.raw_sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_catalog = 'warehouse' "
                       "AND table_name = 'cube'").fetchone()
    return bool(rows[0])


def _source_fingerprints() -> dict[tuple[str, str], tuple[int, str, int]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT de.code, v.period, COUNT(*), MAX(v.updated), SUM(v.version) "
            "FROM collection_datavalue v JOIN metadata_dataelement de ON de.id = v.data_element_id "
            "GROUP BY de.code, v.period"
        )
        return {(de, p): (int(n), str(mx), int(sv)) for de, p, n, mx, sv in cur.fetchall()}


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


def _fetch_partitions(parts: list[tuple[str, str]]) -> pa.Table:
    """Read the source rows of the given partitions as an Arrow table in the facts layout."""
    with connection.cursor() as cur:
        cur.execute("SELECT id, code FROM metadata_dataelement")
        de_ids = {code: i for i, code in cur.fetchall()}
        by_de: dict[str, list[str]] = {}
        for de, period in parts:
            by_de.setdefault(de, []).append(period)
        chunks: list[pa.Table] = []
        for de, periods in by_de.items():
            marks = ", ".join(["%s"] * len(periods))
            cur.execute(
                # blanks become NULL in SQL: converting them in Python doubled the cost of the load
                f"SELECT period, org_unit_id, NULLIF(sex, ''), NULLIF(age, ''), NULLIF(grade, ''), NULLIF(qual, ''), "
                f"NULLIF(exp, ''), NULLIF(lang, ''), value FROM collection_datavalue "
                f"WHERE data_element_id = %s AND period IN ({marks})", [de_ids[de], *periods])
            while rows := cur.fetchmany(500_000):
                cols = list(zip(*rows, strict=True))
                n = len(rows)
                arrays = {"de": pa.array([de] * n, pa.string()), "period": pa.array(cols[0], pa.string()),
                          "ou_id": pa.array(cols[1], pa.int64())}
                for i, name in enumerate(CATEGORY_COLUMNS, start=2):
                    arrays[name] = pa.array(cols[i], pa.string())
                arrays["area"] = pa.nulls(n, pa.string())
                arrays["value"] = pa.array(cols[8], pa.float64())
                chunks.append(pa.table(arrays, schema=SCHEMAS["facts"]))
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


def _refresh_locked(path: Path, full: bool, log: Callable[[str], None] | None) -> RefreshReport:
    started = time.perf_counter()
    report = RefreshReport()
    source = _source_fingerprints()
    reg_fp = _registry_fingerprint()
    vis_fp = visibility.fingerprint(reg_fp)
    work = path.with_name(path.name + ".refresh")
    if work.exists():
        work.unlink()
    if path.exists() and not full:
        # cheap check first: nothing changed means nothing is written
        with duckdb.connect(str(path), read_only=True) as ro:
            try:
                stored = {(d, p): (int(n), mx, int(sv)) for d, p, n, mx, sv in
                          ro.execute("SELECT de, period, n, max_updated, sum_version FROM partitions").fetchall()}
                row = ro.execute("SELECT value FROM meta WHERE key='registry'").fetchone()
                stored_reg = row[0] if row else None
                row = ro.execute("SELECT value FROM meta WHERE key='visibility'").fetchone()
                stored_vis = row[0] if row else None
            except duckdb.CatalogException:
                stored, stored_reg, stored_vis = {}, None, None
            # the cube is stale when the catalogue changed or today's hierarchy is not the one of
            # its `current` rows (a restructuring took effect since): then it is rebuilt
            cube_ok = not cube_enabled() or cube.window(ro, cube.catalogue_fingerprint()).covers("current", None)
        if stored == source and stored_reg == reg_fp and stored_vis == vis_fp and cube_ok:
            report.unchanged = len(source)
            report.seconds = time.perf_counter() - started
            return report
        shutil.copyfile(path, work)
    else:
        stored, stored_reg, stored_vis = {}, None, None
    vis_changed: set[tuple[str, str]] = set()
    db = duckdb.connect(str(work))
    try:
        _ensure_schema(db)
        if full:
            db.execute("DELETE FROM facts")
            db.execute("DELETE FROM partitions")
        if full or stored_reg != reg_fp:
            _load_dimensions(db)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('registry', ?)", [reg_fp])
            report.registry_rebuilt = True
        changed = sorted(k for k, fp in source.items() if full or stored.get(k) != fp)
        gone = sorted(k for k in stored if k not in source)
        report.unchanged = len(source) - len(changed)
        db.execute("BEGIN")
        for de, period in changed + gone:
            db.execute("DELETE FROM facts WHERE de = ? AND period = ?", [de, period])
            db.execute("DELETE FROM partitions WHERE de = ? AND period = ?", [de, period])
        if changed:
            facts_tbl = _fetch_partitions(changed)
            db.register("facts_tbl", facts_tbl)
            db.execute("INSERT INTO facts SELECT * FROM facts_tbl")
            db.unregister("facts_tbl")
            report.fact_rows = facts_tbl.num_rows
            now = dt.datetime.now()
            db.executemany("INSERT INTO partitions VALUES (?, ?, ?, ?, ?, ?)",
                           [[de, p, *source[(de, p)], now] for de, p in changed])
        if full or stored_vis != vis_fp or set(stored) != set(source):
            before = _visibility_signatures(db)
            _load_visibility(db, set(source))
            after = _visibility_signatures(db)
            vis_changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
            db.execute("INSERT OR REPLACE INTO meta VALUES ('visibility', ?)", [vis_fp])
            report.visibility_rebuilt = True
        if changed or gone or report.visibility_rebuilt:
            _load_partition_levels(db)
        db.execute("COMMIT")
        report.rebuilt, report.dropped = changed, gone
        db.execute("CHECKPOINT")
    finally:
        db.close()
    if cube_enabled():
        report.cube = _update_cube(work, changed=set(changed) | set(gone), visibility_changed=vis_changed,
                                   rebuild=full or report.registry_rebuilt, log=log)
    os.replace(work, path)
    report.seconds = time.perf_counter() - started
    if log:
        log(report.summary())
    return report
