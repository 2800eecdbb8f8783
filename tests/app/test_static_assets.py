"""Static assets (peer_review/static_assets.py): text files go out compressed to a client that accepts it, with
their own ETag and Vary, versioned URLs are cached for a year, and a client that does not ask gets the plain file."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask import url_for

from peer_review import static_assets

ROOT = Path(__file__).resolve().parents[2]
VEGA = ROOT / "static" / "vendor" / "vega" / "vega.min.js"


def _url(app, filename):
    with app.test_request_context():
        return url_for("static", filename=filename)


def _decode(response):
    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "br":
        return static_assets.brotli.decompress(data)
    return data


def test_gzip_is_sent_when_accepted_and_keeps_the_long_cache(app, client, monkeypatch):
    monkeypatch.setattr(static_assets, "brotli", None)
    url = _url(app, "vendor/vega/vega.min.js")
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.get_data()) < VEGA.stat().st_size // 2
    assert _decode(response) == VEGA.read_bytes()
    cache = response.cache_control
    assert cache.max_age == 365 * 24 * 3600 and cache.public and cache.immutable
    assert response.headers["ETag"].endswith('-gz"')


def test_brotli_is_preferred_when_available(app, client):
    if static_assets.brotli is None:
        pytest.skip("the brotli module is not installed (gzip is used instead)")
    url = _url(app, "css/app.css")
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert _decode(response) == (ROOT / "static" / "css" / "app.css").read_bytes()


def test_plain_file_without_accept_encoding_or_with_a_range(app, client):
    url = _url(app, "css/app.css")
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == (ROOT / "static" / "css" / "app.css").read_bytes()
    assert "Accept-Encoding" in plain.headers.get("Vary", "")
    ranged = client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert ranged.status_code == 206 and "Content-Encoding" not in ranged.headers


def test_images_are_not_recompressed(app, client):
    response = client.get(_url(app, "img/favicon.svg"), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200  # small: sent as it is (compressing would not pay)
    png = next((ROOT / "static").rglob("*.png"), None)
    if png is not None:
        rel = png.relative_to(ROOT / "static").as_posix()
        response = client.get(_url(app, rel), headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in response.headers


def test_the_compressed_etag_revalidates(app, client):
    url = "/static/css/app.css"  # unversioned: revalidated each time
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert not again.cache_control.immutable
