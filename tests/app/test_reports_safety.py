"""The city's "State of Safety" report: indicators with intervals, voice coverage, stories only where consent
allows publication (redacted text kept), follow-up of recommendations; rendered to PDF in the reader's language;
a published revision frozen while the data moves on; long renders in a background job with progress.

The evidence is the indicator tests' world (paraphrased public accounts of women's safety audits and community
safety work)."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.app.assessment_fixtures import setting  # noqa: F401
from tests.app.test_indicators import world  # noqa: F401
from tests.conftest import login_as

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
                          ).stdout.decode()


def _url(world, suffix=""):  # noqa: F811
    return f"/reports/cycles/{world['cycle'].id}/cities/alpha/state-of-safety{suffix}"


def test_only_items_whose_consent_allows_publication_can_be_chosen(app, world):  # noqa: F811
    from peer_review.extensions import db
    from peer_review.reports import safety
    items = world["items"]
    with app.test_request_context():
        eligible = {i.id for i in safety.eligible_stories(world["cycle"], world["city_a"])}
        assert items["walk"].id in eligible
        assert items["secret"].id not in eligible  # restricted: never leaves the city
        with pytest.raises(safety.StoryError):
            safety.choose_stories(world["cycle"], world["city_a"], [items["secret"].id], world["coordinator"])
        items["toilets"].consent = "pending"
        db.session.flush()
        with pytest.raises(safety.StoryError):
            safety.choose_stories(world["cycle"], world["city_a"], [items["toilets"].id], world["coordinator"])


@needs_pdftotext
def test_a_story_whose_consent_is_withdrawn_later_never_appears(app, world):  # noqa: F811
    from peer_review.extensions import db
    from peer_review.reports import render, safety
    items = world["items"]
    with app.test_request_context():
        safety.choose_stories(world["cycle"], world["city_a"], [items["walk"].id, items["library"].id],
                              world["coordinator"])
        db.session.commit()
        data = safety.state_of_safety(world["cycle"], world["city_a"], "en")
        assert [s["title"] for s in data["stories"]] == ["Night walk near the metro exit", "Library park programme"]
        text = pdf_text(render.render_pdf(data))
        assert "underpass by the metro exit" in text and "film club" in text
        items["walk"].consent = "withdrawn"
        db.session.commit()
        data = safety.state_of_safety(world["cycle"], world["city_a"], "en")
        text = pdf_text(render.render_pdf(data))
    assert [s["title"] for s in data["stories"]] == ["Library park programme"]
    assert "underpass" not in text and "film club" in text


@needs_pdftotext
def test_the_pdf_carries_the_city_the_figures_and_translated_headings(app, world):  # noqa: F811
    from peer_review.reports import render, safety
    with app.test_request_context():
        data = safety.state_of_safety(world["cycle"], world["city_a"], "en")
        english = pdf_text(render.render_pdf(data))
        spanish = pdf_text(render.render_pdf(safety.state_of_safety(world["cycle"], world["city_a"], "es")))
    trust = next(i for f in data["families"] for i in f["indicators"] if i["id"] == "trust")
    assert trust["status"] == "ok" and 0 < trust["value"] < 1 and trust["low"] < trust["value"] < trust["high"]
    assert "Alpha City" in english and "State of Safety" in english and "Contents" in english
    assert f"{round(trust['value'] * 100)}%" in english  # the figure, with its interval beside it
    assert "Whose voices the evidence carries" in english and "Recommendations and follow-up" in english
    assert data["coverage"]["total"] == 7  # withdrawn consent left out of every figure
    assert "Alpha City" in spanish and "Estado de la seguridad" in spanish and "Contenido" in spanish
    assert "Indicadores" in spanish


def test_a_published_revision_stays_byte_identical_after_the_data_changes(app, client, world):  # noqa: F811
    from peer_review.extensions import db
    from peer_review.reports.models import ReportRevision
    login_as(client, world["secretariat"])
    assert client.post(_url(world, "/publish")).status_code == 302
    revision = db.session.execute(db.select(ReportRevision)).scalar_one()
    stored, digest = bytes(revision.pdf), revision.pdf_sha256
    world["items"]["toilets"].consent = "withdrawn"  # the data moves on
    db.session.commit()
    draft = client.get(_url(world, ".pdf"))
    assert draft.status_code == 200 and draft.data != stored
    got = client.get(f"/reports/revisions/{revision.id}.pdf")
    assert got.data == stored
    import hashlib
    assert hashlib.sha256(got.data).hexdigest() == digest
    assert client.post(_url(world, "/publish")).status_code == 303  # a correction needs its note
    assert client.post(_url(world, "/publish"), data={"note": "Consent withdrawn for one audit"}
                       ).status_code == 302
    second = db.session.execute(db.select(ReportRevision).filter_by(number=2)).scalar_one()
    assert second.supersedes_id == revision.id and bytes(revision.pdf) == stored


def test_pages_and_choosing_stories_by_role(app, client, world):  # noqa: F811
    for who, code in (("coordinator", 200), ("member", 200), ("facilitator", 200), ("other", 404)):
        login_as(client, world[who])
        assert client.get(_url(world)).status_code == code, who
    login_as(client, world["member"])
    assert client.get(_url(world, "/stories")).status_code == 403
    login_as(client, world["coordinator"])
    page = client.get(_url(world, "/stories")).get_data(as_text=True)
    assert "Night walk near the metro exit" in page and "Testimony from a shelter resident" not in page
    secret = world["items"]["secret"].id
    refused = client.post(_url(world, "/stories"), data={"item": [str(secret)]})
    assert refused.status_code == 422 and "Only items whose consent allows publication" in refused.get_data(True)
    saved = client.post(_url(world, "/stories"), data={"item": [str(world["items"]["walk"].id)]})
    assert saved.status_code == 302
    assert "The last streetlight has been broken" in client.get(_url(world)).get_data(as_text=True)


def test_a_long_report_renders_in_the_background_with_progress(app, client, world):  # noqa: F811
    from peer_review.extensions import db
    from peer_review.jobs.worker import run_pending
    from peer_review.reports.models import ReportRender
    app.config["REPORT_INLINE_SECONDS"] = 0  # every report counts as long
    login_as(client, world["coordinator"])
    page = client.get(_url(world)).get_data(as_text=True)
    assert "Prepare the current draft as PDF" in page
    started = client.get(_url(world, ".pdf"))
    assert started.status_code == 302 and "/reports/renders/" in started.headers["Location"]
    status = started.headers["Location"]
    waiting = client.get(status).get_data(as_text=True)
    assert "<progress" in waiting and "Waiting" in waiting
    partial = client.get(status, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in partial and "<html" not in partial
    assert run_pending() == 1
    done = client.get(status).get_data(as_text=True)
    assert "The PDF is ready." in done and "<progress" not in done
    pdf = client.get(status + ".pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert db.session.execute(db.select(ReportRender)).scalar_one().pdf == pdf.data
    again = client.get(_url(world, ".pdf"))  # kept: no second rendering
    assert again.status_code == 200 and again.data == pdf.data
    login_as(client, world["other"])
    assert client.get(status).status_code == 404 and client.get(status + ".pdf").status_code == 404


def test_publishing_a_long_report_in_the_background(app, client, world):  # noqa: F811
    from peer_review.extensions import db
    from peer_review.jobs.worker import run_pending
    from peer_review.reports.models import ReportRevision
    app.config["REPORT_INLINE_SECONDS"] = 0
    login_as(client, world["secretariat"])
    started = client.post(_url(world, "/publish"))
    assert started.status_code == 302 and "/reports/renders/" in started.headers["Location"]
    assert db.session.execute(db.select(ReportRevision)).first() is None
    run_pending()
    revision = db.session.execute(db.select(ReportRevision)).scalar_one()
    assert "Revision 1 published." in client.get(started.headers["Location"]).get_data(as_text=True)
    assert revision.report.kind == "state_of_safety" and revision.pdf.startswith(b"%PDF")


def test_the_api_renders_a_draft_or_hands_back_a_job(app, client, world, api_token):  # noqa: F811
    from peer_review.jobs.worker import run_pending
    body = {"kind": "state_of_safety", "cycle_id": world["cycle"].id, "city": "alpha", "locale": "fr"}
    headers = api_token(world["member"])
    pdf = client.post("/api/v1/reports/render", json=body, headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.post("/api/v1/reports/render", json=body, headers=api_token(world["other"])).status_code == 404
    app.config["REPORT_INLINE_SECONDS"] = 0
    body["locale"] = "es"
    queued = client.post("/api/v1/reports/render", json=body, headers=headers)
    assert queued.status_code == 202
    status_url = queued.get_json()["status_url"]
    assert client.get(status_url, headers=headers).get_json()["state"] == "queued"
    run_pending()
    assert client.get(status_url, headers=headers).get_json()["state"] == "done"
    assert client.get(status_url, headers=api_token(world["other"])).status_code == 404
