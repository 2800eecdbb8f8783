"""Exports: each table's rows for each role (a member sees only their city; restricted evidence hidden from the
secretariat; a withdrawn-consent item never exported with its text), formula neutralisation in CSV and XLSX, the
JSON structure, headers-only files for empty tables, the page, and the API."""
from __future__ import annotations

import csv
import io

import pytest

from tests.app.assessment_fixtures import full_answers, setting  # noqa: F401
from tests.conftest import login_as

HYPERLINK = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def world(setting, make_city, make_user):  # noqa: F811
    from peer_review.assessments import operations as aops
    from peer_review.assignments.models import Assignment
    from peer_review.coding.models import Coding, DoubleCodingSample
    from peer_review.coding.operations import add_codings, get_code, sync_codebook
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    from peer_review.reviews import operations as rops
    from peer_review.reviews import responses as resp
    from tests.app.walk_reviews import complete

    sync_codebook()
    a, b, cycle = setting["city_a"], setting["city_b"], setting["cycle"]
    city_c = make_city("Gamma Village", slug="gamma")
    cycle.cities.append(city_c)
    c_member = make_user("member@c.example", city=city_c, city_role="member")
    coord, fac = setting["coordinator"], setting["facilitator"]

    answers = full_answers()
    answers["gov.1"]["justification"] = HYPERLINK
    answers["gov.2"]["justification"] = "+1 more streetlights"
    answers["inc.2"] = {"not_applicable": True, "na_reason": "No young people's council here"}
    own = aops.get_or_start(a, cycle, actor=coord)
    for cid, data in answers.items():
        aops.save_answer(own, cid, data, None, actor=coord)
    aops.submit(own, actor=coord)
    draft_b = aops.get_or_start(b, cycle, actor=setting["other"])
    aops.save_answer(draft_b, "gov.1", {"level": 1, "justification": "Beta's own draft"}, None)

    by_b = Assignment(cycle_id=cycle.id, reviewer_city_id=b.id, reviewed_city_id=a.id, state="published")
    by_c = Assignment(cycle_id=cycle.id, reviewer_city_id=city_c.id, reviewed_city_id=a.id, state="published")
    db.session.add_all([by_b, by_c])
    db.session.flush()
    review_b = complete(db, rops.get_or_start(by_b))
    rops.save_answer(review_b, "gov.1", {"level": 3, "agreement": "partly", "comment": "@SUM(1,2) not quite"}, None)
    rops.submit(review_b)
    review_c = rops.get_or_start(by_c)
    rops.save_answer(review_c, "gov.1", {"level": 1, "agreement": "disagree", "comment": "Gamma's draft"}, None)
    rops.release(cycle, a.id)
    response = resp.get_or_start(cycle, a, actor=coord)
    rec = review_b.recommendations[0]
    item = resp.item_for(response, rec.id)
    resp.save_item(response, rec.id, {"decision": "accept", "comment": "=1+1", "action": "Light the underpass",
                                      "action_owner": "Works department"}, item.version, actor=coord)

    def evidence(title, city=a, **kw):
        row = EvidenceItem(city_id=city.id, cycle_id=cycle.id, type="narrative", title=title,
                           text=kw.pop("text", f"Text of {title}"), language="en",
                           consent=kw.pop("consent", "obtained"), visibility=kw.pop("visibility", "city"), **kw)
        db.session.add(row)
        db.session.flush()
        return row

    items = {
        "open": evidence("Open walk notes", visibility="network"),
        "city": evidence("Council minutes"),
        "secret": evidence("Shelter testimony", visibility="restricted"),
        "gone": evidence("Withdrawn story", text="WITHDRAWN-TEXT about a named person", consent="withdrawn"),
        "beta": evidence("Beta market audit", city=b),
    }
    add_codings(items["city"], [get_code("trust")], fac, 0, 7)
    add_codings(items["secret"], [get_code("trust")], fac)
    add_codings(items["gone"], [get_code("trust")], fac, 0, 9)
    sample = DoubleCodingSample(cycle_id=cycle.id, name="blind", coder_a_id=fac.id,
                                coder_b_id=setting["secretariat"].id, seed=1)
    db.session.add(sample)
    db.session.flush()
    db.session.add(Coding(item_id=items["open"].id, code_id=get_code("fear_of_crime").id, coder_id=fac.id,
                          sample_id=sample.id))
    db.session.commit()
    return {**setting, "city_c": city_c, "c_member": c_member, "items": items, "review_b": review_b}


def rows(table_name, world, person, city=None):
    from peer_review.exports import tables
    return tables.build(table_name, world["cycle"], world[city] if city else None, world[person]).as_dicts()


