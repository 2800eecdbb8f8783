"""Parallel writes through a real threaded server: concurrent writers wait their turn instead of failing with
"database is locked", and twenty identical codings at once leave one row."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.serving import make_server

from peer_review.coding.models import Code, Coding
from peer_review.cycles.models import Cycle
from peer_review.evidence.models import EvidenceItem
from peer_review.extensions import db

PARALLEL = 20


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(5)


def call(port: int, method: str, path: str, headers: dict, body=None) -> tuple[int, dict, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = json.dumps(body) if body is not None else None
    conn.request(method, path, body=payload, headers={"Host": "localhost", "Content-Type": "application/json",
                                                       **headers})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), (json.loads(data) if data else {})


@pytest.fixture
def world(app, make_city, make_user, api_token):
    city = make_city("Kisaru", slug="kisaru")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    code = Code(key="trust", direction="more", family="culture", labels={"en": "Trust"})
    db.session.add_all([cycle, code])
    db.session.commit()
    item = EvidenceItem(city=city, cycle=cycle, type="narrative", title="Market", language="en",
                        text="Traders and police now meet every week at the market.", consent="obtained",
                        visibility="city")
    db.session.add(item)
    db.session.commit()
    member = make_user("member@kisaru.example", city=city)
    facilitator = make_user("fac@net.example", roles=["facilitator"])
    return {"cycle": cycle, "item": item, "member": api_token(member), "facilitator": api_token(facilitator)}


def _in_parallel(fn) -> list:
    barrier = threading.Barrier(PARALLEL)

    def run(i):
        barrier.wait()
        return fn(i)
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(run, range(PARALLEL)))


def test_twenty_simultaneous_creates_all_succeed(server, world):
    body = {"city": "kisaru", "cycle": world["cycle"].id, "type": "narrative", "language": "en",
            "text": "The bus stop by the school has no light.", "consent": "obtained", "visibility": "city"}
    results = _in_parallel(lambda i: call(server, "POST", "/api/v1/evidence", world["member"],
                                          {**body, "title": f"Bus stop {i}"}))
    assert [status for status, _h, _b in results] == [201] * PARALLEL
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(EvidenceItem.id))) == PARALLEL + 1


def test_twenty_simultaneous_patches_apply_one_and_refuse_the_rest(server, world):
    url = f"/api/v1/evidence/{world['item'].id}"
    status, headers, _body = call(server, "GET", url, world["member"])
    etag = headers["ETag"]
    results = _in_parallel(lambda i: call(server, "PATCH", url, {**world["member"], "If-Match": etag},
                                          {"title": f"Market {i}"}))
    statuses = sorted(status for status, _h, _b in results)
    assert statuses == [200] + [409] * (PARALLEL - 1), statuses  # all based on one version: one wins


def test_twenty_simultaneous_identical_codings_leave_one_row(server, world):
    body = {"item": world["item"].id, "codes": ["trust"], "start": 0, "end": 25}
    results = _in_parallel(lambda i: call(server, "POST", "/api/v1/codings", world["facilitator"], body))
    statuses = sorted(status for status, _h, _b in results)
    assert statuses == [200] * (PARALLEL - 1) + [201], statuses
    ids = {b[0]["id"] for _s, _h, b in results}
    assert len(ids) == 1  # every answer names the same row
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Coding.id))) == 1
