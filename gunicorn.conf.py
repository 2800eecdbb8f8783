"""gunicorn settings for production mode (scripts/serve-production.sh); every value can come from the environment.

Several worker processes behind 127.0.0.1 (a reverse proxy in front terminates TLS), each with a few threads so
that a request waiting on PostgreSQL does not hold a whole process. The app logs every request itself (one JSON
line each with LOG_FORMAT=json), so gunicorn's access log is off and its own messages are JSON lines too.
"""
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then so that slow leaks (NLP models, caches) cannot grow for ever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "wsgi:app"
chdir = os.path.dirname(os.path.abspath(__file__))
proc_name = "safer-cities"
# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl): two instances would fight
# over it. Nothing here uses it.
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

if os.environ.get("LOG_FORMAT", "").lower() == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "peer_review.logging_setup.JsonFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["stdout"], "level": loglevel.upper()},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
