"""Benchmark of the analytics layer on the national demo, beside pandas and PostgreSQL.

    .venv/bin/python bench/indicators.py [--data-dir /tmp/bnat] [--runs 30] [--no-pg] [--no-refresh]
                                         [--scale-factor 1 4 10] [--json FILE]

Phases run in separate child processes so each reports its own peak RSS (ru_maxrss):

* refresh  — `refresh(full=True)` of the warehouse from the operational database (the cube included),
             a no-op refresh, and two incremental ones (one value changed, then changed back);
* engine   — the query service: answers read from the cube (dashboard, map, drill-down repeated --runs
             times for p50/p95, never the per-process memo; the whole catalogue for every district),
             and the same questions computed from the facts (Ibis over DuckDB, no cube);
* scale    — (--scale-factor N) the cube built on the national facts multiplied N times, DuckDB
             limited to 2 GB: build time, cube size, peak RSS, lookup p95;
* pandas   — the same 6 indicators written by hand in pandas (load facts/org_units/closure from the
             warehouse file, then filter/groupby/merge through the closure valid on each census date);
* postgres — a throwaway PostgreSQL 15 cluster (initdb/pg_ctl in a temp dir, 127.0.0.1, free port):
             the same rows COPYed in, the same 6 indicators as one SQL GROUP BY query; then stopped;
* duckdb-sql — that SQL text run directly on the DuckDB warehouse (what Ibis costs on top).

Every implementation's values are checked against the engine's (max relative difference printed), so
the comparison is between equal results. Mode is `historical` throughout (the harder one: a
different hierarchy per period).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEARS = ["2020S", "2021S", "2022S", "2023S", "2024S"]
SUBSET = ["GER_ISCED1", "NER_ISCED1", "GER_ISCED2", "GER_ISCED3", "PTR_ISCED1", "CLASS_SIZE"]
DASHBOARD = ["GER_ISCED1", "NER_ISCED1", "GER_ISCED2", "PTR_ISCED1", "CLASS_SIZE", "TRAINED_PCT"]
MODE = "historical"
PG_BIN = Path("/usr/lib/postgresql/15/bin")

G1 = ["G01", "G02", "G03", "G04"]
G2 = ["G05", "G06", "G07", "G08", "G09"]
G3 = ["G10", "G11"]
A1 = ["A06", "A07", "A08", "A09"]
A2 = ["A10", "A11", "A12", "A13", "A14"]
A3 = ["A15", "A16"]
GALL = ["G00", *G1, *G2, *G3, "G12"]
FACT_DES = ["ENROL", "POP", "TEACH", "CLASSES"]


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def timed(fn, runs: int) -> tuple[list[float], object]:
    out, times = None, []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def ref_dates() -> dict[str, str]:
    return {p: f"{p[:4]}-10-01" for p in YEARS}


def django_setup(data_dir: str) -> None:
    os.environ["BILIM_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bilim.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def records(df) -> list[list]:
    """(indicator, period, ou_code, value) rows for the cross-check."""
    return [[r.indicator, r.period, r.ou_code, None if r.value != r.value else float(r.value)]
            for r in df.itertuples()]


# --------------------------------------------------------------------------- phases (child processes)


def phase_refresh(args) -> dict:
    django_setup(args.data_dir)
    from django.db.models import F
    from django.utils import timezone

    from bilim.analytics.refresh import refresh
    from bilim.collection.models import DataValue

    t = time.perf_counter()
    full = refresh(full=True)
    t_full = time.perf_counter() - t
    rss_full = maxrss_mb()
    t = time.perf_counter()
    noop = refresh()
    t_noop = time.perf_counter() - t
    # one value changed (a grade-2 enrolment of one school), then changed back: two incremental refreshes
    row = DataValue.objects.filter(data_element__code="ENROL", period=YEARS[-2], grade="G02").order_by("pk").first()
    incremental = []
    for delta in (1, -1):
        DataValue.objects.filter(pk=row.pk).update(value=F("value") + delta, version=F("version") + 1,
                                                   updated=timezone.now())
        t = time.perf_counter()
        inc = refresh()
        incremental.append(time.perf_counter() - t)
    cube = full.cube
    return {"full_s": t_full, "fact_rows": full.fact_rows, "partitions": len(full.rebuilt), "noop_s": t_noop,
            "noop_changed": noop.changed, "maxrss_mb": rss_full, "incremental_s": incremental,
            "incremental_cells": inc.cube.pairs if inc.cube else None,
            "cube_rows": cube.rows if cube else None, "cube_s": cube.seconds if cube else None}


def phase_engine(args) -> dict:
    django_setup(args.data_dir)
    from bilim.analytics import service

    service.connect()
    codes = service.catalogue().codes()
    service.indicators(["GER_ISCED1"], ["2024S"], ou_codes=["KZ"])  # warm-up (imports, first compile)

    def computed(*a, **kw):  # from the facts, as before the cube: no cube, no memo
        return service.indicators(*a, cache=False, use_cube=False, **kw)

    t_all, res_all = timed(lambda: computed(codes, YEARS, level="region", mode=MODE), 3)
    t_all_cur, _ = timed(lambda: computed(codes, YEARS, level="region", mode="current"), 3)
    t_sub, res_sub = timed(lambda: computed(SUBSET, YEARS, level="region", mode=MODE), max(5, args.runs // 3))

    def ind(*a, **kw):  # what a reader gets: the cube, never the memo
        return service.indicators(*a, mode=MODE, cache=False, **kw)

    t_sub_answer, res_answer = timed(lambda: ind(SUBSET, YEARS, level="region"), args.runs)
    t_districts, res_districts = timed(lambda: ind(codes, YEARS, level="district"), 5)
    t_dash, _ = timed(lambda: ind(DASHBOARD, YEARS, ou_codes=["KZ"]), args.runs)
    t_map, _ = timed(lambda: ind(["GER_ISCED1"], ["2024S"], level="region"), args.runs)
    t_dist, _ = timed(lambda: ind(["PTR_ISCED1"], ["2024S"], level="district"), args.runs)
    t_dash_computed, _ = timed(lambda: computed(DASHBOARD, YEARS, ou_codes=["KZ"], mode=MODE), 5)
    return {"catalogue": len(codes), "all_cells": len(res_all), "all_s": statistics.median(t_all),
            "all_current_s": statistics.median(t_all_cur), "subset_s": statistics.median(t_sub),
            "subset_answer_s": statistics.median(t_sub_answer), "districts_s": statistics.median(t_districts),
            "districts_cells": len(res_districts), "subset_cells": len(res_sub), "dash": t_dash, "map": t_map,
            "dist": t_dist, "dash_computed": t_dash_computed, "rows": records(res_sub),
            "answer_rows": records(res_answer), "maxrss_mb": maxrss_mb()}


OFFSET = 10**9  # ids of the synthetic copies of organizations: id + k * OFFSET


def phase_scale(args) -> dict:
    """The cube built on the national facts multiplied ``args.factor`` times (every organization copied
    under the same parents, with its facts and approval state), DuckDB limited to 2 GB of memory."""
    django_setup(args.data_dir)
    import duckdb

    from bilim.analytics import cube, service, visibility

    factor = args.factor
    src = Path(args.data_dir) / "warehouse.duckdb"
    work = Path(tempfile.mkdtemp(prefix=f"bilim-scale{factor}-"))
    dst = work / "warehouse.duckdb"
    try:
        db = duckdb.connect(str(dst))
        db.execute(f"SET memory_limit = '2GB'; SET temp_directory = '{work}/spill'")
        db.execute(f"ATTACH '{src}' AS s (READ_ONLY)")
        for table in ("facts", "org_units", "closure", "visibility", "partitions", "partition_levels"):
            db.execute(f"CREATE TABLE {table} AS SELECT * FROM s.{table}")
        db.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        db.execute("INSERT INTO meta SELECT * FROM s.meta WHERE key NOT LIKE 'cube_%'")
        orgs = "(SELECT ou_id FROM s.org_units WHERE kind = 'organization')"
        for k in range(1, factor):
            off = k * OFFSET
            db.execute(f"INSERT INTO facts SELECT de, period, ou_id + {off}, sex, age, grade, qual, exp, lang, area, "
                       f"value FROM s.facts WHERE ou_id IN {orgs}")
            db.execute(f"INSERT INTO org_units SELECT ou_id + {off}, code || '#{k}', kind, org_type, area, ownership, "
                       f"shifts, emergency, capacity, name_en, name_kk, name_ru FROM s.org_units WHERE kind = 'organization'")
            db.execute(f"INSERT INTO closure SELECT CASE WHEN depth = 0 THEN ancestor_id + {off} ELSE ancestor_id END, "
                       f"descendant_id + {off}, depth, valid_from, valid_to FROM s.closure WHERE descendant_id IN {orgs}")
            db.execute(f"INSERT INTO visibility SELECT de, period, ou_id + {off}, visible_to FROM s.visibility "
                       f"WHERE ou_id IN {orgs}")
        facts = db.execute("SELECT COUNT(*) FROM facts").fetchone()[0]
        db.execute("DETACH s")
        db.execute("CHECKPOINT")
        db.close()
        con = service._open_snapshot(dst, read_only=False)
        con.raw_sql(f"SET memory_limit = '2GB'; SET temp_directory = '{work}/spill'")
        levels = {level: service._level_backend(con, level) for level in visibility.LEVELS}
        t = time.perf_counter()
        rep = cube.update(levels[0], levels, changed=set(), visibility_changed=set(), rebuild=True,
                          as_of=__import__("datetime").date.today())
        build_s = time.perf_counter() - t
        con.raw_sql("CHECKPOINT warehouse")
        con.disconnect()
        con = service._open_snapshot(dst)  # as a reader opens it (the views now include the cube)
        cur = con.con.cursor()
        cur.execute("USE memory.lvl0")
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            cube.lookup(cur, DASHBOARD, YEARS, ou_codes=["KZ"], level=None, within=None, by=None, mode=MODE,
                        as_of=None, reader=0)
            times.append(time.perf_counter() - t)
        cur.close()
        con.disconnect()
        size_mb = dst.stat().st_size / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"factor": factor, "fact_rows": facts, "materialise_s": build_s, "cube_rows": rep.rows,
            "warehouse_mb": size_mb, "peak_rss_mb": maxrss_mb(), "query_p95_ms": pct(times, .95) * 1000}


def _pandas_load(path: str):
    import duckdb

    with duckdb.connect(path, read_only=True) as db:
        marks = ", ".join(f"'{d}'" for d in FACT_DES)
        facts = db.execute(f"SELECT de, period, ou_id, age, grade, value FROM facts WHERE de IN ({marks})").df()
        closure = db.execute("SELECT ancestor_id, descendant_id, valid_from, valid_to FROM closure").df()
        units = db.execute("SELECT ou_id, code, kind FROM org_units").df()
    for col in ("de", "period", "age", "grade"):
        facts[col] = facts[col].astype("category")
    return facts, closure, units


def pandas_compute(facts, closure, units):
    """The six subset indicators for all regions × YEARS, historical mode, in plain pandas."""
    import numpy as np
    import pandas as pd

    f = facts
    school = f[f["period"].isin(YEARS) & f["de"].isin(["ENROL", "TEACH", "CLASSES"])]
    de, grade, age = school["de"], school["grade"], school["age"]
    enrol = de == "ENROL"
    v = school["value"]
    cols = {
        "e1": v.where(enrol & grade.isin(G1), 0.0),
        "n1": v.where(enrol & grade.isin(G1) & age.isin(A1), 0.0),
        "e2": v.where(enrol & grade.isin(G2), 0.0),
        "e3": v.where(enrol & grade.isin(G3), 0.0),
        "eall": v.where(enrol, 0.0),
        "ecls": v.where(enrol & grade.isin(GALL), 0.0),
        "teach": v.where(de == "TEACH", 0.0),
        "classes": v.where(de == "CLASSES", 0.0),
    }
    wide = pd.DataFrame(cols)
    wide["period"] = school["period"].astype(str).to_numpy()
    wide["ou_id"] = school["ou_id"].to_numpy()
    org = wide.groupby(["period", "ou_id"], sort=False).sum().reset_index()
    org["t1"] = np.where(org["eall"] > 0, org["teach"] * org["e1"] / org["eall"].where(org["eall"] > 0, 1), 0.0)
    pop = f[(f["de"] == "POP") & f["period"].isin([p[:4] for p in YEARS])]
    pv, page = pop["value"], pop["age"]
    pw = pd.DataFrame({"p1": pv.where(page.isin(A1), 0.0), "p2": pv.where(page.isin(A2), 0.0),
                       "p3": pv.where(page.isin(A3), 0.0)})
    pw["period"] = (pop["period"].astype(str) + "S").to_numpy()
    pw["ou_id"] = pop["ou_id"].to_numpy()
    popo = pw.groupby(["period", "ou_id"], sort=False).sum().reset_index()
    regions = units.loc[units["kind"] == "region", ["ou_id", "code"]]
    frames = []
    for p, ref in ref_dates().items():
        day = pd.Timestamp(ref)
        vf = pd.to_datetime(closure["valid_from"])
        vt = pd.to_datetime(closure["valid_to"])
        c = closure[(vf <= day) & (vt.isna() | (vt > day))]
        c = c[c["ancestor_id"].isin(regions["ou_id"])]
        a = c.merge(org[org["period"] == p], left_on="descendant_id", right_on="ou_id")
        a = a.groupby("ancestor_id")[["e1", "n1", "e2", "e3", "t1", "ecls", "classes"]].sum()
        b = c.merge(popo[popo["period"] == p], left_on="descendant_id", right_on="ou_id")
        b = b.groupby("ancestor_id")[["p1", "p2", "p3"]].sum()
        g = a.join(b, how="outer")
        g["period"] = p
        frames.append(g)
    g = pd.concat(frames).reset_index().merge(regions, left_on="ancestor_id", right_on="ou_id")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "GER_ISCED1": 100 * g["e1"] / g["p1"], "NER_ISCED1": 100 * g["n1"] / g["p1"],
            "GER_ISCED2": 100 * g["e2"] / g["p2"], "GER_ISCED3": 100 * g["e3"] / g["p3"],
            "PTR_ISCED1": g["e1"] / g["t1"], "CLASS_SIZE": g["ecls"] / g["classes"],
        }
    res = pd.concat([pd.DataFrame({"indicator": k, "period": g["period"], "ou_code": g["code"], "value": s})
                     for k, s in out.items()], ignore_index=True)
    return res


def phase_pandas(args) -> dict:
    import duckdb  # noqa: F401 - imports outside the timing
    import pandas  # noqa: F401

    path = str(Path(args.data_dir) / "warehouse.duckdb")
    t = time.perf_counter()
    facts, closure, units = _pandas_load(path)
    t_load = time.perf_counter() - t
    t_sub, res = timed(lambda: pandas_compute(facts, closure, units), max(3, args.runs // 6))
    return {"load_s": t_load, "rows_loaded": len(facts), "subset_s": statistics.median(t_sub),
            "rows": records(res), "maxrss_mb": maxrss_mb()}


def subset_sql() -> str:
    def q(xs):
        return ", ".join(f"'{x}'" for x in xs)

    refs = ", ".join(f"('{p}', DATE '{d}', '{p[:4]}')" for p, d in ref_dates().items())
    return f"""
