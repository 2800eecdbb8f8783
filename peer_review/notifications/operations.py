"""In-app notifications: who is told what, and the sentence each person reads in their own language.

A notification stores its kind and the names and numbers its message is built from (``params``); the sentence is
made when it is shown (``message``), so each reader gets it in their language. ``notify`` skips a person who
already has the same notification unread (same kind, link and params), so an event repeated before it is read
does not pile up. The event hooks at the bottom are what the other domains call; the request commits.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from ..extensions import db
from ..utils import utcnow
from .models import Notification

# Kinds (Notification.kind, at most 30 characters).
ASSIGNED = "assigned"                      # your city reviews X
SUBMITTED = "submitted"                    # X submitted its self-assessment (secretariat)
REVIEW_READY = "review_ready"              # X submitted: you can start reviewing (reviewer cities)
REVIEW_SUBMITTED = "review_submitted"      # reviewer R submitted its review of X (secretariat)
RELEASED = "released"                      # the reviews of your city are released
RESPONSE_SUBMITTED = "response_submitted"  # X submitted its response (secretariat, reviewer cities)
DUE_SOON = "due_soon"
LATE = "late"
KINDS = (ASSIGNED, SUBMITTED, REVIEW_READY, REVIEW_SUBMITTED, RELEASED, RESPONSE_SUBMITTED, DUE_SOON, LATE)

# What a reminder is about (params["what"]).
WHAT_ASSESSMENT, WHAT_REVIEW, WHAT_RESPONSE = "assessment", "review", "response"


# --- Who -------------------------------------------------------------------------------------------------

def city_people(city_id: int) -> list:
    """Every active member and coordinator of a city."""
    from ..users.models import Membership, User
    return list(db.session.execute(
        db.select(User).join(Membership, Membership.user_id == User.id)
        .filter(Membership.city_id == city_id, User.active.is_(True)).order_by(User.id)).scalars().unique())


def staff_people() -> list:
    """The secretariat (administrators only when they also hold the secretariat role)."""
    from ..users.models import SECRETARIAT, NetworkRole, User
    return list(db.session.execute(
        db.select(User).join(NetworkRole, NetworkRole.user_id == User.id)
        .filter(NetworkRole.role == SECRETARIAT, User.active.is_(True)).order_by(User.id)).scalars().unique())


# --- Creating and reading --------------------------------------------------------------------------------

def notify(users, kind: str, *, cycle=None, params: dict | None = None, link: str = "") -> list[Notification]:
    """One notification per active person, unless they already have the same one unread."""
    params = dict(params or {})
    cycle_id = getattr(cycle, "id", cycle)
    created, seen = [], set()
    for user in users:
        if user is None or not user.active or user.id in seen:
            continue
        seen.add(user.id)
        unread = db.session.execute(
            db.select(Notification).filter_by(user_id=user.id, kind=kind, link=link or "")
            .filter(Notification.read_at.is_(None))).scalars().all()
        if any((n.params or {}) == params for n in unread):
            continue
        note = Notification(user_id=user.id, kind=kind, cycle_id=cycle_id, params=params, link=link or "",
                            created_at=utcnow())
        db.session.add(note)
        created.append(note)
    if created:
        db.session.flush()
    return created


def notify_city(city_id: int, kind: str, **kwargs) -> list[Notification]:
    return notify(city_people(city_id), kind, **kwargs)


def notify_staff(kind: str, **kwargs) -> list[Notification]:
    return notify(staff_people(), kind, **kwargs)


def unread_count(user) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.execute(
        db.select(db.func.count(Notification.id))
        .filter(Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def mark_read(note: Notification) -> Notification:
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(user) -> int:
    now = utcnow()
    result = db.session.execute(
        db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now))
    return result.rowcount or 0


def listing(user):
    """The person's notifications, unread first, then newest first (a select for the paginator)."""
    unread_first = db.case((Notification.read_at.is_(None), 0), else_=1)
    return (db.select(Notification).filter(Notification.user_id == user.id)
            .order_by(unread_first, Notification.created_at.desc(), Notification.id.desc()))


