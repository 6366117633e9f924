"""Load test: N concurrent users on a Bilim server on 127.0.0.1 mixing dashboards, API reads and data entry.

Bounded by --duration and --max-requests; loopback only (refuses any other host). With --serve DIR it
copies nothing and writes into DIR: point it at a scratch copy of the national demo, e.g.

    cp -r /tmp/bnat /tmp/bload
    .venv/bin/python bench/load.py --serve /tmp/bload --users 50 --duration 60 --warmup 20

Users have no think time: each sends its next request when the last one is answered, so the
figures measure the server's capacity, not a realistic office. It creates (through the app's services) a ministry user with a session and an API token, and a
district officer whose data entry goes through POST /api/v1/exchange/import (one value per request,
its own school), then prints throughput, p50/p95/p99 latency per kind and the error count.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
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


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.count = 0
        self.by_path: dict[str, list[float]] = {}

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "", path: str = "") -> None:
        with self.lock:
            self.count += 1
            self.lat.setdefault(kind, []).append(seconds)
            if path:
                self.by_path.setdefault(path.split("?")[0] if kind != "dashboard" else path, []).append(seconds)
            if not ok:
                self.errors.append(f"{kind}: {detail}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class User:
    def __init__(self, base: str, ctx: dict, rng: random.Random):
        self.base, self.ctx, self.rng = base, ctx, rng
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def call(self, method: str, path: str, data: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def login(self) -> None:
        self.call("GET", "/accounts/login/")
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({"username": "load-ministry", "password": PASSWORD,
                                       "csrfmiddlewaretoken": token}).encode()
        status, _ = self.call("POST", "/accounts/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                                 "Referer": self.base + "/accounts/login/"})
        if not any(c.name == "sessionid" for c in self.jar):
            raise SystemExit(f"login failed ({status}): {_[:3000]!r}")

    def api_read(self) -> tuple[str, str, dict]:
        ctx, r = self.ctx, self.rng
        path = r.choice([
            f"/api/v1/orgunits?parent={r.choice(ctx['regions'])}&limit=50",
            f"/api/v1/orgunits/{r.choice(ctx['schools'])}",
            f"/api/v1/analytics?dx=GER_ISCED1;PTR_ISCED1&ou={r.choice(ctx['regions'])}",
            "/api/v1/analytics?dx=GER_ISCED1&ou=KZ",
            "/api/v1/governance/instructions",
            "/api/v1/projects/dashboard",
            "/api/v1/audit/records?limit=20",
        ])
        return "GET", path, {"Authorization": f"Bearer {ctx['ministry_token']}"}

    def data_entry(self) -> tuple[str, str, dict, bytes]:
        school = self.rng.choice(self.ctx["schools"])
        value = self.rng.randint(1, 40)
        csv = f"dataElement,period,orgUnit,value\nCLASSES,2024S,{school},{value}\n".encode()
        boundary = "bilimload" + str(self.rng.randint(0, 10**9))
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode() + csv + f"\r\n--{boundary}--\r\n".encode()
        return "POST", "/api/v1/exchange/import", {
            "Authorization": f"Bearer {self.ctx['district_token']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def worker(user: User, stats: Stats, stop_at: float, budget: list[int], lock: threading.Lock, mix: tuple,
           cold: Stats | None = None, warm_from: float = 0.0):
    try:
        user.login()
    except BaseException as e:  # noqa: BLE001 - a user that cannot sign in is an error of the run
        stats.add("login", 0.0, False, str(e)[:300])
        return
    while time.monotonic() < stop_at:
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        roll = user.rng.random()
        data = None
        if roll < mix[0]:
            kind, method, path, headers = "dashboard", "GET", user.rng.choice(PAGES), {}
        elif roll < mix[0] + mix[1]:
            kind = "api_read"
            method, path, headers = user.api_read()
        else:
            kind = "data_entry"
            method, path, headers, data = user.data_entry()
        into = cold if cold is not None and time.monotonic() < warm_from else stats
        t = time.perf_counter()
        try:
            status, body = user.call(method, path, data, headers)
        except Exception as e:  # noqa: BLE001 - a transport error is an error of the run
            into.add(kind, time.perf_counter() - t, False, f"{path}: {e}")
            continue
        into.add(kind, time.perf_counter() - t, status < 400, f"{method} {path}: {status} {body[:200]!r}",
                 path=f"{method} {path}")


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
    ap.add_argument("--duration", type=float, default=60.0, help="seconds (bounded: at most 600)")
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--mix", default="0.4,0.4,0.2", help="dashboards,api reads,data entry fractions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=float, default=0.0,
                    help="seconds at the start whose requests are reported apart (cold caches), default 0")
    args = ap.parse_args()
    duration = min(args.duration, 600.0)
    mix = tuple(float(x) for x in args.mix.split(","))

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
    base = f"http://127.0.0.1:{args.port}"
    stats, lock, budget = Stats(), threading.Lock(), [args.max_requests]
    cold = Stats() if args.warmup > 0 else None
    try:
        started = time.monotonic()
        stop_at = started + duration + args.warmup
        threads = [threading.Thread(target=worker, args=(User(base, ctx, random.Random(args.seed + i)), stats,
                                                         stop_at, budget, lock, mix, cold, started + args.warmup),
                                    daemon=True)
                   for i in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=duration + 180)
        elapsed = time.monotonic() - started - args.warmup
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    if cold is not None:
        cold_lat = [x for v in cold.lat.values() for x in v]
        print(f"warm-up ({args.warmup:.0f} s, caches cold; not in the figures below): {cold.count} requests, "
              f"p50 {pct(cold_lat, 50) * 1000:.0f} ms, p95 {pct(cold_lat, 95) * 1000:.0f} ms, "
              f"errors {len(cold.errors)}")
    all_lat = [x for v in stats.lat.values() for x in v]
    print(f"users {args.users}, {elapsed:.1f} s, {stats.count} requests, throughput {stats.count / elapsed:.1f} req/s, "
          f"errors {len(stats.errors)}")
    print(f"{'kind':<12}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for kind, lat in sorted(stats.lat.items()) + [("all", all_lat)]:
        print(f"{kind:<12}{len(lat):>7}{pct(lat, 50) * 1000:>10.0f}{pct(lat, 95) * 1000:>10.0f}"
              f"{pct(lat, 99) * 1000:>10.0f}{statistics.fmean(lat) * 1000 if lat else 0:>10.0f}")
    print("slowest paths (p95):")
    for path, lat in sorted(stats.by_path.items(), key=lambda kv: -pct(kv[1], 95))[:8]:
        print(f"  {path:<52}{len(lat):>6}{pct(lat, 50) * 1000:>10.0f}{pct(lat, 95) * 1000:>10.0f}")
    for e in stats.errors[:10]:
        print("error:", e)
    for e in (cold.errors if cold is not None else [])[:10]:
        print("error (warm-up):", e)
    sys.exit(1 if stats.errors or (cold is not None and cold.errors) else 0)


if __name__ == "__main__":
    main()
