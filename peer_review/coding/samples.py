"""Double coding: drawing a random sample, the agreement report, reconciliation into agreed codings, demo data.

Why: before codes become indicators, the facilitator lead has a random sample of a cycle's evidence coded twice,
blind (each coder sees only their own codings on a sampled item while the sample is open, see
``operations.codings_for``), checks agreement per code and overall, and reconciles the disagreements into one
agreed coding. Blind codings carry the sample's id and never count downstream; only codings with no sample
(single-coder codings and the agreed codings made here) count.

Unit of agreement: the item. A code is "present" on an item for a coder if that coder applied it anywhere in the
item (a passage or the whole item). Two coders who mark different passages of the same item with the same code
therefore agree; passage boundaries are compared by people while reconciling, not by the figures.
"""
from __future__ import annotations

import random
from collections.abc import Mapping

from sqlalchemy import func

from ..audit.operations import record
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..input_limits import parse_id
from ..permissions import is_facilitator
from ..users.models import ADMIN, FACILITATOR, NetworkRole, User
from ..utils import strip_control, utcnow
from .agreement import agreement_report
from .models import Code, Coding, DoubleCodingSample, SampleItem
from .operations import all_codes, random_sample

# Below this many items coded by both coders the figures are shown as provisional: a kappa on a handful of
# items swings by 0.3 or more when a single item changes.
MIN_ITEMS_FOR_FIGURES = 10
# A per-code kappa resting on fewer items where either coder applied the code is marked uncertain.
FEW_ITEMS_PER_CODE = 3
MAX_SAMPLE_SIZE = 1000
MAX_SEED = 2**31 - 1

DEMO_SAMPLE_NAME = "2026 round: double-coding sample"
DEMO_SEED = 20260415
DEMO_CYCLE = "2026 round"
DEMO_CODERS = ("facilitator@demo.safercities.example", "facilitator2@demo.safercities.example")
DEMO_SIZE = 12


# --- Drawing a sample --------------------------------------------------------------------------------

def facilitators() -> list[User]:
    """Active people who may code (facilitators, and admins who hold every role), by name."""
    stmt = (db.select(User).join(NetworkRole).filter(NetworkRole.role.in_((FACILITATOR, ADMIN)),
                                                     User.active.is_(True))
            .distinct().order_by(User.name, User.id))
    return list(db.session.execute(stmt).scalars())


def eligible_item_ids(cycle: Cycle) -> list[int]:
    """The cycle's items that may be sampled: consent not withdrawn, not already in an open sample."""
    in_open_sample = (db.select(SampleItem.item_id).join(DoubleCodingSample)
                      .filter(DoubleCodingSample.reconciled_at.is_(None)))
    stmt = db.select(EvidenceItem.id).filter(EvidenceItem.cycle_id == cycle.id,
                                             EvidenceItem.consent != "withdrawn",
                                             EvidenceItem.id.not_in(in_open_sample))
    return sorted(db.session.execute(stmt).scalars())


def _as_user(value) -> User | None:
    if value is None or isinstance(value, User):
        return value
    user_id = parse_id(value)
    return db.session.get(User, user_id) if user_id is not None else None