def test_assessments_each_city_its_own_and_submitted_ones_for_facilitators(world):
    assert {r["city"] for r in rows("assessments", world, "member")} == {"alpha"}
    assert {r["city"] for r in rows("assessments", world, "other")} == {"beta"}
    assert {r["city"] for r in rows("assessments", world, "secretariat")} == {"alpha", "beta"}
    assert {r["city"] for r in rows("assessments", world, "facilitator")} == {"alpha"}  # B's is a draft
    assert rows("assessments", world, "c_member") == []
    first = rows("assessments", world, "member")[0]
    assert first["criterion"] == "gov.1" and first["state"] == "submitted" and first["level"] == 2
    assert first["justification"] == HYPERLINK and first["submitted_at"]
    # A member asking for another city's rows gets none (the view answers 403).
    assert rows("assessments", world, "member", city="city_b") == []


def test_reviews_released_for_the_city_submitted_for_the_reviewers_all_for_staff(world):
    pairs = lambda person: {(r["reviewer_city"], r["reviewed_city"]) for r in rows("reviews", world, person)}
    assert pairs("member") == {("beta", "alpha")}  # released; Gamma's draft is not
    assert pairs("other") == {("beta", "alpha")}  # the review Beta wrote
    assert pairs("c_member") == set()  # a draft: not exported, even to its writers
    assert pairs("secretariat") == {("beta", "alpha"), ("gamma", "alpha")}
    assert pairs("facilitator") == set()
    gov1 = next(r for r in rows("reviews", world, "member") if r["criterion"] == "gov.1")
    assert gov1["agreement"] == "partly" and gov1["level"] == 3 and gov1["comment"].startswith("@SUM")


def test_responses_for_the_city_and_staff(world):
    mine = rows("responses", world, "member")
    assert len(mine) == 1 and mine[0]["decision"] == "accept" and mine[0]["action"] == "Light the underpass"
    assert mine[0]["reviewer_city"] == "beta" and mine[0]["recommendation"] == "Fund the plan"
    assert mine[0]["action_owner"] == "Works department" and mine[0]["progress"] == "not_started"
    assert rows("responses", world, "secretariat") == mine
    assert rows("responses", world, "other") == []


def test_evidence_follows_visibility_and_leaves_withdrawn_consent_out(world):
    titles = lambda person, city=None: {r["title"] for r in rows("evidence", world, person, city)}
    assert titles("member") == {"Open walk notes", "Council minutes", "Shelter testimony"}
    assert titles("secretariat") == {"Open walk notes", "Council minutes", "Beta market audit"}
    assert titles("facilitator") == {"Open walk notes", "Council minutes", "Shelter testimony", "Beta market audit"}
    assert titles("other") == {"Beta market audit"}
    assert titles("secretariat", "city_a") == {"Open walk notes", "Council minutes"}
    for person in ("member", "secretariat", "facilitator"):
        assert all("WITHDRAWN-TEXT" not in str(r) for r in rows("evidence", world, person))
    row = next(r for r in rows("evidence", world, "member") if r["title"] == "Council minutes")
    assert row["id"] == world["items"]["city"].id and row["city"] == "alpha" and row["visibility"] == "city"


def test_codings_counted_only_for_coding_readers(world):
    assert rows("codings", world, "member") == []
    staff = rows("codings", world, "secretariat")
    assert [(r["item_id"], r["code"], r["start"], r["end"], r["passage"]) for r in staff] == [
        (world["items"]["city"].id, "trust", 0, 7, "Text of")]
    assert staff[0]["coder"] == world["facilitator"].name and staff[0]["origin"] == "manual"
    fac = rows("codings", world, "facilitator")
    assert {r["item_id"] for r in fac} == {world["items"]["city"].id, world["items"]["secret"].id}
    assert all("WITHDRAWN" not in str(r) for r in fac)  # the withdrawn item's coding is left out


def test_indicators_per_city(world):
    mine = rows("indicators", world, "member")
    assert mine and {r["city"] for r in mine} == {"alpha"}
    assert {"indicator", "status", "value", "low", "high", "evidence_count", "method_hash"} <= set(mine[0])
    assert {r["city"] for r in rows("indicators", world, "secretariat")} == {"alpha", "beta", "gamma"}


