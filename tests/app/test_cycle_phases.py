"""A cycle's phases: dates, moving forward one step at a time (never back), closed cycles read-only."""
from __future__ import annotations

import pytest

from peer_review.cycles import phases
from peer_review.errors import ValidationFailed
from peer_review.extensions import db
from tests.app.assessment_fixtures import setting, start  # noqa: F401
from tests.conftest import login_as


@pytest.fixture
def draft(setting):  # noqa: F811
    cycle = setting["cycle"]
    cycle.state, cycle.phase = "draft", None
    db.session.commit()
    return setting


def test_a_cycle_moves_through_every_phase_in_order_then_closes(draft):
    cycle = draft["cycle"]
    seen = []
    while phases.next_step(cycle) is not None:
        phases.advance(cycle, actor=draft["secretariat"])
        seen.append((cycle.state, cycle.phase))
    assert seen == [("open", "self_assessment"), ("open", "peer_review"), ("open", "city_response"),
                    ("open", "evidence_coding"), ("open", "reporting"), ("closed", None)]
    with pytest.raises(ValidationFailed):
        phases.advance(cycle)
    from peer_review.audit.models import AuditEntry
    entries = db.session.execute(db.select(AuditEntry).filter_by(action="cycle.advance")
               .order_by(AuditEntry.id)).scalars().all()
    assert len(entries) == 6 and entries[0].after["phase"] == "self_assessment"


def test_opening_needs_a_rubric_version_and_cities(draft):
    cycle = draft["cycle"]
    cycle.rubric_version_id, cycle.rubric_version = None, None
    db.session.flush()
    with pytest.raises(ValidationFailed) as err:
        phases.advance(cycle)
    assert "rubric version" in err.value.first_message
    assert cycle.state == "draft"


def test_the_state_never_moves_back_through_the_api(client, draft, api_token):
    cycle = draft["cycle"]
    headers = api_token(draft["secretariat"])
    assert client.post(f"/api/v1/cycles/{cycle.id}/advance", headers=headers).get_json()["phase"] == \
        "self_assessment"
    answer = client.patch(f"/api/v1/cycles/{cycle.id}", json={"state": "draft"}, headers=headers)
    assert answer.status_code == 422 and "only moves forward" in answer.get_json()["error"]["fields"]["state"][0]
    # a member may not move it
    member = api_token(draft["member"])
    assert client.post(f"/api/v1/cycles/{cycle.id}/advance", headers=member).status_code == 403


def test_phase_dates_are_saved_and_checked(client, draft, api_token):
    cycle = draft["cycle"]
    headers = api_token(draft["secretariat"])
    body = {"phases": {"self_assessment": {"starts_on": "2027-01-10", "due_on": "2027-03-31"},
                       "peer_review": {"starts_on": "2027-04-01", "due_on": "2027-05-31"}}}
    answer = client.patch(f"/api/v1/cycles/{cycle.id}", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["phases"]["peer_review"] == {"starts_on": "2027-04-01", "due_on": "2027-05-31"}
    bad = {"phases": {"city_response": {"starts_on": "2027-06-10", "due_on": "2027-06-01"}}}
    answer = client.patch(f"/api/v1/cycles/{cycle.id}", json=bad, headers=headers)
    assert answer.status_code == 422 and "city_response_due_on" in answer.get_json()["error"]["fields"]
    outside = {"phases": {"reporting": {"starts_on": "2026-06-10", "due_on": "2027-06-11"}}}
    answer = client.patch(f"/api/v1/cycles/{cycle.id}", json=outside, headers=headers)
    assert "within the cycle" in answer.get_json()["error"]["fields"]["reporting_starts_on"][0]
    db.session.expire_all()
    assert cycle.phase_dates("city_response") is None  # nothing of a refused change was kept


def test_the_edit_form_saves_phase_dates_and_the_page_shows_them(client, draft):
    cycle = draft["cycle"]
    login_as(client, draft["secretariat"])
    form = {"name": cycle.name, "starts_on": ["1", "1", "2027"], "ends_on": ["1", "12", "2027"],
            "cities": ["alpha", "beta"], "rubric_version": f"{draft['version'].rubric_id}@{draft['version'].version}",
            "peer_review_starts_on": ["1", "4", "2027"], "peer_review_due_on": ["30", "5", "2027"]}
    answer = client.post(f"/cycles/{cycle.id}/edit", data=form)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert "May 30, 2027" in page and "Open the cycle: start self-assessment" in page
    answer = client.post(f"/cycles/{cycle.id}/advance")
    assert answer.status_code == 302
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert "Move to the next phase: Peer review" in page
    bad = dict(form, peer_review_due_on=["30", "3", "2027"])
    answer = client.post(f"/cycles/{cycle.id}/edit", data=bad)
    assert answer.status_code == 400 and "the due date must be on or after its start" in answer.get_data(as_text=True)
    assert "2 of 2 cities have not submitted their self-assessment." in page


def test_a_closed_cycle_is_read_only_in_pages_and_api(client, setting, api_token):  # noqa: F811
    from peer_review.assessments import operations as ops
    assessment = start(setting)
    cycle = setting["cycle"]
    cycle.state, cycle.phase = "closed", None
    db.session.commit()
    login_as(client, setting["member"])
    data = {"gov.1__version": "0", "gov.1__level": "1"}
    assert client.post(f"/assessments/{assessment.id}/criteria/gov.1", data=data).status_code == 403
    headers = api_token(setting["member"])
    answer = client.patch(f"/api/v1/assessments/{assessment.id}/answers/gov.1", json={"level": 1},
                          headers=dict(headers, **{"If-Match": '"0"'}))
    assert answer.status_code == 403
    staff = api_token(setting["secretariat"])
    assert client.patch(f"/api/v1/cycles/{cycle.id}", json={"name": "Renamed"}, headers=staff).status_code == 403
    assert client.post(f"/api/v1/cycles/{cycle.id}/advance", headers=staff).status_code == 403
    login_as(client, setting["secretariat"])
    assert client.get(f"/cycles/{cycle.id}/edit").status_code == 403
    page = client.get(f"/cycles/{cycle.id}").get_data(as_text=True)
    assert "This cycle is closed" in page and "Edit cycle" not in page
    assert ops.find(setting["city_a"], cycle) is not None
