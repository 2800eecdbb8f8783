"""Behind a reverse proxy: trust its X-Forwarded-* headers, only when told how many proxies there are.

``PROXY_FIX_X_FOR`` (environment or config; an int, default 0 = off) is the number of proxies in front of the
app that set ``X-Forwarded-For``; with it set, werkzeug's ProxyFix takes the client's address from that header
(the sign-in rate limits count per address, the logs name it) and the scheme, host and port from
``X-Forwarded-Proto``, ``-Host`` and ``-Port`` set by the same number of proxies. Left at 0 the headers are
ignored: anyone could send them, so trusting them without a proxy that overwrites them would let a client
choose its own address.
"""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def configure_proxy(app: Flask) -> None:
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops <= 0:
        return
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
