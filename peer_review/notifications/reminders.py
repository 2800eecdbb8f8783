"""Reminders to late parties: what is due soon or late in each open cycle, and who gets told.

``send_reminders`` looks at every open cycle (or one), at its current phase and the phases before it that still
have undone work, and for each piece of undone work whose due date is within ``DUE_SOON_DAYS`` (inclusive) or
past, e-mails every active person of the city that owes it (in their own language) and notifies them in the app.
``ReminderLog`` (unique per cycle, person, kind, subject and day) keeps anyone from getting the same reminder
twice on one day. One audit entry per run says how many went. The command and the board's button both call it.
"""
from __future__ import annotations

import datetime as dt

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..audit.operations import record
from ..cycles import board as board_ops
from ..cycles.models import (
    CITY_RESPONSE,
    OPEN,
    PEER_REVIEW,
    PHASE_KEYS,
    SELF_ASSESSMENT,
    Cycle,
)
from ..extensions import db
from ..mail.operations import send_mail
from . import operations as notes
from .models import ReminderLog


def _status(due_on, today: dt.date) -> tuple[str | None, int]:
    """("late", days late), ("due_soon", days left) or (None, 0)."""
    if due_on is None:
        return None, 0
    if today > due_on:
        return notes.LATE, (today - due_on).days
    left = (due_on - today).days
    if left <= board_ops.DUE_SOON_DAYS:
        return notes.DUE_SOON, left
    return None, 0


def _phases_to_check(cycle) -> list[str]:
    """The current phase and the ones before it."""
    current = cycle.phase if cycle.phase in PHASE_KEYS else SELF_ASSESSMENT
    return list(PHASE_KEYS[:PHASE_KEYS.index(current) + 1])


def undone_work(cycle, data=None) -> list[dict]:
    """Every piece of undone work of the phases to check: {phase, what, subject_key, city_id, city (owing),
    about (the reviewed city's name, for reviews), link}."""
    data = data or board_ops.gather(cycle)
    phases = _phases_to_check(cycle)
    out = []
    if SELF_ASSESSMENT in phases:
        for city in cycle.cities:
            a = data.assessments.get(city.id)
            if a is None or a.state != "submitted":
                link = (notes.cycle_link(cycle, "assessments.overview", assessment_id=a.id) if a is not None
                        else notes.cycle_link(cycle, "assessments.index"))
                out.append({"phase": SELF_ASSESSMENT, "what": notes.WHAT_ASSESSMENT, "city_id": city.id,
                            "city": city.name, "about": "", "subject_key": f"assessment:{city.id}", "link": link})
    if PEER_REVIEW in phases:
        for a in data.assignments:
            review = data.reviews.get(a.id)
            if review is not None and review.state == "submitted":
                continue
            if review is None:
                # Not started: only owed once the reviewed city has submitted (before that they cannot start).
                assessed = data.assessments.get(a.reviewed_city_id)
                if assessed is None or assessed.state != "submitted":
                    continue
            out.append({"phase": PEER_REVIEW, "what": notes.WHAT_REVIEW, "city_id": a.reviewer_city_id,
                        "city": a.reviewer_city.name, "about": a.reviewed_city.name,
                        "subject_key": f"review:{a.id}", "link": notes.cycle_link(cycle, "reviews.index")})
    if CITY_RESPONSE in phases:
        for city in cycle.cities:
            if city.id not in data.released:
                continue
            r = data.responses.get(city.id)
            if r is None or r.state != "submitted":
                out.append({"phase": CITY_RESPONSE, "what": notes.WHAT_RESPONSE, "city_id": city.id,
                            "city": city.name, "about": "", "subject_key": f"response:{city.id}",
                            "link": notes.cycle_link(cycle, "reviews.index")})
    return out


def _mail(user, kind: str, params: dict, link: str) -> tuple[str, str]:
    """Subject and body in the person's own language."""
    from flask import current_app
    locale = user.locale if user.locale in current_app.config["LANGUAGES"] else \
        current_app.config["BABEL_DEFAULT_LOCALE"]
    absolute = notes.build_url("main.home", external=True) or ""
    url = absolute.rstrip("/") + link if link and absolute else link
    with force_locale(locale):
        sentence = notes._sentence(kind, params)
        subject = (_("Reminder: %(sentence)s", sentence=sentence) if kind == notes.DUE_SOON
                   else _("Late: %(sentence)s", sentence=sentence))
        body = _("Hello %(name)s,\n\n%(sentence)s.\n\nOpen it in the Safer Cities workbench:\n%(link)s\n\n"
                 "You get this reminder at most once a day while the work is due soon or late.\n",
                 name=user.name, sentence=sentence, link=url)
    return subject[:200], body


def send_reminders(today: dt.date | None = None, cycle=None, dry_run: bool = False, actor=None) -> list[dict]:
    """Send what is due today; returns one dict per reminder (sent, or that would be sent in a dry run)."""
    today = today or board_ops.today_utc()
    if cycle is not None:
        cycles = [cycle] if cycle.state == OPEN else []
    else:
        cycles = list(db.session.execute(db.select(Cycle).filter_by(state=OPEN).order_by(Cycle.id)).scalars())
    sent: list[dict] = []
    for cyc in cycles:
        for work in undone_work(cyc):
            due_on = getattr(cyc.phase_dates(work["phase"]), "due_on", None)
            kind, days = _status(due_on, today)
            if kind is None:
                continue
            params = {"what": work["what"], "cycle": cyc.name, "date": due_on.isoformat()}
            if work["about"]:
                params["city"] = work["about"]
            for user in notes.city_people(work["city_id"]):
                already = db.session.execute(
                    db.select(ReminderLog.id).filter_by(cycle_id=cyc.id, user_id=user.id,
                                                        subject_key=work["subject_key"], sent_on=today)
                ).first()
                if already:
                    continue
                entry = {"cycle_id": cyc.id, "cycle": cyc.name, "user_id": user.id, "email": user.email,
                         "locale": user.locale, "kind": kind, "days": days, "what": work["what"],
                         "city": work["city"], "about": work["about"], "subject_key": work["subject_key"],
                         "due_on": due_on, "phase": work["phase"],
                         "reason": notes._sentence(kind, params)}
                if not dry_run:
                    try:
                        with db.session.begin_nested():
                            db.session.add(ReminderLog(cycle_id=cyc.id, user_id=user.id, kind=kind,
                                                       subject_key=work["subject_key"], sent_on=today))
                    except IntegrityError:  # another run got there first today
                        continue
                    subject, body = _mail(user, kind, params, work["link"])
                    send_mail(user.email, subject, body)
                    notes.notify([user], kind, cycle=cyc, params=params, link=work["link"])
                sent.append(entry)
    if not dry_run:
        late = sum(1 for s in sent if s["kind"] == notes.LATE)
        record("reminder.send", "cycle", cycle.id if cycle is not None else None,
               summary=f"{len(sent)} reminders, {late} late, {len(sent) - late} due soon", actor=actor,
               after={"date": today.isoformat(), "sent": len(sent), "late": late, "due_soon": len(sent) - late,
                      "people": len({s["user_id"] for s in sent}),
                      "cycles": sorted({s["cycle"] for s in sent})})
    return sent


def describe(entry: dict) -> str:
    """One line for the command's output: who, what, why."""
    why = (ngettext("%(num)d day late", "%(num)d days late", entry["days"]) if entry["kind"] == notes.LATE
           else ngettext("due in %(num)d day", "due in %(num)d days", entry["days"]) if entry["days"]
           else _("due today"))
    return f"{entry['email']} [{entry['city']}] {entry['cycle']}: {entry['reason']} ({why})"
