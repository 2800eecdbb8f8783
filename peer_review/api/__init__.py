"""The JSON API at /api/v1: token authentication, the same permission policy, JSON errors."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Domain modules that add endpoints to this blueprint; later issues append theirs.
ENDPOINT_MODULES = [
    "peer_review.api.me",
    "peer_review.cities.api",
    "peer_review.users.api",
    "peer_review.cycles.api",
    "peer_review.evidence.api",
    "peer_review.coding.api",
    "peer_review.coding.api_samples",
    "peer_review.rubrics.api",
    "peer_review.assessments.api",
    "peer_review.assignments.api",
    "peer_review.reviews.api",
    "peer_review.reviews.api_responses",
    "peer_review.practices.api",
    "peer_review.opendata.api",
    "peer_review.indicators.api",
    "peer_review.indicators.api_numeric",
    "peer_review.indicators.api_trials",
    "peer_review.indicators.api_peergroups",
    "peer_review.exports.api",
    "peer_review.reports.api",
    "peer_review.api.openapi",
]


def load_endpoints() -> None:
    import importlib

    from ..extensions import csrf
    for name in ENDPOINT_MODULES:
        importlib.import_module(name)
    csrf.exempt(bp)  # token-authenticated only: the session cookie is never accepted here
