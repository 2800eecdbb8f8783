"""Recording audit entries. Called by every operation that changes state; the request commits."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEntry


def record(action: str, obj_type: str, obj_id, *, summary: str = "", before: dict | None = None,
           after: dict | None = None, actor=None) -> AuditEntry:
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None), action=action, object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id), summary=summary[:300],
        before=before, after=after,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
