from __future__ import annotations

from flask import jsonify


def error_response(status: int, code: str, message, fields: dict | None = None):
    body = {"error": {"code": code, "message": str(message), "fields": {
        k: [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])] for k, v in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
