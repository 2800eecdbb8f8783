from flask import Blueprint

# Rubric versions: the list, one version in the reader's language, and the secretariat's comparison (views.py).
bp = Blueprint("rubrics", __name__, url_prefix="/rubrics")
