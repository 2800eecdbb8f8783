"""`flask indicators ...`: load the definitions, and compute every city's values ahead of the first visit."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

indicators_cli = AppGroup("indicators", help="Indicator definitions and computed values.")


@indicators_cli.command("load")
def load_command():
    """Check rubrics/indicators/*.yaml and store new versions."""
    from ..extensions import db
    from .definitions import load_files
    stored, problems = load_files()
    if problems:
        for p in problems:
            click.echo(p, err=True)
        raise SystemExit(1)
    db.session.commit()
    click.echo("Indicator definitions: " + ", ".join(s.version for s in stored))


@indicators_cli.command("refresh")
@click.option("--cycle", "cycle_name", default=None, help="Only this cycle (by name).")
def refresh_command(cycle_name):
    """Compute the values of every city of every cycle (or one), so that first visits are quick."""
    from ..cycles.models import Cycle
    from ..extensions import db
    from .compute import refresh
    stmt = db.select(Cycle).order_by(Cycle.starts_on, Cycle.id)
    if cycle_name:
        stmt = stmt.filter_by(name=cycle_name)
    for cycle in db.session.execute(stmt).scalars():
        started = time.perf_counter()
        values = refresh(cycle)
        db.session.commit()
        click.echo(f"{cycle.name}: {len(values)} cities in {time.perf_counter() - started:.1f} s")
