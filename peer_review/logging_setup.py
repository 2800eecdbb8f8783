"""Logs: plain lines by default (tests, ``make demo``); with ``LOG_FORMAT=json`` (production) one JSON object per
line on stdout, for the app's own records and for every request (method, path, status, duration in ms, user id,
request id). Every record written during a request carries its request id; the id comes from a sane
``X-Request-ID`` header (a proxy's) or is made here, and is sent back in the response's ``X-Request-ID``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

ACCESS_LOGGER = "peer_review.access"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to records made while a request is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = getattr(g, "request_id", None)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, extra fields, exception text."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def json_handler(stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(app: Flask) -> None:
    json_mode = str(app.config.get("LOG_FORMAT", "plain")).lower() == "json"
    if json_mode and not app.testing:  # tests keep pytest's capture; they check records, not stdout
        root = logging.getLogger()
        for existing in list(root.handlers):
            root.removeHandler(existing)
        root.addHandler(json_handler())
        root.setLevel(str(app.config.get("LOG_LEVEL", "INFO")).upper())
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # requests are logged below, once
    app.config["LOG_JSON"] = json_mode

    @app.before_request
    def _request_started():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _request_finished(response):
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if json_mode and hasattr(g, "request_started"):
            user = getattr(g, "_login_user", None)  # only if the request loaded it: no extra query
            logging.getLogger(ACCESS_LOGGER).info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                    "user_id": getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None,
                    "request_id": request_id,
                    "remote_addr": request.remote_addr,
                })
        return response
