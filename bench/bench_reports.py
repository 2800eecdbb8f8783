"""Time to render a demo city's reports to tagged PDF: its peer review report (core rubric, 49 criteria), its
"State of Safety" and the network's cycle report, with the background-job estimate beside each figure.

Against the app's database (INSTANCE_PATH / DATABASE_URL) after `flask --app wsgi demo-data`: it takes the first
city with a released review, and times (a) gathering the snapshot, (b) the first PDF render in the process
(fonts and the chart engine warm up), (c) five more renders (median), in English and Spanish, checking that the
same snapshot gives the same bytes. Target: under 3 s per render (above it, rendering would go to a job).

Run: INSTANCE_PATH=/tmp/demo SECRET_KEY=x .venv/bin/python bench/bench_reports.py [--out report.pdf]
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET_S = 3.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", help="write the English PDF here")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    from peer_review import create_app
    from peer_review.extensions import db
    from peer_review.reports import jobs, render, safety, snapshot
    from peer_review.reviews.models import Review

    app = create_app()
    with app.app_context(), app.test_request_context():
        review = db.session.execute(db.select(Review).filter(Review.released_at.is_not(None))
                                    .order_by(Review.id)).scalars().first()
        if review is None:
            print("No released review: run `flask --app wsgi demo-data` first.")
            return 1
        cycle, city = review.cycle, review.reviewed_city
        criteria = sum(len(s["criteria"]) for s in snapshot.peer_review(cycle, city, "en")["sections"])
        print(f"{city.name}, {cycle.name}: {criteria} criteria")
        ok = True
        builders = [("peer_review", lambda loc: snapshot.peer_review(cycle, city, loc)),
                    ("state_of_safety", lambda loc: safety.state_of_safety(cycle, city, loc)),
                    ("cycle", lambda loc: snapshot.cycle_report(cycle, loc))]
        for (kind, build), locale in [(b, loc) for b in builders for loc in ("en", "es")]:
            t0 = time.perf_counter()
            data = build(locale)
            gathered = time.perf_counter() - t0
            t0 = time.perf_counter()
            first = render.render_pdf(data, cache=False)
            cold = time.perf_counter() - t0
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                again = render.render_pdf(data, cache=False)
                times.append(time.perf_counter() - t0)
                ok = ok and again == first
            median = statistics.median(times)
            print(f"[{kind} {locale}] snapshot {gathered * 1000:.0f} ms; first render {cold:.2f} s; "
                  f"median of {args.runs} renders {median:.2f} s (max {max(times):.2f} s); "
                  f"{len(first) // 1024} KB; {'under' if median < TARGET_S else 'OVER'} the {TARGET_S:.0f} s target; "
                  f"job estimate {jobs.estimate_seconds(data):.2f} s ({jobs.rows(data)} rows)")
            if args.out and locale == "en" and kind == "peer_review":
                with open(args.out, "wb") as fh:
                    fh.write(first)
        print("same snapshot, same bytes:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
