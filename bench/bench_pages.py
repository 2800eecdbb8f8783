"""Server-side time of the pages people use most, on the demo network (SQLite, one process).

Prints the median and 95th percentile over repeated requests per page; not a timed test.
Run: .venv/bin/python bench/bench_pages.py
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

REPEAT = 30
PAGES = [
    ("facilitator@demo.safercities.example", ["/", "/evidence/", "/evidence/?coded=no&cycle=2", "/evidence/5",
                                               "/coding/codes/", "/coding/codes/trust", "/coding/samples/1",
                                               "/api/v1/evidence?per_page=100"]),
    ("member.kisaru@demo.safercities.example", ["/", "/evidence/"]),
]


def main() -> None:
    from flask_migrate import upgrade

    from peer_review import create_app
    from peer_review.demo.cities import DEMO_PASSWORD
    from peer_review.demo.loader import load_demo
    from peer_review.extensions import db
    from peer_review.users.models import User
    from peer_review.users.operations import create_token

    folder = tempfile.mkdtemp()
    os.environ["INSTANCE_PATH"] = folder
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
    with app.app_context():
        upgrade()
        t0 = time.perf_counter()
        load_demo()
        print(f"demo network loaded in {time.perf_counter() - t0:.1f} s")
        tokens = {}
        for email, _ in PAGES:
            _t, tokens[email] = create_token(db.session.execute(db.select(User).filter_by(email=email)).scalar_one(),
                                             "bench")
        db.session.commit()
    print(f"{'page':45} {'who':12} {'median ms':>10} {'p95 ms':>8}")
    for email, paths in PAGES:
        client = app.test_client()
        client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        for path in paths:
            headers = {"Authorization": f"Bearer {tokens[email]}"} if path.startswith("/api/") else {}
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times.sort()
            print(f"{path:45} {email.split('@')[0][:12]:12} {statistics.median(times):10.1f} "
                  f"{times[int(len(times) * 0.95) - 1]:8.1f}")


if __name__ == "__main__":
    main()
