"""Production mode without production servers: RQ on fakeredis, /healthz, JSON logs, static caching, settings,
and the start script's refusals. The real thing (gunicorn, PostgreSQL, Redis) is scripts/production-checks.sh."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
from pathlib import Path

import fakeredis
import pytest

from peer_review.extensions import db
from peer_review.jobs import worker as jobs
from peer_review.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from peer_review.utils import utcnow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_redis():
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


@pytest.fixture
def rq_mode(app, fake_redis, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "rq")
    monkeypatch.setitem(app.extensions, "redis", fake_redis)
    return fake_redis


def _progress_handler(job, report):
    """A job that reports progress the way the NLP jobs do."""
    steps = []
    for percent in (10, 50, 90):
        report(percent, f"step {percent}")
        row = db.session.execute(db.select(Job.progress, Job.message).where(Job.id == job.id)).one()
        steps.append([row.progress, row.message])
    return {"steps": steps, "params": job.params}


@pytest.fixture
def progress_kind(monkeypatch):
    monkeypatch.setitem(jobs.HANDLERS, "test-progress", _progress_handler)
    return "test-progress"


def _burst(connection):
    _job_worker, simple = jobs._worker_classes()
    worker = simple([jobs.RQ_QUEUE], connection=connection)
    worker.work(burst=True, with_scheduler=False)
    return worker


def _row(job_id):
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _queued_ids(connection):
    from rq import Queue
    return Queue(jobs.RQ_QUEUE, connection=connection).job_ids


# --- jobs through RQ -------------------------------------------------------------------------------------------

def test_rq_job_runs_and_reports_progress_like_the_thread_worker(app, rq_mode, progress_kind, monkeypatch):
    job = jobs.enqueue(progress_kind, params={"n": 1})
    db.session.commit()
    assert _queued_ids(rq_mode) == [jobs.rq_job_id(job.id, 0)]
    assert _row(job.id).state == QUEUED
    _burst(rq_mode)
    via_rq = _row(job.id)
    assert via_rq.state == DONE and via_rq.progress == 100 and via_rq.attempts == 1
    assert via_rq.started_at and via_rq.finished_at

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    other = jobs.enqueue(progress_kind, params={"n": 1})
    db.session.commit()
    assert jobs.run_pending() == 1
    via_thread = _row(other.id)
    # The Job row is the only source of progress: the same steps, the same end state, whatever ran it.
    assert via_rq.result == via_thread.result
    assert via_rq.result["steps"] == [[10, "step 10"], [50, "step 50"], [90, "step 90"]]
    assert (via_rq.state, via_rq.progress, via_rq.message) == (via_thread.state, via_thread.progress,
                                                               via_thread.message)


def test_a_failing_job_fails_with_its_message_under_rq(app, rq_mode, monkeypatch):
    def explode(job, report):
        report(30, "working")
        raise ValueError("the model file is missing")
    monkeypatch.setitem(jobs.HANDLERS, "explode", explode)
    job = jobs.enqueue("explode")
    _burst(rq_mode)
    row = _row(job.id)
    assert row.state == FAILED and row.message == "the model file is missing" and row.progress == 30


def test_a_job_is_claimed_once_even_if_sent_twice(app, rq_mode, progress_kind):
    job = jobs.enqueue(progress_kind)
    jobs._send_to_rq(job.id, 0)  # a duplicate message (two recovery sweeps at once)
    jobs.run_job_by_id(job.id)
    jobs.run_job_by_id(job.id)
    assert _row(job.id).attempts == 1 and _row(job.id).state == DONE


def test_redis_down_at_enqueue_keeps_the_row_queued_and_a_sweep_sends_it(app, rq_mode, progress_kind, monkeypatch):
    broken = fakeredis.FakeServer()
    broken.connected = False
    monkeypatch.setitem(app.extensions, "redis", fakeredis.FakeRedis(server=broken))
    job = jobs.enqueue(progress_kind)  # does not raise: the request that asked for it still succeeds
    assert _row(job.id).state == QUEUED
    monkeypatch.setitem(app.extensions, "redis", rq_mode)
    _row(job.id).created_at = utcnow() - dt.timedelta(minutes=5)
    db.session.commit()
    assert jobs.recover_stale() == 1
    _burst(rq_mode)
    assert _row(job.id).state == DONE


def _dead_running_job(kind, attempts, minutes_ago=10):
    job = Job(kind=kind, params={}, state=RUNNING, attempts=attempts, progress=40, message="half way",
              started_at=utcnow() - dt.timedelta(minutes=minutes_ago), created_at=utcnow() - dt.timedelta(hours=1))
    db.session.add(job)
    db.session.commit()
    return job.id


def test_a_job_whose_worker_died_is_requeued_once_then_runs(app, rq_mode, progress_kind):
    job_id = _dead_running_job(progress_kind, attempts=1)
    assert jobs.recover_stale() == 1
    row = _row(job_id)
    assert row.state == QUEUED and row.progress == 0
    assert _queued_ids(rq_mode) == [jobs.rq_job_id(job_id, 1)]
    _burst(rq_mode)
    row = _row(job_id)
    assert row.state == DONE and row.attempts == 2


def test_a_job_that_already_had_its_retry_fails_with_a_message(app, rq_mode, progress_kind):
    job_id = _dead_running_job(progress_kind, attempts=2)
    assert jobs.recover_stale() == 1
    row = _row(job_id)
    assert row.state == FAILED and row.finished_at is not None
    assert row.message == "The worker stopped while running this job."
    assert _queued_ids(rq_mode) == []


def test_a_job_held_by_a_live_worker_is_left_alone(app, rq_mode, progress_kind):
    from rq import Queue
    from rq.job import JobStatus
    from rq.worker import Worker
    job_id = _dead_running_job(progress_kind, attempts=1)
    queue = Queue(jobs.RQ_QUEUE, connection=rq_mode)
    rq_job = queue.enqueue(jobs.run_job_by_id, job_id, job_id=jobs.rq_job_id(job_id, 0))
    queue.remove(rq_job)
    live = Worker([queue], connection=rq_mode)
    live.register_birth()
    live.heartbeat()
    rq_job.worker_name = live.name
    rq_job.set_status(JobStatus.STARTED)
    rq_job.save()
    assert jobs.recover_stale() == 0
    assert _row(job_id).state == RUNNING

    # The same worker, silent for longer than the heartbeat limit, is dead.
    rq_mode.hset(live.key, "last_heartbeat", "2020-01-01T00:00:00.000000Z")
    assert jobs.recover_stale() == 1
    assert _row(job_id).state == QUEUED


def test_a_young_running_job_is_not_touched(app, rq_mode, progress_kind):
    job_id = _dead_running_job(progress_kind, attempts=1, minutes_ago=0)
    assert jobs.recover_stale() == 0
    assert _row(job_id).state == RUNNING


def test_rq_failure_handling_settles_the_row(app, rq_mode, progress_kind):
    """A work horse killed mid-job (RQ calls handle_job_failure) or abandoned (the on_failure callback)."""
    from rq import Queue
    job_id = _dead_running_job(progress_kind, attempts=1, minutes_ago=0)
    queue = Queue(jobs.RQ_QUEUE, connection=rq_mode)
    rq_job = queue.enqueue(jobs.run_job_by_id, job_id, job_id=jobs.rq_job_id(job_id, 0))
    queue.remove(rq_job)
    job_worker, _simple = jobs._worker_classes()
    job_worker([queue], connection=rq_mode).handle_job_failure(
        rq_job, queue, exc_string="Work-horse terminated unexpectedly; waitpid returned 9 (signal 9)")
    assert _row(job_id).state == QUEUED
    _burst(rq_mode)
    assert _row(job_id).state == DONE

    second = _dead_running_job(progress_kind, attempts=2, minutes_ago=0)
    rq_job2 = queue.enqueue(jobs.run_job_by_id, second, job_id=jobs.rq_job_id(second, 1))
    queue.remove(rq_job2)
    jobs.rq_job_failed(rq_job2, rq_mode, RuntimeError, RuntimeError("abandoned"), None)
    row = _row(second)
    assert row.state == FAILED and row.message == "The worker stopped while running this job."


def test_thread_backend_recovery_keeps_its_age_limit(app, progress_kind):
    young = _dead_running_job(progress_kind, attempts=1, minutes_ago=5)
    old = _dead_running_job(progress_kind, attempts=1, minutes_ago=90)
    assert jobs.recover_stale() == 1
    assert _row(young).state == RUNNING and _row(old).state == QUEUED


def test_rq_worker_command_refuses_without_rq_backend(app):
    result = app.test_cli_runner().invoke(args=["jobs", "rq-worker", "--burst"])
    assert result.exit_code != 0 and "JOBS_BACKEND" in result.output


# --- /healthz ------------------------------------------------------------------------------------------------

def test_healthz_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not used"}
    assert client.get("/health").get_json() == {"status": "ok"}


def test_healthz_with_redis(client, rq_mode):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(client, app, rq_mode, monkeypatch):
    broken = fakeredis.FakeServer()
    broken.connected = False
    monkeypatch.setitem(app.extensions, "redis", fakeredis.FakeRedis(server=broken))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok" and body["redis"].startswith("down: ") and body["status"] == "down"


def test_healthz_names_the_database_when_it_is_down(client, monkeypatch):
    from sqlalchemy.exc import OperationalError
    real = db.session.execute

    def execute(statement, *args, **kwargs):
        if "SELECT 1" in str(statement):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return real(statement, *args, **kwargs)
    monkeypatch.setattr(db.session, "execute", execute)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"].startswith("down: OperationalError") and "connection refused" in body["database"]
    assert body["redis"] == "not used"


# --- settings ------------------------------------------------------------------------------------------------

def test_rq_mode_shares_rate_limits_through_redis(monkeypatch):
    from peer_review.config import from_environment
    monkeypatch.setenv("JOBS_BACKEND", "rq")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6390/0")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment()["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6390/0"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://elsewhere:6379/3")
    assert from_environment()["RATELIMIT_STORAGE_URI"] == "redis://elsewhere:6379/3"
    monkeypatch.setenv("JOBS_BACKEND", "thread")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    assert "RATELIMIT_STORAGE_URI" not in from_environment()


def test_production_settings_come_from_the_environment(monkeypatch):
    from peer_review.config import from_environment
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("STATIC_MAX_AGE", "600")
    monkeypatch.setenv("JOBS_TIMEOUT", "120")
    env = from_environment()
    assert (env["LOG_FORMAT"], env["STATIC_MAX_AGE"], env["JOBS_TIMEOUT"]) == ("json", 600, 120)


# --- structured logs -----------------------------------------------------------------------------------------

def test_json_formatter_writes_one_object_per_line():
    from peer_review.logging_setup import JsonFormatter
    record = logging.LogRecord("peer_review.x", logging.WARNING, __file__, 1, "saved %s\nrows", (3,), None)
    record.request_id = "abc"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["message"] == "saved 3\nrows" and entry["request_id"] == "abc"
    assert entry["logger"] == "peer_review.x" and entry["time"].endswith("+00:00")


def test_json_mode_logs_every_request(tmp_path, caplog, monkeypatch):
    from tests.conftest import make_app
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))  # make_app sets it; put it back afterwards
    from peer_review.logging_setup import JsonFormatter
    app = make_app("sqlite:///" + str(tmp_path / "log.db"), tmp_path, LOG_FORMAT="json")
    with app.app_context():
        db.create_all()
        from peer_review.users.models import User
        user = User(email="log@example.org", name="Log", active=True)
        db.session.add(user)
        db.session.commit()
        user_id, session_id = user.id, user.get_id()
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="peer_review.access"):
        client.get("/healthz", headers={"X-Request-ID": "req-123"})
        with client.session_transaction() as sess:
            sess["_user_id"] = session_id
            sess["_fresh"] = True
        response = client.get("/")
    records = [r for r in caplog.records if r.name == "peer_review.access"]
    assert len(records) == 2
    first, second = (json.loads(JsonFormatter().format(r)) for r in records)
    assert (first["method"], first["path"], first["status"], first["request_id"]) == ("GET", "/healthz", 200,
                                                                                      "req-123")
    assert isinstance(first["duration_ms"], float) and first["user_id"] is None
    assert second["user_id"] == user_id and second["status"] == response.status_code
    assert response.headers["X-Request-ID"] == second["request_id"]
    with app.app_context():
        db.drop_all()


def test_plain_mode_logs_no_access_records(client, caplog):
    with caplog.at_level(logging.INFO, logger="peer_review.access"):
        response = client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "peer_review.access"]
    assert response.headers.get("X-Request-ID")


# --- static files ---------------------------------------------------------------------------------------------

def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(app, client):
    import hashlib
    with app.test_request_context():
        from flask import url_for
        url = url_for("static", filename="css/app.css")
    digest = hashlib.sha256((ROOT / "static" / "css" / "app.css").read_bytes()).hexdigest()[:10]
    assert url == f"/static/css/app.css?v={digest}"
    page = client.get("/auth/login").get_data(as_text=True)
    assert f'/static/css/app.css?v={digest}"' in page

    response = client.get(url)
    assert response.status_code == 200
    cache = response.cache_control
    assert cache.max_age == 365 * 24 * 3600 and cache.public and cache.immutable and not cache.no_cache

    for other in ("/static/css/app.css", "/static/css/app.css?v=0000000000"):  # no hash or an old one
        response = client.get(other)
        assert response.status_code == 200
        assert not response.cache_control.immutable and (response.cache_control.max_age or 0) < 3600


def test_a_changed_file_gets_a_new_url(app, tmp_path, monkeypatch):
    static = tmp_path / "static"
    static.mkdir()
    (static / "x.js").write_text("one")
    monkeypatch.setattr(app, "static_folder", str(static))
    with app.test_request_context():
        from flask import url_for
        first = url_for("static", filename="x.js")
        (static / "x.js").write_text("two!")
        os.utime(static / "x.js", ns=(1, 1))
        second = url_for("static", filename="x.js")
        missing = url_for("static", filename="nope.js")
    assert first != second and first.startswith("/static/x.js?v=") and missing == "/static/nope.js"


# --- the start script's refusals (no server is started) ------------------------------------------------------

@pytest.mark.parametrize("missing, message", [
    ("SECRET_KEY", "SECRET_KEY is not set"),
    ("DATABASE_URL", "DATABASE_URL is not set"),
    ("REDIS_URL", "REDIS_URL is not set"),
])
def test_serve_production_refuses_without_required_settings(tmp_path, missing, message):
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 64, "DATABASE_URL": "postgresql://u@127.0.0.1:1/db",
           "REDIS_URL": "redis://127.0.0.1:1/0", "RUN_DIR": str(tmp_path / "run")}
    del env[missing]
    result = subprocess.run([str(ROOT / "scripts" / "serve-production.sh")], env=env, check=False, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1 and message in result.stderr
    assert not (tmp_path / "run" / "pids").exists()


def test_serve_production_refuses_sqlite(tmp_path):
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "x" * 64, "DATABASE_URL": "sqlite:///x.db",
           "REDIS_URL": "redis://127.0.0.1:1/0", "RUN_DIR": str(tmp_path / "run")}
    result = subprocess.run([str(ROOT / "scripts" / "serve-production.sh")], env=env, check=False, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1 and "PostgreSQL" in result.stderr


def test_serve_production_stop_without_pids_file(tmp_path):
    env = {"PATH": os.environ["PATH"], "RUN_DIR": str(tmp_path / "run")}
    result = subprocess.run([str(ROOT / "scripts" / "serve-production.sh"), "--stop"], env=env,
                            check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "Nothing to stop" in result.stdout


# --- behind a reverse proxy, and a Redis outage ------------------------------------------------------------------

@pytest.fixture
def own_app(tmp_path, monkeypatch):
    """A separate app (its own settings) on its own SQLite file; the shared limiter's state is put back after."""
    from peer_review.extensions import limiter
    from tests.conftest import make_app
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))  # make_app sets it; put it back afterwards
    saved = dict(limiter.__dict__)
    made = []

    def factory(**config):
        app = make_app("sqlite:///" + str(tmp_path / "own.db"), tmp_path, SERVER_NAME=None, **config)
        with app.app_context():
            db.create_all()
        made.append(app)
        return app
    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            db.drop_all()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


