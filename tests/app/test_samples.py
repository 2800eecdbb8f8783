"""Double coding: samples, blind coding, agreement, reconciliation, pages, API and demo."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.audit.models import AuditEntry
from peer_review.coding import samples as ops
from peer_review.coding.models import Code, Coding, DoubleCodingSample
from peer_review.coding.operations import add_codings, code_usage, codings_for, passages_for_code, random_sample
from peer_review.cycles.models import Cycle
from peer_review.errors import ValidationFailed
from peer_review.evidence.models import EvidenceItem
from peer_review.extensions import db

TEXT = "The square is lively at night. Women avoid the underpass. Police and residents meet every month."


@pytest.fixture
def w(app, make_city, make_user):
    """A city in a cycle, three facilitators (two coders and a lead), a city member, two codes, items."""
    city = make_city("Samplecity", slug="samplecity")
    cycle = Cycle(name="Sample round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    codes = {
        "trust": Code(key="trust", direction="more", family="culture", labels={"en": "Trust"}),
        "fear": Code(key="fear", direction="less", family="culture", labels={"en": "Fear of crime"}),
    }
    db.session.add_all(codes.values())
    db.session.commit()
    people = {
        "a": make_user("ana@net.example", roles=["facilitator"], name="Ana Coder"),
        "b": make_user("ben@net.example", roles=["facilitator"], name="Ben Coder"),
        "lead": make_user("lead@net.example", roles=["facilitator"], name="Lea Lead"),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
        "member": make_user("member@city.example", city=city),
    }

    def make_items(n: int, consent: str = "obtained", target_cycle=None) -> list[EvidenceItem]:
        made = []
        for _ in range(n):
            item = EvidenceItem(city=city, cycle=target_cycle or cycle, type="narrative",
                                title=f"Item {len(made) + 1} ({consent})", text=TEXT, language="en",
                                consent=consent, visibility="city")
            db.session.add(item)
            made.append(item)
        db.session.commit()
        return made

    return {"city": city, "cycle": cycle, "codes": codes, "items": make_items, **people}


def code(w, item, key, who, start=None, end=None):
    """Code through the real operation: inside an open sample it stores a blind coding."""
    return add_codings(item, [w["codes"][key]], w[who], start, end)


def counted():
    return set(db.session.execute(db.select(Coding).filter(Coding.sample_id.is_(None))).scalars())


# --- Drawing -----------------------------------------------------------------------------------------

def test_sample_is_reproducible_for_a_seed_and_a_random_seed_is_stored(w):
    items = w["items"](10)
    sample = ops.draw_sample(w["cycle"], 4, w["a"], w["b"], seed=42, actor=w["lead"])
    first = sample.item_ids
    assert len(first) == 4 and set(first) <= {i.id for i in items}
    assert first == random_sample([i.id for i in items], 4, 42)
    db.session.delete(sample)
    db.session.flush()
    assert ops.draw_sample(w["cycle"], 4, w["a"], w["b"], seed=42).item_ids == first
    db.session.delete(db.session.execute(db.select(DoubleCodingSample)).scalar_one())
    db.session.flush()
    unseeded = ops.draw_sample(w["cycle"], 4, w["a"], w["b"])
    assert unseeded.seed is not None
    assert unseeded.item_ids == random_sample([i.id for i in items], 4, unseeded.seed)
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="sample.create")
                               .order_by(AuditEntry.id.desc())).scalars().first()
    assert entry.after["seed"] == unseeded.seed and entry.after["items"] == unseeded.item_ids


def test_withdrawn_items_and_items_in_open_samples_are_never_sampled(w):
    kept = w["items"](4)
    withdrawn = w["items"](6, consent="withdrawn")
    for seed in range(20):
        sample = ops.draw_sample(w["cycle"], 4, w["a"], w["b"], seed=seed)
        assert set(sample.item_ids) == {i.id for i in kept}
        assert not set(sample.item_ids) & {i.id for i in withdrawn}
        db.session.delete(sample)
        db.session.flush()
    first = ops.draw_sample(w["cycle"], 3, w["a"], w["b"], seed=1)
    second = ops.draw_sample(w["cycle"], 1, w["lead"], w["b"], seed=1)
    assert not set(first.item_ids) & set(second.item_ids)
    with pytest.raises(ValidationFailed) as err:
        ops.draw_sample(w["cycle"], 1, w["a"], w["b"], seed=1)
    assert "cycle" in err.value.fields  # every usable item is in an open sample
    ops.reconcile(second, {}, actor=w["lead"])
    assert ops.eligible_item_ids(w["cycle"]) == second.item_ids  # a reconciled sample frees its items


@pytest.mark.parametrize("change,field", [
    ({"coder_b": "a"}, "coder_b"),           # the same coder twice
    ({"size": 0}, "size"),
    ({"size": 6}, "size"),                   # more than the cycle has
    ({"size": "many"}, "size"),
    ({"coder_a": "member"}, "coder_a"),      # not a facilitator
    ({"coder_a": None}, "coder_a"),
    ({"seed": -3}, "seed"),
    ({"cycle": None}, "cycle"),
])
def test_validation_errors_change_nothing(w, change, field):
    w["items"](5)
    args = {"cycle": w["cycle"], "size": 2, "coder_a": "a", "coder_b": "b", "seed": None}
    args.update(change)
    for role in ("coder_a", "coder_b"):
        args[role] = w[args[role]] if args[role] else None
    with pytest.raises(ValidationFailed) as err:
        ops.draw_sample(args["cycle"], args["size"], args["coder_a"], args["coder_b"], seed=args["seed"])
    assert field in err.value.fields
    db.session.rollback()
    assert db.session.execute(db.select(db.func.count(DoubleCodingSample.id))).scalar() == 0


def test_a_cycle_without_evidence_cannot_be_sampled(w):
    with pytest.raises(ValidationFailed) as err:
        ops.draw_sample(w["cycle"], 1, w["a"], w["b"])
    assert "cycle" in err.value.fields


# --- Blind coding --------------------------------------------------------------------------------------

def test_coders_code_blind_and_others_see_only_what_counts(w):
    item = w["items"](1)[0]
    single = code(w, item, "trust", "lead", 0, 10)  # counted, coded before the sample
    sample = ops.draw_sample(w["cycle"], 1, w["a"], w["b"], seed=1)
    mine = code(w, item, "fear", "a", 31, 57)
    theirs = code(w, item, "trust", "b", 58, 95)
    assert all(c.sample_id == sample.id for c in mine + theirs)
    assert codings_for(w["a"], item) == mine
    assert codings_for(w["b"], item) == theirs
    assert codings_for(w["lead"], item) == single  # a non-coder sees only what counts
    assert set(codings_for(w["a"], item)).isdisjoint(theirs)
    # The lead's new coding on the item counts at once (they are not in the sample).
    assert code(w, item, "fear", "lead")[0].sample_id is None


# --- Agreement ---------------------------------------------------------------------------------------

def _hand_example(w):
    """Five items, two codes. Per item (A, B):
    trust: A on 1, 2, 3; B on 1, 2         fear: both on item 1 only.
    """
    items = w["items"](5)
    sample = ops.draw_sample(w["cycle"], 5, w["a"], w["b"], seed=3)
    i1, i2, i3, _i4, _i5 = items
    code(w, i1, "trust", "a", 0, 10)
    code(w, i1, "trust", "b", 4, 20)  # another passage of the same item: still agreement at item level
    code(w, i2, "trust", "a", 0, 10)
    code(w, i2, "trust", "a", 31, 57)  # twice in one item counts once
    code(w, i2, "trust", "b")  # whole item
    code(w, i3, "trust", "a", 58, 95)
    code(w, i1, "fear", "a", 31, 57)
    code(w, i1, "fear", "b", 31, 57)
    db.session.commit()
    return sample, items


def test_report_matches_a_hand_computed_example(w):
    sample, items = _hand_example(w)
    report = ops.sample_report(sample)
    assert report["unit"] == "item"
    assert (report["items"], report["codes"], report["units"]) == (5, 2, 10)
    # trust: p_o = 4/5, p_e = .6*.4 + .4*.6 = .48, kappa = (.8 - .48) / .52
    assert report["per_code"]["trust"]["kappa"] == pytest.approx(0.32 / 0.52)
    assert report["per_code"]["trust"]["percent_agreement"] == pytest.approx(80.0)
    assert (report["per_code"]["trust"]["a"], report["per_code"]["trust"]["b"],
            report["per_code"]["trust"]["both"]) == (3, 2, 2)
    # fear: both on item 1, neither elsewhere: perfect agreement
    assert report["per_code"]["fear"]["kappa"] == pytest.approx(1.0)
    # alpha over 10 binary units: 3 (yes, yes), 6 (no, no), 1 (yes, no)
    # coincidences o_11 = 6, o_00 = 12, o_10 = o_01 = 1; n_1 = 7, n_0 = 13, n = 20
    # alpha = 1 - (n - 1) * (o_10 + o_01) / (2 * n_1 * n_0) = 1 - 19 * 2 / 182
    assert report["alpha"] == pytest.approx(1 - 38 / 182)
    assert report["percent_agreement"] == pytest.approx(90.0)
    assert report["disagreements"] == [(items[2].id, "trust", "a")]
    assert report["progress"] == {"items": 5, "a": 3, "b": 2, "both": 2}
    assert report["complete"] is False and report["enough_data"] is False


def test_kappa_is_none_not_a_number_when_undefined(w):
    items = w["items"](2)
    sample = ops.draw_sample(w["cycle"], 2, w["a"], w["b"], seed=1)
    report = ops.sample_report(sample)
    assert report["per_code"]["trust"]["kappa"] is None and report["alpha"] is None
    code(w, items[0], "trust", "a")
    code(w, items[0], "trust", "b")
    code(w, items[1], "trust", "a")
    code(w, items[1], "trust", "b")
    report = ops.sample_report(sample)
    assert report["per_code"]["trust"]["kappa"] is None  # both applied it on every item: undefined
    assert report["per_code"]["trust"]["percent_agreement"] == 100.0
    assert report["complete"] is True


# --- Reconciliation ----------------------------------------------------------------------------------

def _reconcile_example(w):
    items = w["items"](3)
    sample = ops.draw_sample(w["cycle"], 3, w["a"], w["b"], seed=5)
    i1, i2, i3 = sorted(items, key=lambda i: i.id)
    code(w, i1, "trust", "a", 0, 5)
    code(w, i1, "trust", "a", 0, 5)  # the same span again: stored once
    code(w, i1, "trust", "b", 2, 8)  # agreed: A's passage is copied
    code(w, i2, "fear", "b", 3, 9)  # only B: kept below, so B's passage is copied
    code(w, i2, "trust", "a")  # only A: dropped below
    code(w, i3, "fear", "a")
    code(w, i3, "fear", "b")  # agreed, whole item
    db.session.commit()
    return sample, (i1, i2, i3)


def test_reconcile_makes_exactly_the_agreed_codings(w):
    sample, (i1, i2, i3) = _reconcile_example(w)
    report = ops.sample_report(sample)
    assert sorted(report["disagreements"]) == sorted([(i2.id, "fear", "b"), (i2.id, "trust", "a")])
    assert counted() == set()  # blind work never counts
    assert code_usage() == {}
    created = ops.reconcile(sample, {(i2.id, "fear"): "keep", (i2.id, "trust"): "drop"}, actor=w["lead"])
    db.session.commit()
    got = {(c.item_id, c.code.key, c.start_offset, c.end_offset) for c in created}
    # Passages are snapped to whole words: (0, 5) "The s" is "The square", (3, 9) " squar" is "square".
    assert got == {(i1.id, "trust", 0, 10), (i2.id, "fear", 4, 10), (i3.id, "fear", None, None)}
    assert len(created) == 3
    assert all(c.origin == "agreed" and c.sample_id is None and c.coder_id == w["lead"].id for c in created)
    assert counted() == set(created)
    assert code_usage() == {w["codes"]["trust"].id: 1, w["codes"]["fear"].id: 2}
    assert {c.id for c in db.session.execute(passages_for_code(w["codes"]["fear"])).scalars()} == \
        {c.id for c in created if c.code.key == "fear"}
    assert sample.reconciled_at is not None and not sample.open
    # The sample is closed: coders now see what counts on the items, and new codings count.
    assert codings_for(w["a"], i3) == [c for c in created if c.item_id == i3.id]
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="sample.reconcile")).scalar_one()
    assert entry.after["kept"] == [[i2.id, "fear"]] and entry.after["dropped"] == [[i2.id, "trust"]]
    assert entry.actor_id == w["lead"].id
    # The blind codings stay with the sample, so its report is still readable.
    assert ops.sample_report(sample)["disagreements"] == report["disagreements"]


def test_reconciling_twice_is_refused(w):
    sample, (_i1, i2, _i3) = _reconcile_example(w)
    decisions = {(i2.id, "fear"): True, (i2.id, "trust"): False}
    ops.reconcile(sample, decisions, actor=w["lead"])
    db.session.commit()
    before = len(counted())
    with pytest.raises(ValidationFailed) as err:
        ops.reconcile(sample, decisions, actor=w["lead"])
    assert "sample" in err.value.fields
    assert len(counted()) == before


def test_every_disagreement_needs_a_decision(w):
    sample, (_i1, i2, _i3) = _reconcile_example(w)
    with pytest.raises(ValidationFailed) as err:
        ops.reconcile(sample, {(i2.id, "fear"): "keep"}, actor=w["lead"])
    assert "decisions" in err.value.fields
    assert sample.open and counted() == set()


def test_reconcile_does_not_count_an_existing_counted_passage_twice(w):
    item = w["items"](1)[0]
    existing = code(w, item, "fear", "lead", 31, 57)[0]
    sample = ops.draw_sample(w["cycle"], 1, w["a"], w["b"], seed=1)
    code(w, item, "fear", "a", 31, 57)
    code(w, item, "fear", "b", 31, 57)
    assert ops.reconcile(sample, {}, actor=w["lead"]) == []
    assert counted() == {existing}


# --- Pages -------------------------------------------------------------------------------------------

def test_draw_a_sample_on_the_page(client, login, w):
    w["items"](4)
    login(client, w["lead"])
    page = client.get("/coding/samples/new")
    assert page.status_code == 200 and "Ana Coder" in page.get_data(as_text=True)
    bad = client.post("/coding/samples/new", data={"cycle": w["cycle"].id, "size": 2, "coder_a": w["a"].id,
                                                   "coder_b": w["a"].id})
    assert bad.status_code == 400 and "Choose two different coders" in bad.get_data(as_text=True)
    bad = client.post("/coding/samples/new", data={"cycle": w["cycle"].id, "size": 0, "coder_a": w["a"].id,
                                                   "coder_b": w["b"].id})
    assert bad.status_code == 400
    assert db.session.execute(db.select(db.func.count(DoubleCodingSample.id))).scalar() == 0
    ok = client.post("/coding/samples/new", data={"cycle": w["cycle"].id, "size": 3, "coder_a": w["a"].id,
                                                  "coder_b": w["b"].id, "seed": 9, "name": "Spring check"})
    assert ok.status_code == 302
    sample = db.session.execute(db.select(DoubleCodingSample)).scalar_one()
    assert ok.headers["Location"].endswith(f"/coding/samples/{sample.id}")
    assert (sample.name, sample.seed, len(sample.items), sample.created_by_id) == ("Spring check", 9, 3,
                                                                                   w["lead"].id)
    listing = client.get("/coding/samples/").get_data(as_text=True)
    assert "Spring check" in listing and "Not enough data" in listing


def test_sample_page_shows_uncertainty_disagreements_and_reconciles(client, login, w):
    sample, _items = _hand_example(w)
    login(client, w["lead"])
    html = client.get(f"/coding/samples/{sample.id}").get_data(as_text=True)
    assert "Only 2 items are coded by both coders" in html  # too few for the figures to mean much
    assert "uncertain" in html and "per item" in html
    disagreement = ops.sample_report(sample)["disagreements"][0]
    item = db.session.get(EvidenceItem, disagreement[0])
    assert f'href="/evidence/{item.id}"' in html and item.title in html
    assert "Police and residents meet every month" in html  # the passage A marked
    field = ops.decision_field(item.id, "trust")
    missing = client.post(f"/coding/samples/{sample.id}/reconcile", data={})
    assert missing.status_code == 400 and "Choose keep or drop" in missing.get_data(as_text=True)
    done = client.post(f"/coding/samples/{sample.id}/reconcile", data={field: "drop"})
    assert done.status_code == 302
    db.session.expire_all()
    assert not db.session.get(DoubleCodingSample, sample.id).open
    assert {(c.item_id, c.code.key) for c in counted()} == {(c.item_id, c.code.key) for c in counted()
                                                            if c.origin == "agreed"}
    assert len({(c.item_id, c.code.key) for c in counted()}) == 3  # trust on 1 and 2, fear on 1
    again = client.post(f"/coding/samples/{sample.id}/reconcile", data={field: "keep"}, follow_redirects=True)
    assert "already been reconciled" in again.get_data(as_text=True)
    assert len({(c.item_id, c.code.key) for c in counted()}) == 3


def test_a_coder_sees_only_progress_until_both_have_finished(client, login, w):
    items = w["items"](2)
    sample = ops.draw_sample(w["cycle"], 2, w["a"], w["b"], seed=1)
    code(w, items[0], "trust", "b", 58, 95)
    db.session.commit()
    login(client, w["a"])
    html = client.get(f"/coding/samples/{sample.id}").get_data(as_text=True)
    assert "hidden from you" in html and "Police and residents" not in html
    assert client.post(f"/coding/samples/{sample.id}/reconcile", data={}).status_code == 403
    for item in items:
        code(w, item, "fear", "a")
    code(w, items[1], "fear", "b")
    db.session.commit()
    html = client.get(f"/coding/samples/{sample.id}").get_data(as_text=True)
    assert "hidden from you" not in html and "Police and residents" in html


def test_sample_pages_permissions(client, login, w):
    w["items"](2)
    sample = ops.draw_sample(w["cycle"], 2, w["a"], w["b"], seed=1)
    db.session.commit()
    urls = ["/coding/samples/", "/coding/samples/new", f"/coding/samples/{sample.id}"]
    for url in urls:
        assert "/login" in client.get(url).headers["Location"]
    for who in ("member", "secretariat"):
        login(client, w[who])
        for url in urls:
            assert client.get(url).status_code == 403, (who, url)
        assert client.post(f"/coding/samples/{sample.id}/reconcile").status_code == 403
    login(client, w["lead"])
    assert client.get(f"/coding/samples/{sample.id + 1000}").status_code == 404
    assert client.post(f"/coding/samples/{sample.id + 1000}/reconcile").status_code == 404
    assert sample.open


# --- API ---------------------------------------------------------------------------------------------

def test_agreement_api(client, api_token, w):
    sample, items = _hand_example(w)
    db.session.commit()
    url = f"/api/v1/samples/{sample.id}/agreement"
    response = client.get(url, headers=api_token(w["lead"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["alpha"] == pytest.approx(1 - 38 / 182) and body["percent_agreement"] == pytest.approx(90.0)
    assert body["per_code"]["trust"]["kappa"] == pytest.approx(0.32 / 0.52)
    assert body["per_code"]["fear"] == {"kappa": 1.0, "percent_agreement": 100.0, "a": 1, "b": 1, "both": 1,
                                        "items": 5, "uncertain": True}
    assert body["disagreements"] == [{"item_id": items[2].id, "code": "trust", "applied_by": "a"}]
    assert body["progress"] == {"items": 5, "a": 3, "b": 2, "both": 2}
    assert body["unit"] == "item" and body["coder_a"] == "ana@net.example" and body["enough_data"] is False
    assert client.get(url).status_code == 401
    for who, status in (("member", 403), ("secretariat", 403), ("a", 403)):  # A codes blind: not yet
        response = client.get(url, headers=api_token(w[who]))
        assert response.status_code == status
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    assert client.get(url, headers=api_token(w["a"])).get_json()["error"]["code"] == "blind_coding"
    missing = client.get(f"/api/v1/samples/{sample.id + 1000}/agreement", headers=api_token(w["lead"]))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"]
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/samples/{sample_id}/agreement"]["get"]
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
    assert all(r.get("description") for r in operation["responses"].values())


# --- Demo --------------------------------------------------------------------------------------------

def test_demo_sample_without_evidence_does_nothing(app):
    assert ops.load_demo_sample() == {}
    assert db.session.execute(db.select(db.func.count(DoubleCodingSample.id))).scalar() == 0


@pytest.mark.slow  # builds the whole demo network: runs with the slow part of make test
def test_demo_sample_is_coded_by_both_mostly_agreeing_and_idempotent(app):
    from peer_review.demo.loader import load_demo
    load_demo()
    sample = db.session.execute(db.select(DoubleCodingSample).filter_by(name=ops.DEMO_SAMPLE_NAME)).scalar_one()
    assert len(sample.items) == ops.DEMO_SIZE and sample.open
    assert {sample.coder_a.email, sample.coder_b.email} == set(ops.DEMO_CODERS)
    report = ops.sample_report(sample)
    assert report["complete"] and report["enough_data"]
    assert 1 <= len(report["disagreements"]) <= 8
    assert report["alpha"] is not None and report["alpha"] > 0.6
    withdrawn = {i.id for i in db.session.execute(db.select(EvidenceItem).filter_by(consent="withdrawn"))
                 .scalars()}
    assert not set(sample.item_ids) & withdrawn
    blind = db.session.execute(db.select(db.func.count(Coding.id)).filter(Coding.sample_id == sample.id)).scalar()
    assert ops.load_demo_sample() == {"double-coded sample items": 0}
    load_demo()
    assert db.session.execute(db.select(db.func.count(DoubleCodingSample.id))).scalar() == 1
    assert db.session.execute(db.select(db.func.count(Coding.id))
                              .filter(Coding.sample_id == sample.id)).scalar() == blind


def test_the_new_sample_form_defaults_to_the_cycle_in_progress(client, login, w):
    import re
    draft = Cycle(name="2027 round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1), state="draft",
                  cities=[w["city"]])
    db.session.add(draft)
    db.session.commit()
    login(client, w["lead"])
    page = client.get("/coding/samples/new").get_data(as_text=True)
    selected = re.search(r'<option value="(\d+)" selected>', page)
    assert selected and int(selected.group(1)) == w["cycle"].id
