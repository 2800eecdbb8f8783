"""Running jobs. One function does the work whatever starts it: the in-process thread (default, no extra
server), `flask --app wsgi jobs work` (a separate process), or RQ workers on Redis (JOBS_BACKEND=rq,
`flask --app wsgi jobs rq-worker`, several processes at once).

A handler reports progress through ``report(percent, message)``; each report commits, so a page polling the
job sees it move. A failure marks the job failed with its message and keeps whatever the handler committed.
The Job row is the source of truth under every backend: RQ only carries the row's id.

A job never stays "running" for ever: a worker that dies mid-job (killed, out of memory, the machine restarted)
leaves its row running, and ``recover_stale`` puts it back in the queue once (``attempts < 2``) or marks it
failed with "The worker stopped while running this job." The thread and ``jobs work`` backends call it at start
with an age limit; RQ workers call it at start, before each job and at each maintenance pass, and there a row
counts as stale when no live RQ worker holds its job (RQ's own failure handling, a work horse killed or an
abandoned job, lands in the same place).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable

from flask import current_app

from ..extensions import db
from ..utils import utcnow
from .models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger(__name__)
HANDLERS: dict[str, Callable] = {}

RQ_QUEUE = "safer-cities"
WORKER_STOPPED = "The worker stopped while running this job."
MAX_ATTEMPTS = 2


def handler(kind: str):
    def register(fn):
        HANDLERS[kind] = fn
        return fn
    return register


def enqueue(kind: str, *, cycle=None, params: dict | None = None, actor=None) -> Job:
    job = Job(kind=kind, cycle=cycle, params=params or {}, created_by=actor, state=QUEUED)
    db.session.add(job)
    db.session.flush()
    if current_app.config.get("JOBS_BACKEND") == "rq":  # production path: a real queue, several workers
        db.session.commit()  # the worker must find the row
        _send_to_rq(job.id, job.attempts)
    return job


# --- RQ ------------------------------------------------------------------------------------------------------

def redis_connection():
    """One Redis client per app (tests put a fakeredis client in ``app.extensions["redis"]``)."""
    app = current_app._get_current_object()
    conn = app.extensions.get("redis")
    if conn is None:
        from redis import Redis
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=30,
                              health_check_interval=30)
        app.extensions["redis"] = conn
    return conn


def rq_queue():
    from rq import Queue
    return Queue(RQ_QUEUE, connection=redis_connection(),
                 default_timeout=int(current_app.config.get("JOBS_TIMEOUT", 3600)))


def rq_job_id(job_id: int, attempt: int) -> str:
    """The RQ job that carries run ``attempt`` (0-based) of row ``job_id``."""
    return f"pr-job-{job_id}-{attempt}"


def _send_to_rq(job_id: int, attempts: int) -> None:
    from redis.exceptions import RedisError
    from rq import Callback
    try:
        rq_queue().enqueue(run_job_by_id, job_id, job_id=rq_job_id(job_id, attempts),
                           on_failure=Callback(rq_job_failed), result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
    except RedisError as exc:  # the row stays queued; a worker's recovery pass sends it again
        log.error("Could not send job %s to Redis (%s); a worker will pick it up when Redis is back", job_id, exc)


_ENGINE_PID: dict[int, int] = {}


def _fresh_connections_after_fork() -> None:
    """An RQ work horse is a fork of its worker: never reuse the parent's database connections."""
    engine = db.engine
    pid = os.getpid()
    known = _ENGINE_PID.setdefault(id(engine), pid)
    if known != pid:
        engine.dispose(close=False)
        _ENGINE_PID[id(engine)] = pid


_STANDALONE_APP = None


def _app():
    """The current app (RQ workers started by ``flask jobs rq-worker``), else one built once per process."""
    global _STANDALONE_APP
    try:
        return current_app._get_current_object()
    except RuntimeError:
        pass
    if _STANDALONE_APP is None:
        from .. import create_app
        _STANDALONE_APP = create_app()
    return _STANDALONE_APP


def run_job_by_id(job_id: int) -> None:
    """Entry point for RQ workers: claim the row (only if still queued) and run it like any other backend."""
    app = _app()
    with app.app_context():
        _fresh_connections_after_fork()
        try:
            recover_stale()  # each claim also sweeps for jobs a dead worker left behind
        except Exception:  # recovery must never stop this job
            db.session.rollback()
            log.exception("recovering stale jobs")
        claimed = db.session.execute(
            db.update(Job).where(Job.id == job_id, Job.state == QUEUED)
            .values(state=RUNNING, started_at=utcnow(), attempts=Job.attempts + 1, progress=0))
        db.session.commit()
        if claimed.rowcount != 1:
            return  # done, failed, or claimed by another worker meanwhile
        run_job(db.session.get(Job, job_id))
        db.session.remove()


