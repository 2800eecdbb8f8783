"""Attachment text: upload-request time, and background extraction time, for four PDFs.

- a 10-page text PDF;
- 2,000-page PDFs (blank pages made with pypdf; a line of text on each page): the job stops at
  TEXT_EXTRACTION_MAX_PAGES (300);
- a slow PDF (60 KB, 300 pages sharing one content stream that takes pypdf about 8 s to parse): the job's child
  process is killed at TEXT_EXTRACTION_TIMEOUT (30 s).

For each: the upload request's time, the job's time and outcome, and the median time of the item page requested
while the job runs (the web process stays responsive). For comparison, "unbounded" is the old behaviour (every
page, up to 2,000, read with no time limit, as the upload request used to do), run in a child process capped
at 120 s. Prints figures; not a timed test.
Run: .venv/bin/python bench/bench_extraction.py [--skip-unbounded]
"""
from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

UNBOUNDED_CAP = 120.0


def main() -> None:
    from flask_migrate import upgrade

    from peer_review import create_app
    from peer_review.cities.models import City
    from peer_review.cycles.models import Cycle
    from peer_review.evidence import attachments
    from peer_review.evidence import operations as ops
    from peer_review.evidence.models import Attachment
    from peer_review.extensions import db
    from peer_review.jobs.models import Job
    from peer_review.jobs.worker import run_pending
    from peer_review.users.models import Membership, User
    from tests.pdf_samples import blank_pdf, numbered_pdf, slow_pdf

    folder = tempfile.mkdtemp()
    os.environ["INSTANCE_PATH"] = folder
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
    with app.app_context():
        upgrade()
        city = City(name="Benchville", slug="benchville", country="Nowhere", region="europe",
                    population_band="100k_500k", languages="en", timezone="UTC")
        cycle = Cycle(name="Bench round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1),
                      state="open", cities=[city])
        user = User(email="bench@example.org", name="Bench", active=True)
        user.memberships = [Membership(city=city, role="coordinator")]
        db.session.add_all([city, cycle, user])
        db.session.flush()
        item = ops.create_item({"city": city, "cycle": cycle, "type": "safety_audit", "title": "Bench",
                                "text": "Bench item.", "language": "en", "consent": "obtained",
                                "visibility": "city"}, actor=user)
        db.session.commit()
        item_id, user_id = item.id, user.get_id()
        print(f"limits: {app.config['TEXT_EXTRACTION_TIMEOUT']} s, {app.config['TEXT_EXTRACTION_MAX_PAGES']} pages, "
              f"{ops.MAX_TEXT:,} characters; instance {folder}")

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = user_id, True

    assert client.get(f"/evidence/{item_id}").status_code == 200  # warm-up: templates compiled
    idle = []
    for _ in range(20):
        t = time.perf_counter()
        client.get(f"/evidence/{item_id}")
        idle.append((time.perf_counter() - t) * 1000)
    print(f"item page with no job running: {statistics.median(idle):.1f} ms median (n=20)")
    samples = [("10-page text PDF", "walk.pdf", numbered_pdf(10)),
               ("2,000-page PDF (blank)", "register.pdf", blank_pdf(2000)),
               ("2,000-page PDF (a line of text a page)", "minutes.pdf", numbered_pdf(2000)),
               ("slow PDF (300 pages x one heavy stream)", "audit.pdf", slow_pdf(pages=300))]
    print(f"{'file':42} {'size':>8} {'upload ms':>10} {'job s':>7} {'page ms while':>14}  outcome")
    rows = []
    for label, name, data in samples:
        started = time.perf_counter()
        response = client.post(f"/evidence/{item_id}/attachments", data={"file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data")
        upload_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 302, response.status_code
        outcome: dict = {}

        def work():
            with app.app_context():
                t = time.perf_counter()
                run_pending()
                outcome["seconds"] = time.perf_counter() - t
                db.session.remove()

        thread = threading.Thread(target=work)
        thread.start()
        page_ms = []
        while thread.is_alive():
            t = time.perf_counter()
            assert client.get(f"/evidence/{item_id}").status_code == 200
            page_ms.append((time.perf_counter() - t) * 1000)
            time.sleep(0.2)
        thread.join()
        with app.app_context():
            att = db.session.execute(db.select(Attachment).order_by(Attachment.id.desc()).limit(1)).scalar_one()
            job = db.session.execute(db.select(Job).order_by(Job.id.desc()).limit(1)).scalar_one()
            with app.test_request_context():
                note = attachments.text_message(att) or ""
            result = f"{att.text_status}, {len(att.extracted_text):,} chars{'; ' + note if note else ''}"
            child_s = job.result.get("seconds")
        median = f"{statistics.median(page_ms):.1f} (n={len(page_ms)})" if page_ms else "-"
        print(f"{label:42} {len(data) / 1024:6.0f}KB {upload_ms:10.1f} {outcome['seconds']:7.2f} {median:>14}  "
              f"{result} [child {child_s} s]")
        rows.append((label, name, data))

    if "--skip-unbounded" in sys.argv:
        return
    print(f"\nunbounded (the old in-request extraction: up to 2,000 pages, no time limit; capped here at "
          f"{UNBOUNDED_CAP:.0f} s)")
    with app.app_context():
        for label, name, data in rows:
            path = os.path.join(folder, f"unbounded-{name}")
            with open(path, "wb") as fh:
                fh.write(data)
            found = attachments.read_in_subprocess("pdf", path, timeout=UNBOUNDED_CAP, max_pages=2000,
                                                   max_chars=2_000_000)
            what = "did not finish" if found.get("reason") == "timeout" else \
                f"{found.get('pages_read', 0)} pages read" if found.get("ok") else found.get("reason")
            print(f"{label:42} {found['seconds']:7.2f} s  {what}")


if __name__ == "__main__":
    main()
