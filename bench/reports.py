"""Time of the PDF reports (issue 14: each report <= 2 s, all region passports in one batch <= 60 s).

    .venv/bin/python bench/reports.py [--data-dir DIR] [--scale small|national] [--runs 3] [--json FILE]

Builds the demo into DIR when it holds no data (`bilim demo --scale SCALE` + `analytics refresh`), then
for each report kind times, in one process as `bilim report` runs: the first (cold) report and the
median of --runs more, split into the context (analytics and registry queries) and the typesetting
(WeasyPrint); then every region's passport in one batch, as `bilim report passport all-regions`.

Baseline in the same run: the passport's own HTML printed to PDF by Debian's Chromium (`--print-to-pdf`,
a new headless browser per report, which is what a "print the page" renderer costs), when chromium is
installed. Results are printed and written as JSON (default bench/results/reports.json), with the load
average beside them: the machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_EACH_S = 2.0
TARGET_BATCH_S = 60.0


def _bilim(data_dir: Path, *args: str) -> None:
    env = os.environ | {"BILIM_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "bilim.cli", *args], cwd=ROOT, env=env, check=True)


def _ensure_demo(data_dir: Path, scale: str) -> None:
    if (data_dir / "bilim.sqlite3").exists() and (data_dir / "warehouse.duckdb").exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    print(f"building the {scale} demo in {data_dir} …", flush=True)
    _bilim(data_dir, "migrate", "--noinput", "-v0")
    _bilim(data_dir, "demo", "--scale", scale, "--if-empty")
    _bilim(data_dir, "analytics", "refresh")


def _subjects() -> dict[str, str]:
    """One subject per kind, as a ministry would print them: the largest region, its first district..."""
    import datetime as dt

    from bilim.governance.models import Meeting
    from bilim.registry import selectors
    from bilim.registry.models import Kind

    today = dt.date.today()
    republic = selectors.republic_code()
    regions = list(selectors.units_on(today, Kind.REGION).order_by("code"))
    region = next((r.code for r in regions if r.code.endswith("-75")), regions[0].code)
    meeting = Meeting.objects.order_by("-date").values_list("code", flat=True).first()
    out = {"passport": region, "comparison": "GER_ISCED1", "equity": region, "control": republic,
           "projects": region}
    if meeting:
        out["protocol"] = meeting
    return out


def _chromium_print(html: str, workdir: Path) -> float | None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        return None
    src, out = workdir / "page.html", workdir / "page.pdf"
    src.write_text(html, encoding="utf-8")
    t = time.perf_counter()
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", src.as_uri()], check=True, capture_output=True, timeout=120)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("BILIM_DATA_DIR", "/tmp/bnat"))
    ap.add_argument("--scale", default="national", choices=["small", "national"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lang", default="kk", choices=["kk", "ru", "en"])
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "reports.json"))
    args = ap.parse_args()
    data_dir = Path(args.data_dir).resolve()
    _ensure_demo(data_dir, args.scale)
    os.environ["BILIM_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bilim.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime as dt

    from bilim.registry import selectors
    from bilim.registry.models import Kind
    from bilim.reports import kinds, render

    load_before = os.getloadavg()
    print(f"Reports benchmark — data dir {data_dir}, lang {args.lang}, {args.runs} warm runs, "
          f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"{'kind':12}{'subject':>16}{'cold s':>9}{'context s':>11}{'typeset s':>11}{'total s':>9}"
          f"{'pages':>7}{'target':>8}")
    results: dict = {"data_dir": str(data_dir), "lang": args.lang, "runs": args.runs,
                     "load_average_before": load_before, "kinds": {}, "targets": {
                         "each_s": TARGET_EACH_S, "batch_s": TARGET_BATCH_S}}
    import io

    from pypdf import PdfReader

    passport_html = ""
    for kind, code in _subjects().items():
        req = kinds.Request(kind, code, lang=args.lang)
        t = time.perf_counter()
        render.pdf(req)
        cold = time.perf_counter() - t
        ctx_times, typeset_times, totals = [], [], []
        pages = 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            html = render.html(req)
            t1 = time.perf_counter()
            import weasyprint

            data = weasyprint.HTML(string=html).write_pdf()
            t2 = time.perf_counter()
            ctx_times.append(t1 - t0)
            typeset_times.append(t2 - t1)
            totals.append(t2 - t0)
            pages = len(PdfReader(io.BytesIO(data)).pages)
            if kind == "passport":
                passport_html = html
        row = {"subject": code, "cold_s": round(cold, 3), "context_s": round(statistics.median(ctx_times), 3),
               "typeset_s": round(statistics.median(typeset_times), 3),
               "total_s": round(statistics.median(totals), 3), "pages": pages,
               "ok": max(cold, statistics.median(totals)) <= TARGET_EACH_S}
        results["kinds"][kind] = row
        print(f"{kind:12}{code:>16}{row['cold_s']:>9.2f}{row['context_s']:>11.2f}{row['typeset_s']:>11.2f}"
              f"{row['total_s']:>9.2f}{pages:>7}{'ok' if row['ok'] else 'OVER':>8}", flush=True)

    regions = [u.code for u in selectors.units_on(dt.date.today(), Kind.REGION).order_by("code")]
    t = time.perf_counter()
    for _req, _data in render.many(kinds.Request("passport", c, lang=args.lang) for c in regions):
        pass
    batch = time.perf_counter() - t
    results["batch"] = {"reports": len(regions), "seconds": round(batch, 2),
                        "per_report_s": round(batch / max(len(regions), 1), 3), "ok": batch <= TARGET_BATCH_S}
    print(f"\nall {len(regions)} region passports in one batch: {batch:.1f} s "
          f"({batch / max(len(regions), 1):.2f} s each; target {TARGET_BATCH_S:.0f} s: "
          f"{'ok' if batch <= TARGET_BATCH_S else 'OVER'})")

    with tempfile.TemporaryDirectory() as tmp:
        chrome = _chromium_print(passport_html, Path(tmp)) if passport_html else None
    weasy = results["kinds"].get("passport", {}).get("typeset_s")
    results["baseline"] = {"renderer": "chromium --print-to-pdf of the same HTML",
                           "seconds": round(chrome, 3) if chrome is not None else None}
    if chrome is not None and weasy:
        print(f"baseline: Chromium prints the same passport HTML in {chrome:.2f} s; WeasyPrint typesets it in "
              f"{weasy:.2f} s ({chrome / weasy:.1f}× faster)")
    load_after = os.getloadavg()
    results["load_average_after"] = load_after
    print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"written {out}")


if __name__ == "__main__":
    main()
