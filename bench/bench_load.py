"""Load test: the main pages and API lists under concurrent users, on both set-ups, side by side.

    .venv/bin/python bench/bench_load.py [--users 50] [--spawn-rate 10] [--time 60] [--only sqlite|production]

(a) SQLite + the thread worker: ``flask run`` (threaded) on a temporary instance loaded with the demo network;
(b) PostgreSQL + gunicorn + RQ: ``scripts/serve-production.sh`` (3 gunicorn workers, 2 RQ workers) inside
``scripts/with-postgres.sh`` and ``scripts/with-redis.sh``, loaded with the same demo network.
Each runs ``bench/locustfile.py`` headless (127.0.0.1 only; bounded in users, time and requests), then the script
prints requests per second, median and 95th percentile per page, and errors, for both. The sign-in phase (each
person signs in when spawned, then waits for the others) has its own rows, "sign in" and "start: ..."; the page rows
and "all pages, signed in" count only the browsing that follows. Locust runs on the same machine as the server and
takes a share of its CPU.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable

EMAILS = [f"coordinator.{slug}@demo.safercities.example" for slug in (
    "amanzi-bay", "kisaru", "nouvelle-sahel", "san-aurelio", "villa-esperanza", "puerto-claro", "eastmere",
    "valmont-sur-loire", "castellar", "port-mirasol", "tanjung-harapan", "maple-falls")] + [
    "facilitator@demo.safercities.example", "facilitator2@demo.safercities.example",
    "secretariat@demo.safercities.example"]

TOKENS_SCRIPT = """
import json, sys
from peer_review import create_app
from peer_review.extensions import db
from peer_review.users.operations import create_token, find_user
app = create_app()
with app.app_context():
    out = {}
    for email in sys.argv[1:]:
        user = find_user(email)
        if user is not None:
            out[email] = create_token(user, "load test")[1]
    db.session.commit()
print(json.dumps(out))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict, *args: str, log: Path) -> None:
    with open(log, "a") as out:
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, stdout=out,
                       stderr=subprocess.STDOUT)


def prepare(env: dict, work: Path) -> dict:
    """Migrations, the demo network, and an API token for each demo person the load test signs in as."""
    log = work / "setup.log"
    started = time.monotonic()
    flask(env, "db", "upgrade", log=log)
    flask(env, "demo-data", log=log)
    out = subprocess.run([PYTHON, "-c", TOKENS_SCRIPT, *EMAILS], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    tokens = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"   demo network and {len(tokens)} tokens ready in {time.monotonic() - started:.0f} s", flush=True)
    return tokens


def wait_ready(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server on port {port} did not become ready in {timeout:.0f} s")


def run_locust(port: int, tokens: dict, args, work: Path, label: str) -> dict:
    prefix = work / f"locust-{label}"
    summary = work / f"browsing-{label}.json"
    env = {**os.environ, "BENCH_TOKENS": json.dumps(tokens), "BENCH_MAX_REQUESTS": str(args.max_requests),
           "BENCH_SUMMARY_OUT": str(summary)}
    cmd = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
           "-H", f"http://127.0.0.1:{port}", "-u", str(args.users), "-r", str(args.spawn_rate),
           "-t", f"{args.time}s", "--stop-timeout", "5", "--csv", str(prefix), "--loglevel", "WARNING"]
    print(f"   locust: {args.users} users, spawn rate {args.spawn_rate}/s, {args.time} s", flush=True)
    with open(work / f"locust-{label}.log", "w") as log:
        # locust exits 1 when a request failed: the figures are read either way.
        subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=args.time + 120,
                       check=False)
    result = read_stats(prefix)
    if summary.exists():
        # Every page and API request after sign-in (the browsing phase, with everyone signed in).
        browsing = json.loads(summary.read_text())
        browsing["failures"] = int(browsing["failures"])
        result["pages"]["all pages, signed in"] = browsing
    return result


def read_stats(prefix: Path) -> dict:
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
            rows[name] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                          "rps": float(row["Requests/s"]), "median": _num(row["50%"]), "p95": _num(row["95%"])}
    errors = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with open(path, newline="") as f:
            errors = [f"{r['Name']}: {r['Error']} (x{r['Occurrences']})" for r in csv.DictReader(f)]
    return {"pages": rows, "errors": errors}


def _num(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- (a) SQLite + thread worker ---------------------------------------------------------------------------------

def bench_sqlite(args) -> dict:
    print("== (a) SQLite + thread worker (flask run, threaded)", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-load-sqlite."))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "JOBS_BACKEND",
                                                             "RATELIMIT_STORAGE_URI", "TEST_DATABASE_URL")}
    env.update({"INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": secrets.token_hex(32),
                "JOBS_BACKEND": "thread"})
    server = None
    try:
        tokens = prepare(env, work)
        port = free_port()
        with open(work / "server.log", "w") as log:
            server = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1",
                                       "--port", str(port), "--with-threads"], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT)
        wait_ready(port)
        return run_locust(port, tokens, args, work, "sqlite")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


