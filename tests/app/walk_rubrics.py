"""Route-by-role expectations for rubric versions (imported by test_permissions_walk).

Every signed-in person reads rubric versions (they are the network's common reference, with no drafts); only
the secretariat (and admins) compare two versions. The world loads the small fixture core 1.0.
"""
from __future__ import annotations

from pathlib import Path

from tests.app.test_permissions_walk import API_ALL, SIGNED_IN, S

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rubrics"

EXPECTED = {
    "rubrics.index": ("GET", SIGNED_IN(200)),
    "rubrics.show": ("GET", SIGNED_IN(200)),
    "rubrics.diff": ("GET", S(302, 403, 403, 403, 200, 200)),
    "api.list_rubrics": ("GET", API_ALL),
    "api.get_rubric_version": ("GET", API_ALL),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.rubrics.operations import load_version

    version = load_version(FIXTURES / "core" / "1.0.yaml", actor=users["secretariat"])
    db.session.commit()
    return {"rubric_id": version.rubric_id, "version": version.version}
