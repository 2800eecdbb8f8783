from flask import Blueprint

from .rules import register_rules

bp = Blueprint("practices", __name__, url_prefix="/practices")
register_rules()