# --- (b) PostgreSQL + gunicorn + RQ -------------------------------------------------------------------------------

def bench_production(args) -> dict:
    """Re-run this script inside a throwaway PostgreSQL and Redis; it writes its figures to a JSON file."""
    print("== (b) PostgreSQL + gunicorn (3 workers) + RQ (2 workers), scripts/serve-production.sh", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-load-result.") as tmp:
        out = Path(tmp) / "production.json"
        cmd = [str(ROOT / "scripts" / "with-postgres.sh"), str(ROOT / "scripts" / "with-redis.sh"), PYTHON,
               str(Path(__file__).resolve()), "--inside-production", str(out), "--users", str(args.users),
               "--spawn-rate", str(args.spawn_rate), "--time", str(args.time),
               "--max-requests", str(args.max_requests)]
        subprocess.run(cmd, cwd=ROOT, check=True)
        return json.loads(out.read_text())


def inside_production(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-load-production."))
    serve = os.environ.get("SERVE_PRODUCTION", str(ROOT / "scripts" / "serve-production.sh"))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "RUN_DIR": str(work / "run"),
           "INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": secrets.token_hex(32), "PORT": str(port),
           "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "3"), "RQ_WORKERS": os.environ.get("RQ_WORKERS", "2")}
    os.makedirs(env["RUN_DIR"])
    started = False
    try:
        tokens = prepare(env, work)
        started = True
        with open(work / "serve.log", "w") as log:
            subprocess.run([serve], cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(port)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "INSTANCE_PATH", "SECRET_KEY")})
        result = run_locust(port, tokens, args, work, "production")
        Path(args.inside_production).write_text(json.dumps(result))
    except subprocess.CalledProcessError:
        for log in ("setup.log", "serve.log"):
            if (work / log).exists():
                print(f"--- {log}", file=sys.stderr)
                print((work / log).read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        if started:
            subprocess.run([serve, "--stop"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(work, ignore_errors=True)


# --- the table --------------------------------------------------------------------------------------------------

ORDER = ["home", "cycles", "cycle page", "evidence list", "evidence item", "codebook", "assessments", "reviews",
         "tracking board", "/api/v1/evidence", "/api/v1/cycles", "/api/v1/codes", "/api/v1/codings",
         "all pages, signed in", "sign in (form)", "sign in", "start: /api/v1/cycles", "start: /api/v1/evidence",
         "all requests"]


def table(results: dict[str, dict], args) -> str:
    labels = list(results)
    names = [n for n in ORDER if any(n in r["pages"] for r in results.values())]
    names += sorted({n for r in results.values() for n in r["pages"]} - set(names))
    head = f"{'page':<24}" + "".join(f" | {label:^34}" for label in labels)
    sub = f"{'':<24}" + "".join(f" | {'req/s':>7} {'median':>7} {'p95':>7} {'errors':>10}" for _ in labels)
    lines = [f"{args.users} users, spawn rate {args.spawn_rate}/s, {args.time} s each (times in ms)", head, sub,
             "-" * len(sub)]
    for name in names:
        cells = []
        for label in labels:
            row = results[label]["pages"].get(name)
            if row is None:
                cells.append(f" | {'-':>7} {'-':>7} {'-':>7} {'-':>10}")
            else:
                errors = f"{row['failures']}/{row['requests']}"
                cells.append(f" | {row['rps']:7.1f} {_ms(row['median'])} {_ms(row['p95'])} {errors:>10}")
        lines.append(f"{name:<24}" + "".join(cells))
    for label in labels:
        errors = results[label]["errors"]
        lines.append(f"errors, {label}: " + ("none" if not errors else "; ".join(errors[:10])))
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return f"{value:7.0f}" if value is not None else f"{'-':>7}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", type=int, default=60, help="seconds of load for each set-up")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop a run after this many requests")
    parser.add_argument("--only", choices=["sqlite", "production"])
    parser.add_argument("--inside-production", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (BIN / "locust").exists():
        # `make bench` runs every bench/bench_*.py: without locust this one is skipped, not failed.
        print("bench_load skipped: locust is not installed (make bench-load installs it; or "
              ".venv/bin/pip install locust==2.47.0)", file=sys.stderr)
        return 0
    if args.inside_production:
        inside_production(args)
        return 0
    results = {}
    if args.only in (None, "sqlite"):
        results["SQLite + thread worker"] = bench_sqlite(args)
    if args.only in (None, "production"):
        results["PostgreSQL + gunicorn + RQ"] = bench_production(args)
    print()
    print(table(results, args))
    failed = sum(r["pages"].get("all requests", {}).get("failures", 0) for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