def test_csv_and_xlsx_neutralise_formulas(client, world):
    import openpyxl
    login_as(client, world["member"])
    r = client.get(f"/exports/assessments.csv?cycle={world['cycle'].id}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "private, no-store"
    text = r.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    by = {row["criterion"]: row for row in table}
    assert by["gov.1"]["justification"] == "'" + HYPERLINK
    assert by["gov.2"]["justification"] == "'+1 more streetlights"
    assert by["gov.1"]["not_applicable"] == "false"

    r = client.get(f"/exports/assessments.xlsx?cycle={world['cycle'].id}&city=alpha")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[0]
    cells = {row[header.index("criterion")]: row for row in values[1:]}
    assert cells["gov.1"][header.index("justification")] == "'" + HYPERLINK
    assert cells["gov.2"][header.index("justification")] == "'+1 more streetlights"
    assert cells["gov.1"][header.index("level")] == 2  # numbers stay numbers
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    login_as(client, world["other"])
    reviews = client.get(f"/exports/reviews.xlsx?cycle={world['cycle'].id}")
    sheet = openpyxl.load_workbook(io.BytesIO(reviews.get_data())).active
    assert any(c.value == "'@SUM(1,2) not quite" for row in sheet.iter_rows() for c in row)


def test_json_structure_and_empty_tables(client, world):
    login_as(client, world["member"])
    r = client.get(f"/exports/responses.json?cycle={world['cycle'].id}")
    body = r.get_json()
    assert r.status_code == 200 and body["table"] == "responses" and body["city"] is None
    assert body["cycle"] == {"id": world["cycle"].id, "name": world["cycle"].name}
    assert body["count"] == 1 and body["columns"][0] == "city"
    assert body["rows"][0]["comment"] == "=1+1"  # JSON keeps the text as it is
    # Nothing to show: a file with the headers only.
    r = client.get(f"/exports/codings.csv?cycle={world['cycle'].id}")
    assert r.status_code == 200
    assert r.get_data().decode("utf-8") == "\ufeffitem_id,city,code,start,end,passage,coder,origin\r\n"
    body = client.get(f"/exports/codings.json?cycle={world['cycle'].id}").get_json()
    assert body["rows"] == [] and body["count"] == 0 and "passage" in body["columns"]


def test_download_permissions(client, world):
    cycle = world["cycle"].id
    login_as(client, world["member"])
    assert client.get(f"/exports/evidence.csv?cycle={cycle}&city=beta").status_code == 403
    assert client.get(f"/exports/evidence.csv?cycle={cycle}&city=nowhere").status_code == 404
    assert client.get(f"/exports/secrets.csv?cycle={cycle}").status_code == 404
    assert client.get(f"/exports/evidence.pdf?cycle={cycle}").status_code == 404
    assert client.get("/exports/evidence.csv?cycle=99999").status_code == 404
    assert client.get("/exports/evidence.csv?cycle=x").status_code == 404
    login_as(client, world["secretariat"])
    r = client.get(f"/exports/evidence.csv?cycle={cycle}&city=beta")
    assert r.status_code == 200 and "Beta market audit" in r.get_data(as_text=True)
    assert 'filename="evidence-2027-round-beta.csv"' in r.headers["Content-Disposition"]


def test_draft_cycle_hidden_from_cities(client, world, make_user):
    from peer_review.extensions import db
    world["cycle"].state = "draft"
    db.session.commit()
    login_as(client, world["member"])
    assert client.get(f"/exports/assessments.csv?cycle={world['cycle'].id}").status_code == 404
    login_as(client, world["secretariat"])
    assert client.get(f"/exports/assessments.csv?cycle={world['cycle'].id}").status_code == 200
    nobody = make_user("nobody@x.example")
    login_as(client, nobody)
    assert client.get("/exports/").status_code == 403


def test_page_offers_own_cities_and_sends_the_choice_on(client, world):
    login_as(client, world["member"])
    page = client.get("/exports/").get_data(as_text=True)
    assert "Alpha City" in page and "Beta Town" not in page and "All your cities" in page
    assert world["cycle"].name in page
    r = client.get(f"/exports/?cycle={world['cycle'].id}&city=alpha&table=evidence&format=xlsx")
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/exports/evidence.xlsx?cycle={world['cycle'].id}&city=alpha")
    assert client.get("/exports/?table=nothing&format=csv").status_code == 404
    login_as(client, world["secretariat"])
    page = client.get("/exports/").get_data(as_text=True)
    assert "Beta Town" in page and "The whole cycle" in page


def test_api_exports(client, world, api_token):
    import openpyxl
    cycle = world["cycle"].id
    headers = api_token(world["member"])
    body = client.get(f"/api/v1/exports/evidence?cycle={cycle}", headers=headers).get_json()
    assert {r["title"] for r in body["rows"]} == {"Open walk notes", "Council minutes", "Shelter testimony"}
    r = client.get(f"/api/v1/exports/assessments?cycle={cycle}&format=csv", headers=headers)
    assert r.status_code == 200 and "'=HYPERLINK" in r.get_data().decode("utf-8")
    r = client.get(f"/api/v1/exports/assessments?cycle={cycle}&format=xlsx", headers=headers)
    assert openpyxl.load_workbook(io.BytesIO(r.get_data())).active.title == "assessments"
    r = client.get(f"/api/v1/exports/evidence?cycle={cycle}&city=beta", headers=headers)
    assert r.status_code == 403 and set(r.get_json()["error"]) == {"code", "message", "fields"}
    assert client.get(f"/api/v1/exports/nothing?cycle={cycle}", headers=headers).status_code == 404
    r = client.get(f"/api/v1/exports/evidence?cycle={cycle}&format=pdf", headers=headers)
    assert r.status_code == 422 and "format" in r.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/exports/evidence?cycle={cycle}").status_code == 401
    sec = client.get(f"/api/v1/exports/evidence?cycle={cycle}", headers=api_token(world["secretariat"])).get_json()
    assert "Shelter testimony" not in {r["title"] for r in sec["rows"]}
