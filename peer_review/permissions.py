"""Who may do what to which object: the one policy every view and API route asks.

``can(user, action, obj)`` answers; ``require(action, obj)`` enforces for the current user, aborting with
401 (not signed in), 404 (the object is not visible to them, so its existence is not confirmed) or 403.

Peer-reviewer rights come from published review assignments (``reviewing_pairs``): a reviewer city's members
read the reviewed city's submitted self-assessment and the evidence behind it only while the assignment is
published and only once the city has submitted. A closed cycle is read-only: every rule that changes something
in a cycle asks ``_cycle_open`` (redaction and consent withdrawal stay possible: protecting people comes first).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_login import current_user

from .access import (  # noqa: F401  (re-exported: every rule and caller asks these through this module)
    _cycle_open,
    forget_cached_rights,
    is_facilitator,
    is_staff,
    member_city_ids,
    reviewer_of_city_since,
    reviewing_city_ids,
    reviewing_pairs,
)
from .users.models import ADMIN, COORDINATOR, FACILITATOR

Rule = Callable[[object, object], bool]


def _authenticated(user, obj=None) -> bool:
    return user.is_authenticated


def _staff(user, obj=None) -> bool:
    return is_staff(user)


def _admin(user, obj=None) -> bool:
    return user.is_authenticated and user.has_role(ADMIN)


def _city_view(user, city) -> bool:
    if not user.is_authenticated:
        return False
    return city is None or city.active or is_staff(user)


def _self_or_staff(user, other) -> bool:
    return user.is_authenticated and (is_staff(user) or (other is not None and other.id == user.id))


def _manages_person(user, other) -> bool:
    """Staff change other people's details; only an administrator changes an administrator."""
    if not is_staff(user):
        return False
    return other is None or ADMIN not in other.roles or user.has_role(ADMIN)


def _changes_access(user, other) -> bool:
    """Roles, memberships, deactivation: never one's own, else as for details."""
    return _manages_person(user, other) and (other is None or other.id != user.id)


def _grants_role(user, role) -> bool:
    """The secretariat may give or take city memberships and the secretariat role. Facilitators read restricted
    testimonies and administrators hold every right: giving or taking those roles is an administrator's act."""
    if role in (FACILITATOR, ADMIN):
        return user.is_authenticated and user.has_role(ADMIN)
    return is_staff(user)


def _self(user, other) -> bool:
    return user.is_authenticated and other is not None and other.id == user.id


def _cycle_view(user, cycle) -> bool:
    if not user.is_authenticated:
        return False
    return cycle is None or cycle.state != "draft" or is_staff(user)


def _coordinates(user, city) -> bool:
    return user.is_authenticated and city is not None and city.id in member_city_ids(user, COORDINATOR)


# --- Evidence ---------------------------------------------------------------------------------------
# network: everyone signed in; city: the owning city, facilitators, the secretariat and (later) assigned
# peer reviewers; restricted: the owning city and facilitators only (admins hold every role).

def _evidence_view(user, item) -> bool:
    if not user.is_authenticated:
        return False
    if item is None or is_facilitator(user) or item.city_id in member_city_ids(user):
        return True
    if item.visibility == "network":
        return True
    if item.visibility == "city":
        return is_staff(user) or (item.city_id, item.cycle_id) in reviewing_pairs(user)
    return False


def _evidence_edit(user, item) -> bool:
    """The owning city and facilitators; ``item`` may be a City when creating. Never in a closed cycle."""
    if not user.is_authenticated:
        return False
    if item is not None and getattr(item, "__tablename__", None) == "evidence_items" and not _cycle_open(item):
        return False
    return _evidence_owner(user, item)


def _evidence_owner(user, item) -> bool:
    """Who may protect the people in an item (redact, withdraw consent): its city and facilitators, whatever
    the state of its cycle."""
    if not user.is_authenticated:
        return False
    if is_facilitator(user):
        return True
    city_id = getattr(item, "city_id", getattr(item, "id", None)) if item is not None else None
    if item is None:
        return bool(member_city_ids(user))
    return city_id in member_city_ids(user)