WITH ref(period, ref, cal) AS (VALUES {refs}),
vc AS (SELECT r.period, c.ancestor_id AS anc, c.descendant_id AS des FROM closure c
       JOIN ref r ON c.valid_from <= r.ref AND (c.valid_to IS NULL OR c.valid_to > r.ref)
       JOIN org_units o ON o.ou_id = c.ancestor_id AND o.kind = 'region'),
org AS (SELECT period, ou_id,
          SUM(value) FILTER (WHERE de = 'ENROL' AND grade IN ({q(G1)})) AS e1,
          SUM(value) FILTER (WHERE de = 'ENROL' AND grade IN ({q(G1)}) AND age IN ({q(A1)})) AS n1,
          SUM(value) FILTER (WHERE de = 'ENROL' AND grade IN ({q(G2)})) AS e2,
          SUM(value) FILTER (WHERE de = 'ENROL' AND grade IN ({q(G3)})) AS e3,
          SUM(value) FILTER (WHERE de = 'ENROL') AS eall,
          SUM(value) FILTER (WHERE de = 'ENROL' AND grade IN ({q(GALL)})) AS ecls,
          SUM(value) FILTER (WHERE de = 'TEACH') AS teach,
          SUM(value) FILTER (WHERE de = 'CLASSES') AS classes
        FROM facts WHERE de IN ('ENROL', 'TEACH', 'CLASSES') AND period IN (SELECT period FROM ref)
        GROUP BY period, ou_id),
