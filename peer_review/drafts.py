"""Drafts that several people of one city edit at once: the optimistic versioning, conflicts and revisions that
the self-assessment's answers, the peer review's answers, strengths, recommendations and the city's response
share, and the autosave endpoint pattern of their section pages.

Each row carries a ``version`` that SQLAlchemy checks and bumps on every UPDATE (``version_id_col``). A change
says which version it was based on (0: there was no row yet); a stale one raises a ``DraftConflict`` carrying
the row as saved now ("theirs") and what was sent ("yours"), so the page or the API can show both and nothing
typed is lost. Two requests racing past the check are caught when the UPDATE finds no row of the old version
(``StaleDataError``): the same conflict. After a save the caller's ``revise`` adds a revision row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from .errors import StaleVersion, ValidationFailed
from .extensions import db


class DraftConflict(StaleVersion):
    """Someone saved this row since the version the change was based on. ``theirs``: the row's data as saved
    now; ``yours``: the fields as sent, untouched."""

    def __init__(self, row, theirs: dict, yours: dict):
        super().__init__(row.version if row is not None else 0)
        self.row = row
        self.theirs = theirs
        self.yours = yours


@dataclass
class Saved:
    row: Any
    changed: bool
    before: Any = None  # what ``snapshot`` gave before the change (None for a new row or no change)


def save_versioned(row, posted_version: int | None, *, validate: Callable[[Any], dict],
                   differs: Callable[[Any, dict], bool], create: Callable[[], Any],
                   apply: Callable[[Any, dict], None], conflict: Callable[[Any], Exception],
                   reload: Callable[[], Any], revise: Callable[[Any], None] | None = None,
                   snapshot: Callable[[Any], Any] | None = None) -> Saved:
    """Save ``row`` (or a new one from ``create``) with the values ``validate(row)`` gives.

    ``posted_version`` is the version the change was based on (``None`` skips the check). Sending exactly what
    is saved now is no conflict, whatever version it names (a Save that did not touch the row, the same
    autosave twice); anything else based on another version raises ``conflict(row)``. ``validate`` raises
    ``ValidationFailed``; ``differs(row, values)`` says whether anything changes; ``apply`` sets the values;
    ``reload`` reads the row again after a lost race; ``revise(row)`` records the revision after the flush;
    ``snapshot(row)`` is taken before the change (for the audit log)."""
    current = row.version if row is not None else 0
    if posted_version is not None and int(posted_version) != current:
        try:
            same = row is not None and not differs(row, validate(row))
        except ValidationFailed:
            same = False
        if same:
            return Saved(row, False)
        raise conflict(row)
    values = validate(row)
    before = snapshot(row) if (snapshot is not None and row is not None) else None
    if row is not None and not differs(row, values):
        return Saved(row, False)
    with db.session.no_autoflush:
        if row is None:
            row = create()
            db.session.add(row)
        apply(row, values)
    try:
        db.session.flush()
    except StaleDataError:  # another request saved it between our read and our write
        db.session.rollback()
        raise conflict(reload()) from None
    if revise is not None:
        revise(row)
    return Saved(row, True, before)


def check_version(row, posted_version: int | None, conflict: Callable[[Any], Exception]) -> None:
    """For a deletion: refuse one based on another version than the row's."""
    if posted_version is not None and int(posted_version) != row.version:
        raise conflict(row)


def autosave(save: Callable[[], Any], *, posted_version: int, stored_version: Callable[[], int],
             conflict_type: type, render: Callable[..., str]):
    """The autosave endpoint of one criterion (htmx, or a keepalive fetch when the page is left): run ``save``
    and answer the criterion's save-status fragment (``render(status=..., version=...)``) holding the version
    the next save is based on. htmx swaps only 2xx answers, so it gets 200 whatever happened.

    After a conflict the stale version stays in the page: later autosaves conflict again (showing both texts,
    never overwriting theirs) until the person merges and saves against the new one."""
    from flask import request

    from .utils import utcnow
    try:
        row = save()
    except conflict_type as err:
        db.session.rollback()
        status, code, version = {"conflict": err}, 409, posted_version
    except ValidationFailed as err:
        db.session.rollback()
        status, code, version = {"errors": err.fields}, 422, stored_version()
    else:
        db.session.commit()
        status, code, version = {"saved_at": row.updated_at or utcnow()}, 200, row.version
    html = render(status=status, version=version)
    return html, (200 if request.headers.get("HX-Request") else code)


def posted_int(value) -> int:
    """A version as posted by a form: -1 when missing or not a number (so it conflicts with any row)."""
    from .input_limits import parse_id
    number = parse_id(str(value if value is not None else "").strip())
    return -1 if number is None else number


def notify(hook: str, *args) -> None:
    """Call a notification event hook (``peer_review.notifications.operations``) when it exists: a missing
    module or hook never breaks the change that happened."""
    try:
        from .notifications import operations as notes
    except ImportError:
        notes = None
    fn = getattr(notes, hook, None)
    if fn is not None:
        fn(*args)
