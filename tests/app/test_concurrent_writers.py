"""Concurrent writers on PostgreSQL lose nothing: twenty clients, each with its own test client and its own API
token, save evidence items and codings at the same moment, and the database then holds exactly the rows they
sent; two edits of one item based on the same version never both apply.

test_concurrency.py covers identical requests through a threaded server on either engine (one coding row for
twenty identical codings, one PATCH out of twenty); this module covers distinct writers, each its own person,
mixing two kinds of write, and checks the rows' contents, on PostgreSQL only, where several gunicorn workers
really write at once (SQLite serialises writers with its write lock)."""
from __future__ import annotations

import datetime as dt
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from peer_review.coding.models import Code, Coding
from peer_review.cycles.models import Cycle
from peer_review.evidence.models import EvidenceItem
from peer_review.extensions import db

from ..conftest import IsolatedClient

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="PostgreSQL only: TEST_DATABASE_URL is unset (run under scripts/with-postgres.sh); "
           "SQLite serialises writers, which test_concurrency.py covers")

WRITERS = 20
TEXT = ("Traders and police now meet every week at the market; women say the new lights by the bus stop "
        "make the walk home after the evening shift feel safer than last year.")


def _in_parallel(n: int, fn) -> list:
    """Run ``fn(i)`` for i in 0..n-1 in n threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def world(app, make_city, make_user, api_token):
    city = make_city("Kisaru", slug="kisaru")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    code = Code(key="trust", direction="more", family="culture", labels={"en": "Trust"})
    db.session.add_all([cycle, code])
    db.session.commit()
    item = EvidenceItem(city=city, cycle=cycle, type="narrative", title="Market", language="en", text=TEXT,
                        consent="obtained", visibility="city")
    db.session.add(item)
    db.session.commit()
    writers = []
    for i in range(WRITERS):
        member = make_user(f"member{i}@kisaru.example", city=city)
        facilitator = make_user(f"fac{i}@net.example", roles=["facilitator"])
        client = app.test_client()
        writers.append({"client": client, "member": api_token(member), "facilitator": api_token(facilitator)})
    return {"cycle_id": cycle.id, "item_id": item.id, "writers": writers}


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


def test_twenty_writers_save_evidence_and_codings_at_once_and_every_row_arrives(world):
    base = {"city": "kisaru", "cycle": world["cycle_id"], "type": "narrative", "language": "en",
            "text": "The bus stop by the school has no light.", "consent": "obtained", "visibility": "city"}
    titles = {f"Bus stop seen by writer {i}" for i in range(WRITERS)}
    # Distinct passages of one item, each a word or two (codings keep to word boundaries), overlapping.
    words = [m.span() for m in re.finditer(r"\w+", TEXT)]
    span_of = [(words[i][0], words[i + (i % 2)][1]) for i in range(WRITERS)]
    spans = set(span_of)
    assert len(spans) == WRITERS

    def write(i: int):
        w = world["writers"][i]
        evidence = w["client"].post("/api/v1/evidence", headers=w["member"],
                                    json={**base, "title": f"Bus stop seen by writer {i}"})
        coding = w["client"].post("/api/v1/codings", headers=w["facilitator"],
                                  json={"item": world["item_id"], "codes": ["trust"], "start": span_of[i][0],
                                        "end": span_of[i][1]})
        return evidence.status_code, evidence.get_json(), coding.status_code, coding.get_json()

    results = _in_parallel(WRITERS, write)
    assert [r[0] for r in results] == [201] * WRITERS, [r[1] for r in results if r[0] != 201]
    assert [r[2] for r in results] == [201] * WRITERS, [r[3] for r in results if r[2] != 201]

    db.session.rollback()
    rows = db.session.execute(db.select(EvidenceItem.title).filter(EvidenceItem.id != world["item_id"])).scalars()
    stored = list(rows)
    assert len(stored) == WRITERS
    assert set(stored) == titles
    assert {r[1]["id"] for r in results} == set(db.session.execute(
        db.select(EvidenceItem.id).filter(EvidenceItem.id != world["item_id"])).scalars())

    codings = db.session.execute(db.select(Coding).filter_by(item_id=world["item_id"])).scalars().all()
    assert len(codings) == WRITERS
    assert {(c.start_offset, c.end_offset) for c in codings} == spans
    answered = {row["id"] for r in results for row in r[3]}
    assert answered == {c.id for c in codings}  # every writer was answered with its own row


def test_two_edits_of_one_item_from_the_same_version_apply_one_and_refuse_the_other(world):
    url = f"/api/v1/evidence/{world['item_id']}"
    a, b = world["writers"][0], world["writers"][1]
    first = a["client"].get(url, headers=a["member"])
    assert first.status_code == 200
    etag = first.headers["ETag"]
    version_before = db.session.get(EvidenceItem, world["item_id"]).version
    db.session.rollback()

    def edit(i: int, round_: int):
        w = (a, b)[i]
        # A title new in every round: an edit that changes nothing is no edit at all.
        response = w["client"].patch(url, headers={**w["member"], "If-Match": etag},
                                     json={"title": f"Market, edited by {'AB'[i]} in round {round_}"})
        return response.status_code, response.get_json()

    # Repeated: one round can be won by scheduling alone; several rounds give the race more chances.
    for round_ in range(5):
        results = _in_parallel(2, lambda i, r=round_: edit(i, r))
        statuses = sorted(s for s, _b in results)
        assert statuses[0] == 200 and statuses[1] in (409, 412), (round_, results)
        winner = next(body for s, body in results if s == 200)
        db.session.rollback()
        item = db.session.get(EvidenceItem, world["item_id"])
        assert item.title == winner["title"]  # the refused edit left no trace
        assert item.version == version_before + 1
        # Next round: both start again from the current version.
        etag = a["client"].get(url, headers=a["member"]).headers["ETag"]
        version_before = item.version
        db.session.rollback()
