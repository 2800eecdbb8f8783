"""Peer groups over the API: a cycle's latest run, and running the method again with a seed (the secretariat)."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import get_locale
from flask_login import current_user
from marshmallow import Schema, fields, validate

from ..api import bp
from ..api.util import load_json, token_required
from ..cycles.views import get_cycle_or_404
from ..extensions import db
from ..permissions import require
from . import peergroup_service as service


class PeerGroupRunSchema(Schema):
    seed = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2 ** 31 - 1),
                          metadata={"description": "The same seed and values always give the same groups"})


def peer_groups_out(cycle) -> dict:
    """The latest run: groups in label order (a neutral order) with member slugs alphabetically, never by score."""
    row = service.latest(cycle)
    if row is None:
        return {"cycle": cycle.id, "status": "none", "run": None, "groups": [], "excluded": []}
    labels = service.feature_labels(cycle, str(get_locale() or "en"))
    slugs = {c.id: c.slug for c in cycle.cities}
    info = service.run_info(row)
    groups = [{"label": g["label"], "name": g["name"], "distinguished_by": g["parts"],
               "members": sorted(slugs[i] for i in g["members"] if i in slugs)}
              for g in service.groups_of(row, labels)]
    return {
        "cycle": cycle.id, "status": info["status"], "message": info["message"], "run": row.id,
        "computed_at": row.created_at.isoformat() if row.created_at else None, "seed": row.seed,
        "method_hash": row.method_hash, "k": row.k, "features": list(row.features or []),
        "feature_names": {f: labels.get(f, f) for f in row.features or []},
        "silhouettes": row.silhouettes or {}, "explained_variance": row.explained_variance or [],
        "loadings": row.loadings or {},
        "coordinates": {slugs[int(k)]: v for k, v in sorted((row.coordinates or {}).items(),
                                                             key=lambda kv: slugs.get(int(kv[0]), ""))
                        if int(k) in slugs},
        "groups": groups,
        "excluded": sorted(({"city": slugs[e["city_id"]], "missing_share": e["missing_share"]}
                            for e in service.excluded_cities(row) if e["city_id"] in slugs),
                           key=lambda e: e["city"]),
        "dropped_features": info["dropped_features"], "imputed": info["imputed"],
    }


@bp.get("/cycles/<int:cycle_id>/peer-groups")
@token_required
def get_peer_groups(cycle_id):
    """A cycle's peer groups.
    ---
    get:
      tags: [indicators]
      summary: The cycle's latest peer-group run (k, silhouette per k, explained variance, loadings, groups with
        member slugs alphabetically, cities set apart); groups are labelled in a neutral order, never by a score
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK (status none when no run yet)"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.view", cycle)
    require("peergroup.view")
    return peer_groups_out(cycle)


@bp.post("/cycles/<int:cycle_id>/peer-groups")
@token_required
def run_peer_groups(cycle_id):
    """Compute a cycle's peer groups again.
    ---
    post:
      tags: [indicators]
      summary: Run the peer-group method on the cycle's current indicator values (the secretariat, open cycles);
        the new run becomes the one in use
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: false, content: {application/json: {schema: PeerGroupRunSchema}}}
      responses:
        201: {description: "Computed"}
        403: {description: "Not allowed, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid seed", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("peergroup.run", cycle)
    seed = load_json(PeerGroupRunSchema()).get("seed", 0) if request.data else 0
    service.run(cycle, seed=seed, user=current_user)
    db.session.commit()
    return peer_groups_out(cycle), 201, {"Location": url_for("api.get_peer_groups", cycle_id=cycle.id)}
