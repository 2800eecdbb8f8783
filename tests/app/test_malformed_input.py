"""Malformed input answers 400 or 404, never 500: JSON nested too deeply, lone surrogates, integers too large for
the database (in bodies, paths, query strings and forms), for the API and the pages alike; and a schemathesis run
over the whole OpenAPI document on the demo network."""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth
from werkzeug.routing import IntegerConverter

from peer_review.extensions import db
from peer_review.input_limits import JSON_MAX_INT, MAX_ID, StrictJSONProvider, parse_id

HUGE = 2**64                # wider than any JSON integer the app reads
HUGE_TEXT = str(HUGE)
ABOVE_COLUMNS = MAX_ID + 1  # 2**31: fits 64 bits, not PostgreSQL's INTEGER columns ("integer out of range")
FAKE_DIGIT = "²"  # str.isdigit() says yes, int() says no
WRITES = ("POST", "PATCH", "PUT")
TEXT = "Since the mural festival, neighbours trust each other more. Still, women avoid the underpass at night."
SOURCE = Path(__file__).resolve().parents[2] / "peer_review"
_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


# --- The pieces on their own --------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("0", 0), ("42", 42), (str(MAX_ID), MAX_ID), (7, 7), (MAX_ID, MAX_ID),
    (str(MAX_ID + 1), None), (str(JSON_MAX_INT), None), (HUGE_TEXT, None), ("9" * 5000, None), (HUGE, None),
    (-1, None), ("-1", None),
    (FAKE_DIGIT, None), ("١٢", None), ("", None), (None, None), (" 4", None), ("4.0", None), (True, None),
    (4.0, None),
])
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("raw", [
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    "[" * 101 + "]" * 101,                       # under the recursion limit, over the application's
    '{"name": "\\ud83d"}', '{"\\udc00": 1}', '["ok", ["\\ud83d\\ud83d"]]', b'["\\xed\\xa0\\xbd"]',
    f'{{"n": {2**63}}}', f'{{"n": {-(2**63) - 1}}}', f"[{HUGE}]", "9" * 5000,
    '{"n": NaN}', '{"n": Infinity}', '{"n": 1e400}',
])
def test_strict_json_refuses(app, raw):
    with pytest.raises(ValueError):
        app.json.loads(raw)


def test_strict_json_reads_the_rest(app):
    assert isinstance(app.json, StrictJSONProvider)
    raw = f'{{"n": {JSON_MAX_INT}, "m": {-(2**63)}, "s": "\\ud83d\\ude00 \\u00e9", "f": 1.5}}'
    assert app.json.loads(raw) == {"n": JSON_MAX_INT, "m": -(2**63), "s": "\U0001F600 é", "f": 1.5}
    assert app.json.loads("[" * 100 + "]" * 100) is not None
    assert app.json.loads(b'{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    # NUL (which PostgreSQL text cannot hold) is removed, wherever it is; an escaped backslash stays text.
    assert app.json.loads(r'{"k\u0000": ["a\u0000b", "\\u0000", "\\\u0000"]}') == {"k": ["ab", "\\u0000", "\\"]}
    assert app.json.loads('"\\u0000"'.encode("utf-16")) == ""


# --- A small network with one of everything -----------------------------------------------------------------

@pytest.fixture
def crash_as_500(app, monkeypatch):
    """Let an unhandled error become the 500 page (as in production) so that every probe is reported."""
    monkeypatch.setitem(app.config, "PROPAGATE_UNHANDLED", False)


@pytest.fixture
def world(app, make_city, make_user, crash_as_500):
    from peer_review.coding import operations as coding_ops
    from peer_review.coding import samples
    from peer_review.coding.nlp_models import Suggestion, Topic, TopicRun
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.operations import create_item

    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    coding_ops.sync_codebook()
    admin = make_user("admin@net.example", roles=["admin"], name="Admin")
    other = make_user("other@net.example", roles=["facilitator"], name="Other")
    third = make_user("third@net.example", roles=["facilitator"], name="Third")
    member = make_user("m@a.example", city=city)
    items = [create_item({"city": city, "cycle": cycle, "type": "narrative", "title": f"Underpass {n}", "text": TEXT,
                          "language": "en", "consent": "obtained", "visibility": "city"}, actor=member)
             for n in range(2)]
    db.session.flush()
    trust = coding_ops.get_code("trust")
    coding = coding_ops.add_codings(items[0], [trust], other, 26, 58)[0]
    suggestion = Suggestion(item_id=items[0].id, code_id=trust.id, start_offset=0, end_offset=5, score=0.9)
    run = TopicRun(cycle_id=cycle.id, seed=42,
                   topics=[Topic(number=n, label=f"topic {n}", member_ids=[items[0].id]) for n in range(2)])
    db.session.add_all([suggestion, run])
    sample = samples.draw_sample(cycle, 1, other.id, third.id, seed=1, actor=admin)
    db.session.commit()
    path = {"slug": city.slug, "key": "trust", "cycle_id": cycle.id, "item_id": items[1].id, "user_id": other.id,
            "coding_id": coding.id, "sample_id": sample.id, "suggestion_id": suggestion.id,
            "topic_id": run.topics[0].id, "target_type": "item", "target_id": items[1].id}
    return {"admin": admin, "city": city, "cycle": cycle, "items": items, "path": path, "code": "trust"}


def _url(rule, values: dict) -> str:
    """The rule's address with ``values`` for its arguments (1 for other ids, "x" for other text)."""
    def value(match):
        name = match.group(1)
        default = 1 if isinstance(rule._converters.get(name), IntegerConverter) else "x"
        return str(values.get(name, default))
    return _ARG.sub(value, rule.rule)


def _if_match(client, url: str, headers: dict) -> dict:
    """Edits may require the ETag of what was read (If-Match); send it so that the body is what is tested."""
    etag = client.get(url, headers=headers).headers.get("ETag")
    return {"If-Match": etag} if etag else {}


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _is_error_shape(response) -> bool:
    body = response.get_json(silent=True) or {}
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), str) and \
        isinstance(error.get("message"), str) and isinstance(error.get("fields"), dict)


