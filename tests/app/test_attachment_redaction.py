"""Redacting an item reaches its attachments: text files are rewritten, other files holding the phrase (or that
cannot be checked) are withheld until a redacted copy replaces them, and no file under instance/ keeps it."""
from __future__ import annotations

import datetime as dt
import io
import os

import pytest

from peer_review.audit.models import AuditEntry
from peer_review.cycles.models import Cycle
from peer_review.evidence import operations as ops
from peer_review.evidence.attachments import phrase_pattern, redact_attachments
from peer_review.evidence.models import Attachment, EvidenceItem
from peer_review.extensions import db
from peer_review.jobs.models import Job
from peer_review.jobs.worker import run_pending
from tests.pdf_samples import numbered_pdf, text_pdf

NAME = "Zofia Wieczorek"
NOTICE = "Withheld after a redaction: upload a redacted copy to replace it"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 30


@pytest.fixture
def setting(make_city, make_user):
    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    member = make_user("m@a.example", city=city)
    item = ops.create_item({"city": city, "cycle": cycle, "type": "narrative", "title": "Walking home",
                            "text": f"Testimony of {NAME}, who walks home past the station at night.",
                            "language": "en", "consent": "obtained", "visibility": "city"}, actor=member)
    db.session.commit()
    return {"member": member, "item": item}


@pytest.fixture(autouse=True)
def _own_files(own_upload_files):
    yield


