import click
from flask.cli import with_appcontext

from .cities import DEMO_PASSWORD, SHOWCASE
from .loader import load_demo


@click.command("demo-data")
@with_appcontext
def demo_data():
    """Load the fictional demo network (idempotent) and print the demo logins."""
    counts = load_demo()
    added = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "nothing new"
    click.echo(f"Demo network ready ({added}). All cities, people and evidence are fictional.")
    click.echo("")
    click.echo("Demo logins (password for all: %s):" % DEMO_PASSWORD)
    for role, email in SHOWCASE:
        click.echo(f"  {role:32} {email}")
    click.echo("  ...and coordinator.<city>@ / member.<city>@demo.safercities.example for every city.")
