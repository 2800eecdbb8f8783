"""Peer review pages: the index (reviews a city writes and receives), the secretariat's list per cycle with
release, a review's overview, and the read-only review the reviewed city receives. The reviewer's workspace
(section pages, autosave, strengths and recommendations, submission, reopening) is in ``views_workspace``;
the city's response in ``views_response``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import contains_eager, lazyload, selectinload

from ..assessments import operations as assessment_ops
from ..assessments import rubric
from ..assessments.models import Assessment
from ..assignments.models import PUBLISHED, Assignment
from ..cities.models import City
from ..cycles.board import rubric_versions_without_content
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence.sanitize import render_markdown
from ..extensions import db
from ..input_limits import parse_id
from ..permissions import can, is_staff, member_city_ids, require
from ..rubrics import content
from . import operations as ops
from . import responses as response_ops
from .blueprint import bp
from .models import AGREEMENTS, DECISIONS, PRIORITIES, PROGRESS, Review

AGREEMENT_LABELS = dict(AGREEMENTS)
PRIORITY_LABELS = dict(PRIORITIES)
PROGRESS_LABELS = dict(PROGRESS)
DECISION_LABELS = dict(DECISIONS)


def locale() -> str:
    return str(get_locale() or "en")


def get_review_or_404(review_id: int) -> Review:
    return db.get_or_404(Review, review_id)


def labels() -> dict:
    return {"agreement_label": AGREEMENT_LABELS, "priority_label": PRIORITY_LABELS,
            "progress_label": PROGRESS_LABELS, "decision_label": DECISION_LABELS}


def can_write(review: Review) -> bool:
    return can(current_user, "review.edit", review)


def is_reviewer(review: Review) -> bool:
    return review.reviewer_city_id in member_city_ids(current_user)


def locked_message(review: Review) -> str | None:
    """For the reviewer city's members: why their review cannot change now (submitted, or the cycle closed),
    so that they read it instead of a bare "forbidden"."""
    if not is_reviewer(review) or review.assignment is None or review.assignment.state != PUBLISHED:
        return None
    if review.locked:
        return ops.ReviewLocked().first_message
    if review.cycle.state == "closed":
        return ops.CycleClosed().first_message
    return None


# --- Lists -----------------------------------------------------------------------------------------------

def _reviews_by_assignment(assignments: list[Assignment]) -> dict[int, Review]:
    """The reviews of these assignments, in one query, with their answers (for progress)."""
    ids = [a.id for a in assignments]
    if not ids:
        return {}
    reviews = db.session.execute(
        db.select(Review).filter(Review.assignment_id.in_(ids))
        .options(lazyload(Review.cycle), lazyload(Review.assignment), selectinload(Review.answers))).scalars().all()
    return {r.assignment_id: r for r in reviews}


def _reviewed_assessments(assignments: list[Assignment]) -> dict[tuple[int, int], Assessment]:
    """The reviewed cities' self-assessments for these assignments, keyed (city id, cycle id), in one query,
    with their answers (the review's progress reads the city's not-applicable marks)."""
    pairs = {(a.reviewed_city_id, a.cycle_id) for a in assignments}
    if not pairs:
        return {}
    found = db.session.execute(
        db.select(Assessment).filter(Assessment.city_id.in_({p[0] for p in pairs}),
                                     Assessment.cycle_id.in_({p[1] for p in pairs}))
        .options(lazyload(Assessment.cycle), selectinload(Assessment.answers))).scalars().all()
    return {(a.city_id, a.cycle_id): a for a in found if (a.city_id, a.cycle_id) in pairs}


def _assignment_rows(assignments: list[Assignment]) -> list[tuple]:
    """(assignment, review, waiting, progress) for each assignment, without a query per row."""
    reviews = _reviews_by_assignment(assignments)
    assessments = _reviewed_assessments(assignments)
    versions = rubric_versions_without_content(  # noqa: F841  (kept while progress reads them)
        {a.rubric_version_id for a in assessments.values()})
    rows = []
    for assignment in assignments:
        review = reviews.get(assignment.id)
        assessment = assessments.get((assignment.reviewed_city_id, assignment.cycle_id))
        waiting = assessment is None or assessment.state != "submitted"
        rows.append((assignment, review, waiting, ops.progress(review)[""] if review is not None else None))
    return rows


def _writing_rows(own: set[int]) -> list[dict]:
    if not own:
        return []
    assignments = db.session.execute(
        db.select(Assignment).join(Cycle, Cycle.id == Assignment.cycle_id)
        .filter(Assignment.reviewer_city_id.in_(own), Assignment.state == PUBLISHED, Cycle.state != "draft")
        .options(contains_eager(Assignment.cycle))
        .order_by(Cycle.starts_on.desc(), Assignment.id)).scalars().all()
    rows = []
    for assignment, review, waiting, progress in _assignment_rows(assignments):
        rows.append({"assignment": assignment, "cycle": assignment.cycle, "review": review,
                     "due": assignment.cycle.phase_dates("peer_review"), "waiting": waiting, "progress": progress})
    return rows


def _received_rows(own: set[int]) -> list[dict]:
    if not own:
        return []
    assignments = db.session.execute(
        db.select(Assignment).join(Cycle, Cycle.id == Assignment.cycle_id)
        .filter(Assignment.reviewed_city_id.in_(own), Assignment.state == PUBLISHED, Cycle.state != "draft")
        .options(contains_eager(Assignment.cycle))
        .order_by(Cycle.starts_on.desc())).scalars().all()
    # The cycles are in the session already (above): the reviews find theirs there instead of joining it again.
    reviews = db.session.execute(
        db.select(Review).join(Cycle, Cycle.id == Review.cycle_id).join(Assignment, Assignment.id == Review.assignment_id)
        .filter(Review.reviewed_city_id.in_(own), Assignment.state == PUBLISHED)
        .options(lazyload(Review.cycle), lazyload(Review.assignment))
        .order_by(Cycle.starts_on.desc(), Review.id)).scalars().all()
    groups: dict[tuple, dict] = {}
    for assignment in assignments:
        key = (assignment.cycle_id, assignment.reviewed_city_id)
        group = groups.setdefault(key, {"cycle": assignment.cycle, "city": assignment.reviewed_city,
                                        "expected": 0, "submitted": 0, "released": []})
        group["expected"] += 1
    for review in reviews:
        group = groups.get((review.cycle_id, review.reviewed_city_id))
        if group is None:
            continue
        if review.locked or review.released:
            group["submitted"] += 1
        if review.released:
            group["released"].append(review)
    return list(groups.values())


@bp.route("/")
@login_required
def index():
    require("review.index")
    own = member_city_ids(current_user)
    staff_cycles = []
    if is_staff(current_user):
        staff_cycles = db.session.execute(db.select(Cycle).filter(Cycle.state != "draft")
                                          .order_by(Cycle.starts_on.desc())).scalars().all()
    return render_template("reviews/index.html", writing=_writing_rows(own), received=_received_rows(own),
                           staff_cycles=staff_cycles, is_member=bool(own), staff=is_staff(current_user),
                           **labels())


@bp.route("/start", methods=["POST"])
@login_required
def start():
    """Start (or open) the review of a published assignment of one of the person's cities."""
    require("review.index")
    assignment_id = parse_id(request.form.get("assignment"))
    assignment = db.session.get(Assignment, assignment_id) if assignment_id is not None else None
    if assignment is None or not can(current_user, "review.start", assignment):
        abort(404)
    try:
        review = ops.get_or_start(assignment, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("reviews.index"))
    db.session.commit()
    return redirect(url_for("reviews.overview", review_id=review.id))


