"""What is waiting for each person: the home page is a list of sections, one per provider.

Each domain registers a provider that returns a section for a user or None; later issues (assessments,
reviews, coding) add theirs without touching the home view.
"""
from __future__ import annotations

from typing import Callable

from flask import url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func

from ..audit.models import AuditEntry
from ..cities.models import City
from ..cycles.models import Cycle
from ..cycles.operations import current_cycles
from ..extensions import db
from ..permissions import is_staff
from ..users.models import ADMIN, User

Section = dict
PROVIDERS: list[Callable[[User], Section | None]] = []


def provider(fn):
    PROVIDERS.append(fn)
    return fn


def home_sections(user: User) -> list[Section]:
    return [s for s in (p(user) for p in PROVIDERS) if s]


@provider
def my_cities(user: User) -> Section | None:
    if not user.memberships:
        return None
    items = []
    for m in sorted(user.memberships, key=lambda m: m.city.name):
        role = _("Coordinator") if m.role == "coordinator" else _("Member")
        cycles = [c.name for c in current_cycles({m.city_id})]
        hint = _("%(role)s. In cycle: %(cycles)s", role=role, cycles=", ".join(cycles)) if cycles else \
            _("%(role)s. Not in a cycle now.", role=role)
        items.append({"text": m.city.name, "href": url_for("cities.show", slug=m.city.slug), "hint": hint})
    return {"id": "my-cities", "title": _("Your cities"), "items": items}


@provider
def cycles_in_progress(user: User) -> Section | None:
    cycles = current_cycles(None if (is_staff(user) or user.roles) else user.city_ids())
    if not cycles:
        return {"id": "cycles", "title": _("Cycles in progress"), "items": [],
                "empty": _("No review cycle is in progress.")}
    items = [{"text": c.name, "href": url_for("cycles.show", cycle_id=c.id),
              "hint": ngettext("%(num)s city, %(start)s to %(end)s", "%(num)s cities, %(start)s to %(end)s", len(c.cities),
                        start=format_date(c.starts_on), end=format_date(c.ends_on))} for c in cycles]
    return {"id": "cycles", "title": _("Cycles in progress"), "items": items}


@provider
def secretariat_overview(user: User) -> Section | None:
    if not is_staff(user):
        return None
    pending = db.session.scalar(db.select(func.count(User.id)).filter(User.password_hash.is_(None),
                                                                      User.active.is_(True)))
    cities = db.session.scalar(db.select(func.count(City.id)).filter(City.active.is_(True)))
    drafts = db.session.scalar(db.select(func.count(Cycle.id)).filter(Cycle.state == "draft"))
    items = [
        {"text": ngettext("%(num)s active city", "%(num)s active cities", cities), "href": url_for("cities.index")},
        {"text": ngettext("%(num)s invitation not yet accepted", "%(num)s invitations not yet accepted", pending),
         "href": url_for("users.index", role="")},
        {"text": ngettext("%(num)s draft cycle to open", "%(num)s draft cycles to open", drafts),
         "href": url_for("cycles.index")},
    ]
    return {"id": "secretariat", "title": _("Network administration"), "items": items}


@provider
def recent_changes(user: User) -> Section | None:
    if not is_staff(user):
        return None
    from flask_babel import format_datetime

    from ..audit.labels import action_label, names_for, readable_summary
    entries = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.at.desc()).limit(5)).scalars().all()
    names = names_for(entries)
    items = [{"text": f"{action_label(e.action)}: {readable_summary(e.summary, names)}",
              "href": url_for("audit.index", action=e.action),
              "hint": f"{e.actor.name if e.actor else _('System')}, {format_datetime(e.at, 'medium')}"}
             for e in entries]
    return {"id": "recent", "title": _("Recent changes"), "items": items, "empty": _("Nothing has changed yet.")}


@provider
def admin_system(user: User) -> Section | None:
    if not user.has_role(ADMIN):
        return None
    from flask import current_app
    engine = db.engine.url.get_backend_name()
    mail = _("SMTP %(server)s", server=current_app.config["MAIL_SERVER"]) if current_app.config.get("MAIL_SERVER") \
        else _("outbox and log only (no SMTP configured)")
    return {"id": "system", "title": _("System"), "items": [
        {"text": _("Database: %(engine)s", engine=engine)},
        {"text": _("Mail: %(mail)s", mail=mail)},
    ]}


@provider
def facilitator_work(user: User) -> Section | None:
    """Facilitators: what is left to code, to decide and to double-code in the cycles in progress."""
    from ..coding.models import DoubleCodingSample
    from ..coding.nlp_models import Suggestion
    from ..coding.suggestions import count_uncoded
    from ..evidence.models import EvidenceItem
    from ..permissions import is_facilitator
    if not is_facilitator(user):
        return None
    items = []
    for cycle in current_cycles(None):
        uncoded = count_uncoded(cycle.id)
        pending = db.session.scalar(db.select(func.count(Suggestion.id)).join(
            EvidenceItem, Suggestion.item_id == EvidenceItem.id).filter(
            EvidenceItem.cycle_id == cycle.id, Suggestion.state == "pending"))
        items.append({"text": ngettext("%(cycle)s: %(num)s item not coded yet", "%(cycle)s: %(num)s items not coded yet",
                                       uncoded, cycle=cycle.name),
                      "href": url_for("coding.cycle_hub", cycle_id=cycle.id),
                      "hint": ngettext("%(num)s suggestion waiting for a decision",
                                       "%(num)s suggestions waiting for a decision", pending)})
    samples = db.session.execute(db.select(DoubleCodingSample).filter(
        DoubleCodingSample.reconciled_at.is_(None),
        (DoubleCodingSample.coder_a_id == user.id) | (DoubleCodingSample.coder_b_id == user.id))).scalars().all()
    for sample in samples:
        items.append({"text": _("Double coding: %(name)s", name=sample.name),
                      "href": url_for("coding.sample_show", sample_id=sample.id),
                      "hint": _("You code these items blind to the other coder.")})
    return {"id": "coding", "title": _("Evidence to code"), "items": items,
            "empty": _("No cycle is in progress.")}


@provider
def city_evidence(user: User) -> Section | None:
    """City staff: their cities' evidence in the cycles in progress."""
    from ..evidence.models import EvidenceItem
    if not user.memberships:
        return None
    items = []
    for m in sorted(user.memberships, key=lambda m: m.city.name):
        for cycle in current_cycles({m.city_id}):
            count = db.session.scalar(db.select(func.count(EvidenceItem.id)).filter_by(
                city_id=m.city_id, cycle_id=cycle.id))
            items.append({"text": ngettext("%(city)s, %(cycle)s: %(num)s evidence item",
                                           "%(city)s, %(cycle)s: %(num)s evidence items", count,
                                           city=m.city.name, cycle=cycle.name),
                          "href": url_for("evidence.index", city=m.city.slug, cycle=cycle.id),
                          "hint": _("Add narratives, safety audit notes and stories of cultural participation.")})
    return {"id": "evidence", "title": _("Your evidence"), "items": items,
            "empty": _("Your cities are not in a cycle now.")}
