"""Machine help for facilitators: run suggestions and topic discovery on a cycle, decide on suggestions,
work with topics. Long work runs as jobs; pages show their progress."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..input_limits import parse_id
from ..jobs.models import Job
from ..jobs.worker import enqueue
from ..pagination import paginate
from ..permissions import require
from . import nlp_adapter
from . import operations as ops
from . import suggestions as sg
from .blueprint import bp
from .nlp_models import Suggestion, Topic, TopicRun
from .snippets import plain_snippet
from .views_codes import ensure_codebook, locale


@bp.app_template_filter("plain_snippet")
def _plain_snippet(text, length: int = 220) -> str:
    return plain_snippet(text, length)


def _cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    require("cycle.view", cycle)
    return cycle


@bp.route("/cycles/<int:cycle_id>/")
@login_required
def cycle_hub(cycle_id: int):
    require("nlp.view")
    cycle = _cycle(cycle_id)
    if _preview_here() and not current_app.testing:
        nlp_adapter.warm_up(_cycle_languages(cycle.id), nlp_adapter.codebook_for_nlp())
    items = db.session.scalar(db.select(db.func.count(EvidenceItem.id)).filter_by(cycle_id=cycle.id))
    uncoded = sg.count_uncoded(cycle.id)
    jobs = db.session.execute(db.select(Job).filter_by(cycle_id=cycle.id).order_by(Job.id.desc()).limit(10)).scalars().all()
    return render_template("coding/cycle_hub.html", cycle=cycle, items=items, uncoded=uncoded, jobs=jobs,
                           suggestion_count=sg.job_suggestion_count,
                           pending=sg.pending_by_code(cycle.id), locale=locale(),
                           latest_run=_latest_run(cycle.id))


@bp.route("/cycles/<int:cycle_id>/suggest", methods=["POST"])
@login_required
def start_suggestions(cycle_id: int):
    require("nlp.run")
    cycle = _cycle(cycle_id)
    ensure_codebook()
    only_uncoded = request.form.get("scope") != "all"
    # The first items are read here, before the job is queued, so that the page the click leads to already
    # lists suggestions; the job reads the rest in the background.
    items, results = sg.preview_suggestions(cycle.id, only_uncoded) if _preview_here() else ([], [])
    job = enqueue("suggest", cycle=cycle, params={"only_uncoded": only_uncoded}, actor=current_user)
    if items:
        sg.add_preview(job, items, results)
    db.session.commit()
    flash(_("Suggesting codes. You can leave this page: the work goes on and the results are kept."), "success")
    return redirect(url_for("coding.cycle_hub", cycle_id=cycle.id, _anchor=f"job-{job.id}"))


def _preview_here() -> bool:
    """Only when jobs run in this process (the thread backend): its language pipelines are shared with the
    job, and loaded already when the facilitator opened the cycle's page."""
    return current_app.config.get("JOBS_BACKEND", "thread") == "thread" and \
        current_app.config.get("NLP_PREVIEW", True)


@bp.route("/cycles/<int:cycle_id>/discover", methods=["POST"])
@login_required
def start_topics(cycle_id: int):
    require("nlp.run")
    cycle = _cycle(cycle_id)
    seed = parse_id(request.form.get("seed", "42"))
    seed = 42 if seed is None else seed
    job = enqueue("topics", cycle=cycle, params={"seed": seed}, actor=current_user)
    db.session.commit()
    flash(_("Discovering topics. This page shows the progress."), "success")
    return redirect(url_for("coding.cycle_hub", cycle_id=cycle.id, _anchor=f"job-{job.id}"))


@bp.route("/jobs/<int:job_id>")
@login_required
def job_status(job_id: int):
    require("nlp.view")
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    partial = request.headers.get("HX-Request") == "true"
    return render_template("coding/_job.html" if partial else "coding/job.html", job=job,
                           suggestion_count=sg.job_suggestion_count)


@bp.route("/suggestions/<int:suggestion_id>/accept", methods=["POST"])
@login_required
def accept_suggestion(suggestion_id: int):
    suggestion = _suggestion(suggestion_id)
    start, end = parse_id(request.form.get("start")), parse_id(request.form.get("end"))  # an adjusted span
    if start is None or end is None:
        start = end = None
    try:
        sg.accept(suggestion, current_user, start, end)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
    else:
        db.session.commit()
        flash(_("Accepted: %(code)s.", code=suggestion.code.label(locale())), "success")
    return redirect(url_for("evidence.show", item_id=suggestion.item_id, _anchor="suggestions"))