pop AS (SELECT r.period, f.ou_id,
          SUM(f.value) FILTER (WHERE f.age IN ({q(A1)})) AS p1,
          SUM(f.value) FILTER (WHERE f.age IN ({q(A2)})) AS p2,
          SUM(f.value) FILTER (WHERE f.age IN ({q(A3)})) AS p3
        FROM facts f JOIN ref r ON f.period = r.cal WHERE f.de = 'POP' GROUP BY r.period, f.ou_id),
a AS (SELECT vc.period, vc.anc, SUM(e1) AS e1, SUM(n1) AS n1, SUM(e2) AS e2, SUM(e3) AS e3,
        SUM(CASE WHEN eall > 0 THEN teach * e1 / eall END) AS t1, SUM(ecls) AS ecls, SUM(classes) AS classes
      FROM vc JOIN org ON org.period = vc.period AND org.ou_id = vc.des GROUP BY vc.period, vc.anc),
b AS (SELECT vc.period, vc.anc, SUM(p1) AS p1, SUM(p2) AS p2, SUM(p3) AS p3
      FROM vc JOIN pop ON pop.period = vc.period AND pop.ou_id = vc.des GROUP BY vc.period, vc.anc)
SELECT COALESCE(a.period, b.period) AS period, o.code,
       100 * e1 / NULLIF(p1, 0), 100 * n1 / NULLIF(p1, 0), 100 * e2 / NULLIF(p2, 0), 100 * e3 / NULLIF(p3, 0),
       e1 / NULLIF(t1, 0), ecls / NULLIF(classes, 0)
