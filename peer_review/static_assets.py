"""Cache-busting for static files: ``url_for('static', filename=...)`` adds ``?v=<first 10 hex of the file's
SHA-256>``, and a request whose ``v`` matches the file's current contents is answered with
``Cache-Control: public, max-age=<STATIC_MAX_AGE>, immutable`` (a year by default). A changed file gets a new
URL, so a long cache is never stale. Files reached without the current ``v`` (a module imported by another
script, an image named in the CSS) keep Flask's default: revalidated with their ETag each time.

Text assets (CSS, JavaScript, SVG, JSON) are sent compressed to a client that accepts it: Brotli when the
``brotli`` module is installed, else gzip. Each file is compressed once per version (its modification time and
size) and kept in memory, so a request costs no compression work; the compressed answer has its own ETag (the
file's with ``-br`` or ``-gz``), ``Vary: Accept-Encoding``, and answers ``If-None-Match`` with 304 like the
plain one. A Range request gets the plain file.
"""
from __future__ import annotations

import gzip
import hashlib
import os
from stat import S_ISREG
from threading import Lock

from flask import Flask, request
from werkzeug.security import safe_join

try:  # optional: gzip alone is enough
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml",
                "text/plain", "application/xml", "text/xml", "application/manifest+json"}
MIN_COMPRESS_BYTES = 1024
_CACHE_LIMIT = 64 * 1024 * 1024  # compressed bytes kept in memory at most


def _compress(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=7)  # 11 is ~40x slower for ~10% less
    return gzip.compress(data, compresslevel=9, mtime=0)


def accepted_encoding() -> str | None:
    """The best encoding this request accepts among the ones we make: br, then gzip."""
    accept = request.accept_encodings
    if brotli is not None and accept.quality("br") > 0:
        return "br"
    if accept.quality("gzip") > 0:
        return "gzip"
    return None


def register_static_versioning(app: Flask) -> None:
    cache: dict[str, tuple[tuple[int, int], str]] = {}

    def stamped(filename: str) -> tuple[str, tuple[int, int]] | None:
        """The static file's path and (mtime, size), or None when it is not a file under static/."""
        path = safe_join(app.static_folder, filename) if app.static_folder else None
        if not path:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if not S_ISREG(stat.st_mode):
            return None
        return path, (stat.st_mtime_ns, stat.st_size)

    def file_version(filename: str) -> str | None:
        found = stamped(filename)
        if found is None:
            return None
        path, key = found
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

    compressed: dict[tuple[str, str], tuple[tuple[int, int], bytes | None]] = {}
    compressed_lock = Lock()

    def compressed_body(filename: str, encoding: str) -> bytes | None:
        """The file compressed with encoding, or None when that would not make it smaller."""
        found = stamped(filename)
        if found is None:
            return None
        path, key = found
        known = compressed.get((path, encoding))
        if known and known[0] == key:
            return known[1]
        if key[1] < MIN_COMPRESS_BYTES:
            body = None
        else:
            with open(path, "rb") as handle:
                data = handle.read()
            body = _compress(data, encoding)
            if len(body) >= len(data):
                body = None
        with compressed_lock:
            compressed[(path, encoding)] = (key, body)
            while sum(len(b or b"") for _k, b in compressed.values()) > _CACHE_LIMIT and len(compressed) > 1:
                compressed.pop(next(iter(compressed)))
        return body

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
        return _compressed(response, filename)

    def _compressed(response, filename):
        if not filename or response.status_code != 200 or response.mimetype not in COMPRESSIBLE \
                or response.headers.get("Content-Encoding") or "Range" in request.headers:
            return response
        response.vary.add("Accept-Encoding")
        encoding = accepted_encoding()
        if encoding is None:
            return response
        body = compressed_body(filename, encoding)
        if body is None:
            return response
        etag, weak = response.get_etag()
        response.close()  # the plain file's handle
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
        response.headers.pop("Accept-Ranges", None)
        if etag:
            tagged = f"{etag}-{'br' if encoding == 'br' else 'gz'}"
            response.set_etag(tagged, weak=weak)
            if request.if_none_match.contains_weak(tagged):
                response.status_code = 304
                response.set_data(b"")
                response.headers.pop("Content-Length", None)
                response.headers.pop("Content-Encoding", None)
        return response
