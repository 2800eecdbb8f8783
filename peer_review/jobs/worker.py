"""Running jobs. One function does the work whatever starts it: the in-process thread (default, no extra
server), `flask --app wsgi jobs work` (a separate process), or an RQ worker on Redis (JOBS_BACKEND=rq).

A handler reports progress through ``report(percent, message)``; each report commits, so a page polling the
job sees it move. A failure marks the job failed with its message and keeps whatever the handler committed.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Callable

from flask import current_app

from ..extensions import db
from ..utils import utcnow
from .models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger(__name__)
HANDLERS: dict[str, Callable] = {}


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
        from redis import Redis
        from rq import Queue
        db.session.commit()
        Queue(connection=Redis.from_url(current_app.config["REDIS_URL"])).enqueue(run_job_by_id, job.id)
    return job


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


def run_job_by_id(job_id: int) -> None:
    """Entry point for RQ workers (they build their own app)."""
    from .. import create_app
    app = create_app()
    with app.app_context():
        job = db.session.get(Job, job_id)
        if job is not None and job.state == QUEUED:
            job.state, job.started_at, job.attempts = RUNNING, utcnow(), job.attempts + 1
            db.session.commit()
            run_job(job)


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


def recover_stale(max_age_minutes: int = 60) -> int:
    """Jobs left 'running' by a stopped process go back to the queue (once) or fail with a clear message."""
    import datetime as dt
    cutoff = utcnow() - dt.timedelta(minutes=max_age_minutes)
    stale = db.session.execute(db.select(Job).filter(Job.state == RUNNING, Job.started_at < cutoff)).scalars().all()
    for job in stale:
        if job.attempts < 2:
            job.state = QUEUED
        else:
            job.state, job.message, job.finished_at = FAILED, "The worker stopped while running this job.", utcnow()
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
