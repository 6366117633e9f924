"""Load test: N concurrent users on a Bilim server on 127.0.0.1 mixing dashboards, API reads and data entry.

The users are locust users (`bench/locustfile.py`, run headless by this script); the server is
`bilim serve` on a free port of 127.0.0.1 only. Bounded: --duration at most 600 s, --warmup at most
300 s. With --serve DIR it copies nothing and writes into DIR: point it at a scratch copy of the
national demo, e.g.

    cp -r /tmp/bnat /tmp/bload
    .venv/bin/python bench/load.py --serve /tmp/bload --users 50 --duration 60 --warmup 20

Users have no think time: each sends its next request when the last one is answered, so the figures
measure the server's capacity, not a realistic office. It creates (through the app's services) a
ministry user with a session and an API token, and a district officer whose data entry goes through
POST /api/v1/exchange/import (one value per request, its own schools), then prints throughput,
p50/p95/p99 latency per kind, the slowest paths and the errors, for the sign-ins, the warm-up and
the measured period apart; it exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-123"

SETUP = r"""
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bilim.config.settings")
django.setup()
from bilim.accounts.models import User
from bilim.accounts.services import issue_token
from bilim.registry.models import OrgUnit
from bilim.registry import selectors
import datetime as dt
pw = os.environ["LOAD_PASSWORD"]
m, _ = User.objects.get_or_create(username="load-ministry", defaults={"role": "ministry"})
m.set_password(pw); m.save()
school = OrgUnit.objects.filter(kind="organization", org_type="SCHOOL").order_by("code").first()
district = selectors.ancestors(school, dt.date.today())[0]
while district.kind != "district":
    district = selectors.ancestors(district, dt.date.today())[0]
d, _ = User.objects.get_or_create(username="load-district", defaults={"role": "district"})
d.role, d.scope = "district", district
d.set_password(pw); d.save()
schools = list(selectors.descendants(district, dt.date.today(), kind="organization").values_list("code", flat=True))
regions = list(OrgUnit.objects.filter(kind="region").values_list("code", flat=True))
print(json.dumps({"ministry_token": issue_token(m, "load"), "district_token": issue_token(d, "load"),
                  "schools": schools[:50], "regions": regions, "district": district.code}))
"""

PAGES = ["/", "/registry/", "/compare/", "/equity/", "/projects/", "/control/", "/meetings/", "/competences/"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def report(title: str, rows: list[list], seconds: float) -> list[str]:
    """Print throughput and latency per kind of the recorded requests; return their errors."""
    by_kind: dict[str, list[float]] = {}
    by_path: dict[str, list[float]] = {}
    errors = []
    for kind, name, _start, sec, ok, detail in rows:
        by_kind.setdefault(kind, []).append(sec)
        by_path.setdefault(name, []).append(sec)
        if not ok:
            errors.append(f"{kind}: {detail}")
    everything = [x for v in by_kind.values() for x in v]
    print(f"{title}: {len(rows)} requests in {seconds:.1f} s, throughput {len(rows) / max(seconds, 1e-9):.1f} req/s, "
          f"errors {len(errors)}")
    print(f"{'kind':<12}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for kind, lat in sorted(by_kind.items()) + [("all", everything)]:
        print(f"{kind:<12}{len(lat):>7}{pct(lat, 50) * 1000:>10.0f}{pct(lat, 95) * 1000:>10.0f}"
              f"{pct(lat, 99) * 1000:>10.0f}{statistics.fmean(lat) * 1000 if lat else 0:>10.0f}")
    print("slowest paths (n, p50 ms, p95 ms):")
    for path, lat in sorted(by_path.items(), key=lambda kv: -pct(kv[1], 95))[:8]:
        print(f"  {path:<60}{len(lat):>6}{pct(lat, 50) * 1000:>10.0f}{pct(lat, 95) * 1000:>10.0f}")
    return errors


def serve(data_dir: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"BILIM_DATA_DIR": data_dir}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/bilim"), "serve", "--addr", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(Path(data_dir) / "load-server.log", "w"))
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {data_dir}/load-server.log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read()
            return proc
        except Exception:  # noqa: BLE001
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", metavar="DATA_DIR", required=True,
                    help="BILIM_DATA_DIR of a scratch copy to serve (it is written to)")
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds measured (bounded: at most 600)")
    ap.add_argument("--warmup", type=float, default=0.0,
                    help="seconds before them whose requests are reported apart (cold caches), default 0")
    ap.add_argument("--mix", default="0.4,0.4,0.2", help="dashboards,api reads,data entry fractions")
    args = ap.parse_args()
    duration, warmup = min(args.duration, 600.0), min(max(args.warmup, 0.0), 300.0)

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "BILIM_DATA_DIR": args.serve, "LOAD_PASSWORD": PASSWORD}
    ctx = json.loads(subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout.strip().splitlines()[-1])
    if not args.port:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            args.port = sock.getsockname()[1]
    proc = serve(args.serve, args.port)
    base = f"http://127.0.0.1:{args.port}"  # loopback only
    record = Path(args.serve) / "load-record.json"
    try:
        started = time.time()
        locust = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{int(duration + warmup)}s",
             "--host", base, "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"],
            env=env | {"LOAD_CONTEXT": json.dumps(ctx), "LOAD_MIX": args.mix, "LOAD_RECORD": str(record)},
            cwd=ROOT, capture_output=True, text=True, timeout=duration + warmup + 300)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if not record.exists():
        raise SystemExit(f"locust wrote no record (exit {locust.returncode}):\n{locust.stderr[-3000:]}")
    rows = json.loads(record.read_text())
    started = min((r[2] for r in rows), default=started)  # the first request (locust's start-up excluded)
    cut = started + warmup
    cold = [r for r in rows if r[0] != "login" and r[2] < cut]
    logins = [r for r in rows if r[0] == "login"]
    measured = [r for r in rows if r[0] != "login" and r[2] >= cut]
    errors = report("sign-in (form GET and POST per user)", logins, max(1e-9, max((r[2] + r[3] for r in logins),
                                                                                   default=started) - started))
    if warmup:
        errors += report(f"warm-up ({warmup:.0f} s, caches cold)", cold, warmup)
    # the measured window: from the end of the warm-up to the last answer (locust's start-up excluded)
    window = max((r[2] + r[3] for r in measured), default=cut) - cut
    errors += report(f"measured ({args.users} users, after the warm-up)", measured, window)
    for e in errors[:10]:
        print("error:", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
