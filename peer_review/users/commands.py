"""`flask --app wsgi users ...`: create people and API tokens from the command line."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..cities.models import City
from ..errors import ValidationFailed
from ..extensions import db
from . import operations as ops
from .models import ADMIN, COORDINATOR, FACILITATOR, MEMBER, SECRETARIAT

users_cli = AppGroup("users", help="Manage people and their API tokens.")

ROLE_CHOICES = [FACILITATOR, SECRETARIAT, ADMIN, COORDINATOR, MEMBER]


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLE_CHOICES),
              help="Network role, or coordinator/member together with --city. Repeatable.")
@click.option("--city", "city_slug", help="City short name for coordinator/member.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--locale", default="en", type=click.Choice(["en", "es", "fr"]))
def create_command(email, name, roles, city_slug, password_stdin, locale):
    """Create a person with roles; without --password-stdin they get no password (use reset)."""
    city_roles = [r for r in roles if r in (COORDINATOR, MEMBER)]
    network = [r for r in roles if r not in (COORDINATOR, MEMBER)]
    city = None
    if city_slug:
        city = db.session.execute(db.select(City).filter_by(slug=city_slug)).scalar_one_or_none()
        if city is None:
            raise click.ClickException(f"No city with short name {city_slug!r}.")
    elif city_roles:
        raise click.ClickException("--role coordinator/member needs --city SLUG.")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 10:
            raise click.ClickException("The password must be at least 10 characters.")
    try:
        user = ops.create_user(email, name, roles=network, city=city,
                               city_role=city_roles[0] if city_roles else MEMBER,
                               password=password, locale=locale)
    except ValidationFailed as err:
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"Created {user.email} (id {user.id}).")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="command line", help="What the token is for.")
def token_command(email, name):
    """Create a personal API token and print it once."""
    user = ops.find_user(email)
    if user is None or not user.active:
        raise click.ClickException(f"No active user with email {email!r}.")
    _token, raw = ops.create_token(user, name)
    db.session.commit()
    click.echo(raw)
