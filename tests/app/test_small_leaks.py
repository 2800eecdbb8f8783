"""Smaller leaks: facilitators' memos, what the secretariat may import, formulas hidden behind invisible
characters."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from peer_review.coding.models import Code
from peer_review.coding.operations import add_memo
from peer_review.cycles.models import Cycle
from peer_review.evidence.models import EvidenceItem
from peer_review.evidence.tabular import neutralise_formula
from peer_review.extensions import db

HEADER = ("city,cycle,type,title,text,date,language,area,source,gender,age_group,vulnerable_groups,consent,"
          "visibility")


@pytest.fixture
def world(app, make_city, make_user):
    city = make_city("Kisaru", slug="kisaru")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    code = Code(key="trust", direction="more", family="culture", labels={"en": "Trust"})
    db.session.add_all([cycle, code])
    db.session.commit()
    facilitator = make_user("fac@net.example", roles=["facilitator"])
    item = EvidenceItem(city=city, cycle=cycle, type="narrative", title="Hall meetings", language="en",
                        text="Residents and police meet monthly.", consent="obtained", visibility="city")
    db.session.add(item)
    db.session.flush()
    add_memo("code", code.id, "Analytic note: the Kisaru hall case is contested.", facilitator)
    add_memo("item", item.id, "Item note: check the date with the coordinator.", facilitator)
    db.session.commit()
    return {"city": city, "cycle": cycle, "code": code, "item": item, "facilitator": facilitator,
            "member": make_user("member@kisaru.example", city=city),
            "secretariat": make_user("sec@net.example", roles=["secretariat"])}


@pytest.mark.parametrize("who,sees", [("member", False), ("secretariat", False), ("facilitator", True)])
def test_memos_are_for_facilitators_only(client, login, world, who, sees):
    login(client, world[who])
    code_page = client.get("/coding/codes/trust").get_data(as_text=True)
    item_page = client.get(f"/evidence/{world['item'].id}").get_data(as_text=True)
    assert ("Analytic note" in code_page) is sees
    assert ("Item note" in item_page) is sees


def _import(client, visibility: str):
    row = f"kisaru,2026 round,narrative,Shelter testimony,She left home after threats.,,en,,,,,,obtained,{visibility}"
    return client.post("/exchange/evidence/import",
                       data={"file": (io.BytesIO(f"{HEADER}\n{row}\n".encode()), "evidence.csv")},
                       content_type="multipart/form-data")


def test_the_secretariat_may_not_import_items_it_could_not_see(client, login, world):
    login(client, world["secretariat"])
    refused = _import(client, "restricted")
    assert refused.status_code == 400 and "You could not see this item once imported" in refused.get_data(
        as_text=True)
    assert _import(client, "city").status_code == 200  # a preview it may confirm


def test_the_city_may_import_its_restricted_items(client, login, world):
    login(client, world["member"])
    assert _import(client, "restricted").status_code == 200


def test_operations_refuse_it_too(world):
    from peer_review.errors import ValidationFailed
    from peer_review.evidence.operations import import_rows
    row = {"_row": 2, "city": "kisaru", "cycle": "2026 round", "type": "narrative", "title": "T", "text": "x",
           "language": "en", "consent": "obtained", "visibility": "restricted"}
    with pytest.raises(ValidationFailed) as err:
        import_rows([row], actor=world["secretariat"])
    assert "row 2: visibility" in err.value.fields


@pytest.mark.parametrize("prefix", ["\ufeff", "\u200b", "\u00a0", " ", "\n", "  \u200d", "\u2060"])
def test_formulas_behind_invisible_or_space_characters_are_neutralised(prefix):
    assert neutralise_formula(prefix + "=HYPERLINK(\"http://x\")").startswith("'")
    assert neutralise_formula(prefix + "+1").startswith("'")
    assert neutralise_formula(prefix + "plain words") == prefix + "plain words"


def test_a_coordinator_exports_their_own_citys_evidence_only(client, login, world, make_city, make_user):
    other = make_city("Elsewhere", slug="elsewhere")
    world["cycle"].cities.append(other)
    db.session.add(EvidenceItem(city=other, cycle=world["cycle"], type="narrative", title="Their public story",
                                language="en", text="A network-wide story.", consent="obtained",
                                visibility="network"))
    db.session.add(EvidenceItem(city=world["city"], cycle=world["cycle"], type="narrative", title="Our shelter note",
                                language="en", text="Restricted.", consent="obtained", visibility="restricted"))
    db.session.commit()
    coordinator = make_user("coord@kisaru.example", city=world["city"], city_role="coordinator")
    login(client, coordinator)
    page = client.get("/exchange/").get_data(as_text=True)
    assert "Export evidence" in page and "to and from" not in page
    exported = client.get("/exchange/evidence.csv")
    assert exported.status_code == 200
    body = exported.get_data(as_text=True)
    assert "Hall meetings" in body and "Our shelter note" in body  # their own city, restricted included
    assert "Their public story" not in body  # another city's, though visible to them on the network
    login(client, world["member"])
    assert client.get("/exchange/evidence.csv").status_code == 403
    assert "Export evidence" not in client.get("/exchange/").get_data(as_text=True)


def test_pages_promise_only_what_the_app_does(client):
    login_page = client.get("/login").get_data(as_text=True)
    assert "Self-assessments" not in login_page and "peer reviews" not in login_page  # not built yet
    statement = client.get("/accessibility").get_data(as_text=True)
    assert "saves drafts" not in statement and "select a passage to code" in statement
