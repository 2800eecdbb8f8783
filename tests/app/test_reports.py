"""Reports: the peer review report gathered from a submitted assessment and released reviews, rendered to a
tagged PDF (text checked with pdftotext), deterministic bytes, frozen published revisions, permissions, API."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from peer_review.extensions import db
from peer_review.reports import operations as ops
from peer_review.reports import render, snapshot
from peer_review.reports.models import ReportRevision
from tests.conftest import login_as

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
                          ).stdout.decode()


@pytest.fixture
def released(app, make_city, make_user):
    """City A (submitted self-assessment, level 2 on most criteria), reviewed by Beta Town, whose review
    (levels 3, one strength, one recommendation) is released; A has answered the recommendation."""
    import datetime as dt

    from peer_review.reviews import operations as rv
    from peer_review.reviews import responses as rops
    from tests.app.walk_reviews import build
    from tests.fixtures.rubrics import CRITERIA

    city_a = make_city("Alpha City", slug="alpha")
    city_b = make_city("Beta Town", slug="beta")
    city_c = make_city("Gamma Village", slug="gamma")
    people = {
        "member": make_user("member@a.example", city=city_a),
        "reviewer": make_user("one@b.example", city=city_b, city_role="coordinator"),
        "outsider": make_user("one@c.example", city=city_c, city_role="coordinator"),
        "facilitator": make_user("fac@net.example", roles=["facilitator"]),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
    }
    cycle, _assessment, (assignment,) = build(db, city_a, [city_b], cycle_name="2027 round",
                                              starts=dt.date(2027, 3, 1), actor=people["member"])
    review = rv.get_or_start(assignment, actor=people["reviewer"])
    for cid in CRITERIA:
        rv.save_answer(review, cid, {"level": 3, "agreement": "partly", "comment": f"Seen on site for {cid}"},
                       None, actor=people["reviewer"])
    rv.save_strength(review, None, {"text": "A strong safety council", "criterion_ids": ["gov.1"]})
    rec = rv.save_recommendation(review, None, {"text": "Fund the safety plan", "priority": "high",
                                                "criterion_ids": ["gov.1"]})
    rv.submit(review, actor=people["reviewer"])
    rv.release(cycle, city_a.id, actor=people["secretariat"])
    response = rops.get_or_start(cycle, city_a, actor=people["member"])
    item = rops.item_for(response, rec.id)
    rops.save_item(response, rec.id, {"decision": "accept", "action": "Budget line in 2028",
                                      "action_owner": "Safety unit"}, item.version, actor=people["member"])
    db.session.commit()
    return {"cycle": cycle, "city_a": city_a, "city_b": city_b, "review": review, **people}


def test_the_snapshot_holds_self_and_peer_levels_reviews_and_the_response(released):
    data = snapshot.peer_review(released["cycle"], released["city_a"], "en")
    gov1 = data["sections"][0]["criteria"][0]
    assert gov1["self"]["level"] == 2 and gov1["peers"][0]["level"] == 3
    assert gov1["peers"][0]["reviewer"] == "Beta Town" and gov1["peers"][0]["agreement"] == "partly"
    review = data["reviews"][0]
    assert review["strengths"][0]["text"] == "A strong safety council"
    assert review["recommendations"][0]["response"]["decision"] == "accept"
    assert snapshot.canonical(data)  # JSON-serialisable


def test_an_unreleased_review_is_not_in_the_report(released):
    from peer_review.reviews import operations as rv
    rv.reopen(released["review"], "more to check", actor=released["secretariat"])
    db.session.commit()
    data = snapshot.peer_review(released["cycle"], released["city_a"], "en")
    assert data["reviews"] == [] and all(not c["peers"] for s in data["sections"] for c in s["criteria"])


@needs_pdftotext
def test_the_pdf_shows_the_city_levels_and_headings_in_the_readers_language(app, released):
    with app.test_request_context():
        pdf = render.render_pdf(snapshot.peer_review(released["cycle"], released["city_a"], "en"))
        spanish = render.render_pdf(snapshot.peer_review(released["cycle"], released["city_a"], "es"))
    assert pdf.startswith(b"%PDF-1.7")
    text = pdf_text(pdf)
    assert "Alpha City" in text and "Peer review report" in text and "Contents" in text
    assert "Governance" in text and "3 Established" in text and "Fund the safety plan" in text
    assert "Accept" in text
    es = pdf_text(spanish)
    assert "Gobernanza" in es and "Inclusión" in es and "En desarrollo" in es  # rubric texts, with accents
    assert "Informe de revisión entre" in es and "Contenido" in es  # the template's headings, translated


def test_the_same_snapshot_renders_to_the_same_bytes(app, released):
    with app.test_request_context():
        data = snapshot.peer_review(released["cycle"], released["city_a"], "fr")
        first = render.render_pdf(data, cache=False)
        again = snapshot.peer_review(released["cycle"], released["city_a"], "fr")
        second = render.render_pdf(again, cache=False)
    assert first == second
    import io

    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(first))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"] and root["/Lang"] == "fr"  # tagged
    day = data["as_of"].replace("-", "")
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == f"D:{day}000000Z"  # from the data
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert "Sommaire" in titles and len(titles) >= 4  # bookmarks from the headings, in the report's language


def test_a_published_revision_is_frozen_and_a_correction_needs_a_note(app, released):
    from peer_review.audit.models import AuditEntry
    with app.test_request_context():
        report = ops.get_or_create("peer_review", released["cycle"], released["city_a"], "en")
        first = ops.publish(report, released["secretariat"])
        db.session.commit()
        frozen = bytes(first.pdf)
        answer = released["review"].answers[0]
        answer.level = 1
        db.session.commit()
        assert ops.draft_pdf(report) != frozen
        with pytest.raises(ops.PublishError):
            ops.publish(report, released["secretariat"])
        second = ops.publish(report, released["secretariat"], note="Level of gov.1 corrected")
        db.session.commit()
    assert bytes(db.session.get(ReportRevision, first.id).pdf) == frozen
    with app.test_request_context():  # the stored snapshot renders to the stored bytes
        assert render.render_pdf(db.session.get(ReportRevision, first.id).snapshot, cache=False) == frozen
    assert second.number == 2 and second.supersedes_id == first.id and second.snapshot_hash != first.snapshot_hash
    assert first.rubric_hash == released["cycle"].rubric_version.content_hash
    assert first.renderer_version.startswith("weasyprint ") and first.size == len(frozen)
    entries = db.session.execute(db.select(AuditEntry).filter_by(action="report.publish")).scalars().all()
    assert len(entries) == 2


def test_pages_permissions_and_download_serve_the_stored_bytes(client, released):
    url = f"/reports/cycles/{released['cycle'].id}/cities/alpha/peer-review"
    for who, code in (("member", 200), ("facilitator", 200), ("secretariat", 200), ("reviewer", 404),
                      ("outsider", 404)):
        login_as(client, released[who])
        assert client.get(url).status_code == code, who
    login_as(client, released["member"])
    page = client.get(url).get_data(as_text=True)
    assert "Publish the report" not in page and "Download the current draft as PDF" in page
    assert client.post(url + "/publish").status_code == 403
    draft = client.get(url + ".pdf")
    assert draft.status_code == 200 and draft.data.startswith(b"%PDF")
    login_as(client, released["secretariat"])
    assert "Publish the report" in client.get(url).get_data(as_text=True)
    assert client.post(url + "/publish").status_code == 302
    revision = db.session.execute(db.select(ReportRevision)).scalar_one()
    login_as(client, released["member"])
    got = client.get(f"/reports/revisions/{revision.id}.pdf")
    assert got.status_code == 200 and got.data == revision.pdf
    login_as(client, released["outsider"])
    assert client.get(f"/reports/revisions/{revision.id}.pdf").status_code == 404
    assert "Alpha City" not in client.get("/reports/").get_data(as_text=True)
    login_as(client, released["member"])
    assert "Alpha City" in client.get("/reports/").get_data(as_text=True)


def test_the_api_lists_publishes_and_downloads(client, released, api_token):
    body = {"cycle_id": released["cycle"].id, "city": "alpha", "locale": "en"}
    assert client.post("/api/v1/reports/publish", json=body, headers=api_token(released["member"])
                       ).status_code == 403
    sec = api_token(released["secretariat"])
    made = client.post("/api/v1/reports/publish", json=body, headers=sec)
    assert made.status_code == 201, made.get_json()
    assert client.post("/api/v1/reports/publish", json=body, headers=sec).status_code == 422  # no note
    member = api_token(released["member"])
    listed = client.get("/api/v1/reports", headers=member).get_json()["items"]
    assert [r["city"] for r in listed] == ["alpha"]
    assert client.get("/api/v1/reports", headers=api_token(released["outsider"])).get_json()["items"] == []
    revisions = client.get(f"/api/v1/reports/{listed[0]['id']}/revisions", headers=member).get_json()["items"]
    assert revisions[0]["pdf_sha256"] == made.get_json()["pdf_sha256"]
    pdf = client.get(f"/api/v1/reports/revisions/{revisions[0]['id']}/pdf", headers=member)
    assert pdf.status_code == 200 and pdf.headers["X-Content-SHA256"] == revisions[0]["pdf_sha256"]
    assert client.get(f"/api/v1/reports/revisions/{revisions[0]['id']}/pdf",
                      headers=api_token(released["outsider"])).status_code == 404


@needs_pdftotext
def test_the_cycle_report_shows_network_means_and_is_read_by_all_once_published(app, client, released):
    with app.test_request_context():
        data = snapshot.cycle_report(released["cycle"], "en")
        text = pdf_text(render.render_pdf(data))
    assert data["sections"][0]["self_mean"] == 2 and data["sections"][0]["peer_mean"] == 3
    assert "Cycle report" in text and "Alpha City" in text and "Governance" in text
    url = f"/reports/cycles/{released['cycle'].id}/network"
    login_as(client, released["member"])
    assert client.get(url).status_code == 404  # drafts: facilitators and the secretariat
    login_as(client, released["facilitator"])
    assert client.get(url).status_code == 200 and client.post(url + "/publish").status_code == 403
    login_as(client, released["secretariat"])
    assert client.post(url + "/publish").status_code == 302
    revision = db.session.execute(db.select(ReportRevision)).scalar_one()
    login_as(client, released["outsider"])
    got = client.get(f"/reports/revisions/{revision.id}.pdf")
    assert got.status_code == 200 and got.data == revision.pdf
    assert "revision 1" in client.get("/reports/").get_data(as_text=True)