def upload(client, item, name: str, data: bytes) -> Attachment:
    response = client.post(f"/evidence/{item.id}/attachments", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.execute(db.select(Attachment).order_by(Attachment.id.desc()).limit(1)).scalar_one()


def run_jobs() -> None:
    db.session.commit()
    run_pending()
    db.session.expire_all()


def redact(client, item, passage: str = NAME):
    """Through the real route, with the version the form carries (a stale form is refused)."""
    db.session.expire_all()
    version = db.session.get(EvidenceItem, item.id).version
    db.session.commit()
    response = client.post(f"/evidence/{item.id}/redact", data={"passage": passage, "version": str(version)})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()


def files_holding(folder: str, *needles: bytes) -> list[str]:
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                raw = fh.read().lower()
            if any(needle.lower() in raw for needle in needles):
                found.append(path)
    return found


def test_redaction_rewrites_text_files_and_withholds_the_pdf(client, app, setting, login, api_token):
    item = setting["item"]
    login(client, setting["member"])
    txt = upload(client, item, "notes.txt",
                 f"Notes.\n{NAME} said the lamp is broken.\nAsk ZOFIA   wieczorek\nagain.\n".encode())
    pdf = upload(client, item, "audit.pdf", text_pdf([f"Interview with {NAME} at the station.", "Page two."]))
    clean = upload(client, item, "map.pdf", text_pdf(["The station has no lights."]))
    run_jobs()
    assert NAME in db.session.get(Attachment, pdf.id).extracted_text
    assert files_holding(app.instance_path, NAME.encode())  # before: the files hold the name

    redact(client, item)

    # the text file is rewritten, size and hash updated; its extracted text is masked
    txt = db.session.get(Attachment, txt.id)
    body = client.get(f"/evidence/{item.id}/attachments/{txt.id}").get_data()
    assert b"wieczorek" not in body.lower() and body.count(b"[redacted]") == 2
    assert txt.size == len(body) and txt.sha256 == __import__("hashlib").sha256(body).hexdigest()
    assert "Wieczorek" not in txt.extracted_text and "[redacted] said the lamp" in txt.extracted_text
    assert not txt.withheld and txt.text_status == "ready"
    # the PDF that held the name is withheld: refused with a page that says why, bytes and text gone
    pdf = db.session.get(Attachment, pdf.id)
    assert pdf.withheld and pdf.extracted_text == "" and pdf.sha256 == ""
    assert not os.path.exists(ops.attachment_path(pdf))
    refused = client.get(f"/evidence/{item.id}/attachments/{pdf.id}")
    assert refused.status_code == 410 and "This file is withheld" in refused.get_data(as_text=True)
    assert client.post(f"/evidence/{item.id}/attachments/{pdf.id}/use-text").status_code == 302
    assert "[redacted]" not in db.session.get(EvidenceItem, item.id).text.split("station at night.")[1]
    # a PDF whose full text is known and does not hold the name stays
    assert not db.session.get(Attachment, clean.id).withheld
    assert client.get(f"/evidence/{item.id}/attachments/{clean.id}").status_code == 200
    # no file under instance/ holds the name, in any case
    assert not files_holding(app.instance_path, NAME.encode(), b"Wieczorek")
    # nothing in the database holds it either; the audit log has counts only
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()).all():
            assert "wieczorek" not in repr(tuple(row)).lower(), f"left in {table.name}"
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="evidence.redact")).scalar_one()
    assert entry.after["attachments"] == {"rewritten": 1, "withheld": 1, "texts_masked": 2, "renamed": 0}
    # the page shows the notice and a way to upload the replacement; the API exposes neither bytes nor text
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert NOTICE in page
    assert f'action="/evidence/{item.id}/attachments/{pdf.id}/replace"' in page
    assert f'href="/evidence/{item.id}/attachments/{pdf.id}"' not in page
    listing = client.get(f"/api/v1/evidence/{item.id}/attachments", headers=api_token(setting["member"])).json
    withheld = next(a for a in listing if a["id"] == pdf.id)
    assert withheld["withheld"] is True and withheld["has_text"] is False and withheld["sha256"] == ""

    # a redacted copy takes its place and is read again
    response = client.post(f"/evidence/{item.id}/attachments/{pdf.id}/replace",
                           data={"file": (io.BytesIO(text_pdf(["Interview with [redacted] at the station."])),
                                          "audit-redacted.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    pdf = db.session.get(Attachment, pdf.id)
    assert not pdf.withheld and pdf.text_status == "pending" and pdf.filename == "audit-redacted.pdf"
    run_jobs()
    pdf = db.session.get(Attachment, pdf.id)
    assert pdf.text_status == "ready" and "[redacted]" in pdf.extracted_text
    assert client.get(f"/evidence/{item.id}/attachments/{pdf.id}").status_code == 200
    assert NOTICE not in client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert db.session.execute(db.select(AuditEntry).filter_by(action="evidence.attachment_replace")).scalar_one()


def test_files_whose_text_is_not_known_in_full_are_withheld(client, app, setting, login, monkeypatch):
    """Images, scans, unread and partly read PDFs: we cannot know whether they hold the phrase."""
    monkeypatch.setitem(app.config, "TEXT_EXTRACTION_MAX_PAGES", 3)
    item = setting["item"]
    login(client, setting["member"])
    image = upload(client, item, "photo.png", PNG)
    scan = upload(client, item, "scan.pdf", text_pdf([""]))
    long = upload(client, item, "long.pdf", numbered_pdf(5))
    run_jobs()
    assert db.session.get(Attachment, long.id).text_error == "pages:3"
    pending = upload(client, item, "late.pdf", text_pdf([f"{NAME} again."]))  # its job has not run yet
    redact(client, item)
    for att in (image, scan, long, pending):
        att = db.session.get(Attachment, att.id)
        assert att.withheld, att.filename
        assert not os.path.exists(ops.attachment_path(att))
    run_jobs()  # the job queued for late.pdf finds it withheld and stores nothing
    late = db.session.get(Attachment, pending.id)
    assert late.withheld and late.extracted_text == ""
    assert db.session.execute(db.select(Job).order_by(Job.id.desc()).limit(1)).scalar_one().result["status"] == \
        "skipped"
    assert client.get(f"/evidence/{item.id}").get_data(as_text=True).count(NOTICE) == 4


def test_text_file_redacted_while_its_text_is_being_read(client, app, setting, login):
    item = setting["item"]
    login(client, setting["member"])
    txt = upload(client, item, f"{NAME.replace(' ', '_')}.txt", f"Call {NAME} back.\n".encode())
    redact(client, item)  # before the job ran
    txt = db.session.get(Attachment, txt.id)
    assert txt.text_status == "pending" and txt.filename == "redacted.txt"
    run_jobs()  # the first job read the old bytes and is dropped; the second reads the rewritten file
    txt = db.session.get(Attachment, txt.id)
    assert txt.text_status == "ready" and txt.extracted_text == "Call [redacted] back.\n"
    assert not files_holding(app.instance_path, b"Wieczorek")


def test_phrase_matching():
    pattern = phrase_pattern(["Zofia  Wieczorek", "  ", "+34 612"])
    text = "zofia\nWIECZOREK, Zofia Wieczorek, +34   612 345, Zofia-Wieczorek"
    assert pattern.sub("[redacted]", text) == "[redacted], [redacted], [redacted] 345, Zofia-Wieczorek"
    assert phrase_pattern(["", " \n", "a"]) is None  # a single character is not spread


def test_nothing_to_do_without_phrases(setting):
    assert redact_attachments(setting["item"], []) == {"rewritten": 0, "withheld": 0, "texts_masked": 0,
                                                       "renamed": 0}