def draw_sample(cycle: Cycle | None, size, coder_a, coder_b, seed: int | None = None, name: str | None = None,
                actor=None) -> DoubleCodingSample:
    """Draw ``size`` items at random from the cycle's eligible items for two coders to code blind.

    The same seed over the same eligible items gives the same sample; with no seed a random one is chosen and
    stored, so every sample can be redrawn. Raises ``ValidationFailed`` (keys: cycle, size, coder_a, coder_b,
    seed, name) and changes nothing when a value is wrong.
    """
    errors: dict[str, list] = {}
    coder_a, coder_b = _as_user(coder_a), _as_user(coder_b)
    if cycle is None:
        errors["cycle"] = [_l("Choose a cycle")]
    for field, coder in (("coder_a", coder_a), ("coder_b", coder_b)):
        if coder is None:
            errors[field] = [_l("Choose a coder")]
        elif not coder.active or not is_facilitator(coder):
            errors[field] = [_l("%(name)s is not an active facilitator", name=coder.name)]
    if coder_a is not None and coder_b is not None and coder_a.id == coder_b.id:
        errors["coder_b"] = [_l("Choose two different coders")]
    try:
        size = int(size)
    except (TypeError, ValueError):
        errors["size"] = [_l("Enter the number of items as a whole number")]
        size = 0
    if seed is not None:
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            seed = -1
        if not 0 <= seed <= MAX_SEED:
            errors["seed"] = [_l("The seed must be a whole number from 0 to %(n)s", n=MAX_SEED)]
    name = (strip_control(name or "") or "").strip()
    if len(name) > 120:
        errors["name"] = [_l("The name must be 120 characters or fewer")]
    pool = eligible_item_ids(cycle) if cycle is not None else []
    if cycle is not None and not pool:
        errors["cycle"] = [_l("This cycle has no items that can be sampled (none, or all withdrawn or "
                              "already in an open sample)")]
    elif "size" not in errors and not 1 <= size <= min(len(pool) or MAX_SAMPLE_SIZE, MAX_SAMPLE_SIZE):
        errors["size"] = [_l("Choose between 1 and %(n)s items", n=min(len(pool), MAX_SAMPLE_SIZE) or 1)]
    if errors:
        raise ValidationFailed(errors)
    if seed is None:
        seed = random.SystemRandom().randint(1, MAX_SEED)
    chosen = random_sample(pool, size, seed)
    sample = DoubleCodingSample(cycle_id=cycle.id, name=name or f"{cycle.name}: {size} items (seed {seed})",
                                coder_a_id=coder_a.id, coder_b_id=coder_b.id,
                                created_by_id=getattr(actor, "id", None), seed=seed)
    sample.items = [SampleItem(item_id=item_id) for item_id in chosen]
    db.session.add(sample)
    db.session.flush()
    record("sample.create", "sample", sample.id, summary=f"{sample.name}: {coder_a.email} and {coder_b.email}",
           after={"cycle": cycle.name, "size": size, "seed": seed, "items": chosen,
                  "coder_a": coder_a.email, "coder_b": coder_b.email}, actor=actor)
    return sample


def list_samples():
    return db.select(DoubleCodingSample).order_by(DoubleCodingSample.created_at.desc(), DoubleCodingSample.id.desc())


# --- Agreement -----------------------------------------------------------------------------------------

def _sample_item_ids(sample: DoubleCodingSample) -> list[int]:
    """Sampled items still usable: an item whose consent was withdrawn since is left out of figures and
    reconciliation (it may not be coded any more)."""
    if not sample.items:
        return []
    stmt = db.select(EvidenceItem.id).filter(EvidenceItem.id.in_(sample.item_ids),
                                             EvidenceItem.consent != "withdrawn")
    return sorted(db.session.execute(stmt).scalars())


def _blind_codings(sample: DoubleCodingSample, item_ids: list[int]) -> dict[str, dict[tuple[int, str], list]]:
    """Each coder's blind codings in the sample, by (item id, code key)."""
    out: dict[str, dict[tuple[int, str], list[Coding]]] = {"a": {}, "b": {}}
    if not item_ids:
        return out
    stmt = (db.select(Coding).filter(Coding.sample_id == sample.id, Coding.item_id.in_(item_ids),
                                     Coding.coder_id.in_((sample.coder_a_id, sample.coder_b_id)))
            .order_by(Coding.start_offset.nulls_first(), Coding.end_offset, Coding.id))
    for coding in db.session.execute(stmt).scalars():
        who = "a" if coding.coder_id == sample.coder_a_id else "b"
        out[who].setdefault((coding.item_id, coding.code.key), []).append(coding)
    return out


def sample_report(sample: DoubleCodingSample) -> dict:
    """Agreement of the sample's two coders, from their blind codings, at item level.

    A code is present on an item for a coder if that coder applied it anywhere in the item (see the module
    docstring). Codes considered: every code either coder used in the sample plus the active codebook codes
    (codes nobody used count as agreement on absence in alpha and have no kappa). Items nobody has coded yet
    count as "no code applied", so figures are provisional until ``progress`` says both coders are done.

    Returns ``agreement_report``'s dict (items, codes, units, alpha, percent_agreement, per_code keyed by code
    key, disagreements as (item_id, code_key, "a" | "b")) plus::

        "unit": "item",
        "progress": {"items": n, "a": items coded by A, "b": items coded by B, "both": items coded by both},
        "complete": both coders have coded every item,
        "enough_data": at least MIN_ITEMS_FOR_FIGURES items coded by both,
        "min_items": MIN_ITEMS_FOR_FIGURES,
    and per code also "items" (the sample size) and "uncertain" (kappa rests on few items).
    """
    item_ids = _sample_item_ids(sample)
    codings = _blind_codings(sample, item_ids)
    used = {key for who in codings.values() for (_item, key) in who}
    active = [c.key for c in all_codes()]
    codes = active + sorted(used - set(active))
    report = agreement_report(item_ids, codes, set(codings["a"]), set(codings["b"]))
    coded_a = {item for item, _key in codings["a"]}
    coded_b = {item for item, _key in codings["b"]}
    both = len(coded_a & coded_b)
    report["unit"] = "item"
    report["progress"] = {"items": len(item_ids), "a": len(coded_a), "b": len(coded_b), "both": both}
    report["complete"] = bool(item_ids) and both == len(item_ids)
    report["enough_data"] = both >= MIN_ITEMS_FOR_FIGURES
    report["min_items"] = MIN_ITEMS_FOR_FIGURES
    for row in report["per_code"].values():
        row["items"] = len(item_ids)
        row["uncertain"] = row["kappa"] is not None and (row["a"] + row["b"] - row["both"]) < FEW_ITEMS_PER_CODE
    return report


