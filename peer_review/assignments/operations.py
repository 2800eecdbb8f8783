"""Proposing, editing and publishing a cycle's peer assignments on top of the optimiser (``solver``).

The optimiser sees the cycle's participating cities, the network's declared conflicts, the previous cycle's
published pairs, and the secretariat's edits: pairs added by hand and pairs already published are kept (fixed);
pairs removed by hand stay out (forbidden). A proposal is only a proposal until the secretariat publishes it.
"""
from __future__ import annotations

from ..audit.operations import record
from ..errors import ValidationFailed
from ..evidence.sanitize import clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow
from . import conflicts as conflict_ops
from . import solver
from .models import AUTO, MANUAL, PROPOSED, PUBLISHED, REMOVED, Assignment

ACTIVE = (PROPOSED, PUBLISHED)


def rows(cycle, states=ACTIVE) -> list[Assignment]:
    return db.session.execute(db.select(Assignment).filter(
        Assignment.cycle_id == cycle.id, Assignment.state.in_(states))
        .order_by(Assignment.reviewed_city_id, Assignment.reviewer_city_id)).scalars().all()


def previous_cycle(cycle):
    from ..cycles.models import Cycle
    return db.session.execute(db.select(Cycle).filter(
        Cycle.id != cycle.id, Cycle.starts_on < cycle.starts_on, Cycle.state != "draft")
        .order_by(Cycle.starts_on.desc()).limit(1)).scalar_one_or_none()


def previous_pairs(cycle) -> set[tuple[int, int]]:
    earlier = previous_cycle(cycle)
    if earlier is None:
        return set()
    return set(db.session.execute(db.select(Assignment.reviewer_city_id, Assignment.reviewed_city_id).filter_by(
        cycle_id=earlier.id, state=PUBLISHED)).all())


def problem_for(cycle) -> solver.Problem:
    overrides = {int(k): v for k, v in (cycle.load_overrides or {}).items()}
    cities = [solver.CityNode(id=c.id, region=c.region or "", peer_group=c.peer_group or None,
                              max_load=overrides.get(c.id)) for c in cycle.cities if c.active]
    ids = {c.id for c in cities}
    existing = rows(cycle, (PROPOSED, PUBLISHED, REMOVED))
    fixed = {(a.reviewer_city_id, a.reviewed_city_id) for a in existing
             if (a.state == PUBLISHED or (a.state == PROPOSED and a.source == MANUAL))
             and a.reviewer_city_id in ids and a.reviewed_city_id in ids}
    forbidden = {(a.reviewer_city_id, a.reviewed_city_id) for a in existing if a.state == REMOVED}
    conflicts = {p for p in conflict_ops.all_pairs() if p <= ids}
    fixed -= {pair for pair in fixed if frozenset(pair) in conflicts}  # the page shows them as broken
    return solver.Problem(
        cities=cities, reviewers_per_city=cycle.reviewers_per_city,
        rules=solver.Rules(even_load=cycle.even_load, no_swaps=cycle.no_swaps, preference=cycle.preference,
                           avoid_repeats=cycle.avoid_repeats),
        conflicts=conflicts, previous_pairs=previous_pairs(cycle), fixed=fixed, forbidden=forbidden - fixed)


def _alternates_json(pair) -> list[dict]:
    return [{"reviewer_city_id": a.reviewer_id, "costs": a.costs, "reason": a.reason} for a in pair.alternates]


def _editable(cycle) -> None:
    if cycle.state == "closed":
        raise ValidationFailed({"cycle": [_l("This cycle is closed: its assignments can no longer change.")]})


