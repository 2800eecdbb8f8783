"""Fill the app's database with a large fictional network for the indicator benchmark (bench/bench_indicators.py).

500 cities, 5 cycles (2022–2026: four closed, the last open in the evidence-coding phase, each pinned to the core
rubric and to the indicator definitions), the codebook, 100,000 evidence items with 1–4 counted codings each,
submitted self-assessments, released peer reviews (the last two cycles), numeric entries and a peer grouping of the
last cycle. Cities follow one of a few profiles (with noise), so that peer groups exist. The texts are short
sentences combined from a vocabulary: performance data, not test data.

The database is the app's (INSTANCE_PATH / DATABASE_URL, migrated here if needed). It refuses a database that
already has cities unless --force. Rows go in with SQLAlchemy Core bulk inserts (executemany), not the ORM.

Run: .venv/bin/python bench/gen_indicator_network.py [--cities 500] [--cycles 5] [--items 100000] [--force]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = "bench-indicators"
SECRETARIAT = "secretariat@bench.safercities.example"
FACILITATOR = "facilitator@bench.safercities.example"
CHUNK = 5000

REGIONS = {  # region: (countries, languages, time zone)
    "africa": (["Kenya", "Ghana", "Senegal", "South Africa", "Tanzania"], ["en", "fr"], "Africa/Nairobi"),
    "asia": (["Philippines", "Indonesia", "India", "Viet Nam"], ["en"], "Asia/Manila"),
    "europe": (["Spain", "France", "United Kingdom", "Portugal", "Belgium"], ["es", "fr", "en"], "Europe/Madrid"),
    "latin_america": (["Colombia", "Mexico", "Chile", "Peru", "Brazil"], ["es"], "America/Bogota"),
    "north_america": (["Canada", "United States"], ["en", "fr"], "America/Toronto"),
    "oceania": (["Australia", "New Zealand", "Fiji"], ["en"], "Australia/Sydney"),
    "middle_east": (["Morocco", "Jordan", "Tunisia"], ["fr", "en"], "Africa/Casablanca"),
}
BANDS = ["lt_100k", "100k_500k", "500k_1m", "1m_5m", "gt_5m"]
PREFIX = ["San", "Port", "Nueva", "Villa", "Mount", "Lake", "Saint", "Bel", "Puerto", "North", "Vila", "Fort"]
ROOTS = ["amar", "bel", "cor", "dor", "esp", "fal", "gran", "hal", "isl", "jar", "kes", "lum", "mar", "nor",
         "oss", "pal", "quin", "ros", "sol", "tam", "ulm", "val", "wes", "yar", "zan", "bri", "cas", "mir"]
ENDS = ["a", "ia", "ena", "ford", "ville", "mont", "haven", "ton", "ero", "ada", "ino", "bury", "mere", "oso"]
AREAS = ["Centro", "Harbour", "North district", "Riverside", "Old town", "Hillside", "Market quarter",
         "East end", "Station area", "Seafront", "Industrial zone", "University district"]
SUBJECTS = ["Residents", "Women of the neighbourhood", "Young people", "The safety committee", "Shop keepers",
            "Community police officers", "Street vendors", "Parents", "Older residents", "The NGO team"]
VERBS = ["described", "asked for", "organised", "reported", "welcomed", "worried about", "mapped", "discussed"]
OBJECTS = ["better lighting near the market", "a night bus to the outskirts", "the new youth centre",
           "joint patrols with the municipality", "fear around the bus station", "a safety walk at dusk",
           "the budget for prevention programmes", "trust in the local police", "a mural project in the park",
           "exclusion of migrants from meetings", "drug dealing near the school", "a women's safety audit"]
TAILS = ["last spring.", "at the monthly forum.", "in the survey.", "during the focus group.", "in the press.",
         "with the district office.", "after the incident.", "for the second year."]
TYPES = ["narrative", "safety_audit", "cultural_story", "focus_group", "survey_text", "media_excerpt"]
GENDERS = ["women", "men", "non_binary", "mixed", "unspecified"]
AGES = ["children", "youth", "adults", "older_people", "mixed", "unspecified"]
GROUPS = ["disability", "migrants", "homeless", "undocumented", "lgbtiq", "indigenous", "ethnic_minority"]
CONSENT = ["obtained", "anonymised", "public_source", "pending"]
NUMERIC = {"homicide_rate": ("per_100k", 2, 40), "victimisation_rate": ("percent", 5, 50),
           "feel_safe_after_dark": ("percent", 20, 90)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cities", type=int, default=500)
    p.add_argument("--cycles", type=int, default=5)
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--no-groups", action="store_true", help="skip the peer grouping of the last cycle")
    p.add_argument("--force", action="store_true", help="add to a database that already has cities")
    return p.parse_args(argv)


class Timer:
    def __init__(self):
        self.t0 = self.last = time.perf_counter()

    def step(self, what: str, rows: int | None = None) -> None:
        now = time.perf_counter()
        extra = f" ({rows:,} rows)" if rows is not None else ""
        print(f"  {what:42}{now - self.last:7.1f} s{extra}", flush=True)
        self.last = now


def bulk(table, rows: list[dict]) -> int:
    from peer_review.extensions import db
    for i in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[i:i + CHUNK])
    return len(rows)


def next_id(model) -> int:
    from sqlalchemy import func

    from peer_review.extensions import db
    return (db.session.execute(db.select(func.max(model.id))).scalar() or 0) + 1


def city_name(rng: random.Random, used: set[str]) -> str:
    while True:
        stem = rng.choice(ROOTS).capitalize() + rng.choice(ROOTS[:12]) + rng.choice(ENDS)
        name = f"{rng.choice(PREFIX)} {stem}" if rng.random() < 0.35 else stem
        if name not in used:
            used.add(name)
            return name


def make_profiles(rng: random.Random, code_keys: list[str], n: int = 6) -> list[dict[str, float]]:
    """A few network-wide profiles: each code's weight in a city's coding (cities draw one and add noise)."""
    return [{k: rng.choice([0.2, 0.5, 1.0, 2.0, 4.0]) for k in code_keys} for _ in range(n)]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"


def generate(args) -> None:
    from peer_review import ROOT
    from peer_review.assessments.models import Answer, Assessment
    from peer_review.assignments.models import Assignment
    from peer_review.cities.models import City
    from peer_review.coding.models import Code, Coding
    from peer_review.coding.operations import sync_codebook
    from peer_review.cycles.models import Cycle, cycle_cities
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    from peer_review.indicators import definitions as defs
    from peer_review.indicators.models import IndicatorValue, NumericEntry
    from peer_review.reviews.models import Recommendation, Review, ReviewAnswer
    from peer_review.rubrics import content
    from peer_review.rubrics.operations import get_version, load_version
    from peer_review.users.models import Membership, NetworkRole, User

    rng = random.Random(args.seed)
    timer = Timer()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    existing = db.session.execute(db.select(db.func.count(City.id))).scalar()
    if existing and not args.force:
        raise SystemExit(f"the database already has {existing} cities: use --force to add the benchmark network")

    # --- reference data: codebook, rubric, indicator definitions ----------------------------------------------
    sync_codebook()
    load_version(os.path.join(ROOT, "rubrics/core/1.0.yaml"))
    rubric = get_version("core", "1.0")
    _sets, problems = defs.load_files()
    if problems:
        raise SystemExit("indicator definitions: " + "; ".join(problems))
    indicator_set = defs.latest_set()
    db.session.commit()
    codes = {c.key: c.id for c in db.session.execute(db.select(Code)).scalars()}
    criteria = [c["id"] for c in content.criteria(rubric)]
    top = max(int(s["level"]) for s in content.scale(rubric))
    timer.step("codebook, rubric and definitions")

    # --- cities, people, cycles -------------------------------------------------------------------------------
    used = set(db.session.execute(db.select(City.name)).scalars())
    slugs = set(db.session.execute(db.select(City.slug)).scalars())
    first_city = next_id(City)
    cities, profile_of = [], {}
    profiles = make_profiles(rng, list(codes))
    for n in range(args.cities):
        region = rng.choice(list(REGIONS))
        countries, langs, tz = REGIONS[region]
        name = city_name(rng, used)
        slug = base = name.lower().replace(" ", "-")
        k = 2
        while slug in slugs:
            slug, k = f"{base}-{k}", k + 1
        slugs.add(slug)
        cid = first_city + n
        cities.append({"id": cid, "name": name, "slug": slug, "country": rng.choice(countries), "region": region,
                       "population_band": rng.choice(BANDS), "languages": rng.choice(langs), "timezone": tz,
                       "fictional": True, "active": True})
        base_profile = profiles[n % len(profiles)]
        profile_of[cid] = {k2: w * rng.uniform(0.6, 1.5) for k2, w in base_profile.items()}
    bulk(City.__table__, cities)
    city_ids = [c["id"] for c in cities]
    lang_of = {c["id"]: c["languages"] for c in cities}

    from werkzeug.security import generate_password_hash
    password_hash = generate_password_hash(PASSWORD)
    first_user = next_id(User)
    users = [{"id": first_user, "email": SECRETARIAT, "name": "Bench Secretariat"},
             {"id": first_user + 1, "email": FACILITATOR, "name": "Bench Facilitator"}]
    users += [{"id": first_user + 2 + i, "email": f"member.{c['slug']}@bench.safercities.example",
               "name": f"Safety officer, {c['name']}"} for i, c in enumerate(cities)]
    if db.session.execute(db.select(User.id).filter_by(email=SECRETARIAT)).first():
        users = users[2:]
    for u in users:
        u.update(locale="en", active=True, password_hash=password_hash, session_token=os.urandom(16).hex())
    bulk(User.__table__, users)
    if users and users[0]["email"] == SECRETARIAT:
        bulk(NetworkRole.__table__, [{"user_id": first_user, "role": "secretariat"},
                                     {"user_id": first_user + 1, "role": "facilitator"}])
    coder = db.session.execute(db.select(User.id).filter_by(email=FACILITATOR)).scalar()
    member_of = {c["id"]: first_user + 2 + i for i, c in enumerate(cities)}
    bulk(Membership.__table__, [{"user_id": u, "city_id": c, "role": "member"} for c, u in member_of.items()])

    first_cycle = next_id(Cycle)
    cycles = []
    for i in range(args.cycles):
        year = 2026 - args.cycles + 1 + i
        last = i == args.cycles - 1
        name = f"{year} round"
        if db.session.execute(db.select(Cycle.id).filter_by(name=name)).first():
            name = f"{year} round (bench {first_cycle + i})"
        cycles.append({"id": first_cycle + i, "name": name, "starts_on": dt.date(year, 2, 1),
                       "ends_on": dt.date(year, 12, 15), "state": "open" if last else "closed",
                       "phase": "evidence_coding" if last else None, "rubric_version_id": rubric.id,
                       "indicator_set_id": indicator_set.id})
    bulk(Cycle.__table__, cycles)
    bulk(cycle_cities, [{"cycle_id": cy["id"], "city_id": c} for cy in cycles for c in city_ids])
    db.session.commit()
    timer.step(f"{len(cities)} cities, {len(users)} people, {len(cycles)} cycles")

    # --- evidence items and counted codings ------------------------------------------------------------------
    cells = [(cy, c) for cy in cycles for c in city_ids]
    mean = args.items / len(cells)
    sizes = [max(1, int(rng.gauss(mean, mean * 0.3))) for _ in cells]
    scale = args.items / sum(sizes)
    sizes = [max(1, round(s * scale)) for s in sizes]
    while sum(sizes) != args.items:  # exactly the number asked, still varied
        i = rng.randrange(len(sizes))
        sizes[i] = max(1, sizes[i] + (1 if sum(sizes) < args.items else -1))
    item_id, coding_id = next_id(EvidenceItem), next_id(Coding)
    items, codings = [], []
    key_list = list(codes)
    n_items = n_codings = 0
    for (cycle, city), size in zip(cells, sizes):
        weights = [profile_of[city][k] for k in key_list]
        areas = rng.sample(AREAS, rng.randint(3, 7))
        year = cycle["starts_on"].year
        for _ in range(size):
            text = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
            groups = ";".join(rng.sample(GROUPS, rng.choice([0, 0, 0, 1, 1, 2]))) or ""
            consent = "withdrawn" if rng.random() < 0.01 else rng.choice(CONSENT)
            items.append({"id": item_id, "city_id": city, "cycle_id": cycle["id"], "type": rng.choice(TYPES),
                          "title": sentence(rng)[:120], "text": text,
                          "date": dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
                          "language": lang_of[city], "area": rng.choice(areas), "source": "Bench generator",
                          "gender": rng.choice(GENDERS), "age_group": rng.choice(AGES), "vulnerable_groups": groups,
                          "consent": consent, "visibility": rng.choice(["network", "city", "city", "restricted"]),
                          "created_by_id": member_of[city], "created_at": now, "updated_at": now,
                          "redactions": 0, "version": 1})
            chosen = set()
            for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
                chosen.add(rng.choices(key_list, weights)[0])
            for key in chosen:
                if rng.random() < 0.4:
                    start, end = None, None
                else:
                    start = rng.randrange(0, max(1, len(text) - 40))
                    end = min(len(text), start + rng.randint(20, 120))
                codings.append({"id": coding_id, "item_id": item_id, "code_id": codes[key], "start_offset": start,
                                "end_offset": end, "coder_id": coder, "origin": "manual", "created_at": now})
                coding_id += 1
            item_id += 1
        if len(items) >= CHUNK * 4:
            n_items += bulk(EvidenceItem.__table__, items)
            n_codings += bulk(Coding.__table__, codings)
            items, codings = [], []
    n_items += bulk(EvidenceItem.__table__, items)
    n_codings += bulk(Coding.__table__, codings)
    db.session.commit()
    timer.step(f"evidence items ({n_codings:,} codings)", n_items)

    # --- self-assessments, reviews, numeric entries --------------------------------------------------------------
    skill = {c: rng.uniform(0.5, top - 1) for c in city_ids}
    assessment_id, answer_rows, assessments = next_id(Assessment), [], []
    assessment_of = {}
    for i, cycle in enumerate(cycles):
        for c in city_ids:
            assessments.append({"id": assessment_id, "city_id": c, "cycle_id": cycle["id"],
                                "rubric_version_id": rubric.id, "state": "submitted", "submitted_at": now,
                                "submitted_by_id": member_of[c], "created_at": now, "updated_at": now})
            assessment_of[(cycle["id"], c)] = assessment_id
            for crit in criteria:
                na = rng.random() < 0.04
                level = None if na else max(0, min(top, round(rng.gauss(skill[c] + 0.2 * i, 0.8))))
                answer_rows.append({"assessment_id": assessment_id, "criterion_id": crit, "level": level,
                                    "not_applicable": na, "na_reason": "Not relevant here." if na else "",
                                    "justification": sentence(rng), "attachment_ids": [], "version": 1,
                                    "updated_at": now, "updated_by_id": member_of[c]})
            assessment_id += 1
    bulk(Assessment.__table__, assessments)
    n_answers = bulk(Answer.__table__, answer_rows)
    db.session.commit()
    timer.step("self-assessments and answers", n_answers)

    assignment_id, review_id = next_id(Assignment), next_id(Review)
    assignments, reviews, review_answers, recommendations = [], [], [], []
    for cycle in cycles[-2:]:
        for pos, reviewed in enumerate(city_ids):
            for step in (7, 131):
                reviewer = city_ids[(pos + step) % len(city_ids)]
                assignments.append({"id": assignment_id, "cycle_id": cycle["id"], "reviewer_city_id": reviewer,
                                    "reviewed_city_id": reviewed, "state": "published", "source": "auto",
                                    "costs": {}, "alternates": [], "note": "", "created_at": now,
                                    "published_at": now})
                reviews.append({"id": review_id, "assignment_id": assignment_id, "cycle_id": cycle["id"],
                                "reviewer_city_id": reviewer, "reviewed_city_id": reviewed, "state": "submitted",
                                "assessment_id": assessment_of[(cycle["id"], reviewed)], "submitted_at": now,
                                "released_at": now, "created_at": now, "updated_at": now})
                for crit in criteria:
                    review_answers.append({"review_id": review_id, "criterion_id": crit,
                                           "level": max(0, min(top, round(rng.gauss(skill[reviewed], 1.0)))),
                                           "agreement": rng.choice(["agree", "partly", "disagree"]),
                                           "comment": sentence(rng), "version": 1, "updated_at": now})
                for p in range(2):
                    recommendations.append({"review_id": review_id, "position": p, "text": sentence(rng),
                                            "priority": rng.choice(["high", "medium", "low"]),
                                            "criterion_ids": rng.sample(criteria, 2), "version": 1,
                                            "updated_at": now})
                assignment_id += 1
                review_id += 1
    bulk(Assignment.__table__, assignments)
    bulk(Review.__table__, reviews)
    n_review_answers = bulk(ReviewAnswer.__table__, review_answers)
    bulk(Recommendation.__table__, recommendations)
    db.session.commit()
    timer.step(f"{len(reviews):,} released reviews and their answers", n_review_answers)

    entries = []
    for cycle in cycles:
        for c in city_ids:
            for key, (unit, low, high) in NUMERIC.items():
                if rng.random() < 0.7:
                    year = cycle["starts_on"].year - 1
                    entries.append({"city_id": c, "cycle_id": cycle["id"], "indicator_key": key,
                                    "value": round(rng.uniform(low, high), 1), "unit": unit,
                                    "period_start": dt.date(year, 1, 1), "period_end": dt.date(year, 12, 31),
                                    "source": "City statistics office", "area": "", "sex": "all",
                                    "age_group": "all", "is_proxy": False, "proxy_note": "", "withdrawn": False,
                                    "entered_via": "spreadsheet", "created_by_id": member_of[c],
                                    "created_at": now, "updated_at": now, "version": 1})
    n_entries = bulk(NumericEntry.__table__, entries)
    db.session.commit()
    timer.step("numeric entries", n_entries)
    fix_sequences()

    if not args.no_groups:
        from peer_review.indicators import compute, peergroup_service
        last = db.session.get(Cycle, cycles[-1]["id"])
        compute.refresh(last)
        timer.step("indicator values of the last cycle (for grouping)")
        row = peergroup_service.run(last, seed=args.seed)
        db.session.commit()
        timer.step(f"peer grouping of the last cycle: k={row.k}")
        db.session.execute(IndicatorValue.__table__.delete())  # the benchmark starts cold
        db.session.commit()
    total = time.perf_counter() - timer.t0
    print(f"generated in {total:.1f} s: {len(cities)} cities, {len(cycles)} cycles, {n_items:,} items, "
          f"{n_codings:,} codings, {n_answers:,} answers, {len(reviews):,} reviews, {n_entries:,} numeric entries")
    print(f"sign in as {SECRETARIAT} or member.<city slug>@bench.safercities.example, password {PASSWORD}")


def fix_sequences() -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move each to its table's highest id."""
    from peer_review.extensions import db
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("cities", "users", "network_roles", "memberships", "cycles", "evidence_items", "codings",
                  "assessments", "answers", "review_assignments", "reviews", "review_answers",
                  "review_recommendations", "numeric_entries"):
        db.session.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
    db.session.commit()


def main(argv=None) -> None:
    args = parse_args(argv)
    from flask_migrate import upgrade

    from peer_review import create_app
    app = create_app({"TESTING": True, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench")})
    with app.app_context():
        print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
        upgrade()
        generate(args)


if __name__ == "__main__":
    main()
