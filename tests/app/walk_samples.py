"""Route-by-role expectations for double-coding samples (imported by test_permissions_walk).

Samples are the facilitators' work (and admins', who hold every role): everyone else signed in gets 403, the
anonymous are sent to sign in, the API answers 401 without a token.
"""
from tests.app.test_permissions_walk import S

FACILITATORS_PAGE = S(302, 403, 403, 200, 403, 200)

EXPECTED = {
    "coding.samples_index": ("GET", FACILITATORS_PAGE),
    "coding.samples_new": ("GET", FACILITATORS_PAGE),
    "coding.sample_show": ("GET", FACILITATORS_PAGE),
    # The world's sample has no codings yet, so an empty reconciliation succeeds and redirects.
    "coding.sample_reconcile": ("POST", S(302, 403, 403, 302, 403, 302)),
    "api.sample_agreement": ("GET", S(401, 403, 403, 200, 403, 200)),
}


def world(db, city_a, users, cycle) -> dict:
    """A sample of two items in a cycle of its own, coded by two facilitators made here: the walk's facilitator
    is not one of its coders, so they see the report (a coder would see only the progress)."""
    import datetime as dt

    from peer_review.coding.samples import draw_sample
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.models import EvidenceItem
    from peer_review.users.models import NetworkRole, User

    coders = []
    for n in (1, 2):
        user = User(email=f"coder{n}@samples.example", name=f"Coder {n}",
                    network_roles=[NetworkRole(role="facilitator")])
        db.session.add(user)
        coders.append(user)
    own_cycle = Cycle(name="Samples walk round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1),
                      state="open", cities=[city_a])
    db.session.add(own_cycle)
    for n in range(3):
        db.session.add(EvidenceItem(city=city_a, cycle=own_cycle, type="narrative", title=f"Walk item {n}",
                                    text="Street lights were fixed after the safety walk.", language="en",
                                    consent="obtained", visibility="city"))
    db.session.flush()
    sample = draw_sample(own_cycle, 2, coders[0], coders[1], seed=7, actor=users["facilitator"])
    db.session.commit()
    return {"sample_id": sample.id}