def safe_link(link: str | None) -> str | None:
    """A same-site path, or None (never another host, a scheme-relative or a backslash path)."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    if any(ord(ch) < 32 for ch in link):
        return None
    return link


# --- The sentence ------------------------------------------------------------------------------------------

def _date(value) -> str:
    if not value:
        return ""
    try:
        return format_date(dt.date.fromisoformat(str(value)), "long")
    except ValueError:
        return str(value)


def _what(params: dict) -> str:
    what = params.get("what")
    if what == WHAT_ASSESSMENT:
        return _("Your city's self-assessment for %(cycle)s", cycle=params.get("cycle", ""))
    if what == WHAT_REVIEW:
        return _("Your city's review of %(city)s in %(cycle)s", city=params.get("city", ""),
                 cycle=params.get("cycle", ""))
    if what == WHAT_RESPONSE:
        return _("Your city's response to its peer reviews in %(cycle)s", cycle=params.get("cycle", ""))
    return _("Your city's work in %(cycle)s", cycle=params.get("cycle", ""))


def _sentence(kind: str, p: dict) -> str:
    city, cycle = p.get("city", ""), p.get("cycle", "")
    if kind == ASSIGNED:
        return _("Your city is assigned to review %(city)s in %(cycle)s", city=city, cycle=cycle)
    if kind == SUBMITTED:
        return _("%(city)s submitted its self-assessment in %(cycle)s", city=city, cycle=cycle)
    if kind == REVIEW_READY:
        return _("%(city)s submitted its self-assessment in %(cycle)s: you can start reviewing", city=city,
                 cycle=cycle)
    if kind == REVIEW_SUBMITTED:
        return _("%(reviewer)s submitted its review of %(city)s in %(cycle)s", reviewer=p.get("reviewer", ""),
                 city=city, cycle=cycle)
    if kind == RELEASED:
        return _("The reviews of your city in %(cycle)s are released", cycle=cycle)
    if kind == RESPONSE_SUBMITTED:
        return _("%(city)s submitted its response to its peer reviews in %(cycle)s", city=city, cycle=cycle)
    if kind == DUE_SOON:
        return _("%(what)s is due on %(date)s", what=_what(p), date=_date(p.get("date")))
    if kind == LATE:
        return _("%(what)s was due on %(date)s", what=_what(p), date=_date(p.get("date")))
    return _("Something changed in %(cycle)s", cycle=cycle) if cycle else _("Something changed")


def message(note: Notification, locale: str | None = None) -> str:
    """The notification as a sentence, in ``locale`` (else the current one). Plain text: templates escape it."""
    params = note.params or {}
    if not locale:
        return _sentence(note.kind, params)
    with force_locale(locale):
        return _sentence(note.kind, params)


# --- Links -------------------------------------------------------------------------------------------------

def build_url(endpoint: str, *, external: bool = False, **values) -> str | None:
    """``url_for`` that also works on the command line (no request: a throwaway one), None when the endpoint
    does not exist (yet) or does not take these values."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        if has_request_context():
            return url_for(endpoint, _external=external, **values)
        with current_app.test_request_context():
            return url_for(endpoint, _external=external, **values)
    except BuildError:
        return None


def cycle_link(cycle, endpoint: str | None = None, **values) -> str:
    """The page of ``endpoint`` when it exists, else the cycle's page."""
    if endpoint:
        url = build_url(endpoint, **values)
        if url:
            return url
    return build_url("cycles.show", cycle_id=getattr(cycle, "id", cycle)) or ""


def _reviews_link(cycle) -> str:
    return cycle_link(cycle, "reviews.index")


# --- Event hooks (called by assignments, assessments, reviews and responses) -------------------------------

def _published_reviewers(cycle_id: int, reviewed_city_id: int) -> list[int]:
    from ..assignments.models import PUBLISHED, Assignment
    return sorted(set(db.session.execute(
        db.select(Assignment.reviewer_city_id).filter_by(cycle_id=cycle_id, reviewed_city_id=reviewed_city_id,
                                                         state=PUBLISHED)).scalars()))


def assignments_published(cycle, assignments) -> list[Notification]:
    """Each reviewer city's people learn whom they review."""
    out = []
    for a in assignments:
        if a.state != "published":
            continue
        out += notify_city(a.reviewer_city_id, ASSIGNED, cycle=cycle, link=_reviews_link(cycle),
                           params={"city": a.reviewed_city.name, "cycle": cycle.name})
    return out


def assessment_submitted(assessment) -> list[Notification]:
    """The secretariat, and the cities assigned to review this one, who may now start."""
    cycle, city = assessment.cycle, assessment.city
    params = {"city": city.name, "cycle": cycle.name}
    out = notify_staff(SUBMITTED, cycle=cycle, params=params,
                       link=cycle_link(cycle, "assessments.overview", assessment_id=assessment.id))
    for reviewer_id in _published_reviewers(cycle.id, city.id):
        out += notify_city(reviewer_id, REVIEW_READY, cycle=cycle, params=params, link=_reviews_link(cycle))
    return out


def review_submitted(review) -> list[Notification]:
    cycle = review.cycle
    return notify_staff(REVIEW_SUBMITTED, cycle=cycle,
                        link=cycle_link(cycle, "reviews.cycle_list", review_cycle_id=cycle.id),
                        params={"reviewer": review.reviewer_city.name, "city": review.reviewed_city.name,
                                "cycle": cycle.name})


def reviews_released(cycle, city_id: int) -> list[Notification]:
    return notify_city(city_id, RELEASED, cycle=cycle, params={"cycle": cycle.name}, link=_reviews_link(cycle))


def response_submitted(response) -> list[Notification]:
    cycle, city = response.cycle, response.city
    params = {"city": city.name, "cycle": cycle.name}
    out = notify_staff(RESPONSE_SUBMITTED, cycle=cycle, params=params,
                       link=cycle_link(cycle, "cycles.board", cycle_id=cycle.id))
    for reviewer_id in _published_reviewers(cycle.id, city.id):
        out += notify_city(reviewer_id, RESPONSE_SUBMITTED, cycle=cycle, params=params, link=_reviews_link(cycle))
    return out
