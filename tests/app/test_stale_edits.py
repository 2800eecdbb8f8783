"""No update of evidence may be based on a stale version: a form or an API client holding a copy made before
someone else's change (a redaction) is refused, and nothing removed comes back."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.cycles.models import Cycle
from peer_review.evidence.models import EvidenceItem
from peer_review.extensions import db

TEXT = "Ana Ruiz told us the underpass is dark and she avoids it after eight."


@pytest.fixture
def world(app, make_city, make_user):
    city = make_city("Kisaru", slug="kisaru")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    item = EvidenceItem(city=city, cycle=cycle, type="narrative", title="Underpass", text=TEXT, language="en",
                        consent="obtained", visibility="city")
    db.session.add(item)
    db.session.commit()
    return {"city": city, "cycle": cycle, "item": item,
            "coordinator": make_user("coord@kisaru.example", city=city, city_role="coordinator"),
            "member": make_user("member@kisaru.example", city=city)}


def _stored(item_id: int) -> EvidenceItem:
    db.session.rollback()
    item = db.session.get(EvidenceItem, item_id)
    db.session.refresh(item)
    return item


def _form_as_opened(item: EvidenceItem) -> dict:
    return {"city": "kisaru", "cycle": str(item.cycle_id), "type": item.type, "title": item.title,
            "text": item.text, "language": item.language, "consent": item.consent, "visibility": item.visibility,
            "gender": item.gender, "age_group": item.age_group, "version": str(item.version)}


def _redact_name(app, world):
    from tests.conftest import IsolatedClient, login_as
    app.test_client_class = IsolatedClient
    other = app.test_client()
    login_as(other, world["member"])
    item = _stored(world["item"].id)
    start = item.text.index("Ana Ruiz")
    response = other.post(f"/evidence/{item.id}/redact",
                          data={"start": start, "end": start + len("Ana Ruiz"), "version": item.version})
    assert response.status_code == 302


def test_a_stale_edit_form_cannot_undo_a_redaction(app, client, login, world):
    login(client, world["coordinator"])
    opened = client.get(f"/evidence/{world['item'].id}/edit")
    assert opened.status_code == 200 and 'name="version"' in opened.get_data(as_text=True)
    form = _form_as_opened(world["item"])
    _redact_name(app, world)
    saved = client.post(f"/evidence/{world['item'].id}/edit", data={**form, "title": "Underpass at night"})
    page = saved.get_data(as_text=True)
    assert saved.status_code == 409 and "Someone changed this item while you were editing it" in page
    assert "Title: Underpass at night" in page  # what they had changed, to make again
    assert "Ana Ruiz" not in page  # the form shows what is stored now, never the stale text
    item = _stored(world["item"].id)
    assert "Ana Ruiz" not in item.text and item.title == "Underpass" and item.redactions == 1
    again = client.post(f"/evidence/{item.id}/edit",
                        data={**_form_as_opened(item), "title": "Underpass at night"})
    assert again.status_code == 302 and _stored(item.id).title == "Underpass at night"


def test_a_form_without_a_version_is_refused(client, login, world):
    login(client, world["coordinator"])
    form = _form_as_opened(world["item"])
    del form["version"]
    assert client.post(f"/evidence/{world['item'].id}/edit", data=form).status_code == 409


def test_the_api_needs_if_match_and_refuses_a_stale_etag(app, client, api_token, world):
    headers = api_token(world["coordinator"])
    url = f"/api/v1/evidence/{world['item'].id}"
    read = client.get(url, headers=headers)
    etag = read.headers["ETag"]
    assert read.json["version"] == 1 and etag == '"v1"'
    missing = client.patch(url, json={"title": "x"}, headers=headers)
    assert missing.status_code == 428 and missing.json["error"]["code"] == "precondition_required"
    assert client.patch(url, json={"title": "x"}, headers={**headers, "If-Match": "*"}).status_code == 412
    _redact_name(app, world)
    stale = client.patch(url, json={"text": TEXT}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    assert stale.headers["ETag"] == '"v2"'
    assert "Ana Ruiz" not in _stored(world["item"].id).text
    fresh = client.patch(url, json={"title": "Renamed"}, headers={**headers, "If-Match": stale.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"v3"'


def test_a_redaction_chosen_on_an_older_text_is_refused(client, login, world):
    login(client, world["member"])
    item = world["item"]
    start = item.text.index("underpass")
    response = client.post(f"/evidence/{item.id}/redact",
                           data={"start": start, "end": start + 9, "version": item.version + 5})
    assert response.status_code == 400 and "The text changed since you opened this page" in response.get_data(
        as_text=True)
    assert _stored(item.id).redactions == 0


def test_positions_chosen_on_an_older_text_do_not_code_other_words(app, client, login, make_user, world):
    from peer_review.coding.models import Code, Coding
    db.session.add(Code(key="fear_of_crime", direction="less", family="culture", labels={"en": "Fear of crime"}))
    db.session.commit()
    facilitator = make_user("fac@net.example", roles=["facilitator"])
    login(client, facilitator)
    item = world["item"]
    start = TEXT.index("avoids it")
    opened_version = item.version
    _redact_name(app, world)  # shifts every later character
    r = client.post(f"/coding/items/{item.id}/codings", data={"codes": ["fear_of_crime"], "start": start,
                                                              "end": start + 9, "version": opened_version},
                    follow_redirects=True)
    assert "The text changed since you opened this page" in r.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Coding.id))) == 0
