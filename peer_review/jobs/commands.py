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
