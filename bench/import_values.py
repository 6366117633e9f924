"""Benchmark: import a million data values through `bilim.exchange.services.import_file`.

Builds a small demo-like registry (republic, regions, districts, their education offices, schools)
in a scratch BILIM_DATA_DIR, writes a 1,000,000-row ENROL CSV (250 SEX x GRADE x AGE cells per
school), and times:

  fresh     every value new (1,000,000 creates + 1,000,000 audit rows)
  unchanged the same file again (nothing written)
  updated   every value changed (1,000,000 updates + audit rows with old and new values)
  dry-run   the updated file checked and counted, nothing written
  bad row   data row 999,999 is bad: the import must write nothing (checked) and name line 1,000,000

Usage:  .venv/bin/python bench/import_values.py [--rows N] [--data-dir DIR] [--keep]
Target: each import of 1,000,000 values in <= 10 s on a 2-core machine (SQLite under var/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(data_dir: Path) -> None:
    os.environ["BILIM_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bilim.config.settings")
    import django

    django.setup()
    import pandas  # noqa: F401 - imported lazily by pyarrow; load it before the clock starts
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def build_registry(n_schools: int) -> list[str]:
    import datetime as dt

    from bilim.registry.models import LegalAct, OrgUnit
    from bilim.registry.services import UnitSpec, bulk_register

    codes = [f"B{i:011d}" for i in range(n_schools)]
    if OrgUnit.objects.filter(code=codes[-1]).exists():
        return codes
    act = LegalAct.objects.create(kind="other", date=dt.date(2000, 1, 1), issuer="bench", title_en="Bench registry")
    kz = OrgUnit(code="KZ", kind="republic", name_kk="Қазақстан")
    specs = [UnitSpec("KZ", "republic", "Қазақстан", name_en="Kazakhstan")]
    regions = [OrgUnit(code=f"KZ-R{r}", kind="region") for r in range(4)]
    specs += [UnitSpec(u.code, "region", f"Облыс {r}", parent=kz) for r, u in enumerate(regions)]
    districts, offices = [], []
    for d in range(40):
        dist = OrgUnit(code=f"KZ-R{d % 4}-D{d:02d}", kind="district")
        office = OrgUnit(code=f"{dist.code}-EDU", kind="authority")
        districts.append(dist)
        offices.append(office)
        specs.append(UnitSpec(dist.code, "district", f"Аудан {d}", parent=regions[d % 4]))
        specs.append(UnitSpec(office.code, "authority", f"Білім бөлімі {d}", parent=dist,
                              attrs={"subtype": "DISTRICT_OFFICE"}))
    for i, code in enumerate(codes):
        specs.append(UnitSpec(code, "organization", f"Мектеп {i}", parent=districts[i % 40],
                              governing_body=offices[i % 40],
                              attrs={"org_type": "SCHOOL", "area": "RURAL" if i % 3 else "URBAN"}))
    bulk_register(specs, dt.date(2000, 1, 1), act, actor="bench")
    return codes


def combos() -> list[tuple[str, str, str]]:
    out = [(s, f"G{g:02d}", f"A{a:02d}") for g in range(1, 12) for a in range(5, 17) for s in ("F", "M")]
    return out[:250]


def write_csv(path: Path, codes: list[str], n_rows: int, bump: int = 0, bad_row: int | None = None) -> None:
    cells = combos()
    lines = ["dataElement,period,orgUnit,value,SEX,GRADE,AGE\n"]
    i = 0
    for code in codes:
        for s, g, a in cells:
            i += 1
            value = "x12" if i == bad_row else str((i * 7919) % 60 + bump)
            lines.append(f"ENROL,2024S,{code},{value},{s},{g},{a}\n")
            if i >= n_rows:
                break
        if i >= n_rows:
            break
    path.write_text("".join(lines))


def db_fingerprint() -> tuple:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*), COALESCE(SUM(value), 0), COALESCE(MAX(version), 0), COALESCE(SUM(version), 0) "
                    "FROM collection_datavalue")
        values = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM collection_datavalueaudit")
        audits = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM audit_auditrecord")
        chain = cur.fetchone()
    return (*values, *audits, *chain)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--data-dir", default=None, help="Use this BILIM_DATA_DIR (default: a new scratch directory)")
    ap.add_argument("--keep", action="store_true", help="Keep the scratch directory")
    args = ap.parse_args()
    scratch = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bilim-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    setup(scratch)
    from bilim.collection.models import DataValue
    from bilim.exchange.services import import_file

    n = args.rows
    n_schools = -(-n // 250)
    t = time.perf_counter()
    codes = build_registry(n_schools)
    print(f"registry: {n_schools} schools in {time.perf_counter() - t:.1f} s; data dir {scratch}")
    if DataValue.objects.filter(data_element__code="ENROL", period="2024S").exists():
        DataValue.objects.filter(data_element__code="ENROL", period="2024S").delete()
    files = {}
    t = time.perf_counter()
    for name, bump, bad in (("fresh", 0, None), ("updated", 1, None), ("bad", 1, n - 1)):
        files[name] = scratch / f"values-{name}.csv"
        write_csv(files[name], codes, n, bump, bad)
    print(f"files: 3 x {n:,} rows ({files['fresh'].stat().st_size / 1e6:.0f} MB each) in "
          f"{time.perf_counter() - t:.1f} s")

    results = []

    def checkpoint() -> float:
        from django.db import connection

        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)" if connection.vendor == "sqlite" else "CHECKPOINT")
        return time.perf_counter() - t0

    def run(label: str, path: Path, **kw) -> None:
        checkpoint()
        before = db_fingerprint()
        t0 = time.perf_counter()
        r = import_file(path, actor="bench", **kw)
        secs = time.perf_counter() - t0
        ckpt = checkpoint()  # folding the WAL back into the database file (deferred by the import)
        after = db_fingerprint()
        results.append((label, r, secs, ckpt, before == after))

    run("fresh", files["fresh"])
    run("unchanged", files["fresh"])
    run("updated", files["updated"])
    run("dry-run", files["fresh"], dry_run=True)
    run("bad row", files["bad"])

    print()
    print(f"{'scenario':<10} {'rows':>10} {'import s':>8} {'+ckpt s':>8} {'rows/s':>10} {'created':>9} "
          f"{'updated':>9} {'unchanged':>9} {'errors':>6}  db untouched")
    for label, r, secs, ckpt, same in results:
        print(f"{label:<10} {r.rows:>10,} {secs:>8.2f} {ckpt:>8.2f} {r.rows / secs:>10,.0f} {r.created:>9,} "
              f"{r.updated:>9,} {r.unchanged:>9,} {len(r.errors):>6}  {'yes' if same else 'no'}")
    print("\nimport s: import_file() wall time, reading the file to commit (the data is committed and visible).\n"
          "+ckpt s: the SQLite WAL checkpoint the import defers (paid by the next writer or at connection close).\n"
          "db untouched: values, value audit rows and audit chain identical before and after.")
    bad = results[-1][1]
    print()
    print("bad-row file:", "; ".join(str(e) for e in bad.errors[:3]))
    ok = (results[-1][4] and len(bad.errors) == 1 and bad.errors[0].line == n
          and results[0][1].created == n and results[2][1].updated == n and results[3][4])
    if not args.keep and not args.data_dir:
        shutil.rmtree(scratch, ignore_errors=True)
    if not ok:
        print("CHECK FAILED")
        sys.exit(1)


if __name__ == "__main__":
    main()
