"""Reminders: late vs due soon vs done, at most one a day per person and subject, the person's language, dry
runs that write nothing, the audit entry and the command line."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.app.test_board import build_network

D = dt.date


@pytest.fixture
def net(app, make_city, make_user):
    from peer_review.extensions import db
    return build_network(db, make_city, make_user, phase="self_assessment")


def _outbox():
    from peer_review.mail.models import OutboxMessage
    return sorted((m.recipient, m.subject) for m in OutboxMessage.query.all())


def _send(**kw):
    from peer_review.extensions import db
    from peer_review.notifications.reminders import send_reminders
    sent = send_reminders(**kw)
    db.session.commit()
    return sent


def test_late_self_assessments_go_to_the_citys_active_people(app, net):
    sent = _send(today=D(2027, 3, 13))
    # Alpha submitted (done): nothing. Beta (draft) and Gamma (not started) are 12 days late.
    assert sorted((s["email"], s["kind"], s["days"]) for s in sent) == [
        ("member@beta.example", "late", 12), ("member@gamma.example", "late", 12)]
    assert [r for r, _s in _outbox()] == ["member@beta.example", "member@gamma.example"]
    assert all(s.startswith("Late: ") for _r, s in _outbox())
    from peer_review.mail.models import OutboxMessage
    body = OutboxMessage.query.filter_by(recipient="member@beta.example").one().body
    assert "Your city's self-assessment for 2027 round was due on March 1, 2027" in body
    assert "http://localhost/" in body  # a link the reader can follow
    # An in-app notification too.
    from peer_review.notifications.models import Notification
    note = Notification.query.filter_by(user_id=net["beta_member"].id).one()
    assert note.kind == "late" and note.params["what"] == "assessment"


def test_due_soon_within_three_days_inclusive(app, net):
    assert _send(today=D(2027, 2, 25)) == []  # 4 days before: nothing yet
    sent = _send(today=D(2027, 2, 26))
    assert {(s["email"], s["kind"], s["days"]) for s in sent} == {
        ("member@beta.example", "due_soon", 3), ("member@gamma.example", "due_soon", 3)}
    assert all(s.startswith("Reminder: ") for _r, s in _outbox())


def test_once_a_day_then_again_the_next_day(app, net):
    from peer_review.notifications.models import ReminderLog
    assert len(_send(today=D(2027, 3, 13))) == 2
    assert _send(today=D(2027, 3, 13)) == []  # the same day: nothing new
    assert len(_outbox()) == 2 and ReminderLog.query.count() == 2
    assert len(_send(today=D(2027, 3, 14))) == 2  # a new day sends again
    assert len(_outbox()) == 4 and ReminderLog.query.count() == 4


def test_peer_review_and_response_phases(app, make_city, make_user):
    from peer_review.extensions import db
    net = build_network(db, make_city, make_user, phase="city_response")
    sent = _send(today=D(2027, 7, 2))
    what = sorted({(s["email"], s["what"], s["kind"]) for s in sent})
    # Beta's draft review of Alpha is late; Alpha's review of Beta is not owed (Beta has not submitted), nor
    # Gamma's (submitted). Alpha's reviews were released and it has not responded (due 1 July: a day late).
    assert what == [
        ("coord@alpha.example", "response", "late"),
        ("member@alpha.example", "response", "late"),
        ("member@beta.example", "assessment", "late"),
        ("member@beta.example", "review", "late"),
        ("member@gamma.example", "assessment", "late"),
    ]
    assert not any(e == "gone@alpha.example" for e, _w, _k in what)  # inactive people get nothing
    assert net["cycle"].phase == "city_response"


def test_later_phases_are_not_reminded_before_their_time(app, net):
    # In the self-assessment phase, Alpha's late peer review is not reminded (that phase has not begun).
    sent = _send(today=D(2027, 5, 10))
    assert {s["what"] for s in sent} == {"assessment"}


def test_mail_is_in_the_persons_language(app, net, monkeypatch):
    from peer_review.extensions import db
    from peer_review.notifications import reminders
    net["beta_member"].locale = "fr"
    net["gamma_member"].locale = "es"
    db.session.commit()
    forced = []
    real = reminders.force_locale

    def spy(locale):
        forced.append(locale)
        return real(locale)
    monkeypatch.setattr(reminders, "force_locale", spy)
    _send(today=D(2027, 3, 13))
    assert sorted(forced) == ["es", "fr"]
    from peer_review.mail.models import OutboxMessage
    assert "1 mars 2027" in OutboxMessage.query.filter_by(recipient="member@beta.example").one().body
    assert "1 de marzo de 2027" in OutboxMessage.query.filter_by(recipient="member@gamma.example").one().body


def test_dry_run_writes_nothing(app, net):
    from peer_review.audit.models import AuditEntry
    from peer_review.notifications.models import Notification, ReminderLog
    sent = _send(today=D(2027, 3, 13), dry_run=True)
    assert len(sent) == 2
    assert _outbox() == [] and ReminderLog.query.count() == 0 and Notification.query.count() == 0
    assert AuditEntry.query.filter_by(action="reminder.send").count() == 0
    assert len(_send(today=D(2027, 3, 13))) == 2  # the real run still sends


def test_one_audit_entry_per_run_with_counts(app, net):
    from peer_review.audit.models import AuditEntry
    _send(today=D(2027, 3, 13))
    _send(today=D(2027, 3, 13))
    entries = AuditEntry.query.filter_by(action="reminder.send").order_by(AuditEntry.id).all()
    assert len(entries) == 2
    assert entries[0].after["sent"] == 2 and entries[0].after["late"] == 2 and entries[1].after["sent"] == 0


def test_closed_and_draft_cycles_get_nothing(app, net):
    from peer_review.extensions import db
    net["cycle"].state = "closed"
    db.session.commit()
    assert _send(today=D(2027, 3, 13)) == []
    assert _send(today=D(2027, 3, 13), cycle=net["cycle"]) == []


def test_cli_send_dry_run_and_options(app, runner, net):
    from peer_review.notifications.models import ReminderLog
    result = runner.invoke(args=["reminders", "send", "--date", "2027-03-13", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would send: member@beta.example" in result.output
    assert "Total: 2 reminder(s) would be sent" in result.output
    assert ReminderLog.query.count() == 0
    result = runner.invoke(args=["reminders", "send", "--date", "2027-03-13", "--cycle", str(net["cycle"].id)])
    assert result.exit_code == 0, result.output
    assert "sent: member@gamma.example [Gamma Ville] 2027 round" in result.output
    assert "12 days late" in result.output and "Total: 2 reminder(s) sent." in result.output
    assert ReminderLog.query.count() == 2
    again = runner.invoke(args=["reminders", "send", "--date", "2027-03-13"])
    assert "Total: 0 reminder(s) sent." in again.output
    bad = runner.invoke(args=["reminders", "send", "--cycle", "999999"])
    assert bad.exit_code != 0 and "No cycle" in bad.output
    bad_date = runner.invoke(args=["reminders", "send", "--date", "13/03/2027"])
    assert bad_date.exit_code != 0
