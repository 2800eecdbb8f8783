"""Server-side time of the indicator dashboards on a large network (make it first: bench/gen_indicator_network.py).

Against the app's database (INSTANCE_PATH / DATABASE_URL), with the Flask test client signed in as a city member
and as the secretariat, it times:
  (a) a city's dashboard cold (no stored indicator values: the benchmark deletes them first),
  (b) the same page again (warm),
  (c) 50 other cities' dashboards: first visit, then warm (median, p95),
  (d) after one more counted coding in the city: the page at once, checking that the value changed,
  (e) the network dashboard cold and warm,
and prints a table with each request's SQL query count and time. --precompute first calls compute.refresh for
every cycle (timed), as a nightly job would. --profile prints the warm city dashboard's top functions (cProfile)
and its slowest SQL statements. Deleting the stored values is safe: they are a cache, recomputed on demand; the
coding of step (d) stays in the generated network.

Run: .venv/bin/python bench/bench_indicators.py [--precompute] [--profile] [--cities 50]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gen_indicator_network import FACILITATOR, SECRETARIAT

TARGET_MS = 300


class Queries:
    """SQL statements run while ``on``: count, total time and time per statement text."""

    def __init__(self, engine):
        from sqlalchemy import event
        self.on, self.count, self.total, self.by_sql = False, 0, 0.0, defaultdict(lambda: [0, 0.0])
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        if self.on:
            spent = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
            self.count += 1
            self.total += spent
            row = self.by_sql[" ".join(statement.split())[:160]]
            row[0] += 1
            row[1] += spent

    def reset(self):
        self.count, self.total, self.by_sql = 0, 0.0, defaultdict(lambda: [0, 0.0])


def timed(client, path, queries):
    queries.reset()
    queries.on = True
    t = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - t) * 1000
    queries.on = False
    assert response.status_code == 200, (path, response.status_code)
    return ms, queries.count, queries.total * 1000, response


def signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def clear_values(cycle_id=None):
    from peer_review.extensions import db
    from peer_review.indicators.models import IndicatorValue
    stmt = IndicatorValue.__table__.delete()
    if cycle_id is not None:
        stmt = stmt.where(IndicatorValue.cycle_id == cycle_id)
    db.session.execute(stmt)
    db.session.commit()


def indicator_rows(client, path) -> dict:
    data = json.loads(client.get(path + "&format=json&table=indicators").get_data(as_text=True))
    rows = data.get("rows", data) if isinstance(data, dict) else data
    return {r["indicator"]: r for r in rows}


def add_one_coding(city_id, cycle_id, code_key):
    """A counted coding of ``code_key`` on one of the city's items that has none yet (through the app's own
    operation); returns the item id."""
    from peer_review.coding.models import Code, Coding
    from peer_review.coding.operations import add_codings
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    from peer_review.users.models import User
    code = db.session.execute(db.select(Code).filter_by(key=code_key)).scalar_one()
    has = db.select(Coding.item_id).filter(Coding.code_id == code.id)
    item = db.session.execute(db.select(EvidenceItem).filter(
        EvidenceItem.city_id == city_id, EvidenceItem.cycle_id == cycle_id, EvidenceItem.consent != "withdrawn",
        EvidenceItem.id.in_(db.select(Coding.item_id)), EvidenceItem.id.not_in(has)).limit(1)).scalar_one()
    coder = db.session.execute(db.select(User).filter_by(email=FACILITATOR)).scalar_one()
    add_codings(item, [code], coder)
    db.session.commit()
    return item.id


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p * len(values)) - 1))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--precompute", action="store_true", help="compute.refresh every cycle first (timed)")
    parser.add_argument("--profile", action="store_true", help="profile the warm city dashboard")
    parser.add_argument("--cities", type=int, default=50, help="how many other cities for (c)")
    args = parser.parse_args(argv)

    from peer_review import create_app
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.indicators import compute
    from peer_review.users.models import User

    app = create_app({"TESTING": True, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    rows: list[tuple] = []

    def add(label, ms, n_sql, sql_ms, note=""):
        rows.append((label, ms, n_sql, sql_ms, note))
        print(f"  {label:52} {ms:9.1f} ms  {n_sql:5d} queries {sql_ms:8.1f} ms SQL  {note}", flush=True)

    with app.app_context():  # requests run outside it: a shared app context would share flask.g between them
        engine = db.engine
        print(f"database: {engine.dialect.name} {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
        try:
            generated = db.session.execute(db.select(User.id).filter_by(email=SECRETARIAT)).first() is not None
        except Exception:  # noqa: BLE001 - an empty or unmigrated database has no generated network either
            generated = False
        if not generated:
            # `make bench` runs every bench_*.py against the app's own database: never touch a real network.
            print("no generated network here (bench/gen_indicator_network.py): skipped; run make bench-indicators")
            return
        queries = Queries(engine)
        cycles = db.session.execute(db.select(Cycle).order_by(Cycle.starts_on, Cycle.id)).scalars().all()
        cycle = [c for c in cycles if c.state != "draft"][-1]
        cities = sorted(cycle.cities, key=lambda c: c.id)
        n_items = db.session.execute(db.text("SELECT COUNT(*) FROM evidence_items")).scalar()
        print(f"network: {len(cities)} cities, {len(cycles)} cycles, {n_items:,} evidence items; "
              f"dashboards of cycle {cycle.name!r}")
        city = cities[len(cities) // 3]
        member = db.session.execute(db.select(User).filter_by(
            email=f"member.{city.slug}@bench.safercities.example")).scalar_one()
        staff = db.session.execute(db.select(User).filter_by(email=SECRETARIAT)).scalar_one()
        member_client, staff_client = signed_in(app, member), signed_in(app, staff)
        city_path = f"/indicators/cities/{city.slug}?cycle={cycle.id}"
        city_id, cycle_id, city_slug, n_cities = city.id, cycle.id, city.slug, len(cities)
        other_slugs = [c.slug for c in cities if c.id != city_id][::max(1, len(cities) // args.cities)][:args.cities]
        clear_values()
        if args.precompute:
            for c in cycles:
                t = time.perf_counter()
                compute.refresh(c)
                db.session.commit()
                add(f"precompute: compute.refresh({c.name})", (time.perf_counter() - t) * 1000, 0, 0,
                    f"{len(c.cities)} cities")

    ms, n, sql, _ = timed(member_client, city_path, queries)
    add("(a) city dashboard, " + ("precomputed" if args.precompute else "cold"), ms, n, sql, city_slug)
    warm = [timed(member_client, city_path, queries)[:3] for _ in range(5)]
    ms, n, sql = sorted(warm)[len(warm) // 2]
    add("(b) same city dashboard, warm (median of 5)", ms, n, sql)

    first = [timed(staff_client, f"/indicators/cities/{slug}?cycle={cycle_id}", queries)[:3] for slug in other_slugs]
    second = [timed(staff_client, f"/indicators/cities/{slug}?cycle={cycle_id}", queries)[:3] for slug in other_slugs]
    for label, got in ((f"(c) {len(other_slugs)} other cities, first visit", first),
                       (f"(c) {len(other_slugs)} other cities, warm", second)):
        times = [g[0] for g in got]
        add(label + " median", statistics.median(times), int(statistics.median(g[1] for g in got)),
            statistics.median(g[2] for g in got))
        add(label + " p95", pct(times, 0.95), 0, 0, f"max {max(times):.0f} ms")

    before = indicator_rows(member_client, city_path)
    key = "leadership" if "leadership" in before else next(iter(before))
    with app.app_context():
        item_id = add_one_coding(city_id, cycle_id, key)
    ms, n, sql, _ = timed(member_client, city_path, queries)
    after = indicator_rows(member_client, city_path)
    changed = (before[key]["hits"], before[key]["value"]) != (after[key]["hits"], after[key]["value"])
    assert changed, (before[key], after[key])
    rounded = [v[key]["value"] and round(v[key]["value"], 4) for v in (before, after)]
    add("(d) after one more counted coding", ms, n, sql,
        f"{key}: hits {before[key]['hits']}→{after[key]['hits']}, value {rounded[0]}→{rounded[1]} (item {item_id})")

    with app.app_context():
        clear_values(cycle_id)
    net_path = f"/indicators/network?cycle={cycle_id}"
    ms, n, sql, _ = timed(staff_client, net_path, queries)
    add("(e) network dashboard, cold", ms, n, sql, f"{n_cities} cities")
    warm = [timed(staff_client, net_path, queries)[:3] for _ in range(3)]
    ms, n, sql = sorted(warm)[1]
    add("(e) network dashboard, warm (median of 3)", ms, n, sql)

    if args.profile:
        timed(member_client, city_path, queries)  # warm again after (e) cleared the cycle
        profile(member_client, city_path, queries)

    print()
    print(f"| step | ms | SQL queries | SQL ms | note |  ({engine.dialect.name}; target {TARGET_MS} ms)")
    print("|---|---:|---:|---:|---|")
    for label, ms, n, sql, note in rows:
        print(f"| {label} | {ms:.0f} | {n or ''} | {sql:.0f} | {note} |")


def profile(client, path, queries) -> None:
    profiler = cProfile.Profile()
    queries.reset()
    queries.on = True
    profiler.enable()
    t = time.perf_counter()
    client.get(path)
    ms = (time.perf_counter() - t) * 1000
    profiler.disable()
    queries.on = False
    print(f"\nprofile of the warm city dashboard: {ms:.0f} ms (under the profiler), {queries.count} queries, "
          f"{queries.total * 1000:.0f} ms in SQL")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats("peer_review|jinja2/environment", 30)
    stats.sort_stats("tottime").print_stats(12)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip() and "List reduced" not in line))
    print("slowest SQL statements (count, total ms, statement):")
    for sql, (count, spent) in sorted(queries.by_sql.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"  {count:4d} {spent * 1000:8.1f}  {sql}")


if __name__ == "__main__":
    main()