def _coding(user, item) -> bool:
    if not is_facilitator(user):
        return False
    return item is None or (item.consent != "withdrawn" and _cycle_open(item))


def visible_evidence_clause(user, item_cls):
    """The SQL twin of ``_evidence_view`` for lists; a test checks they agree item by item."""
    from sqlalchemy import and_, false, or_, true
    if not user.is_authenticated:
        return false()
    if is_facilitator(user):
        return true()
    own = member_city_ids(user)
    clauses = [item_cls.visibility == "network"]
    if own:
        clauses.append(item_cls.city_id.in_(own))
    if is_staff(user):
        clauses.append(item_cls.visibility == "city")
    for city_id, cycle_id in sorted(reviewing_pairs(user)):
        clauses.append(and_(item_cls.visibility == "city", item_cls.city_id == city_id,
                            item_cls.cycle_id == cycle_id))
    return or_(*clauses)


# --- Self-assessments -------------------------------------------------------------------------------
# A city's draft is its own: its coordinators and members read and write it, and either may submit it (the
# brief has "the city coordinator / member fills and submits"; the unit decides who presses the button, and the
# audit log says who did). The secretariat (and admins) read every assessment and reopen submitted ones but
# never fill a city's answers in. Facilitators read submitted assessments; so will assigned peer reviewers
# (``reviewing_city_ids``). Anyone else gets 404 for another city's draft.

def _assessment_view(user, assessment) -> bool:
    if not user.is_authenticated:
        return False
    if assessment is None:
        return True
    if is_staff(user) or assessment.city_id in member_city_ids(user):
        return True
    if assessment.state == "submitted":
        return is_facilitator(user) or (assessment.city_id, assessment.cycle_id) in reviewing_pairs(user)
    return False


def _assessment_edit(user, obj) -> bool:
    """``obj`` is an Assessment, or a City when starting one; being locked is the operation's answer."""
    if not user.is_authenticated or obj is None:
        return user.is_authenticated and bool(member_city_ids(user))
    if not _cycle_open(obj):
        return False
    city_id = getattr(obj, "city_id", None) if hasattr(obj, "city_id") else getattr(obj, "id", None)
    return city_id in member_city_ids(user)


# --- Cycles, conflicts, assignments, reviews, responses ---------------------------------------------------
# The secretariat runs the cycle and sees everything. A conflict of interest is seen by the secretariat and by
# the two cities it concerns; a city's coordinators may declare one for their city. Assignments are the
# secretariat's until published; then each city sees whom it reviews. A review belongs to the reviewer city
# (every member writes it while it is a draft and the cycle is open); the reviewed city reads it once the
# secretariat has released it. The reviewed city responds to released recommendations; its reviewers in the
# same or a later cycle read that response (progress is followed across cycles).

def _conflict_view(user, conflict) -> bool:
    if not user.is_authenticated:
        return False
    if conflict is None or is_staff(user):
        return True
    return bool(conflict.city_ids & member_city_ids(user))


def _conflict_declare(user, city) -> bool:
    """``city``: the city declaring (None for the secretariat)."""
    if is_staff(user):
        return True
    coordinated = member_city_ids(user, COORDINATOR)
    return bool(coordinated) and (city is None or city.id in coordinated)


def _review_pairs_of(user, review) -> bool:
    return review.reviewer_city_id in member_city_ids(user)


def _review_view(user, review) -> bool:
    if not user.is_authenticated:
        return False
    if review is None or is_staff(user):
        return True
    if _review_pairs_of(user, review):
        return review.assignment is not None and review.assignment.state == "published"
    return review.released and review.reviewed_city_id in member_city_ids(user)


def _review_edit(user, review) -> bool:
    if not user.is_authenticated or review is None:
        return False
    return (_review_pairs_of(user, review) and review.assignment.state == "published" and not review.locked
            and _cycle_open(review))