# --- JSON bodies on every API write -----------------------------------------------------------------------------

def _valid_bodies(w) -> dict:
    return {
        "api.create_city": {"name": "Ciudad Nueva", "country": "Peru", "region": "latin_america",
                            "population_band": "500k_1m", "languages": ["es"], "timezone": "America/Lima"},
        "api.update_city": {"name": "Alpha Renamed"},
        "api.create_cycle": {"name": "2027 round", "starts_on": "2027-01-01", "ends_on": "2027-12-01",
                             "cities": [w["city"].slug]},
        "api.update_cycle": {"name": "2026 round, renamed"},
        "api.create_evidence": {"city": w["city"].slug, "cycle": w["cycle"].id, "type": "narrative",
                                "title": "Lights", "text": "The lights are back.", "language": "en",
                                "consent": "obtained", "visibility": "city"},
        "api.update_evidence": {"title": "Underpass, renamed"},
        "api.create_code": {"labels": {"en": "Night economy"}},
        "api.update_code": {"labels": {"en": "Trust, renamed"}},
        "api.create_coding": {"item": w["items"][1].id, "codes": ["trust"], "start": 0, "end": 5},
    }


def _request_schema(spec: dict, rule, method: str) -> tuple[bool, dict]:
    """(does the operation read JSON, the JSON object's properties) from the OpenAPI document."""
    operation = spec["paths"].get(_ARG.sub(r"{\1}", rule.rule), {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return "application/json" in content, schema.get("properties", {})


def _with_each_field(base: dict, properties: dict, value) -> list[tuple[str, dict]]:
    """The base body with ``value`` put in each field in turn: as the field, in a list, in an object."""
    bodies = []
    for name, prop in properties.items():
        if prop.get("readOnly"):
            continue
        bodies.append((name, {**base, name: value}))
        bodies.append((f"{name}[]", {**base, name: [value]}))
        bodies.append((f"{name}{{}}", {**base, name: {"en": value}}))
    return bodies


def _malformed_bodies(base: dict, properties: dict) -> list[tuple[str, str]]:
    deep = [("deep list", '{"name": ' + "[" * 50_000 + "]" * 50_000 + "}"),
            ("deep object", '{"a":' * 50_000 + "1" + "}" * 50_000)]
    surrogates = [("surrogate key", {**base, "\ud83d": "x"})] + \
        [(f"surrogate in {n}", b) for n, b in _with_each_field(base, properties, "Night \ud83d walk")]
    integers = [("huge body", HUGE), ("huge in a list", [HUGE])] + \
        [(f"{sign}huge in {n}", b) for sign, v in (("", HUGE), ("-", -HUGE))
         for n, b in _with_each_field(base, properties, v)]
    # The standard library escapes lone surrogates (ensure_ascii) and writes big integers in full.
    return deep + [(label, json.dumps(body)) for label, body in surrogates + integers]


def test_every_api_write_answers_400_to_deep_json_lone_surrogates_and_huge_integers(app, client, world, api_token):
    from peer_review.api.openapi import build_spec
    headers = {**api_token(world["admin"]), "Content-Type": "application/json"}
    spec = build_spec()
    valid = _valid_bodies(world)
    failures, sent, routes = [], 0, 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in (m for m in _methods(rule) if m in WRITES):
            routes += 1
            reads_json, properties = _request_schema(spec, rule, method)
            url = _url(rule, world["path"])
            # Without a valid body the malformed parts are still refused, but nothing shows they would have
            # reached the database; without a row for the path, the answer may be 404 before the body is read.
            base = valid.get(rule.endpoint, {})
            unknown_row = any(name not in world["path"] for name in rule.arguments)
            extra = _if_match(client, url, headers) if method != "POST" else {}
            for label, raw in _malformed_bodies(base, properties):
                r = client.open(url, method=method, data=raw, headers={**headers, **extra})
                sent += 1
                code = (r.get_json(silent=True) or {}).get("error", {}).get("code")
                ok = (r.status_code == 400 and code == "bad_json") or (unknown_row and r.status_code == 404) \
                    if reads_json else 400 <= r.status_code < 500
                if not (ok and _is_error_shape(r)):
                    failures.append(f"{method} {rule.rule} ({label}): {r.status_code} {r.get_data(as_text=True)[:120]}")
    assert routes >= 10 and sent > 500
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("field,value", [("item", ABOVE_COLUMNS), ("item", -ABOVE_COLUMNS - 1), ("item", HUGE_TEXT),
                                         ("item", 1e300), ("start", HUGE_TEXT), ("end", 1e300)])
def test_integers_too_large_for_the_columns_or_spelt_as_text_or_floats_are_invalid(client, world, api_token, field,
                                                                                   value):
    body = {**_valid_bodies(world)["api.create_coding"], field: value}
    r = client.post("/api/v1/codings", json=body, headers=api_token(world["admin"]))
    assert r.status_code == 422 and r.json["error"]["code"] == "invalid" and field in r.json["error"]["fields"]


@pytest.mark.parametrize("value", [ABOVE_COLUMNS, HUGE_TEXT, 1e300])
def test_huge_cycle_id_in_an_evidence_body_is_invalid(client, world, api_token, value):
    body = {**_valid_bodies(world)["api.create_evidence"], "cycle": value}
    r = client.post("/api/v1/evidence", json=body, headers=api_token(world["admin"]))
    assert r.status_code == 422 and "cycle" in r.json["error"]["fields"]


# --- Ids in paths, query strings and forms ------------------------------------------------------------------

@pytest.mark.parametrize("huge", [ABOVE_COLUMNS, HUGE])
def test_ids_too_large_for_the_database_in_a_path_are_404(app, client, world, api_token, login, huge):
    headers = api_token(world["admin"])
    failures, tried = [], 0
    for rule in app.url_map.iter_rules():
        int_args = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        for name in int_args:
            url = _url(rule, {**world["path"], name: huge})
            for method in _methods(rule):
                is_api = rule.rule.startswith("/api/")
                if not is_api:
                    login(client, world["admin"])
                r = client.open(url, method=method, headers=headers if is_api else {})
                tried += 1
                if r.status_code != 404 or (is_api and not _is_error_shape(r)):
                    failures.append(f"{method} {url}: {r.status_code}")
    assert tried >= 50
    assert not failures, "\n".join(failures)


def _names_read_from(pattern: str) -> set[str]:
    names = set()
    for path in SOURCE.rglob("*.py"):
        names.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return names


def _query_names() -> set[str]:
    return _names_read_from(r'(?:args|values)(?:\.get\(|\.getlist\(|\[)"(\w+)"') | {"page", "per_page"}


def _form_names() -> set[str]:
    import importlib

    from flask_wtf import FlaskForm
    from wtforms.fields.core import UnboundField
    for module in sorted(p.relative_to(SOURCE.parent).with_suffix("").as_posix().replace("/", ".")
                         for p in SOURCE.rglob("forms*.py")):
        importlib.import_module(module)  # every form class, so that every field name is tried
    names = _names_read_from(r'(?:form|values)(?:\.get\(|\.getlist\(|\[)"(\w+)"')
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        names.update(n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField))
    return names


@pytest.mark.parametrize("bad", [str(ABOVE_COLUMNS), HUGE_TEXT, FAKE_DIGIT, str(-HUGE)])
def test_ids_too_large_or_not_digits_in_a_query_string_are_unknown(app, client, world, api_token, login, bad):
    names = _query_names()
    assert {"cycle", "city", "coder", "item", "run"} <= names
    query = {name: bad for name in names}
    headers = api_token(world["admin"])
    failures = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        is_api = rule.rule.startswith("/api/")
        if not is_api:
            login(client, world["admin"])
        r = client.get(_url(rule, world["path"]), query_string=query, headers=headers if is_api else {})
        if r.status_code >= 500 or (is_api and r.status_code >= 400 and not _is_error_shape(r)):
            failures.append(f"GET {rule.rule}: {r.status_code}")
    assert not failures, "\n".join(failures)
    if bad.startswith("-"):
        return  # not digits at all: ignored, as before
    # Digits that name no row filter to nothing, as an unknown id does, rather than crashing.
    for url in ("/api/v1/evidence", "/api/v1/codings"):
        r = client.get(url, query_string={"cycle": bad, "item": bad}, headers=headers)
        assert r.status_code == 200 and r.json["total"] == 0, url
    login(client, world["admin"])
    assert client.get("/evidence/", query_string={"cycle": bad}).status_code == 200
    assert client.get("/coding/codes/trust", query_string={"cycle": bad, "city": bad, "coder": bad}).status_code == 200
    assert client.get(f"/coding/cycles/{world['cycle'].id}/topics", query_string={"run": bad}).status_code == 404


@pytest.mark.parametrize("bad", [str(ABOVE_COLUMNS), HUGE_TEXT, FAKE_DIGIT])
def test_form_posts_with_ids_too_large_or_not_digits_do_not_crash(app, client, world, login, bad):
    names = _form_names()
    assert {"start", "end", "suggestion", "other", "seed", "cycle", "coder_a", "size"} <= names
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "POST" not in rule.methods:
            continue
        for data in ({name: bad for name in names}, {**{name: bad for name in names}, "code": world["code"],
                                                     "codes": world["code"], "span": f"{bad}-{bad}"}):
            db.session.expire(world["admin"])  # signing out (a route here) changes the session token
            login(client, world["admin"])
            r = client.post(_url(rule, world["path"]), data=data)
            if r.status_code == 302 and "/login" in r.headers["Location"] and rule.endpoint != "auth.logout":
                failures.append(f"POST {rule.rule}: signed out, so not tested")
            if r.status_code >= 500:
                failures.append(f"POST {rule.rule}: {r.status_code}")
    assert not failures, "\n".join(failures)


def test_nul_characters_never_reach_the_database(app, client, world, api_token, login):
    """PostgreSQL text can neither store nor compare NUL: removed from query strings, forms and JSON (as other
    control characters are), and not found in a path."""
    from peer_review.api.openapi import build_spec
    headers = api_token(world["admin"])
    failures = []
    names = _form_names()
    for rule in app.url_map.iter_rules():
        is_api = rule.rule.startswith("/api/")
        url = _url(rule, world["path"])
        if "GET" in rule.methods and rule.endpoint != "static":
            login(client, world["admin"])
            r = client.get(url, query_string={n: "a\x00b" for n in _query_names()}, headers=headers if is_api else {})
            if r.status_code >= 500 or (is_api and r.status_code >= 400 and not _is_error_shape(r)):
                failures.append(f"GET {rule.rule}?q=NUL: {r.status_code}")
        if "POST" in rule.methods and not is_api:
            db.session.expire(world["admin"])
            login(client, world["admin"])
            r = client.post(url, data={n: "a\x00b" for n in names})
            if r.status_code >= 500:
                failures.append(f"POST {rule.rule} with NUL: {r.status_code}")
    spec, valid = build_spec(), _valid_bodies(world)
    for rule in app.url_map.iter_rules():
        for method in (m for m in _methods(rule) if m in WRITES and rule.endpoint in valid):
            url = _url(rule, world["path"])
            _reads_json, properties = _request_schema(spec, rule, method)
            for name, body in _with_each_field(valid[rule.endpoint], properties, "Night\x00 walk"):
                extra = _if_match(client, url, headers) if method != "POST" else {}
                r = client.open(url, method=method, json=body, headers={**headers, **extra})
                if r.status_code >= 500 or (r.status_code >= 400 and not _is_error_shape(r)):
                    failures.append(f"{method} {rule.rule} with NUL in {name}: {r.status_code}")
    for url in ("/cities/a%00b", "/coding/codes/a%00b", "/api/v1/cities/a%00b", "/api/v1/codes/a%00b"):
        login(client, world["admin"])
        r = client.get(url, headers=headers if url.startswith("/api/") else {})
        if r.status_code != 404:
            failures.append(f"GET {url}: {r.status_code}")
    assert not failures, "\n".join(failures)
    r = client.get("/api/v1/cities", query_string={"q": "Al\x00pha"}, headers=headers)
    assert [c["slug"] for c in r.json["items"]] == ["alpha"]


@pytest.mark.parametrize("tag", ['"v²"', '"v18446744073709551616"', '"v"', "*"])
def test_an_if_match_that_is_no_etag_of_ours_is_412(client, world, api_token, tag):
    r = client.patch(f"/api/v1/evidence/{world['items'][1].id}", json={"title": "New title"},
                     headers={**api_token(world["admin"]), "If-Match": tag})
    assert r.status_code == 412 and _is_error_shape(r)


def test_a_multipart_part_without_a_name_is_not_a_crash(client, world, api_token):
    body = b'--B\r\nContent-Disposition: form-data; name="\r"\r\n\r\nnull\r\n--B--\r\n'
    r = client.post(f"/api/v1/evidence/{world['items'][1].id}/attachments", data=body,
                    headers={**api_token(world["admin"]), "Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 422 and _is_error_shape(r)


def test_bulk_accept_with_a_huge_suggestion_id_accepts_nothing(client, world, login):
    login(client, world["admin"])
    r = client.post(f"/coding/cycles/{world['cycle'].id}/suggestions",
                    data={"code": world["code"], "suggestion": [str(ABOVE_COLUMNS), HUGE_TEXT, FAKE_DIGIT]})
    assert r.status_code == 302
    from peer_review.coding.nlp_models import Suggestion
    assert {s.state for s in db.session.execute(db.select(Suggestion)).scalars()} == {"pending"}


# --- Schemathesis over the whole OpenAPI document, on the demo network ----------------------------------------

MAX_EXAMPLES = 12  # per operation and generation mode (valid, invalid)


@pytest.fixture
def demo_network(app, monkeypatch):
    """The demo network, an admin's real API token, and the app as schemathesis calls it (in-process WSGI)."""
    from werkzeug.security import generate_password_hash

    from peer_review.coding.models import Coding, DoubleCodingSample
    from peer_review.cycles.models import Cycle
    from peer_review.demo.loader import load_demo
    from peer_review.evidence.models import EvidenceItem
    from peer_review.users import models as user_models
    from peer_review.users.operations import create_token

    started = time.monotonic()
    # The demo's 28 scrypt hashes take ten seconds; the data, not the hashing, is what this test is about.
    monkeypatch.setattr(user_models, "generate_password_hash",
                        functools.partial(generate_password_hash, method="pbkdf2:sha256:1"))
    load_demo()
    admin = db.session.execute(db.select(user_models.User).filter_by(
        email="admin@demo.safercities.example")).scalar_one()
    _token, raw = create_token(admin, "schemathesis")

    def first(model):
        return db.session.execute(db.select(model.id).order_by(model.id).limit(1)).scalar_one()
    real = {"slug": "san-aurelio", "key": "trust", "cycle_id": first(Cycle), "item_id": first(EvidenceItem),
            "coding_id": first(Coding), "sample_id": first(DoubleCodingSample), "user_id": admin.id}
    db.session.commit()  # the test's own session holds nothing while the requests run

    def wsgi(environ, start_response):
        """Every request, schemathesis's auth probes included, in a fresh app context (database session, g),
        as in production; an unhandled error still propagates (TESTING) and fails the case with its traceback."""
        with app.app_context():
            return list(app(environ, start_response))

    network = {"auth": {"Authorization": f"Bearer {raw}"}, "real": real, "wsgi": wsgi, "cases": {}}
    yield network
    cases = network["cases"]
    print(f"\nschemathesis: {sum(cases.values())} cases over {len(cases)} operations "
          f"in {time.monotonic() - started:.1f} s (demo network included)")


def _fuzz(operation, strategy, network: dict) -> None:
    cases = network["cases"]

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        cases[operation.label] = cases.get(operation.label, 0) + 1
        case.call_and_validate(headers=network["auth"], checks=[not_a_server_error, ignored_auth])

    run()


@pytest.mark.slow  # builds the whole demo network: runs with the slow part of make test
def test_schemathesis_finds_no_server_error_and_no_ignored_auth(demo_network):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_network["wsgi"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        # Generated ids and slugs mostly miss; half the valid cases aim at rows that exist, to reach deeper code.
        fixed = {p.name: demo_network["real"][p.name] for p in operation.path_parameters
                 if p.name in demo_network["real"]}
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if fixed and mode is schemathesis.GenerationMode.POSITIVE:
                strategy = st.one_of(strategy, operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            _fuzz(operation, strategy, demo_network)
    cases = demo_network["cases"]
    assert len(cases) == len(operations) and sum(cases.values()) >= 10 * len(operations)
