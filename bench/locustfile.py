"""Load test of the main pages and API lists on the demo network, as a mix of roles (locust, headless).

Run by ``bench/bench_load.py``, which loads the demo network, makes API tokens and starts the server; alone:

    BENCH_TOKENS='{"email": "token", ...}' .venv/bin/locust -f bench/locustfile.py --headless \
        -H http://127.0.0.1:8000 -u 50 -r 10 -t 60s

Each simulated person signs in once through the real form (CSRF token from the page), then browses: home, cycles,
the open cycle, evidence list, an item, the codebook, assessments, reviews, the tracking board (the secretariat), and
the API lists with their personal token. Bounded: 127.0.0.1 only, and at most ``BENCH_MAX_REQUESTS`` requests
(default 100,000) whatever the time.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import ClassVar
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

PASSWORD = "demo-safer-cities"
DEMO = "demo.safercities.example"
CYCLE_NAME = "2026 round"
CITIES = ["amanzi-bay", "kisaru", "nouvelle-sahel", "san-aurelio", "villa-esperanza", "puerto-claro", "eastmere",
          "valmont-sur-loire", "castellar", "port-mirasol", "tanjung-harapan", "maple-falls"]
COORDINATORS = [f"coordinator.{slug}@{DEMO}" for slug in CITIES]
FACILITATORS = [f"facilitator@{DEMO}", f"facilitator2@{DEMO}"]
SECRETARIAT = [f"secretariat@{DEMO}"]
TOKENS: dict[str, str] = json.loads(os.environ.get("BENCH_TOKENS", "{}"))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "100000"))
_seen = {"requests": 0}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@events.test_start.add_listener
def _only_localhost(environment, **_kw):
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"bench/locustfile.py runs against 127.0.0.1 only, not {environment.host!r}")


@events.request.add_listener
def _bounded(**_kw):
    _seen["requests"] += 1
    if _seen["requests"] == MAX_REQUESTS:
        import gevent
        runner = _bounded.environment.runner  # set in _init below
        gevent.spawn(runner.quit)


@events.init.add_listener
def _init(environment, **_kw):
    _bounded.environment = environment


class DemoPerson(HttpUser):
    abstract = True
    wait_time = between(float(os.environ.get("BENCH_WAIT_MIN", "0.5")), float(os.environ.get("BENCH_WAIT_MAX", "2")))
    accounts: ClassVar[list[str]] = []
    staff = False  # the secretariat: the tracking board
    codings = False  # facilitators and the secretariat: the codings API
    _counter = itertools.count()

    def on_start(self):
        self.email = self.accounts[next(self._counter) % len(self.accounts)]
        self.cycle_id = None
        self.item_ids: list[int] = []
        form = self.client.get("/login", name="sign in (form)")
        match = CSRF.search(form.text or "")
        with self.client.post("/login", name="sign in", catch_response=True, allow_redirects=False,
                              data={"csrf_token": match.group(1) if match else "", "email": self.email,
                                    "password": PASSWORD}) as response:
            if response.status_code not in (302, 303):
                response.failure(f"sign-in as {self.email} answered {response.status_code}")
        token = TOKENS.get(self.email)
        self.api_headers = {"Authorization": f"Bearer {token}"} if token else None
        if self.api_headers:
            cycles = self.client.get("/api/v1/cycles", name="/api/v1/cycles", headers=self.api_headers)
            if cycles.ok:
                found = [c["id"] for c in cycles.json().get("items", []) if c.get("name") == CYCLE_NAME]
                self.cycle_id = found[0] if found else None
            items = self.client.get("/api/v1/evidence?per_page=50", name="/api/v1/evidence",
                                    headers=self.api_headers)
            if items.ok:
                self.item_ids = [i["id"] for i in items.json().get("items", [])]
        if self.cycle_id is None:
            self.cycle_id = int(os.environ.get("BENCH_CYCLE_ID", "0")) or None

    # --- pages ----------------------------------------------------------------------------------------------
    @task(3)
    def home(self):
        self.client.get("/", name="home")

    @task(2)
    def cycles(self):
        self.client.get("/cycles/", name="cycles")

    @task(2)
    def cycle(self):
        if self.cycle_id:
            self.client.get(f"/cycles/{self.cycle_id}", name="cycle page")

    @task(3)
    def evidence_list(self):
        self.client.get("/evidence/", name="evidence list")

    @task(3)
    def evidence_item(self):
        if self.item_ids:
            self.client.get(f"/evidence/{random.choice(self.item_ids)}", name="evidence item")

    @task(2)
    def codebook(self):
        self.client.get("/coding/codes/", name="codebook")

    @task(2)
    def assessments(self):
        self.client.get("/assessments/", name="assessments")

    @task(2)
    def reviews(self):
        self.client.get("/reviews/", name="reviews")

    @task(2)
    def board(self):
        if self.staff and self.cycle_id:
            self.client.get(f"/cycles/{self.cycle_id}/board", name="tracking board")

    # --- API lists ------------------------------------------------------------------------------------------
    @task(2)
    def api_lists(self):
        if not self.api_headers:
            return
        paths = ["/api/v1/evidence", "/api/v1/cycles", "/api/v1/codes"] + (["/api/v1/codings"] if self.codings else [])
        path = random.choice(paths)
        self.client.get(path, name=path, headers=self.api_headers)


class Coordinator(DemoPerson):
    weight = 6
    accounts = COORDINATORS


class Facilitator(DemoPerson):
    weight = 3
    accounts = FACILITATORS
    codings = True


class Secretariat(DemoPerson):
    weight = 1
    accounts = SECRETARIAT
    staff = True
    codings = True
