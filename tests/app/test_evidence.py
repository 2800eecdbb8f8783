"""Evidence: sanitised Markdown, visibility, attachments, redaction with no trace, validation, API."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile

import pytest

from peer_review.audit.models import AuditEntry
from peer_review.coding.models import Coding
from peer_review.cycles.models import Cycle
from peer_review.evidence import operations as ops
from peer_review.evidence.models import Attachment, EvidenceItem
from peer_review.extensions import db

SECRET = "Maria Gonzalez, 14 Calle Luna, +34 612 345 678"


@pytest.fixture
def setting(make_city, make_user):
    city_a, city_b = make_city("Alpha", slug="alpha"), make_city("Beta", slug="beta")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city_a, city_b])
    db.session.add(cycle)
    db.session.commit()
    return {
        "a": city_a, "b": city_b, "cycle": cycle,
        "member": make_user("m@a.example", city=city_a),
        "other": make_user("m@b.example", city=city_b),
        "facilitator": make_user("f@net.example", roles=["facilitator"]),
        "secretariat": make_user("s@net.example", roles=["secretariat"]),
    }


def make_item(setting, **kw):
    data = {"city": setting["a"], "cycle": setting["cycle"], "type": "narrative", "title": "Bus stop at night",
            "text": "We wait in the dark and feel unsafe.", "language": "en", "consent": "obtained",
            "visibility": "city"}
    data.update(kw)
    item = ops.create_item(data, actor=setting["member"])
    db.session.commit()
    return item


FORM = {"city": "alpha", "type": "safety_audit", "title": "Women's safety walk", "text": "Lights **broken**.",
        "language": "en", "gender": "women", "age_group": "mixed", "vulnerable_groups": ["migrants"],
        "consent": "obtained", "visibility": "city", "area": "Barrio Norte", "source": "Walk with 12 women"}


def test_create_through_the_form_and_audit_without_text(client, setting, login):
    login(client, setting["member"])
    r = client.post("/evidence/new", data={**FORM, "cycle": str(setting["cycle"].id), "date": ["14", "3", "2026"]})
    assert r.status_code == 302, r.data
    item = db.session.execute(db.select(EvidenceItem)).scalar_one()
    assert item.date == dt.date(2026, 3, 14) and item.group_list == ["migrants"] and item.gender == "women"
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="evidence.create")).scalar_one()
    assert "Lights" not in str(entry.after) and entry.after["text_length"] == len(item.text)


def test_cannot_create_for_another_city(client, setting, login):
    login(client, setting["other"])
    r = client.post("/evidence/new", data={**FORM, "cycle": str(setting["cycle"].id)})
    assert r.status_code in (400, 403)
    assert db.session.execute(db.select(EvidenceItem)).first() is None


@pytest.mark.parametrize("field,value", [
    ("title", ""), ("title", "x" * 201), ("text", ""), ("text", "y" * 100_001), ("type", "poem"),
    ("language", "de"), ("consent", "maybe"), ("visibility", "public"), ("city", "nowhere"),
    ("vulnerable_groups", ["aliens"]),
])
def test_bad_form_values_change_nothing(client, setting, login, field, value):
    login(client, setting["member"])
    r = client.post("/evidence/new", data={**FORM, "cycle": str(setting["cycle"].id), field: value})
    assert r.status_code == 400 and b"govuk-error-summary" in r.data
    assert db.session.execute(db.select(EvidenceItem)).first() is None


@pytest.mark.parametrize("payload", [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "![x](x\" onerror=\"alert(1))",
    "<style>body{display:none}</style>",
    '<a href="#" onclick="alert(1)">hi</a>',
    "<iframe src=//evil.example></iframe>",
])
def test_markdown_is_always_sanitised_on_the_page(client, setting, login, payload):
    item = make_item(setting, text=f"Intro\n\n{payload}\n\nEnd")
    login(client, setting["facilitator"])
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    body = page.split('pr-evidence-body"', 1)[1].split("</div>", 1)[0]  # the formatted copy
    for bad in ("<script", "onerror=", "javascript:", "<style", "onclick=", "<iframe"):
        assert bad not in body.lower()
    # the coding view shows the stored text escaped, never as markup
    coding = page.split('id="coding-text"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in coding and "<img" not in coding


def test_visibility_rules_and_sql_agree(client, setting, login, make_user):
    from peer_review.permissions import can, visible_evidence_clause
    items = [make_item(setting, title=f"{v} {c}", visibility=v, city=setting[c])
             for v in ("network", "city", "restricted") for c in ("a", "b")]
    admin = make_user(roles=["admin"])
    for user in (setting["member"], setting["other"], setting["facilitator"], setting["secretariat"], admin):
        listed = set(db.session.execute(db.select(EvidenceItem.id).filter(
            visible_evidence_clause(user, EvidenceItem))).scalars())
        allowed = {i.id for i in items if can(user, "evidence.view", i)}
        assert listed == allowed, user.email
    restricted_b = next(i for i in items if i.title == "restricted b")
    assert not can(setting["secretariat"], "evidence.view", restricted_b)
    assert can(setting["facilitator"], "evidence.view", restricted_b)
    assert can(setting["other"], "evidence.view", restricted_b)
    login(client, setting["member"])
    listing = client.get("/evidence/").get_data(as_text=True)
    assert "network b" in listing and "city b" not in listing and "restricted a" in listing


def _docx_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize("name,data,message", [
    ("report.pdf", b"MZ\x90\x00" + b"\0" * 200, "not"),
    ("big.txt", b"a" * (10 * 1024 * 1024 + 10), "too large"),
    ("minutes.docx", None, "zip bomb"),
])
def test_uploads_are_refused_with_a_message(client, setting, login, name, data, message):
    item = make_item(setting)
    data = _docx_bomb() if data is None else data
    login(client, setting["member"])
    stored_before = set(os.listdir(ops.upload_folder()))  # other tests' files may be there
    r = client.post(f"/evidence/{item.id}/attachments", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200
    assert message in r.get_data(as_text=True).lower()
    assert db.session.execute(db.select(Attachment)).first() is None
    assert set(os.listdir(ops.upload_folder())) == stored_before


def test_attachment_upload_download_permission_and_text(client, app, setting, login):
    from docx import Document
    doc = Document()
    doc.add_paragraph("The lamp on Calle Sol has been broken for months.")
    buffer = io.BytesIO()
    doc.save(buffer)
    item = make_item(setting)
    login(client, setting["member"])
    r = client.post(f"/evidence/{item.id}/attachments", data={"file": (io.BytesIO(buffer.getvalue()), "walk.docx")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    att = db.session.execute(db.select(Attachment)).scalar_one()
    assert att.kind == "docx" and att.text_status == "pending" and att.extracted_text == ""
    assert "being read" in client.get(f"/evidence/{item.id}").get_data(as_text=True)
    db.session.rollback()
    from peer_review.jobs.worker import run_pending
    assert run_pending() == 1  # the background job reads the text
    db.session.refresh(att)
    assert "broken for months" in att.extracted_text and att.text_status == "ready"
    stored = ops.attachment_path(att)
    assert stored.startswith(app.instance_path) and "static" not in stored
    r = client.get(f"/evidence/{item.id}/attachments/{att.id}")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    login(client, setting["other"])
    assert client.get(f"/evidence/{item.id}/attachments/{att.id}").status_code == 404
    login(client, setting["member"])
    assert client.post(f"/evidence/{item.id}/attachments/{att.id}/use-text").status_code == 302
    db.session.refresh(item)
    assert item.text.startswith("We wait in the dark") and "broken for months" in item.text
    # an attachment id of another item is not reachable through this item
    other = make_item(setting, title="Other")
    assert client.get(f"/evidence/{other.id}/attachments/{att.id}").status_code == 404


def test_redaction_leaves_no_trace_in_the_database(client, app, setting, login):
    from peer_review.coding.operations import add_codings, get_code, sync_codebook
    sync_codebook()
    text = f"Testimony. {SECRET} told us the street is dark. Write to maria.g@example.org for more."
    item = make_item(setting, text=text)
    start = text.index("the street is dark")
    coding = add_codings(item, [get_code("spatial_investment")], setting["facilitator"], start,
                         start + len("the street is dark"))[0]
    inside = add_codings(item, [get_code("trust")], setting["facilitator"], text.index("Calle"),
                         text.index("Calle") + 10)[0]
    from peer_review.coding.nlp_models import Suggestion
    dark = text.index("dark")
    suggestion = Suggestion(item=item, code=get_code("spatial_investment"), start_offset=dark, end_offset=dark + 4,
                            score=0.6, why=["dark"])
    gone = Suggestion(item=item, code=get_code("trust"), start_offset=text.index("Gonzalez"),
                      end_offset=text.index("Gonzalez") + 8, score=0.6, why=["Gonzalez"])
    from peer_review.coding.nlp_models import Topic, TopicRun
    run = TopicRun(cycle=setting["cycle"], result={"per_group": {"words": [["gonzalez", 0.4], ["street", 0.2]]}})
    run.topics = [Topic(number=0, label="gonzalez, street", words=["gonzalez", "street", "dark"],
                        member_ids=[item.id], representative_ids=[item.id])]
    db.session.add_all([suggestion, gone, run])
    db.session.commit()
    coding_id, inside_id, item_id = coding.id, inside.id, item.id
    suggestion_id, gone_id = suggestion.id, gone.id
    login(client, setting["member"])
    page = client.get(f"/evidence/{item.id}/redact").get_data(as_text=True)
    assert "maria.g@example.org" in page and "+34 612 345 678" in page  # proposed automatically
    spans = [f"{text.index('maria.g')}-{text.index('maria.g') + len('maria.g@example.org')}",
             f"{text.index('+34')}-{text.index('+34') + len('+34 612 345 678')}"]
    r = client.post(f"/evidence/{item.id}/redact", data={"span": spans, "passage": "Maria Gonzalez, 14 Calle Luna",
                                                         "version": item.version})
    assert r.status_code == 302
    db.session.expire_all()
    item = db.session.get(EvidenceItem, item_id)
    for secret in ("Maria Gonzalez", "Calle Luna", "612 345 678", "maria.g@example.org"):
        assert secret not in item.text
    assert "[redacted]" in item.text
    moved = db.session.get(Coding, coding_id)
    assert moved.passage() == "the street is dark"
    assert db.session.get(Coding, inside_id) is None  # a passage made only of removed text is gone
    assert db.session.get(Suggestion, suggestion_id).passage() == "dark"
    assert db.session.get(Suggestion, gone_id) is None
    topic = db.session.execute(db.select(Topic)).scalar_one()
    assert topic.words == ["street", "dark"] and "gonzalez" not in topic.label
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="evidence.redact")).scalar_one()
    # nothing anywhere in the database holds the removed text
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).all():
            dump = repr(tuple(row))
            for secret in ("Maria Gonzalez", "Calle Luna", "612 345 678", "maria.g@example.org", "gonzalez"):
                assert secret not in dump, f"{secret!r} left in {table.name}"
    assert "Maria" not in str(entry.summary)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        db.session.remove()
        db.engine.dispose()
        for suffix in ("", "-wal", "-journal"):
            path = url[len("sqlite:///"):] + suffix
            if os.path.exists(path):
                raw = open(path, "rb").read()
                for secret in (b"Maria Gonzalez", b"Calle Luna", b"maria.g@example.org"):
                    assert secret not in raw, f"{secret!r} still in the SQLite file {path}"


def test_redaction_by_the_other_city_is_not_possible(client, setting, login):
    item = make_item(setting, visibility="network")
    login(client, setting["other"])
    assert client.get(f"/evidence/{item.id}").status_code == 200
    assert client.post(f"/evidence/{item.id}/redact", data={"passage": "dark"}).status_code == 403


def test_text_is_locked_once_coded(setting):
    from peer_review.coding.operations import add_codings, get_code, sync_codebook
    from peer_review.errors import ValidationFailed
    sync_codebook()
    item = make_item(setting)
    add_codings(item, [get_code("fear_of_crime")], setting["facilitator"], 30, 36)
    with pytest.raises(ValidationFailed):
        ops.update_item(item, {"text": "Something else"})
    ops.update_item(item, {"title": "New title"})
    assert item.title == "New title"


def test_evidence_api(client, setting, api_token):
    headers = api_token(setting["member"])
    body = {"city": "alpha", "cycle": setting["cycle"].id, "type": "survey_text", "title": "Survey answers",
            "text": "- I avoid the park at night\n- More lights please", "language": "en", "consent": "anonymised",
            "visibility": "network", "vulnerable_groups": ["disability"]}
    r = client.post("/api/v1/evidence", json=body, headers=headers)
    assert r.status_code == 201, r.json
    item_id = r.json["id"]
    assert r.json["vulnerable_groups"] == ["disability"] and r.json["city"] == "alpha"
    etag = r.headers["ETag"]
    r = client.patch(f"/api/v1/evidence/{item_id}", json={"title": "Survey free text"},
                     headers={**headers, "If-Match": etag})
    assert r.status_code == 200 and r.json["title"] == "Survey free text" and r.headers["ETag"] != etag
    bad = client.post("/api/v1/evidence", json={**body, "city": "beta"}, headers=headers)
    assert bad.status_code == 403
    bad = client.post("/api/v1/evidence", json={**body, "title": ["not", "a", "string"]}, headers=headers)
    assert bad.status_code == 422 and "title" in bad.json["error"]["fields"]
    r = client.post(f"/api/v1/evidence/{item_id}/attachments", headers=headers,
                    data={"file": (io.BytesIO(b"%PDF-1.4 not really"), "x.exe")}, content_type="multipart/form-data")
    assert r.status_code == 422
    r = client.post(f"/api/v1/evidence/{item_id}/attachments", headers=headers,
                    data={"file": (io.BytesIO(b"plain notes\n"), "notes.txt")}, content_type="multipart/form-data")
    assert r.status_code == 201 and r.json["kind"] == "txt"
    listing = client.get("/api/v1/evidence?city=alpha&type=survey_text", headers=api_token(setting["other"]))
    assert listing.json["total"] == 1  # network visibility
    assert client.get("/api/v1/evidence?city=nowhere", headers=headers).json["total"] == 0


def test_the_form_defaults_to_the_open_cycle_and_says_every_problem_at_once(client, setting, login):
    from peer_review.cycles.models import Cycle
    draft = Cycle(name="2027 round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1), state="draft",
                  cities=[setting["a"]])
    elsewhere = Cycle(name="Beta only", starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2026, 12, 1),
                      state="open", cities=[setting["b"]])
    db.session.add_all([draft, elsewhere])
    db.session.commit()
    login(client, setting["member"])
    page = client.get("/evidence/new").get_data(as_text=True)
    selected = re.search(r'<option value="(\d+)" selected>', page)
    assert selected and int(selected.group(1)) == setting["cycle"].id  # the round in progress, not the draft
    assert "Beta only" not in page  # a cycle the member's city does not take part in is not offered
    assert "2027 round (not open yet)" in page
    login(client, setting["facilitator"])  # offered every city and every cycle
    r = client.post("/evidence/new", data={**FORM, "title": "", "consent": "", "cycle": str(elsewhere.id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Enter a title" in html and "Say whether consent was obtained" in html
    assert "Alpha does not take part in Beta only" in html  # in the same answer as the field errors


def test_an_item_of_a_closed_cycle_is_read_only_but_can_still_be_redacted(client, setting, login):
    """A closed cycle is read-only everywhere; protecting people (redaction) stays possible."""
    from peer_review.cycles.models import Cycle
    old = Cycle(name="2025 round", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 1), state="closed",
                cities=[setting["a"]])
    db.session.add(old)
    db.session.commit()
    item = make_item(setting, cycle=old)
    login(client, setting["member"])
    assert client.get(f"/evidence/{item.id}/edit").status_code == 403
    assert client.post(f"/evidence/{item.id}/edit", data={"title": "Changed"}).status_code == 403
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert f"/evidence/{item.id}/edit" not in page
    assert f"/evidence/{item.id}/redact" in page
    assert client.get(f"/evidence/{item.id}/redact").status_code == 200
    old.state = "open"
    db.session.commit()
    page = client.get(f"/evidence/{item.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option value="{old.id}" selected>2025 round', page)
