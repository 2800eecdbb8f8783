"""Rubric pages: every loaded version, one version's sections and criteria, and what changed between two."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from ..permissions import can, require
from . import content
from . import operations as ops
from .blueprint import bp
from .files import diff_versions, is_empty_diff


def _locale() -> str:
    return str(get_locale() or "en")


def get_version_or_404(rubric_id: str, version: str):
    found = ops.get_version(rubric_id, version)
    if found is None:
        abort(404)
    return found


@bp.route("/")
@login_required
def index():
    require("rubric.view")
    versions = ops.all_versions()
    used = ops.versions_in_use()
    by_rubric: dict[str, list] = {}
    for version in versions:
        by_rubric.setdefault(version.rubric_id, []).append(version)
    return render_template("rubrics/index.html", versions=versions, used=used, by_rubric=by_rubric,
                           locale=_locale(), text=content.text)


@bp.route("/<rubric_id>/<version>")
@login_required
def show(rubric_id: str, version: str):
    require("rubric.view")
    found = get_version_or_404(rubric_id, version)
    return render_template("rubrics/show.html", version=found, sections=content.sections(found),
                           scale=content.scale(found), frozen=ops.frozen(found),
                           cycles=[c for c in ops.cycles_using(found) if can(current_user, "cycle.view", c)],
                           locale=_locale(), text=content.text)


@bp.route("/<rubric_id>/diff")
@login_required
def diff(rubric_id: str):
    require("rubric.diff")
    versions = ops.versions_of(rubric_id)
    if not versions:
        abort(404)
    by_number = {v.version: v for v in versions}
    old_number = request.args.get("from", "")
    new_number = request.args.get("to", "")
    errors = {}
    if request.args and old_number not in by_number:
        errors["from"] = True
    if request.args and new_number not in by_number:
        errors["to"] = True
    old, new = by_number.get(old_number), by_number.get(new_number)
    changes = diff_versions(old.content, new.content) if old is not None and new is not None else None
    if not request.args and len(versions) >= 2:  # the two newest, as a start
        old_number, new_number = versions[-2].version, versions[-1].version
    return render_template("rubrics/diff.html", rubric_id=rubric_id, versions=versions, old=old, new=new,
                           old_number=old_number, new_number=new_number, changes=changes, errors=errors,
                           empty=changes is not None and is_empty_diff(changes),
                           titles=_titles(old, new), locale=_locale(), text=content.text), (400 if errors else 200)


def _titles(old, new) -> dict:
    """Criterion and section titles by id, from the newer version first, for naming what changed."""
    titles = {}
    for version in (old, new):
        for section in (version.content.get("sections", []) if version is not None else []):
            titles[section["id"]] = section.get("title")
            for criterion in section.get("criteria", []):
                titles[criterion["id"]] = criterion.get("title")
    return titles
