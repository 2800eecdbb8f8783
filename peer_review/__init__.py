"""Safer Cities peer review and evidence workbench: the application factory."""
from __future__ import annotations

import logging
import os

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from . import config as config_module
from .logging_setup import configure_logging
from .static_assets import register_static_versioning

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ConfigurationError(RuntimeError):
    """The app cannot start safely with this configuration."""


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", os.path.join(ROOT, "instance")),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    _load_config(app, test_config)
    configure_logging(app)
    from .proxy import configure_proxy; configure_proxy(app)  # noqa: E702  (X-Forwarded-* only with PROXY_FIX_X_FOR)
    register_input_limits(app)
    os.makedirs(app.instance_path, exist_ok=True)
    register_extensions(app)
    register_templates(app)
    register_static_versioning(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_jobs(app)
    register_commands(app)
    return app


def _load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(config_module.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(config_module.from_environment())
    else:
        app.config.update(config_module.from_environment())
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        if app.debug or app.testing:
            app.config["SECRET_KEY"] = os.urandom(32).hex()  # throwaway: sessions die with the process
        else:
            raise ConfigurationError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable or put SECRET_KEY = '...' "
                f"in {os.path.join(app.instance_path, 'config.py')} (`make demo` generates one)."
            )
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config.get("SQLALCHEMY_DATABASE_URI") or \
        config_module.database_uri(app.config.get("DATABASE_URL"), app.instance_path)
    if app.config.get("FORCE_HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if not app.testing:
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_input_limits(app: Flask) -> None:
    """Malformed input is a 400 or a 404: strict JSON, ``<int:...>`` bounded to the id columns' range, no NUL
    characters. The converter must be in place before any blueprint adds its rules."""
    from .input_limits import BoundedIntConverter, Request, StrictJSONProvider, refuse_nul_in_path

    app.request_class = Request
    app.json = StrictJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul_in_path)


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the whole schema, for Alembic)
    from .extensions import babel, csrf, db, limiter, login_manager, migrate, talisman
    from .i18n import register_template_helpers, select_locale

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy import event
            event.listen(db.engine, "connect", _sqlite_pragmas)
            app.before_request(_sqlite_take_write_lock)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(ROOT, "peer_review", "translations"))
    limiter.init_app(app)
    login_manager.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config.get("FORCE_HTTPS", False),
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy={
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        referrer_policy="same-origin",
    )
    register_template_helpers(app)
    from .auth import loaders  # noqa: F401  (user and token loaders)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Enforce foreign keys, and overwrite deleted content so that redacted text leaves no trace in the file.
    # WAL lets readers go on while one request writes, and a busy timeout makes writers wait their turn
    # instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_take_write_lock() -> None:
    """Requests that change things take SQLite's write lock before they read anything.

    A deferred transaction that reads first and writes later cannot wait for the lock in WAL mode (another
    writer may have moved the snapshot on): SQLite answers "database is locked" at once. Taking the lock up
    front makes concurrent writers queue behind the busy timeout; pages that only read stay concurrent.
    """
    from flask import request

    from .extensions import db
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    connection = db.session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(os.path.join(ROOT, "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from .main.context import inject_layout
    from .pagination import pagination_params
    app.context_processor(inject_layout)
    app.jinja_env.globals["pagination_params"] = pagination_params


def register_blueprints(app: Flask) -> None:
    from .api import bp as api_bp
    from .api import load_endpoints
    from .assessments import views as assessments_views  # noqa: F401
    from .assignments import views as assignments_views  # noqa: F401
    from .assignments.blueprint import bp as assignments_bp
    from .assessments.blueprint import bp as assessments_bp
    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .cities.views import bp as cities_bp
    from .coding import views_codes, views_nlp, views_samples  # noqa: F401  (routes on the coding blueprint)
    from .coding.blueprint import bp as coding_bp
    from .cycles.views import bp as cycles_bp
    from .evidence import views as evidence_views  # noqa: F401
    from .evidence.blueprint import bp as evidence_bp
    from .exchange import views as exchange_views  # noqa: F401
    from .exchange.blueprint import bp as exchange_bp
    from .main.views import bp as main_bp
    from .rubrics import views as rubrics_views  # noqa: F401
    from .reviews import views as reviews_views  # noqa: F401
    from .reviews.blueprint import bp as reviews_bp
    from .rubrics.blueprint import bp as rubrics_bp
    from .users.views import bp as users_bp

    for bp in (main_bp, auth_bp, cities_bp, users_bp, cycles_bp, audit_bp, evidence_bp, coding_bp, exchange_bp,
               assessments_bp):
        app.register_blueprint(bp)
    app.register_blueprint(rubrics_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(reviews_bp)
    from .notifications.views import bp as notifications_bp
    app.register_blueprint(notifications_bp)
    from .indicators import (  # noqa: F401  (routes on the indicators blueprint)
        views as indicator_views, views_charts, views_network, views_numeric, views_peergroups, views_trials)
    from .indicators.blueprint import bp as indicators_bp
    app.register_blueprint(indicators_bp)
    from .reports import views as report_views  # noqa: F401  (routes on the reports blueprint)
    from .reports.blueprint import bp as reports_bp
    app.register_blueprint(reports_bp)
    from .practices import views as practices_views  # noqa: F401  (routes on the practices blueprint)
    from .practices.blueprint import bp as practices_bp
    app.register_blueprint(practices_bp)
    from .opendata import views as opendata_views  # noqa: F401  (routes on the open data blueprint)
    from .opendata.blueprint import bp as opendata_bp
    app.register_blueprint(opendata_bp)
    from .exports import views as exports_views  # noqa: F401  (routes on the exports blueprint)
    from .exports.blueprint import bp as exports_bp
    app.register_blueprint(exports_bp)
    load_endpoints()
    app.register_blueprint(api_bp)


def register_jobs(app: Flask) -> None:
    """Job handlers, and the single-process default worker: a thread started with the first request."""
    from .coding import suggestions  # noqa: F401  (registers the NLP job handlers)
    from .evidence import attachments  # noqa: F401  (registers the attachment text job)
    from .reports import jobs as report_jobs  # noqa: F401  (registers the report rendering job)
    from .jobs.worker import start_thread_worker

    if app.testing or app.config.get("JOBS_BACKEND", "thread") != "thread":
        return
    state = {"started": False}

    @app.before_request
    def _start_worker():
        if not state["started"]:
            state["started"] = True
            start_thread_worker(app)
            if app.config.get("NLP_PREVIEW", True):  # code suggestions start in the request: load NLP now
                from .coding.nlp_adapter import warm_up_for_network
                warm_up_for_network(app)


def register_errorhandlers(app: Flask) -> None:
    from .main.errors import register
    register(app)


def register_commands(app: Flask) -> None:
    from .demo.commands import demo_data
    from .jobs.commands import jobs_cli
    from .rubrics.commands import rubrics_cli
    from .users.commands import users_cli

    app.cli.add_command(rubrics_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_data)
    from .notifications.commands import reminders_cli
    app.cli.add_command(reminders_cli)
    from .backup.commands import export_all_command, import_all_command
    app.cli.add_command(export_all_command)
    app.cli.add_command(import_all_command)
    from .indicators.commands import indicators_cli
    app.cli.add_command(indicators_cli)
