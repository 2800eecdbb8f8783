"""Configuration, security headers, the CLI, the demo data and migrations."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from peer_review.extensions import db
from peer_review.users.models import User

ROOT = Path(__file__).resolve().parents[2]


def test_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    from peer_review import ConfigurationError, create_app
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        create_app()


def test_config_order_defaults_instance_then_environment(tmp_path, monkeypatch):
    from peer_review import create_app
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-instance'\nPAGE_SIZE = 7\nMAIL_PORT = 1\n")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-instance" and app.config["PAGE_SIZE"] == 7
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/safer_cities.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_security_headers(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Frame-Options"] == "SAMEORIGIN" and r.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_scripts_or_styles_and_no_cdn_in_templates():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        # A data block (type="application/json") is never executed: allowed; anything else needs a src.
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", text), \
            f"inline script in {path}"
        assert " style=" not in text and "<style" not in text, f"inline style in {path}"
        assert not re.search(r"(src|href)=\"https?://", text), f"external asset in {path}"


def test_pages_have_landmarks_skip_link_and_labels(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="#main-content"' in html and 'id="main-content"' in html
    assert "<header" in html and "<main" in html and "<footer" in html
    for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        assert f'for="{input_id}"' in html, f"no label for #{input_id}"


def test_static_assets_are_served_locally(client):
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/vendor/govuk-frontend/govuk-frontend.min.js").status_code == 200
    assert client.get("/static/vendor/htmx.min.js").status_code == 200
    css = client.get("/static/css/app.css").get_data(as_text=True)
    assert "GDS Transport" not in css


def test_cli_users_create_and_token(runner, make_city):
    make_city("Alpha", slug="alpha")
    r = runner.invoke(args=["users", "create", "ana@example.org", "--name", "Ana", "--role", "coordinator",
                            "--city", "alpha", "--password-stdin"], input="a long enough password\n")
    assert r.exit_code == 0, r.output
    user = db.session.execute(db.select(User).filter_by(email="ana@example.org")).scalar_one()
    assert user.check_password("a long enough password") and user.memberships[0].role == "coordinator"
    r = runner.invoke(args=["users", "create", "ana@example.org", "--name", "Ana"])
    assert r.exit_code != 0 and "already has an account" in r.output
    r = runner.invoke(args=["users", "create", "b@example.org", "--name", "B", "--role", "member"])
    assert r.exit_code != 0 and "--city" in r.output
    r = runner.invoke(args=["users", "create", "c@example.org", "--name", "C", "--role", "facilitator"])
    assert r.exit_code == 0
    r = runner.invoke(args=["users", "token", "ana@example.org"])
    assert r.exit_code == 0 and r.output.strip().startswith("scw_")
    assert runner.invoke(args=["users", "token", "nobody@example.org"]).exit_code != 0


@pytest.mark.slow  # builds the whole demo network: runs with the slow part of make test
def test_demo_data_is_idempotent_and_prints_logins(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.safercities.example" in first.output and "fictional" in first.output
    count = db.session.execute(db.select(db.func.count(User.id))).scalar()
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "nothing new" in second.output
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == count


@pytest.mark.slow  # builds the whole demo network: runs with the slow part of make test
def test_each_demo_login_reaches_its_home_page(app, runner):
    from peer_review.demo.cities import DEMO_PASSWORD, SHOWCASE
    runner.invoke(args=["demo-data"])
    for _role, email in SHOWCASE:
        c = app.test_client()
        r = c.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert r.status_code == 302, email
        assert c.get("/").status_code == 200


def test_migrations_build_the_same_schema_as_the_models(tmp_path, monkeypatch):
    """`flask db upgrade` on an empty database gives exactly the models' schema (no missing migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade
    from tests.conftest import make_app
    import os
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        pytest.skip("checked on SQLite; the PostgreSQL run shares its database with the session")
    app = make_app("sqlite:///" + str(tmp_path / "migrated.db"), tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            # SQLite cannot reflect expression indexes; the ones we have are checked by name below.
            warnings.filterwarnings("ignore", message=".*expression-based index uq_codings_identity")
            warnings.filterwarnings("ignore", message=".*expression-based index uq_reports_subject")
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            indexes = {row[0] for row in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('codings', 'reports')")}
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"uq_codings_identity", "uq_reports_subject"} <= indexes
