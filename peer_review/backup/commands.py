"""`flask --app wsgi export-all FILE` and `flask --app wsgi import-all FILE`: back up the whole network (every
table and attachment file) to one archive with a manifest and checksums, and restore it into an empty database."""
from __future__ import annotations

import os
import time

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from .archive import ArchiveDamaged
from .operations import RestoreRefused, export_all, import_all


@click.command("export-all")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def export_all_command(file, overwrite):
    """Write every table and attachment to the archive FILE (a .tar.gz with a manifest and checksums)."""
    if os.path.exists(file) and not overwrite:
        raise click.ClickException(f"{file} exists; choose another name or pass --overwrite.")
    started = time.monotonic()
    summary = export_all(file)
    click.echo(f"Backed up {summary.rows} rows of {summary.tables} tables and {summary.attachments} attachment "
               f"files to {file} ({os.path.getsize(file)} bytes, {time.monotonic() - started:.1f} s).")
    if summary.missing_files:
        click.echo(f"{len(summary.missing_files)} attachment(s) have no file (withheld after a redaction): "
                   + ", ".join(summary.missing_files[:10]))


@click.command("import-all")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_all_command(file):
    """Restore the archive FILE into this empty, migrated database: all or nothing."""
    started = time.monotonic()
    try:
        summary = import_all(file)
    except ArchiveDamaged as exc:
        raise click.ClickException(f"The archive is damaged and was not restored: {exc}. Nothing was changed.")
    except RestoreRefused as exc:
        raise click.ClickException(f"Not restored: {exc}. Nothing was changed.")
    except SQLAlchemyError as exc:
        raise click.ClickException(f"Not restored: the database refused a row ({str(exc).splitlines()[0]}). "
                                   "Nothing was changed.")
    click.echo(f"Restored {summary.rows} rows of {summary.tables} tables and {summary.attachments} attachment "
               f"files from {file} (made {summary.manifest['created_at']}, "
               f"{time.monotonic() - started:.1f} s).")
