"""Sign-in, sign-out, remember-me, password reset by emailed token, invitations, rate limits, CSRF."""
from __future__ import annotations

import re

from peer_review.extensions import db
from peer_review.mail.models import OutboxMessage

PASSWORD = "correct horse battery"


def _link_from_outbox(recipient: str) -> str:
    msg = db.session.execute(db.select(OutboxMessage).filter_by(recipient=recipient)
                             .order_by(OutboxMessage.id.desc())).scalars().first()
    assert msg is not None, "no mail in the outbox"
    return re.search(r"http://localhost(/\S+)", msg.body).group(1)


def test_login_logout_and_cookie_flags(client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    r = client.post("/login", data={"email": "ANA@example.org ", "password": PASSWORD, "remember": "y"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    cookies = r.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_and_inactive_user_get_the_same_message(client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    make_user("gone@example.org", password=PASSWORD, active=False)
    for email, pw in (("ana@example.org", "wrong password"), ("gone@example.org", PASSWORD),
                      ("nobody@example.org", PASSWORD)):
        r = client.post("/login", data={"email": email, "password": pw})
        assert r.status_code == 400
        assert b"The email address or password is not right" in r.data
        assert b"govuk-error-summary" in r.data


def test_login_redirect_is_never_open(client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    r = client.post("/login?next=https://evil.example/x", data={"email": "ana@example.org", "password": PASSWORD})
    assert r.headers["Location"] == "/"
    client.post("/logout")
    r = client.post("/login?next=/cities/", data={"email": "ana@example.org", "password": PASSWORD})
    assert r.headers["Location"] == "/cities/"


def test_login_rate_limited_per_account_with_a_clear_message(client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    for _ in range(5):
        assert client.post("/login", data={"email": "ana@example.org", "password": "nope"}).status_code == 400
    r = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
    assert r.status_code == 429
    assert b"Too many attempts" in r.data
    # Another account from the same address is not locked by this one.
    make_user("ben@example.org", password=PASSWORD)
    assert client.post("/login", data={"email": "ben@example.org", "password": PASSWORD}).status_code == 302


def test_login_rate_limited_per_address(client, app):
    """A guessing run that sprays many accounts from one address stops."""
    limit = int(app.config["LOGIN_LIMIT_PER_ADDRESS"].split()[0])
    for i in range(limit):
        assert client.post("/login", data={"email": f"n{i}@example.org", "password": "x"}).status_code == 400
    r = client.post("/login", data={"email": "fresh@example.org", "password": "x"})
    assert r.status_code == 429


def test_successful_sign_ins_do_not_count_and_a_success_clears_failures(client, make_user):
    make_user("ana@example.org", password=PASSWORD)
    for _ in range(8):  # more than the account limit of 5, all successful
        assert client.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 302
        client.post("/logout")
    for _ in range(3):
        for _ in range(4):
            assert client.post("/login", data={"email": "ana@example.org", "password": "typo"}).status_code == 400
        assert client.post("/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_a_workshop_of_forty_behind_one_address_signs_in(client, make_user):
    people = [make_user(f"p{i}@city.example") for i in range(40)]
    people[0].set_password(PASSWORD)
    for person in people[1:]:  # one hash for all: hashing forty times would only slow the test
        person.password_hash = people[0].password_hash
    db.session.commit()
    for i, person in enumerate(people):
        if i % 3 == 0:  # one in three mistypes once, one in six twice
            for _ in range(1 + (i % 6 == 0)):
                assert client.post("/login", data={"email": person.email, "password": "typo"}).status_code == 400
        r = client.post("/login", data={"email": person.email, "password": PASSWORD})
        assert r.status_code == 302, f"person {i} locked out"
        client.post("/logout")


def test_csrf_is_required_on_forms(app, client, make_user, login):
    user = make_user("ana@example.org", password=PASSWORD)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = client.post("/login", data={"email": "ana@example.org", "password": PASSWORD})
        assert r.status_code == 400 and b"form has expired" in r.data
        login(client, user)
        assert client.post("/logout").status_code == 400
        page = client.get("/login")  # a real form carries the token and works
        client.post("/logout")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert page.status_code in (200, 302)


def test_csrf_token_from_the_page_is_accepted(app, make_user):
    make_user("ana@example.org", password=PASSWORD)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        c = app.test_client()
        html = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token" value="([^"]+)"', html)
        r = c.post("/login", data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": token.group(1)})
        assert r.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_password_reset_by_emailed_token(client, make_user):
    user = make_user("ana@example.org", password=PASSWORD)
    r = client.post("/password/reset", data={"email": "ana@example.org"})
    assert r.status_code == 200 and b"Check your email" in r.data
    # Unknown addresses get the same answer and no mail.
    r = client.post("/password/reset", data={"email": "nobody@example.org"})
    assert b"Check your email" in r.data
    assert db.session.execute(db.select(OutboxMessage).filter_by(recipient="nobody@example.org")).first() is None
    link = _link_from_outbox("ana@example.org")
    r = client.post(link, data={"password": "short", "confirm": "short"})
    assert r.status_code == 400 and b"between 10 and 200 characters" in r.data
    r = client.post(link, data={"password": "a brand new password", "confirm": "a brand new password"})
    assert r.status_code == 302
    db.session.refresh(user)
    assert user.check_password("a brand new password")
    # The link is single-use.
    assert client.get(link).status_code == 404


def test_invitation_flow(client, make_user, login):
    sec = make_user("sec@example.org", roles=["secretariat"])
    login(client, sec)
    invite = {"email": "new@example.org", "name": "New Person", "locale": "es", "roles": ["facilitator"],
              "city": "", "city_role": "member"}
    r = client.post("/users/invite", data=invite)
    assert r.status_code == 400 and b"Only an administrator" in r.data  # facilitators read restricted items
    r = client.post("/users/invite", data=dict(invite, roles=["secretariat"]))
    assert r.status_code == 302, r.data
    client.post("/logout")
    link = _link_from_outbox("new@example.org")
    assert link.startswith("/invitation/")
    r = client.post(link, data={"password": "my first password", "confirm": "my first password"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200  # signed in straight away
    assert client.get(link).status_code == 404  # and the invitation is spent


def test_sessions_end_when_the_password_changes(app, client, make_user, login):
    user = make_user("ana@example.org", password=PASSWORD)
    login(client, user)
    assert client.get("/").status_code == 200
    user.set_password("another long password")
    db.session.commit()
    assert client.get("/").status_code == 302
