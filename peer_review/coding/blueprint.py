from flask import Blueprint

# Codes and codebook pages (views_codes.py), double-coding samples and agreement (views_samples.py).
bp = Blueprint("coding", __name__, url_prefix="/coding")