def settle_lost_job(job_id: int, reason: str = "") -> None:
    """RQ says the job carrying this row died (work horse killed, abandoned by a dead worker, timed out)."""
    row = db.session.get(Job, job_id)
    if row is None or row.state != RUNNING:
        db.session.rollback()
        return
    log.warning("Job %s lost its worker (%s)", job_id, reason or "no reason given")
    resend = _requeue_or_fail(row)
    db.session.commit()
    if resend:
        _send_to_rq(row.id, row.attempts)


def rq_job_failed(rq_job, connection, exc_type=None, exc_value=None, tb=None) -> None:
    """RQ's on_failure callback (also called for abandoned jobs found by a registry clean-up)."""
    if not rq_job.args:
        return
    with _app().app_context():
        _fresh_connections_after_fork()
        settle_lost_job(int(rq_job.args[0]), f"{getattr(exc_type, '__name__', exc_type)}: {exc_value}")


def _rq_job_alive(conn, row: Job) -> bool:
    """Is a live RQ worker running this row's current attempt?"""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob
    from rq.job import JobStatus
    from rq.worker import Worker
    try:
        rq_job = RQJob.fetch(rq_job_id(row.id, max(row.attempts - 1, 0)), connection=conn)
    except NoSuchJobError:
        return False
    if rq_job.get_status() != JobStatus.STARTED or not rq_job.worker_name:
        return False
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + rq_job.worker_name, connection=conn)
    if worker is None or worker.last_heartbeat is None:
        return False
    limit = float(current_app.config.get("JOBS_RQ_HEARTBEAT_SECONDS", 120))
    beat = worker.last_heartbeat
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - beat).total_seconds() < limit


def _rq_job_waiting(conn, row: Job) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob
    from rq.job import JobStatus
    try:
        rq_job = RQJob.fetch(rq_job_id(row.id, row.attempts), connection=conn)
    except NoSuchJobError:
        return False
    return rq_job.get_status() in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED)


def _recover_stale_rq() -> int:
    """Rows running with no live RQ worker behind them are re-queued once or failed; queued rows whose RQ job
    is missing (Redis was down at enqueue, or flushed) are sent again."""
    conn = redis_connection()
    grace = float(current_app.config.get("JOBS_RQ_GRACE_SECONDS", 60))
    cutoff = utcnow() - dt.timedelta(seconds=grace)
    stmt = db.select(Job).filter(
        db.or_(db.and_(Job.state == RUNNING, Job.started_at < cutoff),
               db.and_(Job.state == QUEUED, Job.created_at < cutoff))).order_by(Job.id)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two workers sweeping never settle one row twice
    resend: list[tuple[int, int]] = []
    touched = 0
    for row in db.session.execute(stmt).scalars().all():
        if row.state == RUNNING and not _rq_job_alive(conn, row):
            touched += 1
            log.warning("Job %s (%s) was running with no live worker", row.id, row.kind)
            if _requeue_or_fail(row):
                resend.append((row.id, row.attempts))
        elif row.state == QUEUED and not _rq_job_waiting(conn, row):
            touched += 1
            resend.append((row.id, row.attempts))
    db.session.commit()
    for job_id, attempts in resend:
        _send_to_rq(job_id, attempts)
    return touched


def _requeue_or_fail(row: Job) -> bool:
    """True when the row went back to the queue (the caller sends it to RQ after committing)."""
    if row.attempts < MAX_ATTEMPTS:
        row.state, row.progress, row.message = QUEUED, 0, "Restarting: the worker stopped."
        return True
    row.state, row.message, row.finished_at = FAILED, WORKER_STOPPED, utcnow()
    row.error = WORKER_STOPPED
    return False


