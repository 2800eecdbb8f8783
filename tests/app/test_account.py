"""A person changes their own name, language and password; the password change asks for the current one and
signs out their other sessions, not this one."""
from __future__ import annotations

from peer_review.extensions import db
from peer_review.users.models import User
from tests.conftest import IsolatedClient

PASSWORD = "correct horse battery"
NEW = "a brand new passphrase"


def _other_client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


def _sign_in(client, password=PASSWORD):
    return client.post("/login", data={"email": "ana@example.org", "password": password})


def test_change_name_and_language(client, make_user):
    user = make_user("ana@example.org", password=PASSWORD, name="Ana")
    _sign_in(client)
    page = client.get("/account").get_data(as_text=True)
    assert "Your account" in page and 'value="Ana"' in page
    r = client.post("/account", data={"name": "Ana María Ruiz", "locale": "es"})
    assert r.status_code == 302
    db.session.rollback()
    assert (db.session.get(User, user.id).name, db.session.get(User, user.id).locale) == ("Ana María Ruiz", "es")
    assert client.post("/account", data={"name": "", "locale": "es"}).status_code == 400


def test_change_password_needs_the_current_one_and_ends_other_sessions(app, client, make_user):
    user = make_user("ana@example.org", password=PASSWORD)
    _sign_in(client)
    elsewhere = _other_client(app)
    _sign_in(elsewhere)
    wrong = client.post("/account/password", data={"current": "not it at all", "password": NEW, "confirm": NEW})
    assert wrong.status_code == 400 and "Your current password is not right" in wrong.get_data(as_text=True)
    mismatch = client.post("/account/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 400 and "The passwords do not match" in mismatch.get_data(as_text=True)
    ok = client.post("/account/password", data={"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # still signed in here
    assert elsewhere.get("/").status_code == 302  # signed out there
    db.session.rollback()
    assert db.session.get(User, user.id).check_password(NEW)
    client.post("/logout")
    assert _sign_in(client, PASSWORD).status_code == 400 and _sign_in(client, NEW).status_code == 302


def test_guessing_the_current_password_is_limited(client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    _sign_in(client)
    codes = [client.post("/account/password", data={"current": f"guess {i} guess", "password": NEW,
                                                      "confirm": NEW}).status_code for i in range(6)]
    assert codes[:5] == [400] * 5 and codes[5] == 429
