"""`flask --app wsgi reminders send [--date YYYY-MM-DD] [--cycle ID] [--dry-run]`: the daily reminders."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ..cycles.models import Cycle
from ..extensions import db
from .reminders import describe, send_reminders

reminders_cli = AppGroup("reminders", help="Remind cities of work that is due soon or late.")


@reminders_cli.command("send")
@click.option("--date", "on_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Take this day as today (default: today, UTC).")
@click.option("--cycle", "cycle_id", type=int, help="Only this cycle (default: every open cycle).")
@click.option("--dry-run", is_flag=True, help="Say what would be sent; send and record nothing.")
def send_command(on_date, cycle_id, dry_run):
    """E-mail and notify everyone with work due within 3 days or late, at most once a day per thing."""
    cycle = None
    if cycle_id is not None:
        cycle = db.session.get(Cycle, cycle_id)
        if cycle is None:
            raise click.ClickException(f"No cycle with id {cycle_id}.")
        if not cycle.is_open:
            raise click.ClickException(f"Cycle {cycle.name!r} is not in progress: no reminders.")
    sent = send_reminders(today=on_date.date() if on_date else None, cycle=cycle, dry_run=dry_run)
    for entry in sent:
        click.echo(("would send: " if dry_run else "sent: ") + describe(entry))
    if dry_run:
        db.session.rollback()
        click.echo(f"Total: {len(sent)} reminder(s) would be sent (dry run, nothing sent).")
    else:
        db.session.commit()
        click.echo(f"Total: {len(sent)} reminder(s) sent.")
