import time

import click
from flask.cli import AppGroup

from .worker import recover_stale, run_pending

jobs_cli = AppGroup("jobs", help="Background jobs (NLP suggestions, topic discovery).")


@jobs_cli.command("work")
@click.option("--once", is_flag=True, help="Run what is queued, then stop.")
@click.option("--interval", default=2.0, help="Seconds between polls when idle.")
def work(once, interval):
    """Run queued jobs in this process (a separate worker; the app also runs a thread by default)."""
    recover_stale()
    while True:
        ran = run_pending()
        if ran:
            click.echo(f"ran {ran} job(s)")
        if once:
            break
        time.sleep(interval)


@jobs_cli.command("rq-worker")
@click.option("--burst", is_flag=True, help="Run what is queued in Redis, then stop.")
@click.option("--name", default=None, help="Worker name (default: RQ's own).")
def rq_worker(burst, name):
    """Run an RQ worker on REDIS_URL (JOBS_BACKEND=rq); start several processes for several workers."""
    from flask import current_app

    from .worker import rq_work
    if current_app.config.get("JOBS_BACKEND") != "rq":
        raise click.UsageError("JOBS_BACKEND is not 'rq': jobs are not sent to Redis, this worker would idle.")
    rq_work(burst=burst, name=name)
