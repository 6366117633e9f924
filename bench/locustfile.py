"""The users of `bench/load.py`: locust users on a Bilim server on 127.0.0.1.

Each signs in through the login form (session and CSRF as a browser), then, with no think time,
picks by `LOAD_MIX` (dashboards, API reads, data entry): a page, an API read with the ministry token,
or one value typed in through `POST /api/v1/exchange/import` with the district token. The context
(tokens, codes) comes from `LOAD_CONTEXT` (JSON); every request is also written to `LOAD_RECORD`
(kind, name, start, seconds, ok, detail) so that load.py can set the warm-up apart.
"""

from __future__ import annotations

import json
import os
import random
import time

from locust import HttpUser, constant, events, task

CTX = json.loads(os.environ.get("LOAD_CONTEXT", "{}"))
MIX = tuple(float(x) for x in os.environ.get("LOAD_MIX", "0.4,0.4,0.2").split(","))
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
PAGES = ["/", "/registry/", "/compare/", "/equity/", "/projects/", "/control/", "/meetings/", "/competences/"]
RECORD: list[tuple] = []


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, context=None, exception=None,
            start_time=None, **_kw):
    kind = (context or {}).get("kind", "other")
    detail = "" if exception is None else f"{request_type} {name}: {str(exception)[:300]}"
    RECORD.append((kind, f"{request_type} {name}", start_time or time.time(), response_time / 1000,
                   exception is None, detail))


@events.quitting.add_listener
def _save(environment, **_kw):
    path = os.environ.get("LOAD_RECORD")
    if path:
        with open(path, "w") as f:
            json.dump(RECORD, f)


class BilimUser(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.client.get("/accounts/login/", name="/accounts/login/", context={"kind": "login"})
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post("/accounts/login/", data={"username": "load-ministry", "password": PASSWORD,
                                                        "csrfmiddlewaretoken": token},
                              headers={"Referer": self.host + "/accounts/login/"}, name="/accounts/login/ POST",
                              context={"kind": "login"}, catch_response=True) as r:
            if "sessionid" not in self.client.cookies:
                r.failure(f"login failed ({r.status_code})")

    @task
    def one(self) -> None:
        roll = self.rng.random()
        if roll < MIX[0]:
            path = self.rng.choice(PAGES)
            self.client.get(path, name=path, context={"kind": "dashboard"})
        elif roll < MIX[0] + MIX[1]:
            path = self.rng.choice([
                f"/api/v1/orgunits?parent={self.rng.choice(CTX['regions'])}&limit=50",
                f"/api/v1/orgunits/{self.rng.choice(CTX['schools'])}",
                f"/api/v1/analytics?dx=GER_ISCED1;PTR_ISCED1&ou={self.rng.choice(CTX['regions'])}",
                "/api/v1/analytics?dx=GER_ISCED1&ou=KZ",
                "/api/v1/governance/instructions",
                "/api/v1/projects/dashboard",
                "/api/v1/audit/records?limit=20",
            ])
            name = "/api/v1/orgunits/{code}" if path.startswith("/api/v1/orgunits/") else path
            self.client.get(path, name=name,
                            headers={"Authorization": f"Bearer {CTX['ministry_token']}"},
                            context={"kind": "api_read"})
        else:
            school = self.rng.choice(CTX["schools"])
            csv = f"dataElement,period,orgUnit,value\nCLASSES,2024S,{school},{self.rng.randint(1, 40)}\n"
            self.client.post("/api/v1/exchange/import", files={"file": ("v.csv", csv, "text/csv")},
                             headers={"Authorization": f"Bearer {CTX['district_token']}"},
                             name="POST /api/v1/exchange/import", context={"kind": "data_entry"})
