from flask import Blueprint

# Moving data in and out: evidence spreadsheets, REFI-QDA codebooks (.qdc) and projects (.qdpx).
bp = Blueprint("exchange", __name__, url_prefix="/exchange")