def _response_view(user, response) -> bool:
    """``response``: a CityResponse."""
    if not user.is_authenticated:
        return False
    if response is None or is_staff(user) or response.city_id in member_city_ids(user):
        return True
    # Reviewers of that city, in the response's cycle or a later one, follow what became of the recommendations.
    return response.city_id in reviewer_of_city_since(user, response.cycle)


def _response_edit(user, response) -> bool:
    if not user.is_authenticated or response is None:
        return False
    return response.city_id in member_city_ids(user) and _cycle_open(response)


def _progress_edit(user, response) -> bool:
    """Following up an action after the response is submitted: the city, while any of its cycles is open."""
    return user.is_authenticated and response is not None and response.city_id in member_city_ids(user)


def _notification_own(user, note) -> bool:
    return user.is_authenticated and (note is None or note.user_id == user.id)


def _staff_open(user, cycle) -> bool:
    return is_staff(user) and (cycle is None or _cycle_open(cycle))


RULES: dict[str, Rule] = {
    "home.view": _authenticated,
    "city.list": _authenticated,
    "city.view": _city_view,
    "city.create": _staff,
    "city.edit": _staff,
    "city.members": lambda u, c: _staff(u) or _coordinates(u, c),
    "user.list": _staff,
    "network.view": _staff,
    "user.view": _self_or_staff,
    "user.invite": _staff,
    "user.edit": _manages_person,
    "user.access": _changes_access,
    "user.grant_role": _grants_role,
    "token.manage": _self,
    "account.manage": _self,  # one's own name, language and password
    "audit.view": _staff,
    "cycle.list": _authenticated,
    "cycle.view": _cycle_view,
    "cycle.manage": _staff_open,  # dates, cities, rubric version, settings: never once closed
    "cycle.advance": _staff_open,
    "cycle.board": _staff,
    "reminder.send": _staff,
    "conflict.list": _authenticated,  # the list shows what conflict.view allows
    "conflict.view": _conflict_view,
    "conflict.declare": _conflict_declare,  # obj: the declaring City, or None
    "conflict.delete": _staff,
    "assignment.manage": _staff_open,  # propose, edit, publish, remove
    "assignment.view": _staff,  # the whole proposal with costs and alternates
    "assignment.mine": _authenticated,  # the published assignments of one's own cities
    "review.index": _authenticated,
    # The menu entries "Self-assessment" and "Peer reviews" are for cities; the secretariat reaches both from each
    # cycle's page (its menu holds the network's pages), as facilitators reach submitted assessments there.
    "review.menu": lambda u, o=None: bool(member_city_ids(u)),
    # Starting (or opening) the review of a published assignment of one of the person's cities.
    "review.start": lambda u, a=None: u.is_authenticated and (a is None or (
        a.state == "published" and a.reviewer_city_id in member_city_ids(u) and _cycle_open(a))),
    "review.view": _review_view,
    "review.edit": _review_edit,
    "review.submit": _review_edit,
    "review.release": _staff_open,  # obj: the cycle
    "review.reopen": lambda u, r=None: is_staff(u) and (r is None or _cycle_open(r)),
    "response.view": _response_view,
    "response.edit": _response_edit,
    "response.submit": _response_edit,
    "response.progress": _progress_edit,
    "notification.view": _notification_own,
    "notification.read": _notification_own,
    "outbox.view": _admin,
    "evidence.list": _authenticated,
    "evidence.view": _evidence_view,
    "evidence.create": _evidence_edit,
    "evidence.edit": _evidence_edit,
    "evidence.redact": _evidence_owner,  # also in a closed cycle
    "evidence.import": lambda u, o=None: is_staff(u) or is_facilitator(u) or bool(member_city_ids(u)),
    "code.list": _authenticated,
    "code.view": _authenticated,
    "code.manage": lambda u, o=None: is_facilitator(u),
    "coding.view": lambda u, o=None: is_facilitator(u) or is_staff(u),
    "coding.create": _coding,
    "coding.delete": lambda u, coding: is_facilitator(u) and (
        coding is None or coding.coder_id == u.id or u.has_role(ADMIN) or coding.sample_id is None),
    "memo.create": lambda u, o=None: is_facilitator(u),
    # Memos are facilitators' analytic notes (they may name people or quote restricted items).
    "memo.view": lambda u, o=None: is_facilitator(u),
    "sample.manage": lambda u, o=None: is_facilitator(u),
    "sample.view": lambda u, o=None: is_facilitator(u),
    "exchange.export": lambda u, o=None: is_facilitator(u) or is_staff(u),
    # A city's coordinators may take their own city's evidence away as a spreadsheet (what they may see of it).
    "evidence.export": lambda u, o=None: is_facilitator(u) or is_staff(u) or bool(member_city_ids(u, COORDINATOR)),
    # Anyone who may use at least one of the imports or exports sees the exchange page.
    "exchange.index": lambda u, o=None: any(can(u, a) for a in ("evidence.import", "evidence.export",
                                                               "exchange.export", "code.manage")),
    "nlp.run": lambda u, o=None: is_facilitator(u),
    "nlp.view": lambda u, o=None: is_facilitator(u),
    # Rubric versions are the network's common reference (no drafts): everyone signed in reads them; the
    # secretariat, which manages versions, compares them.
    "rubric.view": _authenticated,
    "rubric.diff": _staff,
    "assessment.index": _authenticated,
    # The menu entry: for the cities who fill assessments in; the secretariat follows them from each cycle's page.
    "assessment.menu": lambda u, o=None: bool(member_city_ids(u)),
    "assessment.view": _assessment_view,
    "assessment.start": _assessment_edit,  # obj: the City
    "assessment.edit": _assessment_edit,
    "assessment.submit": _assessment_edit,
    "assessment.reopen": lambda u, a=None: is_staff(u) and (a is None or _cycle_open(a)),
    "assessment.list": _staff,  # every assessment of a cycle, with state and progress
}

