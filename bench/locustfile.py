"""Load test of the main pages and API lists on the demo network, as a mix of roles (locust, headless).

Run by ``bench/bench_load.py``, which loads the demo network, makes API tokens and starts the server; alone:

    BENCH_TOKENS='{"email": "token", ...}' .venv/bin/locust -f bench/locustfile.py --headless \
        -H http://127.0.0.1:8000 -u 50 -r 10 -t 60s

Each simulated person signs in once when it is spawned, through the real form (CSRF token from the page), and
reads the cycle list and its evidence ids through the API; then it waits until every person has been spawned and
signed in, and browses: home, cycles, the open cycle, evidence list, an item, the codebook, assessments, reviews, the
tracking board (the secretariat), and the API lists with their personal token. The sign-in phase is reported on its
own rows ("sign in (form)", "sign in", "start: /api/v1/..."): 50 password hashes (scrypt, on purpose slow) within
the spawn ramp load the server like nothing else, and they are not what the page figures measure. The page figures
start once everyone is in. With ``BENCH_SUMMARY_OUT`` set, the requests of the browsing phase only (no sign-in)
are summed up into that JSON file (count, failures, median, p95, requests per second).
Bounded: 127.0.0.1 only, and at most ``BENCH_MAX_REQUESTS`` requests (default 100,000) whatever the time.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
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
WAIT_MIN = float(os.environ.get("BENCH_WAIT_MIN", "0.5"))
WAIT_MAX = float(os.environ.get("BENCH_WAIT_MAX", "2"))
_seen = {"requests": 0}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@events.test_start.add_listener
def _only_localhost(environment, **_kw):
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"bench/locustfile.py runs against 127.0.0.1 only, not {environment.host!r}")


SIGN_IN_NAMES = ("sign in (form)", "sign in", "start: /api/v1/cycles", "start: /api/v1/evidence")
_browsing: dict = {"times": [], "failures": 0, "first": None, "last": None}


@events.request.add_listener
def _bounded(name=None, response_time=None, exception=None, **_kw):
    _seen["requests"] += 1
    if name not in SIGN_IN_NAMES and response_time is not None:
        now = time.time()
        _browsing["times"].append(response_time)
        _browsing["failures"] += exception is not None
        _browsing["first"] = _browsing["first"] or now - response_time / 1000
        _browsing["last"] = now
    if _seen["requests"] == MAX_REQUESTS:
        import gevent
        runner = _bounded.environment.runner  # set in _init below
        gevent.spawn(runner.quit)


@events.init.add_listener
def _init(environment, **_kw):
    _bounded.environment = environment


@events.quitting.add_listener
def _summary(**_kw):
    """The browsing phase alone (after every sign-in), for bench/bench_load.py."""
    out = os.environ.get("BENCH_SUMMARY_OUT")
    times = sorted(_browsing["times"])
    if not out or not times:
        return
    span = max((_browsing["last"] or 0) - (_browsing["first"] or 0), 1e-9)

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(round(p * (len(times) - 1))))]
    with open(out, "w") as f:
        json.dump({"requests": len(times), "failures": _browsing["failures"], "median": pct(0.5), "p95": pct(0.95),
                   "rps": len(times) / span}, f)


def _wait_for_everyone(environment) -> None:
    """Browse only once every person has been spawned (and so has signed in): page figures without the ramp."""
    import gevent
    from locust.runners import STATE_INIT, STATE_SPAWNING
    runner = environment.runner
    while runner is not None and runner.state in (STATE_INIT, STATE_SPAWNING):
        gevent.sleep(0.1)
    gevent.sleep(random.uniform(0, WAIT_MAX))  # not all at the same instant once the last one is in


class DemoPerson(HttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
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
            cycles = self.client.get("/api/v1/cycles", name="start: /api/v1/cycles", headers=self.api_headers)
            if cycles.ok:
                found = [c["id"] for c in cycles.json().get("items", []) if c.get("name") == CYCLE_NAME]
                self.cycle_id = found[0] if found else None
            items = self.client.get("/api/v1/evidence?per_page=50", name="start: /api/v1/evidence",
                                    headers=self.api_headers)
            if items.ok:
                self.item_ids = [i["id"] for i in items.json().get("items", [])]
        if self.cycle_id is None:
            self.cycle_id = int(os.environ.get("BENCH_CYCLE_ID", "0")) or None
        _wait_for_everyone(self.environment)

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