def report_visible_to(user, sample: DoubleCodingSample, report: dict | None = None) -> bool:
    """Whether ``user`` may see the figures and the other coder's work.

    A coder of an open sample sees only the progress until both coders have coded every item: otherwise the
    disagreement list would show them the other coder's codings and coding would no longer be blind.
    """
    if not sample.open or user.id not in (sample.coder_a_id, sample.coder_b_id):
        return True
    report = report if report is not None else sample_report(sample)
    return report["complete"]


def disagreement_details(sample: DoubleCodingSample, report: dict | None = None) -> list[dict]:
    """The disagreements with what people need to decide: item, code, who applied it and their passages.

    Each entry: {"key": form field name, "item": EvidenceItem, "code": Code, "applied_by": "a" | "b",
    "coder": User, "passages": [(start, end, text) ...] with start/end None for the whole item}.
    """
    report = report if report is not None else sample_report(sample)
    if not report["disagreements"]:
        return []
    codings = _blind_codings(sample, sorted({d[0] for d in report["disagreements"]}))
    items = {i.id: i for i in db.session.execute(
        db.select(EvidenceItem).filter(EvidenceItem.id.in_({d[0] for d in report["disagreements"]}))).scalars()}
    codes = {c.key: c for c in db.session.execute(
        db.select(Code).filter(Code.key.in_({d[1] for d in report["disagreements"]}))).scalars()}
    out = []
    for item_id, key, who in report["disagreements"]:
        item = items[item_id]
        passages = []
        for coding in codings[who].get((item_id, key), []):
            passages.append((coding.start_offset, coding.end_offset,
                             None if coding.whole_item else coding.passage(item.text)))
        out.append({"key": decision_field(item_id, key), "item": item, "code": codes.get(key), "code_key": key,
                    "applied_by": who, "coder": sample.coder_a if who == "a" else sample.coder_b,
                    "passages": passages})
    return out


def decision_field(item_id: int, code_key: str) -> str:
    """The form field name for one disagreement's keep/drop choice."""
    return f"d_{item_id}_{code_key}"


# --- Reconciliation -------------------------------------------------------------------------------------