# When the subject cannot even see the object, answer 404 rather than 403.
VIEW_ACTION = {
    "city.edit": "city.view",
    "city.members": "city.view",
    "user.edit": "user.view",
    "user.access": "user.view",
    "token.manage": "user.view",
    "cycle.manage": "cycle.view",
    "evidence.edit": "evidence.view",
    "evidence.redact": "evidence.view",
    "coding.create": "evidence.view",
    "assessment.edit": "assessment.view",
    "assessment.submit": "assessment.view",
    "assessment.reopen": "assessment.view",
    "conflict.delete": "conflict.view",
    "assignment.view": "cycle.view",
    "assignment.manage": "cycle.view",
    "cycle.advance": "cycle.view",
    "cycle.board": "cycle.view",
    "review.edit": "review.view",
    "review.submit": "review.view",
    "review.reopen": "review.view",
    "response.edit": "response.view",
    "response.submit": "response.view",
    "response.progress": "response.view",
    "notification.read": "notification.view",
}


def register(action: str, rule: Rule, view_action: str | None = None) -> None:
    """Let a domain add its own actions, keeping all rules in one table."""
    RULES[action] = rule
    if view_action:
        VIEW_ACTION[action] = view_action


def can(user, action: str, obj=None) -> bool:
    try:
        rule = RULES[action]
    except KeyError:  # an unknown action is a programming error, never a silent yes
        raise LookupError(f"unknown permission action {action!r}") from None
    return bool(rule(user, obj))


def require(action: str, obj=None) -> None:
    user = current_user
    if not user.is_authenticated:
        abort(401)
    if can(user, action, obj):
        return
    view = VIEW_ACTION.get(action, action if action.endswith(".view") else None)
    if obj is not None and view and not can(user, view, obj):
        abort(404)
    abort(403)
