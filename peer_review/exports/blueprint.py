from flask import Blueprint

from .rules import register_rules

bp = Blueprint("exports", __name__, url_prefix="/exports")
register_rules()
