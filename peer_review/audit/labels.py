"""How audit entries read to people: actions and kinds of record in words, people by name, not e-mail address."""
from __future__ import annotations

import re

from ..i18n import lazy_gettext as _l

ACTIONS = {
    "report.publish": _l("Report revision published"),
    "report.stories": _l("Report stories chosen"),
    "opendata.publish": _l("Open data release published"),
    "indicator.local_create": _l("Local indicator added"),
    "indicator.local_update": _l("Local indicator changed"),
    "indicator.local_retire": _l("Local indicator retired"),
    "indicator.tiers": _l("Indicators moved between tiers"),
    "numeric.create": _l("Reported number added"),
    "numeric.update": _l("Reported number changed"),
    "numeric.withdraw": _l("Reported number withdrawn"),
    "numeric.import": _l("Reported numbers imported from a spreadsheet"),
    "peergroup.run": _l("Peer groups computed"),
    "trial.rate": _l("Field-trial ratings saved"),
    "city.create": _l("City added"),
    "city.update": _l("City changed"),
    "city.deactivate": _l("City deactivated"),
    "city.reactivate": _l("City reactivated"),
    "user.create": _l("Account created"),
    "user.invite": _l("Person invited"),
    "user.invitation_accepted": _l("Invitation accepted"),
    "user.update": _l("Person's details or roles changed"),
    "user.membership_add": _l("Added to a city"),
    "user.membership_remove": _l("Removed from a city"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.password_reset": _l("Password reset by e-mail link"),
    "user.password_change": _l("Password changed"),
    "token.create": _l("API token created"),
    "token.revoke": _l("API token revoked"),
    "cycle.create": _l("Review cycle created"),
    "cycle.update": _l("Review cycle changed"),
    "cycle.advance": _l("Review cycle moved to its next phase"),
    "conflict.declare": _l("Conflict of interest declared"),
    "conflict.delete": _l("Conflict of interest withdrawn"),
    "assignment.propose": _l("Peer assignments proposed"),
    "assignment.create": _l("Peer assignment added by hand"),
    "assignment.remove": _l("Peer assignment removed"),
    "assignment.restore": _l("Removed peer assignment restored"),
    "assignment.publish": _l("Peer assignments published"),
    "review.start": _l("Peer review started"),
    "review.answer": _l("Peer review answer saved"),
    "review.strength_save": _l("Strength saved in a peer review"),
    "review.strength_delete": _l("Strength removed from a peer review"),
    "review.recommendation_save": _l("Recommendation saved in a peer review"),
    "review.recommendation_delete": _l("Recommendation removed from a peer review"),
    "review.submit": _l("Peer review submitted"),
    "review.reopen": _l("Peer review reopened"),
    "review.release": _l("Peer reviews released to the city"),
    "response.start": _l("City response started"),
    "response.save": _l("Response to a recommendation saved"),
    "response.submit": _l("City response submitted"),
    "response.progress": _l("Progress on a recommendation updated"),
    "reminder.send": _l("Reminders sent"),
    "evidence.create": _l("Evidence added"),
    "evidence.update": _l("Evidence changed"),
    "evidence.import": _l("Evidence imported from a spreadsheet"),
    "evidence.redact": _l("Personal details redacted"),
    "evidence.attach": _l("File attached"),
    "evidence.attachment_replace": _l("Attached file replaced"),
    "evidence.attachment_text": _l("Text of an attached file added for coding"),
    "evidence.detach": _l("Attached file removed"),
    "code.create": _l("Code added to the codebook"),
    "code.update": _l("Code changed"),
    "code.merge": _l("Codes merged"),
    "code.retire": _l("Code retired"),
    "codebook.load": _l("Starter codebook loaded"),
    "codebook.import": _l("Codebook imported"),
    "coding.create": _l("Passage coded"),
    "coding.delete": _l("Coding removed"),
    "sample.create": _l("Double-coding sample drawn"),
    "sample.reconcile": _l("Double-coding sample reconciled"),
    "suggestion.reject": _l("Code suggestion rejected"),
    "topic.rename": _l("Topic renamed"),
    "topic.merge": _l("Topics merged"),
    "topic.map": _l("Topic mapped to a code"),
    "project.import": _l("REFI-QDA project imported"),
    "rubric.load": _l("Rubric version loaded"),
    "assessment.start": _l("Self-assessment started"),
    "assessment.answer": _l("Self-assessment answer saved"),
    "assessment.submit": _l("Self-assessment submitted"),
    "assessment.reopen": _l("Self-assessment reopened"),
    "assessment.import": _l("Self-assessment answers uploaded from a workbook"),
}

OBJECT_TYPES = {
    "report_revision": _l("Report revision"),
    "local_indicator": _l("Local indicator"),
    "indicator_set": _l("Indicator definitions"),
    "numeric_entry": _l("Reported number"),
    "peer_grouping": _l("Peer groups"),
    "city": _l("City"), "user": _l("Person"), "cycle": _l("Review cycle"), "evidence": _l("Evidence"),
    "code": _l("Code"), "codebook": _l("Codebook"), "sample": _l("Double-coding sample"), "topic": _l("Topic"),
    "suggestion": _l("Code suggestion"), "project": _l("Project"),
    "rubric": _l("Rubric version"),
    "assessment": _l("Self-assessment"),
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    if label is not None:
        return str(label)
    return action.replace("_", " ").replace(".", ": ").capitalize()  # an action added later reads as words


def object_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, object_type.replace("_", " ").capitalize()))


def readable_summary(summary: str, names: dict[str, str]) -> str:
    """People by their name where the summary gives an e-mail address (``names``: address -> name)."""
    return _EMAIL.sub(lambda m: names.get(m.group(0).lower(), m.group(0)), summary or "")


def names_for(entries) -> dict[str, str]:
    """The names of the people whose addresses the entries' summaries mention."""
    from ..extensions import db
    from ..users.models import User
    emails = {m.lower() for e in entries for m in _EMAIL.findall(e.summary or "")}
    if not emails:
        return {}
    return dict(db.session.execute(db.select(User.email, User.name).filter(User.email.in_(emails))).all())
