"""Signing out ends the session on the server side: copies of the cookies are worthless afterwards, and a
password reset also revokes API tokens and other sessions."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from peer_review.extensions import db
from peer_review.mail.models import OutboxMessage
from peer_review.users.models import ApiToken

PASSWORD = "correct horse battery"


def _cookies(response) -> dict[str, str]:
    out = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, value = header.split(";", 1)[0].split("=", 1)
        out[name] = value
    return out


def _fresh_client(app) -> FlaskClient:
    from tests.conftest import IsolatedClient
    app.test_client_class = IsolatedClient
    return app.test_client()


def test_replayed_session_and_remember_cookies_do_not_sign_in_after_logout(app, client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    signed_in = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD, "remember": "y"})
    stolen = _cookies(signed_in)
    assert {"session", "remember_token"} <= set(stolen)
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    for names in (("session",), ("remember_token",), ("session", "remember_token")):
        thief = _fresh_client(app)
        for name in names:
            thief.set_cookie(name, stolen[name], domain="localhost")
        assert thief.get("/").status_code == 302, f"{names} still signs in after logout"


def test_a_password_reset_revokes_api_tokens_and_other_sessions(app, client, make_user, api_token):
    user = make_user("ana@example.org", password=PASSWORD)
    headers = api_token(user)
    other_device = _fresh_client(app)
    other_device.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    assert other_device.get("/").status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    client.post("/password/reset", data={"email": "ana@example.org"})
    msg = db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars().first()
    link = re.search(r"http://localhost(/\S+)", msg.body).group(1)
    assert client.post(link, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"}
                       ).status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert other_device.get("/").status_code == 302
    db.session.rollback()
    assert all(t.revoked_at is not None for t in db.session.execute(db.select(ApiToken)).scalars())
