"""Open data pages and files: readable without signing in once the secretariat has published a release."""
from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..cycles.models import Cycle
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import can, require
from . import service
from .blueprint import bp
from .models import OpenDataRelease


def _readable() -> None:
    """Open data is public: checked through the permission table, but never asks anyone to sign in."""
    if not can(current_user, "opendata.read"):
        abort(404)


def _file(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    return cycle


def _release(cycle: Cycle, number: int | None = None) -> OpenDataRelease:
    _readable()
    if number is None:
        release = service.latest(cycle)
    else:
        release = db.session.execute(db.select(OpenDataRelease).filter_by(cycle_id=cycle.id, number=number)
                                     ).scalar_one_or_none()
    if release is None:  # nothing unpublished is ever served
        abort(404)
    return release


@bp.get("/")
def index():
    _readable()
    unpublished = []
    if can(current_user, "opendata.publish"):
        published_ids = {c.id for c, _r in service.published_cycles()}
        unpublished = [c for c in db.session.execute(db.select(Cycle).filter(Cycle.state != "draft")
                                                     .order_by(Cycle.starts_on.desc())).scalars()
                       if c.id not in published_ids]
    return render_template("opendata/index.html", published=service.published_cycles(), unpublished=unpublished)


@bp.get("/cycles/<int:cycle_id>/")
def cycle(cycle_id: int):
    _readable()
    cycle = _cycle(cycle_id)
    releases = service.releases(cycle)
    staff = can(current_user, "opendata.publish")
    if not releases and not staff:
        abort(404)
    preview = None
    if staff:
        rows, _dictionary = service.build_rows(cycle)
        preview = {"rows": len(rows), "values": sum(1 for r in rows if r["status"] == "ok"),
                   "cities": len({r["city"] for r in rows})}
    latest = releases[-1] if releases else None
    return render_template("opendata/cycle.html", cycle=cycle, releases=list(reversed(releases)), latest=latest,
                           columns=service.COLUMNS, licence_url=service.LICENCE_URL, preview=preview,
                           can_publish=staff)


@bp.post("/cycles/<int:cycle_id>/publish")
def publish(cycle_id: int):
    require("opendata.publish")
    cycle = _cycle(cycle_id)
    release = service.publish(cycle, current_user, request.form.get("note", ""))
    db.session.commit()
    flash(_("Release %(n)d of the open data is published.", n=release.number), "success")
    return redirect(url_for(".cycle", cycle_id=cycle.id))


@bp.get("/cycles/<int:cycle_id>/indicators.<fmt>")
def latest_file(cycle_id: int, fmt: str):
    cycle = _cycle(cycle_id)
    return _serve(cycle, _release(cycle), fmt)


@bp.get("/cycles/<int:cycle_id>/releases/<int:number>/indicators.<fmt>")
def release_file(cycle_id: int, number: int, fmt: str):
    cycle = _cycle(cycle_id)
    return _serve(cycle, _release(cycle, number), fmt)


@bp.get("/cycles/<int:cycle_id>/dictionary.json")
def dictionary(cycle_id: int):
    cycle = _cycle(cycle_id)
    release = _release(cycle)
    body = {"cycle": cycle.name, "release": release.number, "licence": release.licence,
            "licence_url": service.LICENCE_URL, "entries": release.dictionary}
    return _file(json.dumps(body, ensure_ascii=False, indent=1).encode(), "application/json",
                 f"safer-cities-{cycle.id}-dictionary.json")


def _serve(cycle: Cycle, release: OpenDataRelease, fmt: str) -> Response:
    name = f"safer-cities-{cycle.id}-indicators-r{release.number}.{fmt}"
    if fmt == "csv":
        return _file(service.as_csv(release), "text/csv; charset=utf-8", name)
    if fmt == "json":
        return _file(json.dumps(service.as_json(release, cycle), ensure_ascii=False).encode(), "application/json",
                     name)
    abort(404)
