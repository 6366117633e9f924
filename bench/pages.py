"""Server time of the analytics pages on the national demo, through the Django test client.

    .venv/bin/python bench/pages.py [--data-dir /tmp/bnat] [--runs 30] [--json FILE]

Measures the analytics pages (overview, comparison in both modes, equity, the profiles of the
republic, a region, a district and a school, an instruction, completeness) and two API calls, each
--runs times after one cold request: once as users see it (the query service memoises what the cube
does not hold, per warehouse snapshot) and once with that memo cleared before every request (the
cost of a first visit after a refresh; aggregate figures then come from the materialised cube).
``--json FILE`` writes ``p95_nocache_ms`` (and ``p95_ms``, ``p50_nocache_ms``) keyed by page. A superuser is created for the run and deleted at the end. Server time = the test client's request time (no network,
no browser rendering).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGES = [
    ("overview", "/overview/"),
    ("compare", "/compare/"),
    ("compare historical", "/compare/?ind=GER_ISCED1&ind=PTR_ISCED1&ind=EXP_PER_PUPIL&mode=historical"),
    ("equity", "/equity/"),
    ("profile KZ", "/ou/KZ/"),
    ("profile region", "/ou/{region}/"),
    ("profile district", "/ou/{district}/"),
    ("profile school", "/ou/{school}/"),
    ("instruction", "/instructions/{instruction}/"),
    ("completeness", "/collection/completeness/SCHOOL_CENSUS/{period}/"),
    ("API analytics: 6 ind × KZ × 5 years",
     "/api/v1/analytics?dx=GER_ISCED1;NER_ISCED1;GER_ISCED2;PTR_ISCED1;CLASS_SIZE;TRAINED_PCT"
     "&pe=2020S;2021S;2022S;2023S;2024S&ou=KZ&mode=historical"),
    ("API analytics: GER × regions × 2024S", "/api/v1/analytics?dx=GER_ISCED1&pe=2024S&ou=LEVEL-region"),
]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("BILIM_DATA_DIR", "/tmp/bnat"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()
    os.environ["BILIM_DATA_DIR"] = str(Path(args.data_dir).resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bilim.config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bilim.accounts.models import User
    from bilim.analytics import service
    from bilim.governance.models import Instruction
    from bilim.registry.models import OrgUnit

    def first(kind: str, **kw) -> str:
        return OrgUnit.objects.filter(kind=kind, closed__isnull=True, **kw).order_by("code").values_list(
            "code", flat=True).first()

    names = {"region": "KZ-75", "district": first("district", code__startswith="KZ-75"),
             "school": first("organization", org_type="SCHOOL", code__startswith="75") or first(
                 "organization", org_type="SCHOOL"),
             "instruction": Instruction.objects.order_by("code").values_list("code", flat=True).first(),
             "period": service.latest_school_year()}
    figures: dict[str, dict[str, float]] = {"p95_nocache_ms": {}, "p50_nocache_ms": {}, "p95_ms": {}, "status": {}}

    setup_test_environment()  # ALLOWED_HOSTS for the test client
    print(f"Pages benchmark — data dir {args.data_dir}, {args.runs} requests each (after 1 cold request)")
    head = f"{'':42}{'status':>7}{'cold':>10}{'p50':>10}{'p95':>10}{'p50 nocache':>13}{'p95 nocache':>13}"
    print(head)
    print("-" * len(head))
    # no transaction held around the requests: SQLite takes its write lock at BEGIN (IMMEDIATE), and a
    # page that writes from another connection would wait for it; the user is deleted at the end
    User.objects.filter(username="bench-pages").delete()
    user = User.objects.create_superuser("bench-pages", "bench@example.org", "x", role="admin")
    try:
        client = Client()
        client.force_login(user)
        for label, template in PAGES:
            url = template.format(**names)
            service._cache.clear()
            t = time.perf_counter()
            r = client.get(url)
            cold = time.perf_counter() - t
            warm, nocache = [], []
            for _ in range(args.runs):
                t = time.perf_counter()
                client.get(url)
                warm.append(time.perf_counter() - t)
            for _ in range(args.runs):
                service._cache.clear()
                t = time.perf_counter()
                client.get(url)
                nocache.append(time.perf_counter() - t)
            print(f"{label:42}{r.status_code:>7}{cold * 1000:>8.0f}ms{pct(warm, .5) * 1000:>8.0f}ms"
                  f"{pct(warm, .95) * 1000:>8.0f}ms{pct(nocache, .5) * 1000:>11.0f}ms{pct(nocache, .95) * 1000:>11.0f}ms")
            figures["p95_nocache_ms"][label] = round(pct(nocache, .95) * 1000, 1)
            figures["p50_nocache_ms"][label] = round(pct(nocache, .5) * 1000, 1)
            figures["p95_ms"][label] = round(pct(warm, .95) * 1000, 1)
            figures["status"][label] = r.status_code
    finally:
        user.delete()
    figures["load_average"] = list(os.getloadavg())
    figures["runs"] = args.runs
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