@bp.route("/suggestions/<int:suggestion_id>/reject", methods=["POST"])
@login_required
def reject_suggestion(suggestion_id: int):
    suggestion = _suggestion(suggestion_id)
    try:
        sg.reject(suggestion, current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
    else:
        db.session.commit()
        flash(_("Rejected: it will not be suggested again for this passage."), "success")
    return redirect(url_for("evidence.show", item_id=suggestion.item_id, _anchor="suggestions"))


def _suggestion(suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        abort(404)
    require("coding.create", suggestion.item)
    return suggestion


@bp.route("/cycles/<int:cycle_id>/suggestions", methods=["GET", "POST"])
@login_required
def bulk_suggestions(cycle_id: int):
    require("nlp.run")
    cycle = _cycle(cycle_id)
    code = ops.get_code(request.values.get("code", "")) if request.values.get("code") else None
    if request.method == "POST":
        if code is None:
            abort(404)
        ids = [i for i in map(parse_id, request.form.getlist("suggestion")) if i is not None]
        if not ids:
            flash(_("Tick at least one passage to accept."), "error")
            return redirect(url_for("coding.bulk_suggestions", cycle_id=cycle.id, code=code.key))
        try:
            count = sg.bulk_accept(cycle.id, code, ids, current_user)
        except ValidationFailed as err:
            db.session.rollback()
            flash(err.first_message, "error")
            return redirect(url_for("coding.bulk_suggestions", cycle_id=cycle.id, code=code.key))
        db.session.commit()
        flash(ngettext("%(num)s passage coded with %(code)s.", "%(num)s passages coded with %(code)s.", count,
                       code=code.label(locale())), "success")
        return redirect(url_for("coding.bulk_suggestions", cycle_id=cycle.id))
    pager = paginate(sg.pending_for_code(cycle.id, code)) if code else None
    return render_template("coding/bulk.html", cycle=cycle, code=code, pager=pager,
                           counts=sg.pending_by_code(cycle.id), locale=locale())


def _cycle_languages(cycle_id: int) -> list[str]:
    return [lang for lang in db.session.execute(db.select(EvidenceItem.language).filter_by(cycle_id=cycle_id)
                                                .distinct()).scalars() if lang]


def _latest_run(cycle_id: int) -> TopicRun | None:
    return db.session.execute(db.select(TopicRun).filter_by(cycle_id=cycle_id).order_by(TopicRun.id.desc())
                              .limit(1)).scalar_one_or_none()


@bp.route("/cycles/<int:cycle_id>/topics")
@login_required
def topics(cycle_id: int):
    require("nlp.view")
    cycle = _cycle(cycle_id)
    run = None
    if request.args.get("run", "").isdigit():
        run = db.session.get(TopicRun, parse_id(request.args["run"]) or -1)
        if run is None or run.cycle_id != cycle.id:
            abort(404)
    run = run or _latest_run(cycle.id)
    live = [t for t in run.topics if t.merged_into_id is None] if run else []
    items = {}
    if run:
        ids = {i for t in live for i in t.member_ids}
        items = {i.id: i for i in db.session.execute(db.select(EvidenceItem).filter(EvidenceItem.id.in_(ids))).scalars()}
    per_city = _topic_counts(live, items, lambda i: i.city.name)
    per_month = _topic_counts(live, items, lambda i: i.date.strftime("%Y-%m") if i.date else None)
    by_number = {t.number: t for t in live}
    related = [(by_number.get(r.get("a")), by_number.get(r.get("b")), r) for r in (run.result.get("related") or [])
               ] if run else []
    codes = ops.all_codes()
    return render_template("coding/topics.html", cycle=cycle, run=run, topics=live, items=items,
                           per_city=per_city, per_month=per_month,
                           related=[r for r in related if r[0] and r[1]], codes=codes, locale=locale(),
                           code_names={c.key: c.label(locale()) for c in codes},
                           runs=db.session.execute(db.select(TopicRun).filter_by(cycle_id=cycle.id)
                                                   .order_by(TopicRun.id.desc())).scalars().all())


def _topic_counts(topics, items: dict, key) -> dict:
    """{row key (city, month...): {topic id: number of its items}}, rows sorted; items without a key skipped."""
    table: dict = {}
    for t in topics:
        for item_id in t.member_ids:
            row = key(items[item_id]) if item_id in items else None
            if row is not None:
                table.setdefault(row, {}).setdefault(t.id, 0)
                table[row][t.id] += 1
    return dict(sorted(table.items()))


def _topic(topic_id: int) -> Topic:
    require("nlp.run")
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        abort(404)
    return topic


def _back(topic: Topic):
    return redirect(url_for("coding.topics", cycle_id=topic.run.cycle_id, run=topic.run_id, _anchor=f"topic-{topic.id}"))


@bp.route("/topics/<int:topic_id>/rename", methods=["POST"])
@login_required
def rename_topic(topic_id: int):
    topic = _topic(topic_id)
    try:
        sg.rename_topic(topic, request.form.get("label", ""), current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
        return _back(topic)
    db.session.commit()
    flash(_("Topic renamed."), "success")
    return _back(topic)


@bp.route("/topics/<int:topic_id>/merge", methods=["POST"])
@login_required
def merge_topic(topic_id: int):
    topic = _topic(topic_id)
    other_id = parse_id(request.form.get("other"))
    other = db.session.get(Topic, other_id) if other_id is not None else None
    if other is None:
        flash(_("Choose the topic to merge in."), "error")
        return _back(topic)
    try:
        sg.merge_topics(topic, other, current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
        return _back(topic)
    db.session.commit()
    flash(_("Topics merged."), "success")
    return _back(topic)


@bp.route("/topics/<int:topic_id>/map", methods=["POST"])
@login_required
def map_topic(topic_id: int):
    topic = _topic(topic_id)
    code = ops.get_code(request.form.get("code", ""))
    if code is None:
        flash(_("Choose a code."), "error")
        return _back(topic)
    try:
        created = sg.map_topic(topic, code, current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
        return _back(topic)
    db.session.commit()
    flash(ngettext("Mapped to %(code)s; %(num)s item proposed for that code.",
                   "Mapped to %(code)s; %(num)s items proposed for that code.", created,
                   code=code.label(locale())), "success")
    return _back(topic)