def _worker_classes():
    from rq.worker import SimpleWorker, Worker

    class RecoveringMixin:
        """RQ's failure handling, then the Job row settled; a recovery sweep at each maintenance pass."""
        def handle_job_failure(self, job, queue, started_job_registry=None, exc_string=""):
            super().handle_job_failure(job, queue, started_job_registry=started_job_registry, exc_string=exc_string)
            if job.func_name == f"{__name__}.run_job_by_id" and job.args:
                try:
                    with _app().app_context():
                        settle_lost_job(int(job.args[0]), exc_string.strip()[:200])
                except Exception:
                    log.exception("settling job %s", job.args[0])

        def run_maintenance_tasks(self):
            super().run_maintenance_tasks()
            try:
                with _app().app_context():
                    recover_stale()
            except Exception:
                log.exception("recovering stale jobs")

    class JobWorker(RecoveringMixin, Worker):
        pass

    class SimpleJobWorker(RecoveringMixin, SimpleWorker):
        pass

    return JobWorker, SimpleJobWorker


def rq_work(*, burst: bool = False, name: str | None = None, simple: bool = False) -> bool:
    """Run an RQ worker on this app's queue (``flask --app wsgi jobs rq-worker``)."""
    job_worker, simple_worker = _worker_classes()
    recover_stale()
    _ENGINE_PID[id(db.engine)] = os.getpid()
    db.session.remove()
    cls = simple_worker if simple else job_worker
    every = max(5, int(current_app.config.get("JOBS_RQ_MAINTENANCE_SECONDS", 60)))
    # An idle worker wakes up every ``every`` seconds (worker_ttl - 15) to run its maintenance and recovery.
    worker = cls([RQ_QUEUE], connection=redis_connection(), name=name, maintenance_interval=every,
                 worker_ttl=every + 15)
    return worker.work(burst=burst, with_scheduler=False, logging_level="INFO")


# --- database-polling backends (thread, `jobs work`) -----------------------------------------------------------

def _claim_next() -> Job | None:
    stmt = db.select(Job).filter(Job.state == QUEUED).order_by(Job.created_at, Job.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # several workers never take the same job
    job = db.session.execute(stmt).scalar_one_or_none()
    if job is None:
        return None
    job.state, job.started_at, job.attempts = RUNNING, utcnow(), job.attempts + 1
    db.session.commit()
    return job


def run_job(job: Job) -> Job:
    job_id = job.id

    def report(percent: int, message: str = "") -> None:
        db.session.execute(db.update(Job).where(Job.id == job_id).values(
            progress=max(0, min(100, int(percent))), message=message[:300]))
        db.session.commit()

    try:
        fn = HANDLERS[job.kind]
        result = fn(job, report)
        job = db.session.get(Job, job_id)
        job.state, job.progress, job.result, job.finished_at = DONE, 100, result or {}, utcnow()
        db.session.commit()
    except Exception as exc:  # the job fails; the app and other jobs go on
        db.session.rollback()
        log.warning("Job %s (%s) failed: %s", job_id, getattr(job, "kind", "?"), exc)
        job = db.session.get(Job, job_id)
        job.state, job.finished_at = FAILED, utcnow()
        job.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        job.message = str(exc)[:300]
        db.session.commit()
    return job


def run_pending(limit: int | None = None) -> int:
    """Run queued jobs one after another in this process; returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        job = _claim_next()
        if job is None:
            break
        run_job(job)
        ran += 1
    return ran


def recover_stale(max_age_minutes: int | None = None) -> int:
    """Jobs left 'running' by a stopped process go back to the queue (once) or fail with a clear message.

    Under RQ a row is stale when no live worker holds it; otherwise when it started more than
    ``max_age_minutes`` (``JOBS_STALE_MINUTES``, 60) ago."""
    if current_app.config.get("JOBS_BACKEND") == "rq" and max_age_minutes is None:
        return _recover_stale_rq()
    if max_age_minutes is None:
        max_age_minutes = int(current_app.config.get("JOBS_STALE_MINUTES", 60))
    cutoff = utcnow() - dt.timedelta(minutes=max_age_minutes)
    stale = db.session.execute(db.select(Job).filter(Job.state == RUNNING, Job.started_at < cutoff)).scalars().all()
    for job in stale:
        _requeue_or_fail(job)
    db.session.commit()
    return len(stale)


def start_thread_worker(app, interval: float = 2.0) -> threading.Thread:
    """The single-process default: one daemon thread polls the job table."""
    def loop():
        with app.app_context():
            recover_stale()
        while True:
            try:
                with app.app_context():
                    ran = run_pending(limit=5)
                    db.session.remove()
            except Exception:  # keep polling; the job itself records its failure
                log.exception("job worker loop")
                ran = 0
            if not ran:
                time.sleep(interval)

    thread = threading.Thread(target=loop, name="job-worker", daemon=True)
    thread.start()
    return thread