@bp.route("/cycle/<int:review_cycle_id>")
@login_required
def cycle_list(review_cycle_id: int):
    """The secretariat's view of a cycle's reviews: state and progress of each, release and reopen."""
    cycle = db.get_or_404(Cycle, review_cycle_id)
    require("cycle.board", cycle)
    assignments = db.session.execute(db.select(Assignment).filter_by(cycle_id=cycle.id, state=PUBLISHED)
                                     .options(lazyload(Assignment.cycle))
                                     .order_by(Assignment.reviewed_city_id, Assignment.id)).scalars().all()
    by_city: dict[int, dict] = {}
    for assignment, review, waiting, progress in _assignment_rows(assignments):
        group = by_city.setdefault(assignment.reviewed_city_id, {"city": assignment.reviewed_city, "rows": [],
                                                                 "releasable": 0})
        group["rows"].append({"assignment": assignment, "review": review, "waiting": waiting,
                              "progress": progress})
        if review is not None and review.locked and not review.released:
            group["releasable"] += 1
    groups = sorted(by_city.values(), key=lambda g: g["city"].name)
    return render_template("reviews/cycle_list.html", cycle=cycle, groups=groups,
                           can_release=can(current_user, "review.release", cycle),
                           releasable=sum(g["releasable"] for g in groups),
                           due=cycle.phase_dates("peer_review"))


@bp.route("/cycle/<int:review_cycle_id>/release", methods=["POST"])
@login_required
def release(review_cycle_id: int):
    cycle = db.get_or_404(Cycle, review_cycle_id)
    require("review.release", cycle)
    city_id = None
    slug = request.form.get("city", "").strip()
    if slug:
        city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
        if city is None:
            abort(404)
        city_id = city.id
    try:
        released = ops.release(cycle, city_id, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("reviews.cycle_list", review_cycle_id=cycle.id))
    db.session.commit()
    flash(_("%(n)s reviews released; the reviewed cities can read them now.", n=len(released)), "success")
    return redirect(url_for("reviews.cycle_list", review_cycle_id=cycle.id))


# --- One review ------------------------------------------------------------------------------------------

def _common(review: Review) -> dict:
    version = review.assessment.rubric_version
    return {"review": review, "assessment": review.assessment, "rubric_version": version,
            "sections": content.sections(version), "progress": ops.progress(review), "text": content.text,
            "locale": locale(), "rubric": rubric, "md": render_markdown, "can_edit": can_write(review),
            **labels()}


@bp.route("/<int:review_id>")
@login_required
def overview(review_id: int):
    review = get_review_or_404(review_id)
    require("review.view", review)
    if not is_reviewer(review) and not is_staff(current_user):
        return redirect(url_for("reviews.read", review_id=review.id))
    return render_overview(review)


def render_overview(review: Review, missing=None, status=200):
    assessment = review.assessment
    follow = response_ops.follow_up(review.reviewed_city, review.cycle)
    return render_template(
        "reviews/overview.html", missing=missing, follow=follow,
        city_progress=assessment_ops.progress(assessment)[""],
        city_response=response_ops.find(review.cycle, review.reviewed_city),
        reopen_reason=ops.reopen_reason(review), **_common(review)), status


@bp.route("/<int:review_id>/read")
@login_required
def read(review_id: int):
    """The whole review, read-only: what the reviewed city receives once it is released."""
    review = get_review_or_404(review_id)
    require("review.view", review)
    return render_template("reviews/read.html", answers=ops.answers_by_criterion(review),
                           city_answers=ops.city_answers(review), **_common(review))


from . import views_response, views_workspace  # noqa: F401  (the workspace and city response routes on this blueprint)