FROM a FULL JOIN b ON a.period = b.period AND a.anc = b.anc
JOIN org_units o ON o.ou_id = COALESCE(a.anc, b.anc)
"""


def sql_rows(rows) -> list[list]:
    out = []
    for period, code, *vals in rows:
        for ind, v in zip(SUBSET, vals, strict=True):
            out.append([ind, period, code, None if v is None else float(v)])
    return out


def phase_duckdb_sql(args) -> dict:
    import duckdb

    sql = subset_sql()
    with duckdb.connect(str(Path(args.data_dir) / "warehouse.duckdb"), read_only=True) as db:
        t_sub, rows = timed(lambda: db.execute(sql).fetchall(), max(5, args.runs // 3))
    return {"subset_s": statistics.median(t_sub), "rows": sql_rows(rows), "maxrss_mb": maxrss_mb()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def phase_postgres(args) -> dict:
    import duckdb
    import psycopg

    if not (PG_BIN / "initdb").exists():
        return {"skipped": "PostgreSQL 15 binaries not found"}
    tmp = Path(tempfile.mkdtemp(prefix="bilim-pg-"))
    data = tmp / "data"
    port = _free_port()
    started = False
    try:
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "bench", "-A", "trust", "-E", "UTF8"])
        opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c work_mem=256MB " \
               f"-c fsync=off -c synchronous_commit=off -c max_parallel_workers_per_gather=4"
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(tmp / "log"), "-o", opts, "-w", "start"])
        started = True
        dsn = f"host=127.0.0.1 port={port} user=bench dbname=postgres"
        wh = str(Path(args.data_dir) / "warehouse.duckdb")
        t = time.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as pg, duckdb.connect(wh, read_only=True) as db:
            pg.execute("CREATE UNLOGGED TABLE facts (de text, period text, ou_id bigint, age text, grade text, "
                       "value double precision)")
            pg.execute("CREATE UNLOGGED TABLE closure (ancestor_id bigint, descendant_id bigint, valid_from date, "
                       "valid_to date)")
            pg.execute("CREATE UNLOGGED TABLE org_units (ou_id bigint, code text, kind text)")
            marks = ", ".join(f"'{d}'" for d in FACT_DES)
            for table, query in (
                ("facts", f"SELECT de, period, ou_id, age, grade, value FROM facts WHERE de IN ({marks})"),
                ("closure", "SELECT ancestor_id, descendant_id, valid_from, valid_to FROM closure"),
                ("org_units", "SELECT ou_id, code, kind FROM org_units"),
            ):
                csv_path = tmp / f"{table}.csv"
                db.execute(f"COPY ({query}) TO '{csv_path}' (HEADER false)")
                with pg.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as cp, \
                        open(csv_path, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        cp.write(chunk)
            pg.execute("CREATE INDEX ON facts (de, period)")
            pg.execute("ANALYZE")
            t_load = time.perf_counter() - t
            sql = subset_sql()
            t_sub, rows = timed(lambda: pg.execute(sql).fetchall(), max(3, args.runs // 6))
        return {"load_s": t_load, "subset_s": statistics.median(t_sub), "rows": sql_rows(rows),
                "maxrss_mb": maxrss_mb(), "note": "server RSS not included"}
    except (subprocess.CalledProcessError, OSError, psycopg.Error) as e:
        detail = getattr(e, "stderr", "") or str(e)
        return {"skipped": f"PostgreSQL unavailable: {detail.strip()[:200]}"}
    finally:
        if started:
            try:
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


PHASES = {"refresh": phase_refresh, "engine": phase_engine, "pandas": phase_pandas, "duckdb-sql": phase_duckdb_sql,
          "postgres": phase_postgres, "scale": phase_scale}


# --------------------------------------------------------------------------- parent


def run_phase(name: str, args, factor: int = 1) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--data-dir", args.data_dir, "--runs", str(args.runs),
           "--factor", str(factor)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"skipped": f"failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else '?'}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def max_rel_diff(a: list[list], b: list[list]) -> tuple[float, int]:
    """Largest relative difference over the cells both have, and how many cells differ in presence."""
    da = {tuple(r[:3]): r[3] for r in a if r[3] is not None}
    db = {tuple(r[:3]): r[3] for r in b if r[3] is not None}
    worst = 0.0
    for k in da.keys() & db.keys():
        x, y = da[k], db[k]
        worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-12))
    return worst, len(da.keys() ^ db.keys())


def ms(s: float) -> str:
    return f"{s * 1000:,.0f} ms" if s < 10 else f"{s:,.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("BILIM_DATA_DIR", "/tmp/bnat"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-refresh", action="store_true", help="Skip the full refresh (it rewrites the warehouse)")
    ap.add_argument("--json", help="write the figures (keys named in docs/benchmarks.md) to this file")
    ap.add_argument("--scale-factor", type=int, nargs="*", default=[], metavar="N",
                    help="also build the cube on the national facts multiplied N times (e.g. 1 4 10), "
                         "DuckDB limited to 2 GB")
    ap.add_argument("--factor", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.data_dir = str(Path(args.data_dir).resolve())
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    print(f"Bilim analytics benchmark — data dir {args.data_dir}, mode {MODE}, runs {args.runs}")
    res = {}
    if not args.no_refresh:
        print("… refresh (full)", flush=True)
        res["refresh"] = run_phase("refresh", args)
    for name in ("engine", "pandas", "duckdb-sql") + (() if args.no_pg else ("postgres",)):
        print(f"… {name}", flush=True)
        res[name] = run_phase(name, args)
    res["scale"] = []
    for factor in args.scale_factor:
        print(f"… scale ×{factor}", flush=True)
        res["scale"].append(run_phase("scale", args, factor))
    report(res, args)
    if args.json:
        Path(args.json).write_text(json.dumps(summary(res), indent=2))
        print(f"\nwrote {args.json}")


def summary(res: dict) -> dict:
    """The figures issue 12 names, flat (milliseconds and seconds as the key says)."""
    e, p, d = res["engine"], res["pandas"], res["duckdb-sql"]
    r = res.get("refresh") or {}
    out = {
        "refresh_full_s": r.get("full_s"),
        "refresh_incremental_s": r.get("incremental_s", [None])[0],
        "refresh_incremental_back_s": (r.get("incremental_s") or [None, None])[-1],
        "refresh_noop_s": r.get("noop_s"),
        "refresh_peak_rss_mb": r.get("maxrss_mb"),
        "cube_rows": r.get("cube_rows"),
        "cube_materialise_s": r.get("cube_s"),
        "dashboard_p95_ms": pct(e["dash"], .95) * 1000,
        "dashboard_computed_p95_ms": pct(e["dash_computed"], .95) * 1000,
        "map_p95_ms": pct(e["map"], .95) * 1000,
        "drilldown_p95_ms": pct(e["dist"], .95) * 1000,
        "catalogue_districts_s": e["districts_s"],
        "catalogue_regions_computed_s": e["all_s"],
        "subset_engine_ms": e["subset_answer_s"] * 1000,
        "subset_compute_ms": e["subset_s"] * 1000,
        "subset_pandas_ms": p["subset_s"] * 1000 if "subset_s" in p else None,
        "subset_duckdb_sql_ms": d["subset_s"] * 1000 if "subset_s" in d else None,
        "scale": res.get("scale", []),
        "load_average": list(os.getloadavg()),
    }
    if out["subset_pandas_ms"]:
        out["answer_vs_pandas"] = out["subset_pandas_ms"] / out["subset_engine_ms"]
    if out["subset_duckdb_sql_ms"]:
        out["compute_vs_duckdb_sql"] = out["subset_compute_ms"] / out["subset_duckdb_sql_ms"]
    return out


def report(res: dict, args) -> None:
    e, p, d, g = res["engine"], res["pandas"], res["duckdb-sql"], res.get("postgres", {"skipped": "--no-pg"})
    r = res.get("refresh")
    print()
    if r and "skipped" not in r:
        print(f"Full refresh: {r['full_s']:.1f} s for {r['fact_rows']:,} facts in {r['partitions']} partitions "
              f"(target ≤ 10 s); no-op refresh {r['noop_s'] * 1000:.0f} ms (changed={r['noop_changed']}); "
              f"peak RSS {r['maxrss_mb']:,.0f} MB")
    elif r:
        print(f"Full refresh: {r['skipped']}")
    if r and "skipped" not in r:
        print(f"  of which the cube: {r['cube_s']:.1f} s, {r['cube_rows']:,} rows; one value changed: "
              f"{r['incremental_s'][0]:.2f} s and back {r['incremental_s'][1]:.2f} s "
              f"({r['incremental_cells']} (indicator, period) cells recomputed; target ≤ 1 s)")
    print(f"Whole catalogue ({e['catalogue']} indicators) × every district × {len(YEARS)} years, from the cube: "
          f"{ms(e['districts_s'])} ({e['districts_cells']:,} cells; target ≤ 2 s)")
    print(f"Whole catalogue × all regions × {len(YEARS)} years computed from the facts: "
          f"{ms(e['all_s'])} historical, {ms(e['all_current_s'])} current ({e['all_cells']:,} cells)")
    for label, key in (("Dashboard: 6 indicators × KZ × 5 years (cube)", "dash"),
                       ("Map: GER_ISCED1 × regions × 1 year (cube)", "map"),
                       ("Drill-down: PTR_ISCED1 × districts × 1 year (cube)", "dist"),
                       ("Dashboard computed from the facts", "dash_computed")):
        t = e[key]
        print(f"{label}: p50 {pct(t, .5) * 1000:.1f} ms, p95 {pct(t, .95) * 1000:.1f} ms over {len(t)} runs "
              f"(target p95 ≤ 50 ms)")
    for x in res.get("scale", []):
        if "skipped" in x:
            print(f"Scale: {x['skipped']}")
            continue
        print(f"Scale ×{x['factor']}: {x['fact_rows']:,} facts, cube built in {x['materialise_s']:.1f} s "
              f"({x['cube_rows']:,} rows, warehouse {x['warehouse_mb']:,.0f} MB), peak RSS {x['peak_rss_mb']:,.0f} MB, "
              f"dashboard lookup p95 {x['query_p95_ms']:.1f} ms (DuckDB memory limit 2 GB)")
    print()
    print(f"Subset ({', '.join(SUBSET)}) × all regions × {len(YEARS)} years, {MODE}:")
    head = f"{'':24}{'Bilim engine':>16}{'pandas':>16}{'PostgreSQL 15':>16}{'DuckDB raw SQL':>16}"
    print(head)
    print("-" * len(head))

    def cell(x, key, fmt=ms):
        if "skipped" in x:
            return "skipped"
        return fmt(x[key]) if key in x else "—"

    print(f"{'load into engine':24}{'(warehouse)':>16}{cell(p, 'load_s'):>16}{cell(g, 'load_s'):>16}"
          f"{'(warehouse)':>16}")
    print(f"{'answer (cube)':24}{ms(e['subset_answer_s']):>16}")
    print(f"{'compute (median)':24}{ms(e['subset_s']):>16}{cell(p, 'subset_s'):>16}{cell(g, 'subset_s'):>16}"
          f"{cell(d, 'subset_s'):>16}")

    def ratio(x):
        return f"{x['subset_s'] / e['subset_s']:.1f}×" if "subset_s" in x else "skipped"

    print(f"{'time ÷ engine':24}{'1.0×':>16}{ratio(p):>16}{ratio(g):>16}{ratio(d):>16}")
    print(f"{'peak RSS (client)':24}{e['maxrss_mb']:>13,.0f} MB{cell(p, 'maxrss_mb', lambda v: f'{v:,.0f} MB'):>16}"
          f"{cell(g, 'maxrss_mb', lambda v: f'{v:,.0f} MB'):>16}{cell(d, 'maxrss_mb', lambda v: f'{v:,.0f} MB'):>16}")

    def agree(x):
        if "rows" not in x:
            return "—"
        worst, extra = max_rel_diff(e["rows"], x["rows"])
        return f"{worst:.0e}/{extra}"

    print(f"{'max rel diff/missing':24}{'—':>16}{agree(p):>16}{agree(g):>16}{agree(d):>16}")
    worst, extra = max_rel_diff(e["rows"], e["answer_rows"])
    print(f"cube answer vs computed: max rel diff {worst:.0e}, {extra} cells differ in presence")
    for name, x in (("pandas", p), ("postgres", g), ("duckdb-sql", d)):
        if "skipped" in x:
            print(f"  {name}: {x['skipped']}")
    print("\nEngine peak RSS includes Django and the whole-catalogue run; pandas loads only the 4 data elements "
          "the subset needs; PostgreSQL's server memory is not in its figure.")


if __name__ == "__main__":
    main()