def _address_and_scheme(app):
    from flask import request

    @app.get("/_test/whoami")
    def _whoami():
        return {"addr": request.remote_addr, "scheme": request.scheme, "host": request.host}
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "reviews.example"}


def test_forwarded_headers_are_ignored_without_proxy_fix(own_app, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix
    monkeypatch.delenv("PROXY_FIX_X_FOR", raising=False)
    app = own_app()
    assert app.config["PROXY_FIX_X_FOR"] == 0 and not isinstance(app.wsgi_app, ProxyFix)
    seen = _address_and_scheme(app).get("/_test/whoami", headers=FORWARDED).get_json()
    assert (seen["addr"], seen["scheme"], seen["host"]) == ("127.0.0.1", "http", "localhost")


def test_proxy_fix_from_the_environment_trusts_one_proxy(own_app, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix
    from peer_review.config import from_environment
    monkeypatch.setenv("PROXY_FIX_X_FOR", "1")
    assert from_environment()["PROXY_FIX_X_FOR"] == 1
    app = own_app()
    assert isinstance(app.wsgi_app, ProxyFix) and app.wsgi_app.x_for == 1
    client = _address_and_scheme(app)
    seen = client.get("/_test/whoami", headers=FORWARDED).get_json()
    assert (seen["addr"], seen["scheme"], seen["host"]) == ("203.0.113.7", "https", "reviews.example")
    # One proxy: only the last address it appended counts, not what the client wrote before it.
    seen = client.get("/_test/whoami", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.2"}).get_json()
    assert seen["addr"] == "198.51.100.2"


def _user(email="outage@example.org", password="a long enough password"):
    from peer_review.users.models import User
    user = User(email=email, name="Outage", active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return email, password


def test_rate_limits_fall_back_to_memory_when_redis_is_down(own_app, monkeypatch):
    from peer_review.config import Defaults
    assert Defaults.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED is True
    app = own_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", PROPAGATE_EXCEPTIONS=False)  # nothing listens
    with app.app_context():
        email, password = _user()
    client = app.test_client()
    assert client.post("/password/reset", data={"email": email}).status_code == 200  # not a 500
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    # The limits still hold, counted in this process's memory until Redis answers again.
    client.post("/logout")
    codes = [client.post("/login", data={"email": email, "password": "wrong"}).status_code for _ in range(6)]
    assert codes[:5] == [400] * 5 and codes[5] == 429


def test_sign_in_works_as_the_first_request_while_redis_is_down(own_app):
    app = own_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        email, password = _user()
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302
    # Wrong passwords are still counted (in memory) and stop a guessing run.
    client.post("/logout")
    codes = [client.post("/login", data={"email": email, "password": "wrong"}).status_code for _ in range(6)]
    assert codes[5] == 429
