from flask import Blueprint

from .rules import register_rules

bp = Blueprint("opendata", __name__, url_prefix="/open-data")
register_rules()
