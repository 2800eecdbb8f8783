"""Attachment text is read by a background job in a killable child process, with time, page and size limits.

The upload request only stores the file; ``run_pending()`` (the job runner; no thread runs in tests) reads it.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
import time

import pytest

from peer_review.cycles.models import Cycle
from peer_review.evidence import operations as ops
from peer_review.evidence.models import Attachment
from peer_review.extensions import db
from peer_review.jobs.models import Job
from peer_review.jobs.worker import run_pending
from tests.pdf_samples import blank_pdf, numbered_pdf, slow_pdf, text_pdf

MARGIN = 2.0  # seconds beyond the time limit for starting, killing and reaping the child


@pytest.fixture
def setting(make_city, make_user):
    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    member = make_user("m@a.example", city=city)
    item = ops.create_item({"city": city, "cycle": cycle, "type": "safety_audit", "title": "Station walk",
                            "text": "Notes from the walk.", "language": "en", "consent": "obtained",
                            "visibility": "city"}, actor=member)
    db.session.commit()
    return {"member": member, "item": item}


@pytest.fixture(autouse=True)
def _own_files(own_upload_files):
    yield


def upload(client, item, name: str, data: bytes) -> tuple[float, object]:
    started = time.monotonic()
    response = client.post(f"/evidence/{item.id}/attachments", data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    return time.monotonic() - started, response


def only_attachment() -> Attachment:
    db.session.expire_all()
    return db.session.execute(db.select(Attachment).order_by(Attachment.id.desc()).limit(1)).scalar_one()


def run_jobs() -> float:
    db.session.commit()  # the test holds no transaction while the job runs
    started = time.monotonic()
    run_pending()
    return time.monotonic() - started


def reader_children() -> list[int]:
    """Processes this one started that are text readers, or zombies (started and never reaped)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                command = fh.read()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == os.getpid() and (b"text_reader" in command or state == "Z"):
            found.append(int(entry))
    return found


