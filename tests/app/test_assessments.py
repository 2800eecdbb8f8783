"""The city self-assessment: starting, autosave, conflicts, submission, reopening, locking, permissions."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.errors import ValidationFailed
from tests.app.assessment_fixtures import full_answers, setting, start  # noqa: F401
from tests.conftest import login_as


def _ops():
    from peer_review.assessments import operations as ops
    return ops


def _db():
    from peer_review.extensions import db
    return db


def test_start_pins_the_rubric_version_and_refuses_without_one(setting, make_city):
    from peer_review.cycles.models import Cycle
    ops, db = _ops(), _db()
    assessment = start(setting)
    assert assessment.rubric_version_id == setting["version"].id
    assert ops.get_or_start(setting["city_a"], setting["cycle"]).id == assessment.id  # the same one again
    bare = Cycle(name="No rubric", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 2, 1), state="open",
                 cities=[setting["city_a"]])
    db.session.add(bare)
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        ops.get_or_start(setting["city_a"], bare)
    assert "cycle" in err.value.fields
    outsider = make_city("Gamma")
    with pytest.raises(ValidationFailed) as err:
        ops.get_or_start(outsider, setting["cycle"])
    assert "city" in err.value.fields


def test_save_validates_and_keeps_every_revision(setting):
    from peer_review.assessments.models import AnswerRevision
    ops, db = _ops(), _db()
    a = start(setting)
    answer = ops.save_answer(a, "gov.1", {"level": 0, "justification": "We have *not* started."}, 0,
                             actor=setting["member"])
    db.session.commit()
    assert answer.level == 0 and answer.answered and answer.version == 1
    answer = ops.save_answer(a, "gov.1", {"level": 3}, 1, actor=setting["member"], source="autosave")
    db.session.commit()
    assert answer.version == 2 and answer.justification == "We have *not* started."
    revisions = db.session.execute(db.select(AnswerRevision).order_by(AnswerRevision.id)).scalars().all()
    assert [(r.version, r.level, r.source) for r in revisions] == [(1, 0, "form"), (2, 3, "autosave")]
    for bad, key in [({"level": 7}, "level"), ({"level": "x"}, "level"),
                     ({"not_applicable": True, "na_reason": " "}, "na_reason"),
                     ({"justification": "x" * 20_001}, "justification")]:
        with pytest.raises(ValidationFailed) as err:
            ops.save_answer(a, "gov.2", bad, 0)
        assert key in err.value.fields
    with pytest.raises(ValidationFailed):
        ops.save_answer(a, "nope", {"level": 1}, 0)
    na = ops.save_answer(a, "gov.2", {"not_applicable": True, "na_reason": "No police powers", "level": 2}, 0)
    assert na.level is None and na.answered


def test_evidence_links_only_the_citys_items_of_the_cycle(setting):
    from peer_review.evidence.models import Attachment, EvidenceItem
    ops, db = _ops(), _db()
    a = start(setting)
    own = EvidenceItem(city=setting["city_a"], cycle=setting["cycle"], type="narrative", title="Walk notes",
                       text="Lights fixed.", language="en", consent="obtained", visibility="city")
    other = EvidenceItem(city=setting["city_b"], cycle=setting["cycle"], type="narrative", title="Beta notes",
                         text="Not ours.", language="en", consent="obtained", visibility="network")
    db.session.add_all([own, other])
    db.session.flush()
    att = Attachment(item=own, filename="a.txt", stored_name="x1", kind="text", mime="text/plain", size=1,
                     sha256="0" * 64)
    other_att = Attachment(item=other, filename="b.txt", stored_name="x2", kind="text", mime="text/plain", size=1,
                           sha256="0" * 64)
    db.session.add_all([att, other_att])
    db.session.commit()
    answer = ops.save_answer(a, "gov.1", {"level": 1, "evidence_ids": [own.id], "attachment_ids": [att.id]}, 0)
    assert [i.id for i in answer.evidence] == [own.id] and answer.attachment_ids == [att.id]
    with pytest.raises(ValidationFailed) as err:
        ops.save_answer(a, "gov.1", {"evidence_ids": [own.id, other.id]}, 1)
    assert "evidence_ids" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        ops.save_answer(a, "gov.1", {"evidence_ids": [own.id], "attachment_ids": [other_att.id]}, 1)
    assert "attachment_ids" in err.value.fields


def test_autosave_of_one_field(client, setting):
    from peer_review.assessments.models import Answer
    a = start(setting)
    login_as(client, setting["member"])
    page = client.get(f"/assessments/{a.id}/sections/governance")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'hx-post="/assessments/%d/criteria/gov.1"' % a.id in html
    assert "Not answered yet" in html and "checked" not in html.split('id="criterion-gov.1"')[1].split("</fieldset>")[0]
    assert "Nothing done yet." in html and "Embedded in law and budget." in html  # every descriptor visible
    r = client.post(f"/assessments/{a.id}/criteria/gov.1", headers={"HX-Request": "true"},
                    data={"gov.1__justification": "Our strategy was adopted in 2025.", "gov.1__version": "0"})
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "Saved at" in body and 'name="gov.1__version" value="1"' in body
    with client.application.app_context():
        answer = _db().session.execute(_db().select(Answer)).scalar_one()
        assert answer.justification == "Our strategy was adopted in 2025." and answer.level is None
    again = client.get(f"/assessments/{a.id}/sections/governance").get_data(as_text=True)
    assert "Our strategy was adopted in 2025." in again


def test_two_sessions_on_one_criterion_see_both_texts(client, app, setting):
    a = start(setting)
    other_client = app.test_client()
    login_as(client, setting["member"])
    login_as(other_client, setting["coordinator"])
    first = client.post(f"/assessments/{a.id}/criteria/inc.1", headers={"HX-Request": "true"},
                        data={"inc.1__justification": "Walks held monthly with women's groups.",
                              "inc.1__level": "3", "inc.1__version": "0"})
    assert "Saved at" in first.get_data(as_text=True)
    second = other_client.post(f"/assessments/{a.id}/criteria/inc.1",
                               data={"inc.1__justification": "Two walks in 2026, reports pending.",
                                     "inc.1__level": "2", "inc.1__version": "0"})
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "Walks held monthly with women&#39;s groups." in html and "Two walks in 2026, reports pending." in html
    # Later autosaves stay on the old version (and conflict again) until the merge is saved against version 1.
    assert 'name="inc.1__version" value="0"' in html and 'data-resolve-version="1"' in html
    # The no-JavaScript page keeps the typed text in the form and shows theirs beside it.
    page = other_client.post(f"/assessments/{a.id}/sections/inclusion",
                             data={"inc.1__justification": "Merged: monthly walks since 2026.", "inc.1__level": "2",
                                   "inc.1__version": "0", "inc.2__version": "0"})
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "Merged: monthly walks since 2026." in text and "Walks held monthly" in text
    merged = other_client.post(f"/assessments/{a.id}/criteria/inc.1", headers={"HX-Request": "true"},
                               data={"inc.1__justification": "Merged: monthly walks since 2026.",
                                     "inc.1__level": "3", "inc.1__version": "1"})
    assert "Saved at" in merged.get_data(as_text=True)


def test_no_js_save_button_saves_every_criterion(client, setting):
    a = start(setting)
    login_as(client, setting["coordinator"])
    r = client.post(f"/assessments/{a.id}/sections/governance",
                    data={"gov.1__level": "1", "gov.1__justification": "One", "gov.1__version": "0",
                          "gov.2__level": "0", "gov.2__justification": "Two", "gov.2__version": "0", "then": "next"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/sections/inclusion")
    overview = client.get(f"/assessments/{a.id}").get_data(as_text=True)
    assert "2 of 2 answered" in overview and "0 of 2 answered" in overview


def test_submission_names_what_is_missing_then_locks(client, setting):
    from peer_review.audit.models import AuditEntry
    ops, db = _ops(), _db()
    a = start(setting)
    ops.save_answer(a, "gov.1", {"level": 2}, 0)
    ops.save_answer(a, "gov.2", {"not_applicable": True, "na_reason": "Handled by the region"}, 0)
    db.session.commit()
    with pytest.raises(ValidationFailed) as err:
        ops.submit(a, actor=setting["coordinator"])
    assert set(err.value.fields) == {"inc.1", "inc.2"}
    assert "Women's safety walks" in str(err.value.fields["inc.1"][0])
    login_as(client, setting["member"])
    page = client.post(f"/assessments/{a.id}/submit")
    assert page.status_code == 400 and "Youth participation" in page.get_data(as_text=True)
    ops.save_answer(a, "inc.1", {"level": 4}, 0)
    ops.save_answer(a, "inc.2", {"level": 0, "justification": "Not started yet."}, 0)
    db.session.commit()
    assert client.post(f"/assessments/{a.id}/submit").status_code == 302
    db.session.expire_all()
    a = db.session.get(type(a), a.id)
    assert a.locked and a.submitted_by_id == setting["member"].id
    with pytest.raises(ops.AssessmentLocked):
        ops.save_answer(a, "gov.1", {"level": 3}, 1)
    r = client.post(f"/assessments/{a.id}/criteria/gov.1", data={"gov.1__level": "3", "gov.1__version": "1"})
    assert r.status_code == 422 and "locked" in r.get_data(as_text=True)
    assert client.get(f"/assessments/{a.id}/print").status_code == 200
    actions = [e.action for e in db.session.execute(db.select(AuditEntry)).scalars()]
    assert "assessment.submit" in actions and "assessment.start" in actions and "assessment.answer" in actions


def test_reopen_needs_a_reason_and_is_audited(client, setting):
    from peer_review.audit.models import AuditEntry
    ops, db = _ops(), _db()
    a = start(setting)
    for cid, data in full_answers().items():
        ops.save_answer(a, cid, data, 0)
    ops.submit(a)
    db.session.commit()
    login_as(client, setting["member"])
    assert client.post(f"/assessments/{a.id}/reopen", data={"reason": "typo"}).status_code == 403
    login_as(client, setting["secretariat"])
    client.post(f"/assessments/{a.id}/reopen", data={"reason": "  "})
    db.session.expire_all()
    assert db.session.get(type(a), a.id).locked
    r = client.post(f"/assessments/{a.id}/reopen", data={"reason": "Evidence links missing for inc.1"})
    assert r.status_code == 302
    db.session.expire_all()
    a = db.session.get(type(a), a.id)
    assert not a.locked and a.reopen_reason == "Evidence links missing for inc.1"
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="assessment.reopen")).scalar_one()
    assert entry.after["reason"] == "Evidence links missing for inc.1" and entry.actor_id == setting["secretariat"].id
    login_as(client, setting["member"])
    assert "Evidence links missing for inc.1" in client.get(f"/assessments/{a.id}").get_data(as_text=True)


def test_other_citys_member_can_neither_read_nor_write(client, setting, api_token):
    ops, db = _ops(), _db()
    a = start(setting)
    ops.save_answer(a, "gov.1", {"level": 2, "justification": "Alpha's secret draft"}, 0)
    db.session.commit()
    login_as(client, setting["other"])
    for url in (f"/assessments/{a.id}", f"/assessments/{a.id}/sections/governance", f"/assessments/{a.id}/print",
                f"/assessments/{a.id}/workbook.xlsx"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/assessments/{a.id}/criteria/gov.1",
                       data={"gov.1__level": "0", "gov.1__version": "1"}).status_code == 404
    assert client.post(f"/assessments/{a.id}/sections/governance", data={}).status_code == 404
    assert client.post(f"/assessments/{a.id}/submit").status_code == 404
    assert "Alpha&#39;s secret draft" not in client.get("/assessments/").get_data(as_text=True)
    headers = api_token(setting["other"])
    assert client.get(f"/api/v1/assessments/{a.id}", headers=headers).status_code == 404
    r = client.put(f"/api/v1/assessments/{a.id}/answers/gov.1", json={"level": 0},
                   headers=dict(headers, **{"If-Match": '"v1"'}))
    assert r.status_code == 404
    # Facilitators read it once submitted, not before.
    login_as(client, setting["facilitator"])
    assert client.get(f"/assessments/{a.id}").status_code == 404
    assert client.get(f"/assessments/{a.id}/print").status_code == 404
    login_as(client, setting["secretariat"])
    assert client.get(f"/assessments/{a.id}/sections/governance").status_code == 200
    assert client.post(f"/assessments/{a.id}/criteria/gov.1", data={"gov.1__level": "0"}).status_code == 403


def test_previous_cycle_answer_is_shown_read_only(client, setting):
    from peer_review.cycles.models import Cycle
    ops, db = _ops(), _db()
    old = Cycle(name="2025 round", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 1), state="closed",
                cities=[setting["city_a"]], rubric_version_id=setting["version"].id)
    db.session.add(old)
    db.session.commit()
    previous = ops.get_or_start(setting["city_a"], old)
    ops.save_answer(previous, "gov.1", {"level": 1, "justification": "Back then: **ad hoc** patrols."}, 0)
    db.session.commit()
    a = start(setting)
    login_as(client, setting["member"])
    html = client.get(f"/assessments/{a.id}/sections/governance").get_data(as_text=True)
    assert "In 2025 round" in html and "<strong>ad hoc</strong>" in html and "Level 1: Emerging" in html


def test_secretariat_list_of_a_cycle(client, setting):
    ops, db = _ops(), _db()
    a = start(setting)
    ops.save_answer(a, "gov.1", {"level": 2}, 0)
    db.session.commit()
    login_as(client, setting["secretariat"])
    html = client.get(f"/assessments/cycle/{setting['cycle'].id}").get_data(as_text=True)
    assert "Alpha City" in html and "1 of 4" in html and "Beta Town" in html and "Not started" in html
    login_as(client, setting["member"])
    assert client.get(f"/assessments/cycle/{setting['cycle'].id}").status_code == 403


def test_member_starts_from_the_index(client, setting):
    login_as(client, setting["member"])
    html = client.get("/assessments/").get_data(as_text=True)
    assert "Start the self-assessment" in html
    r = client.post("/assessments/start", data={"city": "alpha", "cycle": setting["cycle"].id})
    assert r.status_code == 302
    assert client.post("/assessments/start", data={"city": "beta", "cycle": setting["cycle"].id}).status_code == 403


def test_api_read_write_conflict_submit_reopen(client, setting, api_token):
    a = start(setting)
    member = api_token(setting["member"])
    r = client.get(f"/api/v1/assessments/{a.id}", headers=member)
    assert r.status_code == 200 and r.headers["ETag"]
    body = r.get_json()
    assert [x["criterion_id"] for x in body["answers"]] == ["gov.1", "gov.2", "inc.1", "inc.2"]
    assert body["answers"][0]["etag"] == '"v0"'
    url = f"/api/v1/assessments/{a.id}/answers/gov.1"
    assert client.put(url, json={"level": 1}, headers=member).status_code == 428
    r = client.put(url, json={"level": 1, "justification": "Theirs"}, headers=dict(member, **{"If-Match": '"v0"'}))
    assert r.status_code == 200 and r.headers["ETag"] == '"v1"'
    r = client.patch(url, json={"justification": "Mine"}, headers=dict(member, **{"If-Match": '"v0"'}))
    assert r.status_code == 409
    conflict = r.get_json()
    assert set(conflict["error"]) == {"code", "message", "fields"}
    assert conflict["current"]["justification"] == "Theirs" and conflict["yours"]["justification"] == "Mine"
    assert r.headers["ETag"] == '"v1"'
    assert client.put(url, json={"level": 9}, headers=dict(member, **{"If-Match": '"v1"'})).status_code == 422
    r = client.post(f"/api/v1/assessments/{a.id}/submit", headers=member, json={})
    assert r.status_code == 422 and set(r.get_json()["error"]["fields"]) == {"gov.2", "inc.1", "inc.2"}
    for cid in ("gov.2", "inc.1", "inc.2"):
        client.put(f"/api/v1/assessments/{a.id}/answers/{cid}", json={"level": 2},
                   headers=dict(member, **{"If-Match": '"v0"'}))
    assert client.post(f"/api/v1/assessments/{a.id}/submit", headers=member, json={}).status_code == 200
    r = client.put(url, json={"level": 2}, headers=dict(member, **{"If-Match": '"v1"'}))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "locked"
    sec = api_token(setting["secretariat"])
    assert client.post(f"/api/v1/assessments/{a.id}/reopen", headers=member, json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/assessments/{a.id}/reopen", headers=sec, json={}).status_code == 422
    r = client.post(f"/api/v1/assessments/{a.id}/reopen", headers=sec, json={"reason": "Check gov.2"})
    assert r.status_code == 200 and r.get_json()["state"] == "draft"


def test_every_recorded_action_has_words(setting):
    from peer_review.audit.labels import ACTIONS
    for action in ("assessment.start", "assessment.answer", "assessment.submit", "assessment.reopen",
                   "assessment.import"):
        assert action in ACTIONS


def test_facilitators_read_submitted_assessments(client, setting):
    ops, db = _ops(), _db()
    a = start(setting)
    for cid, data in full_answers().items():
        ops.save_answer(a, cid, data, 0)
    ops.submit(a)
    db.session.commit()
    login_as(client, setting["facilitator"])
    assert f"/assessments/{a.id}" in client.get("/assessments/").get_data(as_text=True)
    assert client.get(f"/assessments/{a.id}/sections/inclusion").status_code == 200
    assert client.get(f"/assessments/{a.id}/print").status_code == 200
    assert client.post(f"/assessments/{a.id}/criteria/gov.1", data={"gov.1__level": "0"}).status_code == 403


def test_sending_what_is_saved_now_is_no_conflict(setting):
    ops, db = _ops(), _db()
    a = start(setting)
    ops.save_answer(a, "gov.1", {"level": 2, "justification": "Same"}, 0)
    ops.save_answer(a, "gov.1", {"level": 3, "justification": "Same"}, 1)
    db.session.commit()
    answer = ops.save_answer(a, "gov.1", {"level": 3, "justification": "Same"}, 1)  # stale, but identical
    assert answer.version == 2
    with pytest.raises(ops.AnswerConflict) as err:
        ops.save_answer(a, "gov.1", {"level": 1, "justification": "Different"}, 1)
    assert err.value.theirs["level"] == 3 and err.value.yours["justification"] == "Different"