def reconcile(sample: DoubleCodingSample, decisions: Mapping[tuple[int, str], object], actor) -> list[Coding]:
    """Turn the sample into agreed codings that count, and close it.

    ``decisions`` maps each disagreement (item_id, code_key) to keep (True or "keep") or drop (False or
    "drop"); every disagreement needs one. Agreed codings (no sample, origin "agreed", coder = ``actor``) are
    made for every (item, code) both coders applied and for each disagreement kept, copying coder A's passages
    where A applied the code (else B's); identical spans are made once, and a span that already has a counted
    coding of the same code on the item is not made again (it would be counted twice). The blind codings stay,
    attached to the sample, so its report remains readable; they never count. Reconciling twice is refused.
    """
    if not sample.open:
        raise ValidationFailed({"sample": [_l("This sample has already been reconciled")]})
    report = sample_report(sample)
    chosen: dict[tuple[int, str], bool] = {}
    missing = 0
    for item_id, key, _who in report["disagreements"]:
        value = decisions.get((item_id, key))
        if value in (True, "keep"):
            chosen[(item_id, key)] = True
        elif value in (False, "drop"):
            chosen[(item_id, key)] = False
        else:
            missing += 1
    if missing:
        raise ValidationFailed({"decisions": [_l("Choose keep or drop for every disagreement (%(n)s without "
                                                 "a choice)", n=missing)]})
    # Close first, atomically: of two reconciliations at once only one may go on.
    closed = db.session.execute(
        db.update(DoubleCodingSample)
        .where(DoubleCodingSample.id == sample.id, DoubleCodingSample.reconciled_at.is_(None))
        .values(reconciled_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if closed != 1:
        raise ValidationFailed({"sample": [_l("This sample has already been reconciled")]})
    item_ids = _sample_item_ids(sample)
    codings = _blind_codings(sample, item_ids)
    agreed_pairs = sorted(set(codings["a"]) & set(codings["b"]))
    kept = sorted(pair for pair, keep in chosen.items() if keep)
    created: list[Coding] = []
    for pair in sorted(set(agreed_pairs) | set(kept)):
        source = codings["a"].get(pair) or codings["b"].get(pair) or []
        seen: set[tuple] = set()
        for coding in source:
            span = (coding.start_offset, coding.end_offset)
            if span in seen:
                continue
            seen.add(span)
            exists = db.session.execute(db.select(Coding.id).filter(
                Coding.item_id == coding.item_id, Coding.code_id == coding.code_id, Coding.sample_id.is_(None),
                Coding.start_offset.is_(span[0]) if span[0] is None else Coding.start_offset == span[0],
                Coding.end_offset.is_(span[1]) if span[1] is None else Coding.end_offset == span[1],
            )).first()
            if exists:
                continue
            agreed = Coding(item_id=coding.item_id, code_id=coding.code_id, start_offset=span[0],
                            end_offset=span[1], coder_id=getattr(actor, "id", None), sample_id=None,
                            origin="agreed")
            db.session.add(agreed)
            created.append(agreed)
    db.session.flush()
    db.session.refresh(sample)
    record("sample.reconcile", "sample", sample.id,
           summary=f"{sample.name}: {len(agreed_pairs)} agreed, {len(kept)} kept, "
                   f"{len(chosen) - len(kept)} dropped, {len(created)} codings",
           after={"agreed": [list(p) for p in agreed_pairs], "kept": [list(p) for p in kept],
                  "dropped": sorted([list(p) for p, keep in chosen.items() if not keep]),
                  "codings_created": len(created), "alpha": report["alpha"],
                  "percent_agreement": report["percent_agreement"]}, actor=actor)
    return created


def counted_codings(item_ids=None):
    """The codings that count downstream (no sample): a select statement, optionally for some items."""
    stmt = db.select(Coding).filter(Coding.sample_id.is_(None))
    if item_ids is not None:
        stmt = stmt.filter(Coding.item_id.in_(list(item_ids)))
    return stmt


# --- Demo -----------------------------------------------------------------------------------------------

def load_demo_sample() -> dict:
    """One double-coded sample in the demo's "2026 round" for the two demo facilitators, coded by both.

    Deterministic (fixed seed) and idempotent (nothing happens if the sample exists). The coders start from the
    item's counted codings and mostly agree; a few codes are left out or added by one of them so that the
    disagreement list and reconciliation have something to show. The sample stays open, ready to reconcile.
    """
    name_taken = db.session.execute(db.select(func.count(DoubleCodingSample.id))
                                    .filter_by(name=DEMO_SAMPLE_NAME)).scalar()
    if name_taken:
        return {"double-coded sample items": 0}
    cycle = db.session.execute(db.select(Cycle).filter_by(name=DEMO_CYCLE)).scalar_one_or_none()
    coders = [db.session.execute(db.select(User).filter_by(email=e)).scalar_one_or_none() for e in DEMO_CODERS]
    if cycle is None or None in coders:
        return {}
    pool = eligible_item_ids(cycle)
    if not pool:
        return {}
    coder_a, coder_b = coders
    sample = draw_sample(cycle, min(DEMO_SIZE, len(pool)), coder_a, coder_b, seed=DEMO_SEED,
                         name=DEMO_SAMPLE_NAME, actor=coder_a)
    rng = random.Random(DEMO_SEED)
    codes = all_codes()
    for index, item_id in enumerate(sample.item_ids):
        base = list(db.session.execute(counted_codings([item_id]).order_by(Coding.id)).scalars())
        spans = [(c.code_id, c.start_offset, c.end_offset) for c in base if not c.code.retired]
        if not spans and codes:
            spans = [(rng.choice(codes).id, None, None)]
        a_spans, b_spans = list(spans), list(spans)
        if index % 5 == 2 and len(b_spans) >= 2:
            b_spans.pop()  # B misses a code
        if index % 7 == 3 and len(a_spans) >= 2:
            a_spans.pop(0)  # A misses a code
        if index % 6 == 4 and codes:
            used = {s[0] for s in spans}
            extra = [c for c in codes if c.id not in used]
            if extra:
                b_spans.append((rng.choice(extra).id, None, None))  # B sees a code A does not
        for coder, chosen in ((coder_a, a_spans), (coder_b, b_spans)):
            for code_id, start, end in dict.fromkeys(chosen):
                db.session.add(Coding(item_id=item_id, code_id=code_id, start_offset=start, end_offset=end,
                                      coder_id=coder.id, sample_id=sample.id, origin="manual"))
    db.session.flush()
    return {"double-coded sample items": len(sample.items)}