def propose(cycle, actor=None, seed: int | None = None) -> solver.Proposal:
    """Run the optimiser and replace the automatic proposals (fixed pairs stay, with fresh explanations)."""
    _editable(cycle)
    if len(cycle.cities) < 2:
        raise ValidationFailed({"cycle": [_l("A cycle needs at least two participating cities for peer review.")]})
    seed = cycle.assignment_seed if seed is None else seed
    problem = problem_for(cycle)
    proposal = solver.solve(problem, seed=seed)
    if proposal.status in ("no_solution", "error"):
        raise ValidationFailed({"cycle": [_l("The optimiser found no assignment (%(status)s). Check the settings "
                                             "and conflicts.", status=proposal.status)]})
    existing = {(a.reviewer_city_id, a.reviewed_city_id): a for a in rows(cycle, (PROPOSED, PUBLISHED, REMOVED))}
    chosen = {(p.reviewer_id, p.reviewed_id): p for p in proposal.pairs}
    for key, row in existing.items():  # automatic proposals the new run did not choose go
        if row.state == PROPOSED and row.source == AUTO and key not in chosen:
            db.session.delete(row)
    db.session.flush()
    for key, pair in chosen.items():
        row = existing.get(key)
        if row is None:
            row = Assignment(cycle_id=cycle.id, reviewer_city_id=key[0], reviewed_city_id=key[1], state=PROPOSED,
                             source=AUTO, created_by_id=getattr(actor, "id", None))
            db.session.add(row)
        row.costs, row.alternates = pair.costs, _alternates_json(pair)
    cycle.assignment_run = {
        "seed": seed, "status": proposal.status, "seconds": round(proposal.seconds, 3),
        "objective": proposal.objective, "at": utcnow().isoformat(timespec="seconds"),
        "relaxed": [{"rule": r.rule, "city_ids": list(r.city_ids), "detail": r.detail} for r in proposal.relaxed],
        "pairs": len(proposal.pairs), "fixed": len(problem.fixed), "stats": proposal.stats,
    }
    db.session.flush()
    record("assignment.propose", "cycle", cycle.id, summary=f"{cycle.name}: {len(proposal.pairs)}",
           after={"pairs": len(proposal.pairs), "fixed": len(problem.fixed), "seed": seed,
                  "relaxed": [r.rule for r in proposal.relaxed], "status": proposal.status}, actor=actor)
    return proposal


def _city_in_cycle(cycle, city_id) -> bool:
    return any(c.id == city_id for c in cycle.cities)


def add(cycle, reviewer, reviewed, actor=None, note: str = "") -> tuple[Assignment, list]:
    """Add a pair by hand (kept on re-runs). Hard rules refuse it; soft rules it breaks come back as warnings."""
    _editable(cycle)
    errors: dict[str, list] = {}
    if reviewer is None or not _city_in_cycle(cycle, reviewer.id):
        errors["reviewer"] = [_l("Choose a reviewer city that takes part in this cycle")]
    if reviewed is None or not _city_in_cycle(cycle, reviewed.id):
        errors["reviewed"] = [_l("Choose a city that takes part in this cycle")]
    if not errors and reviewer.id == reviewed.id:
        errors["reviewer"] = [_l("A city never reviews itself")]
    if not errors and conflict_ops.find(reviewer.id, reviewed.id) is not None:
        errors["reviewer"] = [_l("%(a)s and %(b)s have declared a conflict of interest: they are never assigned "
                                 "to each other", a=reviewer.name, b=reviewed.name)]
    existing = None
    if not errors:
        existing = db.session.execute(db.select(Assignment).filter_by(
            cycle_id=cycle.id, reviewer_city_id=reviewer.id, reviewed_city_id=reviewed.id)).scalar_one_or_none()
        if existing is not None and existing.state in ACTIVE:
            errors["reviewer"] = [_l("%(a)s already reviews %(b)s in this cycle", a=reviewer.name, b=reviewed.name)]
    if errors:
        raise ValidationFailed(errors)
    note = clean_text(note or "").strip()[:1000]
    if existing is not None:  # a removed pair comes back, by hand
        row, action = existing, "assignment.restore"
        row.state, row.source, row.removed_at, row.note = PROPOSED, MANUAL, None, note
    else:
        row, action = Assignment(cycle_id=cycle.id, reviewer_city_id=reviewer.id, reviewed_city_id=reviewed.id,
                                 state=PROPOSED, source=MANUAL, created_by_id=getattr(actor, "id", None),
                                 note=note), "assignment.create"
        db.session.add(row)
    row.costs = {}
    db.session.flush()
    record(action, "assignment", row.id, summary=f"{cycle.name}: {reviewer.name} → {reviewed.name}",
           after=row.snapshot(), actor=actor)
    return row, soft_warnings(cycle, {(reviewer.id, reviewed.id)})


def remove(assignment: Assignment, actor=None) -> Assignment:
    """Take a pair out (kept out on re-runs). A published pair loses its access at once; a review written under
    it is kept, unreadable, until the pair is restored."""
    _editable(assignment.cycle)
    if assignment.state == REMOVED:
        raise ValidationFailed({"assignment": [_l("This assignment is already removed.")]})
    before = assignment.snapshot()
    assignment.state, assignment.source, assignment.removed_at = REMOVED, MANUAL, utcnow()
    db.session.flush()
    record("assignment.remove", "assignment", assignment.id,
           summary=f"{assignment.cycle.name}: {assignment.reviewer_city.name} → {assignment.reviewed_city.name}",
           before=before, after=assignment.snapshot(), actor=actor)
    from ..permissions import forget_cached_rights
    forget_cached_rights()
    return assignment


