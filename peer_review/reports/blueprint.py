from flask import Blueprint

from .rules import register_rules

bp = Blueprint("reports", __name__, url_prefix="/reports")
register_rules()
