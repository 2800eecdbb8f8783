"""Configuration: defaults here, then ``instance/config.py``, then the environment.

No secret lives in this file. Outside debug and testing the app refuses to start without ``SECRET_KEY``.
"""
from __future__ import annotations

import os

ENV_KEYS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_DEFAULT_SENDER",
    "RATELIMIT_STORAGE_URI",
    "PREFERRED_URL_SCHEME",
    "FORCE_HTTPS",
    "UPLOAD_MAX_BYTES",
    "TEXT_EXTRACTION_TIMEOUT",
    "TEXT_EXTRACTION_MAX_PAGES",
    "JOBS_BACKEND",
    "REDIS_URL",
    "JOBS_TIMEOUT",
    "JOBS_RQ_GRACE_SECONDS",
    "JOBS_RQ_HEARTBEAT_SECONDS",
    "JOBS_RQ_MAINTENANCE_SECONDS",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "STATIC_MAX_AGE",
    "PROXY_FIX_X_FOR",
)
INT_KEYS = ("MAIL_PORT", "UPLOAD_MAX_BYTES", "TEXT_EXTRACTION_MAX_PAGES", "JOBS_TIMEOUT", "STATIC_MAX_AGE",
            "JOBS_RQ_GRACE_SECONDS", "JOBS_RQ_HEARTBEAT_SECONDS", "JOBS_RQ_MAINTENANCE_SECONDS", "PROXY_FIX_X_FOR")


class Defaults:
    SECRET_KEY = None
    DATABASE_URL = None  # None means SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Sessions: HttpOnly and SameSite always; Secure when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 14
    FORCE_HTTPS = False

    WTF_CSRF_TIME_LIMIT = 60 * 60 * 8

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = {"en": "English", "es": "Español", "fr": "Français"}

    # Rate limits: sign-in attempts per account and per address.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Counts in Redis (production): a Redis outage must not break sign-in; Flask-Limiter then counts in memory
    # (per process) until Redis answers again. No effect with memory://, which cannot be down.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Failed sign-ins only (a success clears the account's count).
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "100 per 15 minutes"
    RESET_LIMIT = "5 per hour"

    # Mail goes to the outbox table and the log unless MAIL_SERVER is set.
    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = True
    MAIL_DEFAULT_SENDER = "Safer Cities workbench <no-reply@localhost>"

    PASSWORD_RESET_MAX_AGE = 60 * 60 * 2
    INVITATION_MAX_AGE = 60 * 60 * 24 * 14

    PAGE_SIZE = 25
    API_MAX_PAGE_SIZE = 100
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    # Reading an attachment's text runs in a background job, in a child process killed after this many seconds;
    # at most this many pages of a PDF are read (the text is also cut at the item text limit, 100,000 characters).
    TEXT_EXTRACTION_TIMEOUT = 30
    TEXT_EXTRACTION_MAX_PAGES = 300

    # Background jobs: "thread" runs them in the web process (no extra server); "worker" leaves them to
    # `flask --app wsgi jobs work`; "rq" sends them to RQ workers on Redis (REDIS_URL) for several workers.
    JOBS_BACKEND = "thread"
    # A report expected to take longer than this many seconds to render is rendered by a background job, with
    # progress on the page; shorter ones render within the request.
    REPORT_INLINE_SECONDS = 3.0
    REDIS_URL = "redis://localhost:6379/0"
    JOBS_TIMEOUT = 3600  # RQ kills a job's work horse after this many seconds (the row is then settled)
    JOBS_STALE_MINUTES = 60  # thread/worker backends: a row running this long at start-up was left by a dead process
    JOBS_RQ_GRACE_SECONDS = 60  # RQ: a row must be this old before a recovery sweep looks at it
    JOBS_RQ_HEARTBEAT_SECONDS = 120  # RQ: a worker silent this long is dead (a busy worker beats every 30 s)
    JOBS_RQ_MAINTENANCE_SECONDS = 60  # RQ: how often an idle worker sweeps for jobs a dead worker left

    # Logs: "plain" lines, or "json" (one object per line on stdout; scripts/serve-production.sh sets it).
    LOG_FORMAT = "plain"
    LOG_LEVEL = "INFO"

    # Static files requested with their content hash (?v=, added by url_for) are cached this long (one year).
    STATIC_MAX_AGE = 365 * 24 * 3600

    # Behind a reverse proxy: how many proxies set X-Forwarded-For (and -Proto, -Host, -Port); 0 ignores them
    # (peer_review/proxy.py).
    PROXY_FIX_X_FOR = 0


def from_environment() -> dict:
    """Settings the environment overrides; values keep their string form except a few typed ones."""
    out: dict = {}
    for key in ENV_KEYS:
        if key in os.environ:
            value: object = os.environ[key]
            if key in INT_KEYS:
                value = int(value)  # type: ignore[arg-type]
            elif key == "TEXT_EXTRACTION_TIMEOUT":
                value = float(value)  # type: ignore[arg-type]
            elif key in ("MAIL_USE_TLS", "FORCE_HTTPS"):
                value = str(value).lower() in ("1", "true", "yes", "on")
            out[key] = value
    # Production (JOBS_BACKEND=rq): Flask-Limiter counts live in the same Redis, so that every gunicorn worker
    # sees the same sign-in attempts, unless RATELIMIT_STORAGE_URI says otherwise.
    if out.get("JOBS_BACKEND") == "rq" and "RATELIMIT_STORAGE_URI" not in out:
        out["RATELIMIT_STORAGE_URI"] = out.get("REDIS_URL") or Defaults.REDIS_URL
    return out


def database_uri(database_url: str | None, instance_path: str) -> str:
    """Translate DATABASE_URL into an SQLAlchemy URI; SQLite under instance/ when unset."""
    if not database_url:
        return "sqlite:///" + os.path.join(instance_path, "safer_cities.db")
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return database_url
