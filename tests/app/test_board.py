"""The tracking board: a cell for each state of each phase, lateness against an injected date, filters, the CSV
export (formula-neutralised) and who may see it. ``build_network`` is shared with the notification and reminder
tests."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.conftest import login_as

D = dt.date
DUE = {"self_assessment": D(2027, 3, 1), "peer_review": D(2027, 5, 1), "city_response": D(2027, 7, 1),
       "evidence_coding": D(2027, 9, 1), "reporting": D(2027, 11, 1)}


def build_network(db, make_city, make_user, *, phase="self_assessment", evil_name=False):
    """Three cities in an open 2027 round with every phase dated (DUE):

    - Alpha (europe) submitted its self-assessment on 20 Feb; Beta (africa) has a draft with 1 of 4 answered;
      Gamma (asia) has not started.
    - Published: Beta reviews Alpha (draft review), Gamma reviews Alpha (submitted and released), Alpha reviews
      Beta (not started; Beta has not submitted). Proposed only: Alpha reviews Gamma (counts nowhere).
    - Alpha has two evidence items, one coded (plus a blind sample coding on the other, which does not count).
    """
    from peer_review.assessments.models import Answer, Assessment
    from peer_review.assignments.models import Assignment
    from peer_review.coding.models import Code, Coding, DoubleCodingSample
    from peer_review.cycles.models import PHASE_KEYS, Cycle, CyclePhase
    from peer_review.evidence.models import EvidenceItem
    from peer_review.reviews.models import Review
    from tests.fixtures.rubrics import store_rubric

    version = store_rubric(db)
    alpha = make_city("Alpha City", slug="alpha", region="europe")
    beta = make_city("Beta Town", slug="beta", region="africa")
    gamma = make_city('=HYPERLINK("http://evil.example")' if evil_name else "Gamma Ville", slug="gamma",
                      region="asia")
    cycle = Cycle(name="2027 round", starts_on=D(2027, 1, 1), ends_on=D(2027, 12, 1), state="open", phase=phase,
                  cities=[alpha, beta, gamma], rubric_version_id=version.id)
    cycle.phases = [CyclePhase(phase=key, position=i, starts_on=D(2027, 1, 1), due_on=DUE[key])
                    for i, key in enumerate(PHASE_KEYS)]
    db.session.add(cycle)
    db.session.flush()
    people = {
        "alpha_coord": make_user("coord@alpha.example", city=alpha, city_role="coordinator"),
        "alpha_member": make_user("member@alpha.example", city=alpha),
        "alpha_gone": make_user("gone@alpha.example", city=alpha, active=False),
        "beta_member": make_user("member@beta.example", city=beta),
        "gamma_member": make_user("member@gamma.example", city=gamma),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
        "admin": make_user("admin@net.example", roles=["admin"]),
        "facilitator": make_user("fac@net.example", roles=["facilitator"]),
    }
    a_alpha = Assessment(city_id=alpha.id, cycle_id=cycle.id, rubric_version_id=version.id, state="submitted",
                         submitted_at=dt.datetime(2027, 2, 20, 10, 0))
    a_beta = Assessment(city_id=beta.id, cycle_id=cycle.id, rubric_version_id=version.id, state="draft")
    db.session.add_all([a_alpha, a_beta])
    db.session.flush()
    db.session.add(Answer(assessment_id=a_beta.id, criterion_id="gov.1", level=2))
    db.session.add(Answer(assessment_id=a_beta.id, criterion_id="gov.2", level=None))  # not answered yet

    def assign(reviewer, reviewed, state="published"):
        a = Assignment(cycle_id=cycle.id, reviewer_city_id=reviewer.id, reviewed_city_id=reviewed.id, state=state)
        db.session.add(a)
        db.session.flush()
        return a

    beta_on_alpha = assign(beta, alpha)
    gamma_on_alpha = assign(gamma, alpha)
    alpha_on_beta = assign(alpha, beta)
    assign(alpha, gamma, state="proposed")
    db.session.add(Review(assignment_id=beta_on_alpha.id, cycle_id=cycle.id, reviewer_city_id=beta.id,
                          reviewed_city_id=alpha.id, assessment_id=a_alpha.id, state="draft"))
    db.session.add(Review(assignment_id=gamma_on_alpha.id, cycle_id=cycle.id, reviewer_city_id=gamma.id,
                          reviewed_city_id=alpha.id, assessment_id=a_alpha.id, state="submitted",
                          submitted_at=dt.datetime(2027, 4, 1), released_at=dt.datetime(2027, 5, 2)))
    code = Code(key="trust", direction="more", family="culture", labels={"en": "Trust"})
    db.session.add(code)
    items = [EvidenceItem(city_id=alpha.id, cycle_id=cycle.id, type="narrative", title=f"Story {i}",
                          text="People trust the night buses.", language="en", consent="given")
             for i in range(2)]
    db.session.add_all(items)
    db.session.flush()
    sample = DoubleCodingSample(cycle_id=cycle.id, name="Sample", seed=1, coder_a_id=people["facilitator"].id,
                                coder_b_id=people["admin"].id)
    db.session.add(sample)
    db.session.flush()
    db.session.add(Coding(item_id=items[0].id, code_id=code.id, coder_id=people["facilitator"].id))
    db.session.add(Coding(item_id=items[1].id, code_id=code.id, coder_id=people["facilitator"].id,
                          sample_id=sample.id))
    db.session.commit()
    return {"cycle": cycle, "alpha": alpha, "beta": beta, "gamma": gamma, "version": version,
            "assignments": {"beta_on_alpha": beta_on_alpha, "gamma_on_alpha": gamma_on_alpha,
                            "alpha_on_beta": alpha_on_beta},
            "assessments": {"alpha": a_alpha, "beta": a_beta}, **people}


@pytest.fixture
def net(app, make_city, make_user):
    from peer_review.extensions import db
    return build_network(db, make_city, make_user)


def _rows(net, today):
    from peer_review.cycles import board
    return {r.city.slug: r for r in board.board(net["cycle"], today=today)}


def test_cells_for_every_state_with_lateness(app, net):
    rows = _rows(net, D(2027, 3, 13))
    alpha, beta, gamma = rows["alpha"].cells, rows["beta"].cells, rows["gamma"].cells
    # Self-assessment: submitted (with its date, never late), draft n of m, not started; 12 days late.
    assert (alpha["self_assessment"].state, alpha["self_assessment"].done) == ("submitted", True)
    assert "2027" in alpha["self_assessment"].detail and alpha["self_assessment"].timing == ""
    assert beta["self_assessment"].state == "draft" and beta["self_assessment"].detail == "1 of 4 answered"
    assert gamma["self_assessment"].state == "not_started"
    assert beta["self_assessment"].late_days == 12 and beta["self_assessment"].timing == "12 days late"
    assert gamma["self_assessment"].timing == "12 days late"
    # Peer review as reviewed: 1 of 2 published (the proposed one does not count); none for Gamma.
    assert (alpha["reviewed"].state, alpha["reviewed"].detail) == ("partial", "1 of 2 submitted")
    assert (beta["reviewed"].state, beta["reviewed"].detail) == ("not_started", "0 of 1 submitted")
    assert gamma["reviewed"].state == "none" and not gamma["reviewed"].applies
    # As reviewer: Alpha owes 1 (not started), Beta has a draft, Gamma is done.
    assert (alpha["reviewer"].state, alpha["reviewer"].detail) == ("not_started", "0 of 1 submitted")
    assert beta["reviewer"].state == "partial"
    assert (gamma["reviewer"].state, gamma["reviewer"].done) == ("done", True)
    # City response: only Alpha has released reviews; the others show a dash.
    assert alpha["response"].state == "not_started" and alpha["response"].applies
    assert beta["response"].label == "—" and not beta["response"].applies
    # Evidence coding: 1 of 2 items coded (a blind sample coding would not count); no evidence elsewhere.
    assert (alpha["coding"].state, alpha["coding"].detail) == ("partial", "1 of 2 items coded")
    assert gamma["coding"].state == "none"
    # Nothing else is late or due soon on 13 March.
    assert not alpha["reviewer"].late and not alpha["reviewer"].due_soon


def test_due_soon_and_due_today(app, net):
    rows = _rows(net, D(2027, 4, 28))
    cell = rows["alpha"].cells["reviewer"]
    assert cell.due_in == 3 and cell.timing == "due in 3 days" and not cell.late
    assert rows["alpha"].cells["reviewer"].due_on == DUE["peer_review"]
    assert _rows(net, D(2027, 4, 27))["alpha"].cells["reviewer"].timing == ""  # 4 days: not yet "soon"
    assert _rows(net, D(2027, 5, 1))["alpha"].cells["reviewer"].timing == "due today"
    assert _rows(net, D(2027, 5, 2))["alpha"].cells["reviewer"].timing == "1 day late"
    # Done work and work with nothing to do never show timing.
    assert _rows(net, D(2027, 5, 2))["gamma"].cells["reviewer"].timing == ""
    assert _rows(net, D(2027, 5, 2))["gamma"].cells["reviewed"].timing == ""


def test_filters(app, net):
    from peer_review.cycles import board
    rows = board.board(net["cycle"], today=D(2027, 3, 13))
    assert [r.city.slug for r in board.filter_rows(rows, region="africa")] == ["beta"]
    assert [r.city.slug for r in board.filter_rows(rows, late_only=True)] == ["beta", "gamma"]
    assert board.filter_rows(rows, late_only=True, phase="peer_review") == []
    later = board.board(net["cycle"], today=D(2027, 5, 10))
    # Peer review late: Alpha and Beta owe reviews; Alpha's reviewers are late too (as reviewed, 1 of 2).
    assert [r.city.slug for r in board.filter_rows(later, late_only=True, phase="peer_review")] == ["alpha", "beta"]
    assert [c[0] for c in board.columns_for("peer_review")] == ["reviewed", "reviewer"]
    lines = board.summary(rows)
    assert lines[0] == "1 of 3 submitted their self-assessment; 2 late"


def test_board_page_renders_states_and_filters(app, client, net):
    from peer_review.cycles import board
    login_as(client, net["secretariat"])
    html = client.get(f"/cycles/{net['cycle'].id}/board").get_data(as_text=True)
    assert "Tracking board" in html and "Alpha City" in html and "Gamma Ville" in html
    assert "submitted their self-assessment" in html
    assert "Send reminders to late parties" in html
    assert 'class="pr-table-scroll"' in html
    html = client.get(f"/cycles/{net['cycle'].id}/board?region=africa").get_data(as_text=True)
    assert "Beta Town" in html and "Alpha City" not in html.split("<tbody")[1]
    html = client.get(f"/cycles/{net['cycle'].id}/board?phase=city_response").get_data(as_text=True)
    head = html.split("<thead")[1].split("</thead>")[0]
    assert "City response" in head and "Self-assessment" not in head
    assert board.today_utc() == dt.datetime.now(dt.UTC).date()


def test_closed_cycle_has_no_reminder_button(app, client, net):
    from peer_review.extensions import db
    net["cycle"].state, net["cycle"].phase = "closed", None
    db.session.commit()
    login_as(client, net["secretariat"])
    html = client.get(f"/cycles/{net['cycle'].id}/board").get_data(as_text=True)
    assert "Tracking board" in html and "Send reminders to late parties" not in html
    response = client.post(f"/cycles/{net['cycle'].id}/board/reminders", follow_redirects=True)
    assert "Reminders go only to cycles in progress." in response.get_data(as_text=True)


def test_board_page_lateness_from_today(app, client, net, monkeypatch):
    from peer_review.cycles import board
    monkeypatch.setattr(board, "today_utc", lambda: D(2027, 3, 13))
    login_as(client, net["secretariat"])
    html = client.get(f"/cycles/{net['cycle'].id}/board?late=1").get_data(as_text=True)
    body = html.split("<tbody")[1]
    assert "12 days late" in body and "govuk-tag--red" in body
    assert "Alpha City" not in body  # nothing of Alpha's is late on 13 March


def test_empty_cycle(app, client, make_user):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    cycle = Cycle(name="Empty round", starts_on=D(2027, 1, 1), ends_on=D(2027, 2, 1), state="draft")
    db.session.add(cycle)
    db.session.commit()
    login_as(client, make_user("sec@net.example", roles=["secretariat"]))
    response = client.get(f"/cycles/{cycle.id}/board")
    assert response.status_code == 200
    assert "No city takes part in this cycle yet" in response.get_data(as_text=True)
    assert client.get(f"/cycles/{cycle.id}/board.csv").status_code == 200


def test_csv_export_neutralises_formulas_and_follows_filters(app, client, make_city, make_user):
    from peer_review.extensions import db
    net = build_network(db, make_city, make_user, evil_name=True)
    login_as(client, net["secretariat"])
    response = client.get(f"/cycles/{net['cycle'].id}/board.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["City", "Country", "Region"]
    names = [r[0] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\")" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    only = client.get(f"/cycles/{net['cycle'].id}/board.csv?region=europe&phase=self_assessment")
    rows = list(csv.reader(io.StringIO(only.get_data().decode("utf-8").lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["Alpha City"]
    assert len(rows[0]) == 3 + 4  # one phase: state, detail, due, timing
    assert rows[1][3] == "Submitted"


@pytest.mark.parametrize("who,code", [("alpha_coord", 403), ("beta_member", 403), ("facilitator", 403),
                                      ("secretariat", 200), ("admin", 200)])
def test_only_staff_see_the_board(app, client, net, who, code):
    login_as(client, net[who])
    cycle_id = net["cycle"].id
    assert client.get(f"/cycles/{cycle_id}/board").status_code == code
    assert client.get(f"/cycles/{cycle_id}/board.csv").status_code == code
    expected_post = 302 if code == 200 else code
    assert client.post(f"/cycles/{cycle_id}/board/reminders").status_code == expected_post


def test_anonymous_is_sent_to_sign_in(app, client, net):
    response = client.get(f"/cycles/{net['cycle'].id}/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/cycles/999999/board").status_code == 302


def test_unknown_cycle_is_404_for_staff(app, client, net):
    login_as(client, net["secretariat"])
    assert client.get("/cycles/999999/board").status_code == 404


def test_reminder_button_sends_and_flashes(app, client, net, monkeypatch):
    from peer_review.cycles import board
    from peer_review.mail.models import OutboxMessage
    monkeypatch.setattr(board, "today_utc", lambda: D(2027, 3, 13))
    login_as(client, net["secretariat"])
    response = client.post(f"/cycles/{net['cycle'].id}/board/reminders", follow_redirects=True)
    html = response.get_data(as_text=True)
    # Beta and Gamma are late with their self-assessment: one active member each.
    assert "2 reminders sent." in html
    assert sorted(m.recipient for m in OutboxMessage.query.all()) == ["member@beta.example",
                                                                     "member@gamma.example"]
    response = client.post(f"/cycles/{net['cycle'].id}/board/reminders", follow_redirects=True)
    assert "No reminders were needed" in response.get_data(as_text=True)
