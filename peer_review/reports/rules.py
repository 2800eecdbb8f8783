"""Who reads and publishes reports (added to the one permission table, ``peer_review.permissions``).

A city's reports (its peer review report, its "State of Safety") are read by its members, facilitators and the
secretariat; the secretariat publishes. Published revisions of the cycle report are read by everyone signed in;
its drafts by the secretariat and facilitators.
"""
from __future__ import annotations

from ..access import is_facilitator, is_staff, member_city_ids
from ..permissions import register


def _reads(user, report) -> bool:
    """obj: a Report (or None: may read some report)."""
    if not user.is_authenticated:
        return False
    if report is None or is_staff(user) or is_facilitator(user):
        return True
    if report.city_id is None:  # the cycle report: its published revisions only
        return False
    return report.city_id in member_city_ids(user)


def _reads_revision(user, revision) -> bool:
    if not user.is_authenticated:
        return False
    if revision is None:
        return True
    if revision.report.city_id is None:
        return True  # a published revision of the cycle report
    return _reads(user, revision.report)


def _publishes(user, report=None) -> bool:
    return is_staff(user)


def register_rules() -> None:
    register("report.menu", lambda u, o=None: u.is_authenticated)
    register("report.view", _reads)  # obj: the Report
    register("report.publish", _publishes, "report.view")  # obj: the Report
    register("report.revision", _reads_revision)  # obj: a ReportRevision
    register("report.stories", _chooses_stories, "report.view")  # obj: the State of Safety Report
    register("report.job", _follows_job)  # obj: a Job of kind report_render


def _chooses_stories(user, report) -> bool:
    """The city's coordinators, facilitators and the secretariat choose the stories of its "State of Safety"."""
    if not user.is_authenticated:
        return False
    if report is None or is_staff(user) or is_facilitator(user):
        return True
    from ..users.models import COORDINATOR
    return report.city_id is not None and report.city_id in member_city_ids(user, COORDINATOR)


def _follows_job(user, job) -> bool:
    """A report rendered in the background: whoever started it (and the secretariat)."""
    if not user.is_authenticated:
        return False
    return job is None or is_staff(user) or job.created_by_id == user.id
