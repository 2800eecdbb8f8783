"""Cache-busting for static files: ``url_for('static', filename=...)`` adds ``?v=<first 10 hex of the file's
SHA-256>``, and a request whose ``v`` matches the file's current contents is answered with
``Cache-Control: public, max-age=<STATIC_MAX_AGE>, immutable`` (a year by default). A changed file gets a new
URL, so a long cache is never stale. Files reached without the current ``v`` (a module imported by another
script, an image named in the CSS) keep Flask's default: revalidated with their ETag each time.
"""
from __future__ import annotations

import hashlib
import os

from flask import Flask, request
from werkzeug.security import safe_join


def register_static_versioning(app: Flask) -> None:
    cache: dict[str, tuple[tuple[int, int], str]] = {}

    def file_version(filename: str) -> str | None:
        path = safe_join(app.static_folder, filename) if app.static_folder else None
        if not path:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if not os.path.isfile(path):
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        known = cache.get(path)
        if known and known[0] == key:
            return known[1]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
        version = digest.hexdigest()[:10]
        cache[path] = (key, version)
        return version

    app.jinja_env.globals["static_version"] = file_version

    @app.url_defaults
    def _add_static_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = file_version(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _long_cache_for_versioned(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        wanted = request.args.get("v")
        filename = (request.view_args or {}).get("filename")
        if wanted and filename and wanted == file_version(filename):
            response.cache_control.public = True
            response.cache_control.max_age = int(app.config.get("STATIC_MAX_AGE", 365 * 24 * 3600))
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
            response.expires = None
        return response
