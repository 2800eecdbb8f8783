"""Shared fixtures: an app on a throwaway database (SQLite, or PostgreSQL when TEST_DATABASE_URL says so),
fresh tables for every test, and small factories that return real rows."""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def in_ci() -> bool:
    """CI sets ``CI`` (``.ci/run`` exports it): there ``../shared`` is always present."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def refiqda_schema(name: str) -> Path:
    """A REFI-QDA schema from ``../shared/refi-qda``. Where ``CI`` is set a missing schema fails the test (CI always
    has ``../shared``, so its absence is a broken set-up, not a reason to validate nothing); elsewhere, a checkout
    without ``../shared``, the test is skipped and says why."""
    path = SHARED / "refi-qda" / name
    if not path.is_file():
        where = f"REFI-QDA schema {name} not found at {path.parent}"
        if in_ci():
            pytest.fail(f"{where}: CI is set, and CI always has ../shared", pytrace=False)
        pytest.skip(f"{where}: ../shared is absent (it is beside the checkout in CI, where this test runs)")
    return path


def _database_uri(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from peer_review.config import database_uri
        return database_uri(url, "")
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def make_app(uri: str, instance: Path, **overrides):
    from peer_review import create_app
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-only-secret",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    os.environ["INSTANCE_PATH"] = str(instance)
    return create_app(config)


@pytest.fixture(scope="session")
def _session_app(tmp_path_factory):
    warnings.simplefilter("error", DeprecationWarning)  # surface our own deprecated calls early
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(?!peer_review)")
    instance = tmp_path_factory.mktemp("instance")
    app = make_app(_database_uri(tmp_path_factory), instance)
    from peer_review.extensions import db
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()  # unlinks self-references first, which DROP TABLE's implicit delete would refuse
        db.drop_all()


def _empty_tables():
    from peer_review.extensions import db
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            # Rows that point at rows of their own table (a rubric extension at its core) are unlinked first.
            own = [fk.parent for fk in table.foreign_keys if fk.column.table is table and fk.parent.nullable]
            if own:
                conn.execute(table.update().values({c.name: None for c in own}))
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(_session_app):
    from peer_review.extensions import limiter
    saved = dict(_session_app.config)  # a test (or a walk's world) may change settings: never for the next one
    with _session_app.app_context():
        _empty_tables()
        limiter.reset()
        yield _session_app
        from peer_review.extensions import db
        db.session.remove()
    _session_app.config.clear()
    _session_app.config.update(saved)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production: its own database session and its own
    ``g`` (Flask-Login caches the user there), instead of sharing the test's."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def own_upload_files(app):
    """Remove the attachment files a test stores (the instance folder is shared by the whole session)."""
    from peer_review.evidence.attachments import upload_folder
    folder = upload_folder()
    before = set(os.listdir(folder))
    yield
    for name in set(os.listdir(folder)) - before:
        os.remove(os.path.join(folder, name))


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_city(app):
    from peer_review.cities.models import City
    from peer_review.extensions import db
    counter = {"n": 0}

    def factory(name: str | None = None, **kw) -> City:
        counter["n"] += 1
        name = name or f"Testville {counter['n']}"
        slug = kw.pop("slug", None) or name.lower().replace(" ", "-")
        city = City(name=name, slug=slug, country=kw.pop("country", "Nowhere"), region=kw.pop("region", "europe"),
                    population_band=kw.pop("population_band", "100k_500k"), languages=kw.pop("languages", "en"),
                    timezone=kw.pop("timezone", "UTC"), **kw)
        db.session.add(city)
        db.session.commit()
        return city
    return factory


@pytest.fixture
def make_user(app):
    from peer_review.extensions import db
    from peer_review.users.models import Membership, NetworkRole, User
    counter = {"n": 0}

    def factory(email: str | None = None, *, roles=(), city=None, city_role="member", password=None,
                name=None, active=True) -> User:
        counter["n"] += 1
        email = email or f"person{counter['n']}@example.org"
        user = User(email=email, name=name or f"Person {counter['n']}", active=active)
        if password:
            user.set_password(password)
        user.network_roles = [NetworkRole(role=r) for r in roles]
        if city is not None:
            user.memberships = [Membership(city=city, role=city_role)]
        db.session.add(user)
        db.session.commit()
        return user
    return factory


def login_as(client, user) -> None:
    """Sign in by session (fast); the real sign-in form is tested in test_auth.py."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


@pytest.fixture
def login():
    return login_as


@pytest.fixture
def api_token(app):
    from peer_review.extensions import db
    from peer_review.users.operations import create_token

    def factory(user) -> dict:
        _t, raw = create_token(user, "tests")
        db.session.commit()
        return {"Authorization": f"Bearer {raw}"}
    return factory
