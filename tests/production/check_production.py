#!/usr/bin/env python3
"""End-to-end checks against a running production mode (gunicorn + PostgreSQL + Redis + RQ workers) loaded with
the demo network. A plain script, not a pytest module (its name keeps it out of test discovery); run by
``scripts/production-checks.sh``, which starts everything and stops it afterwards.

    check_production.py --base-url http://127.0.0.1:8000 [--login-limit 5]

Each check prints OK or FAIL with its time; the exit status is 1 if any check failed. API tokens are made with
``flask --app wsgi users token EMAIL`` against the same DATABASE_URL (from the environment).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo-safer-cities"
FACILITATOR = "facilitator@demo.safercities.example"
COORDINATOR = "coordinator.san-aurelio@demo.safercities.example"
CITY = "san-aurelio"
CYCLE = "2026 round"
TIMEOUT = 30


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


class CheckFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Checks:
    def __init__(self, base: str, login_limit: int, job_timeout: float):
        host = urlsplit(base).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing to check {base}: only 127.0.0.1")
        self.base = base.rstrip("/")
        self.login_limit = login_limit
        self.job_timeout = job_timeout
        self.results: list[tuple[str, bool, float, str]] = []
        self.tokens: dict[str, str] = {}
        self.cycle_id: int | None = None
        self.facilitator: requests.Session | None = None

    # --- helpers ---------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base + path

    def run(self, name: str, fn) -> None:
        started = time.monotonic()
        try:
            detail = fn() or ""
            ok = True
        except CheckFailed as err:
            ok, detail = False, str(err)
        except Exception as err:  # noqa: BLE001  (a crash in a check is that check's failure; the others still run)
            ok, detail = False, f"{type(err).__name__}: {err}"
        elapsed = time.monotonic() - started
        self.results.append((name, ok, elapsed, detail))
        print(f"{'OK  ' if ok else 'FAIL'} {name:<48} {elapsed:7.2f} s  {detail}", flush=True)

    def token(self, email: str) -> str:
        if email not in self.tokens:
            out = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "users", "token", email,
                                  "--name", "production checks"], cwd=ROOT, capture_output=True, text=True,
                                 timeout=120, env=os.environ.copy(), check=False)
            expect(out.returncode == 0, f"users token {email} failed: {out.stderr.strip()[-300:]}")
            token = out.stdout.strip().splitlines()[-1].strip()
            expect(bool(token), "users token printed nothing")
            self.tokens[email] = token
        return self.tokens[email]

    def api(self, email: str, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(email)}", **kw.pop("headers", {})}
        return requests.request(method, self.url("/api/v1" + path), headers=headers, timeout=TIMEOUT, **kw)

    @staticmethod
    def csrf(html: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
        expect(match is not None, "no csrf_token in the form")
        return match.group(1)

    def sign_in(self, email: str, password: str, session: requests.Session | None = None) -> requests.Response:
        session = session or requests.Session()
        form = session.get(self.url("/login"), timeout=TIMEOUT)
        expect(form.status_code == 200, f"GET /login answered {form.status_code}")
        return session.post(self.url("/login"), data={"csrf_token": self.csrf(form.text), "email": email,
                                                      "password": password}, timeout=TIMEOUT,
                            allow_redirects=False)

    # --- checks ----------------------------------------------------------------------------------------
    def health(self):
        response = requests.get(self.url("/healthz"), timeout=TIMEOUT)
        expect(response.status_code == 200, f"/healthz answered {response.status_code}: {response.text[:200]}")
        body = response.json()
        for key in ("status", "database", "redis"):
            expect(key in body, f"/healthz has no {key!r}: {body}")
        expect(body["database"] in ("ok", True), f"database not ok: {body}")
        expect(body["redis"] in ("ok", True), f"redis not ok: {body}")
        return json.dumps(body, sort_keys=True)

    def sign_in_form(self):
        session = requests.Session()
        response = self.sign_in(FACILITATOR, PASSWORD, session)
        expect(response.status_code in (302, 303), f"sign-in answered {response.status_code}, not a redirect")
        home = session.get(self.url("/"), timeout=TIMEOUT, allow_redirects=False)
        expect(home.status_code == 200, f"home page after sign-in answered {home.status_code}")
        expect("/logout" in home.text, "home page does not offer sign-out: not signed in")
        self.facilitator = session
        return f"{FACILITATOR} signed in through /login"

    def find_cycle(self):
        response = self.api(COORDINATOR, "GET", "/cycles", params={"per_page": 100})
        expect(response.status_code == 200, f"GET /api/v1/cycles answered {response.status_code}")
        body = response.json()
        rows = body.get("items") or body.get("data") or body.get("results") or []
        match = [c for c in rows if c.get("name") == CYCLE]
        expect(bool(match), f"no cycle named {CYCLE!r} in {[c.get('name') for c in rows]}")
        self.cycle_id = match[0]["id"]
        return f"cycle {self.cycle_id}"

    def create_evidence(self):
        expect(self.cycle_id is not None, "no cycle found")
        title = f"Production check {secrets.token_hex(4)}"
        body = {"city": CITY, "cycle": self.cycle_id, "type": "narrative", "language": "en", "title": title,
                "text": "Women walking home from the night market say the new lights feel safer.",
                "consent": "obtained", "visibility": "city"}
        created = self.api(COORDINATOR, "POST", "/evidence", json=body)
        expect(created.status_code == 201, f"POST /api/v1/evidence answered {created.status_code}: "
                                           f"{created.text[:300]}")
        item_id = created.json()["id"]
        again = self.api(COORDINATOR, "GET", f"/evidence/{item_id}")
        expect(again.status_code == 200 and again.json().get("title") == title,
               f"GET /api/v1/evidence/{item_id} answered {again.status_code}")
        expect(bool(again.headers.get("ETag")), "no ETag on the item")
        page = self.facilitator.get(self.url(f"/evidence/{item_id}"), timeout=TIMEOUT) if self.facilitator \
            else None
        expect(page is None or (page.status_code == 200 and title in page.text),
               f"the item's page answered {page.status_code if page is not None else '-'}")
        return f"item {item_id} created by {COORDINATOR} and seen by the facilitator"

    def suggestions_through_rq(self):
        expect(self.facilitator is not None and self.cycle_id is not None, "needs the signed-in facilitator")
        session = self.facilitator
        hub = session.get(self.url(f"/coding/cycles/{self.cycle_id}/"), timeout=TIMEOUT)
        expect(hub.status_code == 200, f"the cycle's coding page answered {hub.status_code}")
        started = session.post(self.url(f"/coding/cycles/{self.cycle_id}/suggest"),
                               data={"csrf_token": self.csrf(hub.text), "scope": "all"}, timeout=TIMEOUT,
                               allow_redirects=False)
        expect(started.status_code in (302, 303), f"starting suggestions answered {started.status_code}")
        match = re.search(r"#job-(\d+)", started.headers.get("Location", ""))
        expect(match is not None, f"no job in the redirect: {started.headers.get('Location')}")
        job_id = int(match.group(1))
        deadline = time.monotonic() + self.job_timeout
        state, seen = "queued", []
        while time.monotonic() < deadline:
            page = session.get(self.url(f"/coding/jobs/{job_id}"), headers={"HX-Request": "true"},
                               timeout=TIMEOUT)
            expect(page.status_code == 200, f"job page answered {page.status_code}")
            tag = re.search(r"govuk-tag--(grey|blue|green|red)", page.text)
            state = {"grey": "queued", "blue": "running", "green": "done", "red": "failed"}[tag.group(1)] \
                if tag else "?"
            if not seen or seen[-1] != state:
                seen.append(state)
            if state in ("done", "failed"):
                break
            time.sleep(1)
        expect(state == "done", f"job {job_id} is {state} after {self.job_timeout:.0f} s (states seen: "
                                f"{' → '.join(seen)})" + (f"; {re.sub(r'<[^>]+>', ' ', page.text)[-300:]}"
                                                          if state == "failed" else ""))
        numbers = [int(n) for n in re.findall(r"\b(\d+)\b", re.sub(r"<[^>]+>", " ", page.text.split(
            "</p>", 1)[-1]))]
        suggestions = self._suggestions_in_database(job_id)
        expect(suggestions is None or suggestions > 0, f"job {job_id} finished with no suggestions in the database")
        bulk = session.get(self.url(f"/coding/cycles/{self.cycle_id}/suggestions"), timeout=TIMEOUT)
        expect(bulk.status_code == 200, f"the suggestions page answered {bulk.status_code}")
        rq = self._rq_finished(job_id)
        return (f"job {job_id}: {' → '.join(seen)}; "
                + (f"{suggestions} suggestions in the database" if suggestions is not None
                   else f"page figures {numbers[:3]}")
                + (f"; {rq}" if rq else ""))

    def _suggestions_in_database(self, job_id: int) -> int | None:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgresql://", "postgres://")):
            return None
        import psycopg
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            row = conn.execute("SELECT state, result FROM jobs WHERE id = %s", (job_id,)).fetchone()
            expect(row is not None and row[0] == "done", f"job {job_id} is {row and row[0]} in the database")
            count = conn.execute("SELECT count(*) FROM suggestions").fetchone()[0]
            result = row[1] if isinstance(row[1], dict) else json.loads(row[1] or "{}")
            expect(result.get("suggestions", 0) > 0 or count > 0, f"job {job_id} result {result}")
            return count

    def _rq_finished(self, job_id: int) -> str:
        """Say what Redis holds of RQ's work, when REDIS_URL is known: proof the job went through RQ."""
        url = os.environ.get("REDIS_URL")
        if not url:
            return ""
        try:
            import redis
        except ImportError:
            return ""
        r = redis.Redis.from_url(url)
        workers = r.smembers("rq:workers")
        finished = sum(r.zcard(k) for k in r.scan_iter("rq:finished:*"))
        jobs = sum(1 for _ in r.scan_iter("rq:job:*"))
        expect(len(workers) > 0, "no RQ worker registered in Redis")
        expect(finished + jobs > 0, "Redis holds no RQ job: the job did not go through RQ")
        return f"RQ: {len(workers)} workers registered, {finished} finished jobs in Redis"

    def shared_rate_limit(self):
        email = f"nobody-{secrets.token_hex(4)}@demo.safercities.example"
        statuses = []
        for _ in range(self.login_limit * 4 + 2):
            # A fresh session and connection each time: gunicorn hands them to whichever worker accepts.
            with requests.Session() as session:
                response = self.sign_in(email, "not-the-password", session)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
        expect(429 in statuses, f"no 429 after {len(statuses)} failed sign-ins: {statuses}")
        first = statuses.index(429) + 1
        expect(first <= self.login_limit + 1,
               f"first 429 at attempt {first}, limit {self.login_limit}: counts are per worker ({statuses})")
        expect(all(s == 400 for s in statuses[:first - 1]), f"unexpected answers before the limit: {statuses}")
        where = self._limit_keys_in_redis(email)
        return f"{first - 1} failures allowed, 429 at attempt {first} (limit {self.login_limit}){where}"

    @staticmethod
    def _limit_keys_in_redis(email: str) -> str:
        """The account's count lives in Redis (so every gunicorn worker reads the same one), when it is known."""
        url = os.environ.get("REDIS_URL")
        if not url:
            return ""
        import redis
        keys = [k for k in redis.Redis.from_url(url).scan_iter(match=f"*{email}*", count=1000)]
        expect(bool(keys), f"no sign-in count for {email} in Redis: the limiter does not use Redis")
        return f"; the count is in Redis ({keys[0].decode(errors='replace')[:60]})"

    def processes(self):
        """The processes serve-production.sh started are alive: gunicorn's master with its workers, the RQ workers."""
        run_dir = os.environ.get("RUN_DIR")
        expect(bool(run_dir), "RUN_DIR is not set")
        listed = [int(p) for p in Path(run_dir, "pids").read_text().split() if p.isdigit()]
        alive = [p for p in listed if Path(f"/proc/{p}").exists()]
        expect(alive == listed, f"not running: {sorted(set(listed) - set(alive))}")
        master = int(Path(run_dir, "gunicorn.pid").read_text().strip())
        children = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and _ppid(d) == master]
        want_web = int(os.environ.get("WEB_CONCURRENCY", "3"))
        want_rq = int(os.environ.get("RQ_WORKERS", "2"))
        expect(len(children) == want_web, f"gunicorn {master} has {len(children)} workers, not {want_web}")
        rq = len(listed) - 1
        expect(rq == want_rq, f"{rq} RQ workers listed, not {want_rq}")
        return f"gunicorn {master} with workers {sorted(children)}; {rq} RQ workers"

    def worker_pids(self):
        pids = set()
        header = None
        for _ in range(40):
            with requests.Session() as session:
                response = session.get(self.url("/healthz"), timeout=TIMEOUT)
            for name in ("X-Worker-Pid", "X-Worker", "X-Served-By", "X-Process-Id"):
                if name in response.headers:
                    header = name
                    pids.add(response.headers[name])
            if header is None:
                return "SKIP: the app adds no worker header"
            if len(pids) >= 2:
                break
        expect(len(pids) >= 2, f"only {pids} answered 40 requests")
        return f"{len(pids)} worker pids seen through {header}: {sorted(pids)}"

    def summary(self) -> int:
        failed = [name for name, ok, _t, _d in self.results if not ok]
        total = sum(t for _n, _ok, t, _d in self.results)
        print(f"\n{len(self.results) - len(failed)}/{len(self.results)} checks passed in {total:.1f} s")
        if failed:
            print("FAILED: " + ", ".join(failed), file=sys.stderr)
            return 1
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--login-limit", type=int, default=5, help="failed sign-ins allowed per account")
    parser.add_argument("--job-timeout", type=float, default=180)
    args = parser.parse_args()
    checks = Checks(args.base_url, args.login_limit, args.job_timeout)
    checks.run("healthz: database and redis ok", checks.health)
    checks.run("sign in through the form (facilitator)", checks.sign_in_form)
    checks.run("API token and the open cycle", checks.find_cycle)
    checks.run("create an evidence item (API), see it (page)", checks.create_evidence)
    checks.run("NLP suggestions run by RQ workers", checks.suggestions_through_rq)
    checks.run("sign-in limit shared across gunicorn workers", checks.shared_rate_limit)
    checks.run("gunicorn and RQ worker processes running", checks.processes)
    checks.run("two gunicorn workers answer", checks.worker_pids)
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
