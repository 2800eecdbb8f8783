"""Notifications: the event hooks tell the right people (and nobody else), the unread count, reading one's own
(another person's is 404), the page, its pagination and the header badge."""
from __future__ import annotations

import pytest

from tests.app.test_board import build_network
from tests.conftest import login_as


@pytest.fixture
def net(app, make_city, make_user):
    from peer_review.extensions import db
    return build_network(db, make_city, make_user, phase="peer_review")


def _recipients(kind=None):
    from peer_review.notifications.models import Notification
    rows = Notification.query.all()
    return sorted(n.user.email for n in rows if kind is None or n.kind == kind)


def test_assignments_published_tells_each_reviewer_city(app, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    a = net["assignments"]
    created = ops.assignments_published(net["cycle"], [a["beta_on_alpha"], a["alpha_on_beta"]])
    db.session.commit()
    # Beta's member learns it reviews Alpha; Alpha's two active people that they review Beta; not the
    # inactive Alpha member, nor Gamma, nor staff.
    assert _recipients("assigned") == ["coord@alpha.example", "member@alpha.example", "member@beta.example"]
    assert len(created) == 3
    note = next(n for n in created if n.user.email == "member@beta.example")
    assert ops.message(note, "en") == "Your city is assigned to review Alpha City in 2027 round"
    assert note.cycle_id == net["cycle"].id and note.link.startswith("/")


def test_duplicates_of_an_unread_notification_are_skipped(app, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    a = [net["assignments"]["beta_on_alpha"]]
    assert len(ops.assignments_published(net["cycle"], a)) == 1
    assert ops.assignments_published(net["cycle"], a) == []  # same kind, link and params, still unread
    note = ops.listing(net["beta_member"])
    ops.mark_read(db.session.execute(note).scalars().first())
    assert len(ops.assignments_published(net["cycle"], a)) == 1  # read: a new event is news again


def test_assessment_submitted_tells_staff_and_reviewers(app, net):
    from peer_review.notifications import operations as ops
    ops.assessment_submitted(net["assessments"]["alpha"])
    # The secretariat (not the admin who is not secretariat, nor the facilitator) ...
    assert _recipients("submitted") == ["sec@net.example"]
    # ... and the cities with published assignments on Alpha (Beta and Gamma), not Alpha itself.
    assert _recipients("review_ready") == ["member@beta.example", "member@gamma.example"]
    from peer_review.notifications.models import Notification
    staff_note = Notification.query.filter_by(kind="submitted").one()
    assert ops.message(staff_note, "en") == "Alpha City submitted its self-assessment in 2027 round"
    assert staff_note.link == f"/assessments/{net['assessments']['alpha'].id}"


def test_admin_who_is_also_secretariat_is_told(app, net, make_user):
    from peer_review.notifications import operations as ops
    make_user("both@net.example", roles=["admin", "secretariat"])
    ops.review_submitted(_review(net, "gamma_on_alpha"))
    assert _recipients("review_submitted") == ["both@net.example", "sec@net.example"]


def _review(net, key):
    from peer_review.reviews.models import Review
    return Review.query.filter_by(assignment_id=net["assignments"][key].id).one()


def test_reviews_released_and_response_submitted(app, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    from peer_review.reviews.models import CityResponse
    ops.reviews_released(net["cycle"], net["alpha"].id)
    assert _recipients("released") == ["coord@alpha.example", "member@alpha.example"]
    response = CityResponse(cycle_id=net["cycle"].id, city_id=net["alpha"].id, state="submitted")
    db.session.add(response)
    db.session.flush()
    ops.response_submitted(response)
    assert _recipients("response_submitted") == ["member@beta.example", "member@gamma.example", "sec@net.example"]


def test_messages_are_translated_sentences(app, net):
    from peer_review.notifications import operations as ops
    from peer_review.notifications.models import Notification
    due = Notification(user_id=net["beta_member"].id, kind="due_soon",
                       params={"what": "assessment", "cycle": "2027 round", "date": "2027-03-01"})
    late = Notification(user_id=net["beta_member"].id, kind="late",
                        params={"what": "review", "city": "Alpha City", "cycle": "2027 round",
                                "date": "2027-05-01"})
    assert ops.message(due, "en") == "Your city's self-assessment for 2027 round is due on March 1, 2027"
    assert ops.message(late, "en") == "Your city's review of Alpha City in 2027 round was due on May 1, 2027"
    # The date follows the reader's locale even before the catalogues are translated.
    assert "mars 2027" in ops.message(due, "fr")


def test_unread_count_and_mark_all_read(app, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    ops.assessment_submitted(net["assessments"]["alpha"])
    ops.reviews_released(net["cycle"], net["beta"].id)
    db.session.commit()
    assert ops.unread_count(net["beta_member"]) == 2
    assert ops.unread_count(net["alpha_member"]) == 0
    assert ops.mark_all_read(net["beta_member"]) == 2
    assert ops.unread_count(net["beta_member"]) == 0
    assert ops.unread_count(net["secretariat"]) == 1  # someone else's are untouched


def test_open_marks_read_and_redirects_to_the_target(app, client, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    from peer_review.notifications.models import Notification
    [note] = ops.notify([net["beta_member"]], "released", cycle=net["cycle"], params={"cycle": "2027 round"},
                        link="/cycles/1")
    db.session.commit()
    login_as(client, net["beta_member"])
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cycles/1")
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_open_never_leaves_the_site(app, client, net, link):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    [note] = ops.notify([net["beta_member"]], "released", params={"cycle": "x"}, link=link)
    db.session.commit()
    login_as(client, net["beta_member"])
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/notifications/")


def test_another_persons_notification_is_404(app, client, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    from peer_review.notifications.models import Notification
    [note] = ops.notify([net["beta_member"]], "released", params={"cycle": "x"}, link="/")
    db.session.commit()
    for who in ("alpha_member", "secretariat", "admin"):
        login_as(client, net[who])
        assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert db.session.get(Notification, note.id).read_at is None
    client.post("/notifications/read-all")  # as admin: marks only the admin's own
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None
    assert client.post("/notifications/999999/open").status_code == 404


def test_page_lists_unread_first_with_sentences(app, client, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    ops.assignments_published(net["cycle"], [net["assignments"]["beta_on_alpha"]])
    ops.assessment_submitted(net["assessments"]["alpha"])  # newer
    db.session.commit()
    newer = db.session.execute(ops.listing(net["beta_member"])).scalars().first()
    ops.mark_read(newer)
    db.session.commit()
    login_as(client, net["beta_member"])
    html = client.get("/notifications/").get_data(as_text=True)
    assigned = html.index("Your city is assigned to review Alpha City in 2027 round")
    ready = html.index("Alpha City submitted its self-assessment in 2027 round: you can start reviewing")
    assert assigned < ready  # unread first, though older
    assert "Mark all as read" in html and "You have 1 unread notification." in html
    # The header shows the count as a badge with words for screen readers.
    assert "(1 unread)" in html


def test_mark_all_as_read_from_the_page(app, client, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    ops.reviews_released(net["cycle"], net["beta"].id)
    db.session.commit()
    login_as(client, net["beta_member"])
    response = client.post("/notifications/read-all", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 notification marked as read." in html and "unread)" not in html
    assert ops.unread_count(net["beta_member"]) == 0


def test_empty_state_and_header_without_count(app, client, net):
    login_as(client, net["gamma_member"])
    html = client.get("/notifications/").get_data(as_text=True)
    assert "No notifications yet." in html
    assert ">Notifications</a>" in html  # in the header, no badge


def test_pagination(app, client, net):
    from peer_review.extensions import db
    from peer_review.notifications import operations as ops
    for i in range(30):
        ops.notify([net["gamma_member"]], "released", params={"cycle": f"Round {i:02d}"}, link=f"/cycles/{i}")
    db.session.commit()
    login_as(client, net["gamma_member"])
    first = client.get("/notifications/").get_data(as_text=True)
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert first.count("Open</button>") == 25 and second.count("Open</button>") == 5
    assert "Round 29" in first and "Round 00" in second  # newest first
    assert "30 results" in first


def test_anonymous_is_sent_to_sign_in(app, client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