def test_upload_answers_at_once_and_the_job_reads_the_text(client, setting, login):
    item = setting["item"]
    login(client, setting["member"])
    seconds, response = upload(client, item, "walk.pdf", numbered_pdf(10))
    assert response.status_code == 302 and seconds < 1.0
    att = only_attachment()
    assert att.text_status == "pending" and att.extracted_text == ""
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert 'role="status"' in page and "Its text is being read" in page
    status_url = f"/evidence/{item.id}/attachments/{att.id}/status"
    assert f'hx-get="http://localhost{status_url}"' in page or f'hx-get="{status_url}"' in page
    assert "<div hx-disable>" in page  # the file name sits where htmx does nothing
    main = page[page.index("<main"):page.index(">", page.index("<main"))]
    assert "hx-disable" not in main  # the page polls while a text is being read: it opts in to htmx
    job = db.session.execute(db.select(Job).filter_by(kind="extract_text")).scalar_one()
    assert job.params == {"attachment_id": att.id, "sha256": att.sha256}

    assert run_jobs() < 30
    att = only_attachment()
    assert att.text_status == "ready" and att.text_error == ""
    assert "Page 1:" in att.extracted_text and "Page 10:" in att.extracted_text
    partial = client.get(status_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-get" not in partial and "Add its text to the item" in partial  # polling stops
    assert client.post(f"/evidence/{item.id}/attachments/{att.id}/use-text").status_code == 302
    db.session.expire_all()
    assert "Page 10:" in db.session.get(type(item), item.id).text
    job = db.session.get(Job, job.id)
    assert job.state == "done" and job.result["status"] == "ready"
    assert "underpass" not in str(job.result)  # the text stays out of the job table


def test_text_is_not_ready_while_pending(client, setting, login):
    item = setting["item"]
    login(client, setting["member"])
    upload(client, item, "notes.txt", b"Walk notes\n")
    att = only_attachment()
    response = client.post(f"/evidence/{item.id}/attachments/{att.id}/use-text", follow_redirects=True)
    assert "still being read" in response.get_data(as_text=True)


def test_pdf_of_2000_pages_stops_at_the_page_limit(client, setting, login):
    item = setting["item"]
    login(client, setting["member"])
    data = blank_pdf(2000)
    seconds, response = upload(client, item, "register.pdf", data)
    assert response.status_code == 302 and seconds < 1.0
    assert only_attachment().text_status == "pending"
    elapsed = run_jobs()
    assert elapsed < 30 + MARGIN
    att = only_attachment()
    assert att.text_status == "failed" and att.text_error == "pages_empty:300"
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "The PDF has more than 300 pages, and no text could be read from the first 300." in page
    assert not reader_children()


def test_long_pdf_is_read_up_to_the_page_limit_and_says_so(client, app, setting, login, monkeypatch):
    monkeypatch.setitem(app.config, "TEXT_EXTRACTION_MAX_PAGES", 5)
    item = setting["item"]
    login(client, setting["member"])
    upload(client, item, "long.pdf", numbered_pdf(12))
    run_jobs()
    att = only_attachment()
    assert att.text_status == "ready" and att.text_error == "pages:5"
    assert "Page 5:" in att.extracted_text and "Page 6:" not in att.extracted_text
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "The PDF has more than 5 pages; only the first 5 were read." in page
    assert "Add its text to the item" in page


def test_slow_pdf_is_killed_at_the_time_limit_while_other_requests_are_served(client, app, setting, login,
                                                                               monkeypatch):
    limit = 1.5
    monkeypatch.setitem(app.config, "TEXT_EXTRACTION_TIMEOUT", limit)
    item = setting["item"]
    login(client, setting["member"])
    seconds, response = upload(client, item, "audit.pdf", slow_pdf())
    assert response.status_code == 302 and seconds < 1.0
    att_id = only_attachment().id
    db.session.commit()

    outcome = {}

    def worker():
        with app.app_context():
            started = time.monotonic()
            outcome["ran"] = run_pending()
            outcome["seconds"] = time.monotonic() - started
            db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 5
    while not reader_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    children = reader_children()
    assert children, "the job should be reading the file in a child process"
    # The web process stays responsive: a page and an upload while the child works at full CPU.
    started = time.monotonic()
    assert client.get(f"/evidence/{item.id}").status_code == 200
    assert time.monotonic() - started < 1.0
    seconds, response = upload(client, item, "more.txt", b"More notes\n")
    assert response.status_code == 302 and seconds < 1.0
    assert reader_children() == children  # still reading: the requests did not wait for it
    db.session.rollback()
    thread.join(timeout=limit + 10)
    assert not thread.is_alive()

    assert outcome["ran"] == 2  # the slow PDF, then the text file
    att = db.session.get(Attachment, att_id)
    assert att.text_status == "failed" and att.text_error == "timeout:1.5" and att.extracted_text == ""
    job = next(j for j in db.session.execute(db.select(Job)).scalars() if j.params["attachment_id"] == att_id)
    assert job.state == "done" and job.result["reason"] == "timeout"
    assert job.result["seconds"] < limit + MARGIN
    assert not os.path.exists(f"/proc/{job.result['pid']}")  # killed and reaped
    assert not reader_children()
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "The file took too long to read (more than 1.5 seconds)" in page
    main = page[page.index("<main"):page.index(">", page.index("<main"))]
    assert "hx-disable" in main  # nothing polls any more
    assert only_attachment().text_status == "ready"  # the next job ran normally


@pytest.mark.parametrize("name,data,code,message", [
    ("scan.pdf", text_pdf([""]), "empty", "No text could be read from this file"),
    ("broken.pdf", b"%PDF-1.4\n garbage without structure", "damaged", "The file is damaged"),
])
def test_unreadable_files_say_why(client, setting, login, name, data, code, message):
    item = setting["item"]
    login(client, setting["member"])
    upload(client, item, name, data)
    run_jobs()
    att = only_attachment()
    assert att.text_status == "failed" and att.text_error == code
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert message in page and "Add its text to the item" not in page


def test_text_is_cut_at_the_item_text_limit(client, setting, login):
    item = setting["item"]
    login(client, setting["member"])
    upload(client, item, "long.txt", ("word " * 30_000).encode())
    run_jobs()
    att = only_attachment()
    assert att.text_status == "ready" and att.text_error == "chars:100000"
    assert len(att.extracted_text) == ops.MAX_TEXT
    assert "The text is longer than 100,000 characters" in client.get(f"/evidence/{item.id}").get_data(as_text=True)


def test_images_are_not_read_and_the_api_shows_the_status(client, setting, login, api_token):
    item = setting["item"]
    login(client, setting["member"])
    upload(client, item, "photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert only_attachment().text_status == "none"
    assert db.session.execute(db.select(Job)).first() is None
    listing = client.get(f"/api/v1/evidence/{item.id}/attachments", headers=api_token(setting["member"])).json
    assert listing[0]["text_status"] == "none" and listing[0]["has_text"] is False
    assert listing[0]["withheld"] is False


def test_a_job_for_a_file_that_changed_is_dropped(client, setting, login):
    item = setting["item"]
    login(client, setting["member"])
    upload(client, item, "notes.txt", b"First version\n")
    att = only_attachment()
    att.sha256 = "0" * 64  # as if the file had been replaced after the job was queued
    db.session.commit()
    run_jobs()
    att = only_attachment()
    assert att.text_status == "pending" and att.extracted_text == ""
    assert db.session.execute(db.select(Job)).scalar_one().result["status"] == "skipped"
