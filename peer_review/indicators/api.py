"""Indicator definitions and computed values over the API, under the same permission table. Values come with their
interval, evidence count and method hash; lists are ordered by city slug and indicator id, never by a value."""
from __future__ import annotations

from flask import abort, jsonify, request, url_for
from flask_login import current_user

from ..api import bp
from ..api.util import ApiError, token_required
from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..input_limits import parse_id
from ..i18n import gettext as _
from ..pagination import page_args
from ..permissions import can, member_city_ids, require
from . import compute
from . import definitions as defs
from .models import IndicatorSet


def set_out(row: IndicatorSet) -> dict:
    return {"version": row.version, "content_hash": row.content_hash, "loaded_at": row.loaded_at.isoformat(),
            "note": row.note, "supersedes": row.supersedes.version if row.supersedes else None,
            "method": defs.method_settings(row), "method_version": defs.METHOD_VERSION, "indicators": row.indicators}


@bp.get("/indicators/definitions")
@token_required
def indicator_definitions():
    """Indicator definitions.
    ---
    get:
      tags: [indicators]
      summary: A version of the indicator definitions (the newest, or ?version=), with the method settings
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: version, schema: {type: string}}
      responses:
        200: {description: The definitions}
        404: {description: No such version}
    """
    require("indicator.definitions")
    defs.ensure_loaded()
    version = request.args.get("version")
    if version:
        row = db.session.execute(db.select(IndicatorSet).filter_by(version=version[:40])).scalar_one_or_none()
    else:
        row = defs.latest_set()
    if row is None:
        raise ApiError(404, "not_found", _("No such version of the indicator definitions."))
    versions = list(db.session.execute(db.select(IndicatorSet.version).order_by(IndicatorSet.id)).scalars())
    return jsonify({**set_out(row), "versions": versions})


def value_out(row, slug: str) -> dict:
    return {"city": slug, "indicator": row.indicator_key, "kind": row.kind, "status": row.status,
            "value": row.value, "low": row.low, "high": row.high, "evidence_count": row.n, "hits": row.hits,
            "proxy": row.kind == "numeric" and row.hits == 1,
            "method_hash": row.method_hash, "computed_at": row.computed_at.isoformat() if row.computed_at else None}


@bp.get("/cycles/<int:cycle_id>/indicator-values")
@token_required
def indicator_values(cycle_id: int):
    """Computed indicator values of a cycle.
    ---
    get:
      tags: [indicators]
      summary: Values per city and indicator (your cities', or every city's for the secretariat and facilitators),
        with interval, evidence count and method hash, ordered by city slug then indicator id
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: cycle_id, required: true, schema: {type: integer}}
        - {in: query, name: city, schema: {type: string}, description: a city slug}
        - {in: query, name: indicator, schema: {type: string}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: A page of values}
        404: {description: No such cycle or city}
    """
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None or not can(current_user, "cycle.view", cycle):
        abort(404)
    cities = sorted(cycle.cities, key=lambda c: c.slug)
    slug = request.args.get("city")
    if slug:
        cities = [c for c in cities if c.slug == slug]
        if not cities:
            raise ApiError(404, "not_found", _("This city does not take part in this cycle."))
    if not can(current_user, "indicator.network"):
        mine = member_city_ids(current_user)
        cities = [c for c in cities if c.id in mine]
        if slug and not cities:
            abort(404)
    values = compute.refresh(cycle, [c.id for c in cities]) if cities else {}
    key = request.args.get("indicator")
    rows = [value_out(row, c.slug) for c in cities
            for k, row in sorted(values.get(c.id, {}).items()) if not key or k == key]
    page, per_page = page_args()
    start = (page - 1) * per_page
    chunk = rows[start:start + per_page]
    has_next = start + per_page < len(rows)
    next_url = url_for("api.indicator_values", cycle_id=cycle.id, page=page + 1, per_page=per_page,
                       **({"city": slug} if slug else {}), **({"indicator": key} if key else {})) if has_next else None
    pinned = cycle.indicator_set
    return jsonify({"items": chunk, "page": page, "per_page": per_page, "total": len(rows),
                    "pages": max(1, -(-len(rows) // per_page)), "next": next_url,
                    "definitions": {"version": pinned.version, "content_hash": pinned.content_hash} if pinned else None})


@bp.get("/cities/<slug>/indicators")
@token_required
def city_indicators(slug: str):
    """A city's dashboard data for one cycle.
    ---
    get:
      tags: [indicators]
      summary: A city's indicator values, section scores and voice coverage in one cycle (the latest by default)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: slug, required: true, schema: {type: string}}
        - {in: query, name: cycle, schema: {type: integer}}
      responses:
        200: {description: The city's indicators}
        404: {description: No such city or cycle}
    """
    from .dashboard import city_dashboard
    from .views import default_cycle
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    require("indicator.city", city)
    cycle_id = request.args.get("cycle", type=parse_id)
    cycle = db.session.get(Cycle, cycle_id) if cycle_id else default_cycle(city)
    if cycle is None or not compute.takes_part(cycle, city):
        abort(404)
    d = city_dashboard(city, cycle)
    values = [dict(value_out_dict(e["value"]), indicator=e["definition"]["id"], family=family,
                   tier=e["definition"].get("tier"))
              for family, entries in d["families"].items() for e in entries]
    return jsonify({
        "city": city.slug, "cycle": cycle.id, "definitions": d["set"].version if d["set"] else None,
        "values": values,
        "sections": [{k: r[k] for k in ("section", "self", "peer", "gap", "self_n", "peer_n", "criteria")}
                     for r in d["sections"]],
        "coverage": {"total": d["coverage"]["total"], "rows": d["coverage"]["rows"],
                     "warnings": [{"kind": w["kind"], **({"voices": [list(v) for v in w["voices"]]} if "voices" in w
                                                        else {})} for w in d["coverage"]["warnings"]]},
    })


def value_out_dict(v: dict | None) -> dict:
    v = v or {}
    return {"status": v.get("status", "missing"), "value": v.get("value"), "low": v.get("low"),
            "high": v.get("high"), "evidence_count": v.get("n", 0), "hits": v.get("hits", 0),
            "method_hash": v.get("method_hash")}