def violations(cycle, pairs=None) -> list[solver.Violation]:
    """Every rule the cycle's current (proposed and published) pairs break."""
    problem = problem_for(cycle)
    problem.fixed, problem.forbidden = set(), set()
    if pairs is None:
        pairs = {(a.reviewer_city_id, a.reviewed_city_id) for a in rows(cycle)}
    return solver.check(problem, pairs)


def soft_warnings(cycle, involving: set[tuple[int, int]]) -> list[solver.Violation]:
    cities = {c for pair in involving for c in pair}
    return [v for v in violations(cycle) if not v.hard and set(v.city_ids) & cities]


def publish(cycle, actor=None) -> list[Assignment]:
    """Publish every proposed pair: reviewer cities are told and can start once their city submits. Refused
    while any pair breaks a hard rule."""
    _editable(cycle)
    hard = [v for v in violations(cycle) if v.hard]
    if hard:
        raise ValidationFailed({"assignments": [describe(v, _names(cycle)) for v in hard]})
    proposed = rows(cycle, (PROPOSED,))
    if not proposed:
        raise ValidationFailed({"assignments": [_l("There is nothing to publish: propose or add assignments "
                                                   "first.")]})
    now = utcnow()
    for row in proposed:
        row.state, row.published_at = PUBLISHED, now
    cycle.assignments_published_at = now
    db.session.flush()
    record("assignment.publish", "cycle", cycle.id, summary=f"{cycle.name}: {len(proposed)}",
           after={"published": len(proposed)}, actor=actor)
    from ..permissions import forget_cached_rights
    forget_cached_rights()
    try:
        from ..notifications import operations as notes
    except ImportError:  # pragma: no cover
        notes = None
    hook = getattr(notes, "assignments_published", None)
    if hook is not None:
        hook(cycle, proposed)
    return proposed


# --- In words -------------------------------------------------------------------------------------------------

def _names(cycle) -> dict[int, str]:
    return {c.id: c.name for c in cycle.cities}


COST_LABELS = {
    "region": _l("same region as the city reviewed"),
    "peer_group": _l("not in the city's peer group"),
    "repeat": _l("this pair reviewed last cycle"),
    "load": _l("above the even load"),
    "swap": _l("the city also reviews this reviewer"),
    "tie_break": _l("tie-break from the seed"),
    "preference": _l("misses the preference"),
}
ALTERNATE_REASONS = {
    "would_swap": _l("would make a direct swap"),
    "repeat": _l("reviewed this city last cycle"),
    "higher_cost": _l("a worse fit by the preferences"),
    "at_full_load": _l("already at its full load"),
    "tie_break": _l("as good a fit; the seed chose the other"),
}


def cost_terms(costs: dict) -> list[tuple[str, float]]:
    """The non-zero cost terms of a pair, in words, largest first."""
    return [(str(COST_LABELS.get(k, k)), v) for k, v in sorted((costs or {}).items(), key=lambda kv: -kv[1])
            if v]


def describe(item, names: dict[int, str]) -> str:
    """A relaxation or violation in a sentence."""
    rule, detail = item.rule, item.detail or {}
    who = [names.get(i, str(i)) for i in item.city_ids]
    first = who[0] if who else ""
    second = who[1] if len(who) > 1 else ""
    if rule == "coverage":
        return str(_l("%(city)s gets %(got)s reviewer cities of the %(wanted)s wanted: not enough cities may "
                      "review it under the hard rules", city=first, got=detail.get("got", "?"),
                      wanted=detail.get("wanted", "?")))
    if rule == "max_load":
        return str(_l("%(city)s reviews %(load)s cities, above its limit of %(limit)s", city=first,
                      load=detail.get("load", "?"), limit=detail.get("max_load", detail.get("limit", "?"))))
    if rule == "even_load":
        return str(_l("%(city)s reviews %(load)s cities, outside the even share (%(low)s to %(high)s)", city=first,
                      load=detail.get("load", "?"), low=detail.get("target_min", "?"),
                      high=detail.get("target_max", "?")))
    if rule == "no_swaps":
        return str(_l("%(a)s and %(b)s review each other (a direct swap)", a=first, b=second))
    if rule == "avoid_repeats":
        return str(_l("%(a)s reviews %(b)s again, as last cycle", a=first, b=second))
    if rule == "self":
        return str(_l("%(city)s is set to review itself", city=first))
    if rule == "conflict":
        return str(_l("%(a)s and %(b)s have declared a conflict of interest but are paired", a=first, b=second))
    if rule == "forbidden":
        return str(_l("%(a)s → %(b)s was removed by hand", a=first, b=second))
    return f"{rule}: {', '.join(who)}"
