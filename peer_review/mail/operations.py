"""Sending mail: to the outbox and the log, and through SMTP when MAIL_SERVER is configured."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from ..extensions import db
from ..utils import utcnow
from .models import OutboxMessage


def send_mail(recipient: str, subject: str, body: str) -> OutboxMessage:
    msg = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(msg)
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        msg.status = "logged"
        current_app.logger.info("Mail to %s: %s\n%s", recipient, subject, body)
        return msg
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            smtp.send_message(email)
        msg.status, msg.sent_at = "sent", utcnow()
    except (OSError, smtplib.SMTPException) as exc:  # the outbox keeps it; the user flow goes on
        msg.status, msg.error = "failed", str(exc)[:500]
        current_app.logger.warning("Mail to %s failed: %s", recipient, exc)
    return msg
