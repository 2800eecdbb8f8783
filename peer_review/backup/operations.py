"""Backing up the whole network to one archive and restoring it into an empty database.

``export_all`` reads every table of ``db.metadata`` (in primary-key order, inside one read transaction, repeatable
read on PostgreSQL, so the tables agree with each other) and every evidence attachment file.
``import_all`` checks the whole archive first (``archive.read_archive``), then that the database has the same
tables and columns, the same Alembic revision and no rows at all, and only then inserts every table in dependency
order in one transaction (rows pointing at rows of their own table are inserted with that link empty and linked
afterwards), moves PostgreSQL's id sequences past the restored ids and copies the attachment files. Any failure
rolls the transaction back and removes the files it copied: all or nothing.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from . import archive
from .archive import ArchiveDamaged

ATTACHMENTS_TABLE = "evidence_attachments"
_BATCH = 500


class RestoreRefused(Exception):
    """The archive is sound but cannot be restored here; ``str(error)`` says why."""


@dataclass
class Summary:
    tables: int
    rows: int
    attachments: int
    missing_files: list[str]
    manifest: dict


def _kind(column: sa.Column) -> str:
    t = column.type
    if isinstance(t, sa.JSON):
        return "json"
    if isinstance(t, sa.DateTime):
        return "datetime"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.LargeBinary):
        return "bytes"
    return "plain"


def _columns(table: sa.Table) -> list[tuple[str, str]]:
    return [(c.name, _kind(c)) for c in table.columns]


def _order(table: sa.Table):
    return list(table.primary_key.columns) or list(table.columns)


def app_version() -> str:
    try:
        from importlib.metadata import version
        return version("safer-cities-workbench")
    except Exception:  # noqa: BLE001 - not installed as a package: the version is unknown, not an error
        return "unknown"


def alembic_revision(conn) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    revisions = sorted(r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version")))
    return ",".join(revisions) or None


def upload_folder() -> str:
    from ..evidence.attachments import upload_folder as folder
    return folder()


def _select_rows(conn, table: sa.Table):
    """Every row in primary-key order; a JSON column holding SQL NULL (not JSON ``null``) as ``SQL_NULL``."""
    json_cols = [c for c in table.columns if isinstance(c.type, sa.JSON)]
    flags = [c.is_(None).label(f"_isnull_{i}") for i, c in enumerate(json_cols)]
    width = len(table.columns)
    positions = [list(table.columns).index(c) for c in json_cols]
    for row in conn.execute(sa.select(*table.columns, *flags).order_by(*_order(table))):
        values = list(row[:width])
        for i, pos in enumerate(positions):
            if row[width + i]:
                values[pos] = archive.SQL_NULL
        yield values


# --- Export ------------------------------------------------------------------------------------------

def export_all(path: str, created_at: dt.datetime | None = None) -> Summary:
    """Write every table and attachment file to the archive at ``path``."""
    created_at = created_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    db.session.rollback()
    tables, stored = [], []
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
                conn.exec_driver_sql("BEGIN")  # pysqlite opens none for reads: one read transaction, one snapshot
            revision = alembic_revision(conn)
            for table in db.metadata.sorted_tables:
                columns = _columns(table)
                data, count = archive.encode_rows(columns, _select_rows(conn, table))
                tables.append(archive.TableData(table.name, columns, data, count))
                if table.name == ATTACHMENTS_TABLE:
                    stored = [r[0] for r in conn.execute(sa.select(table.c.stored_name).order_by(table.c.id))]
    folder = upload_folder()
    files, missing = [], []
    for name in stored:
        source = os.path.join(folder, name)
        # A withheld file (its bytes deleted after a redaction) has no file: the row says so, nothing is lost.
        (files if os.path.isfile(source) else missing).append((name, source))
    manifest = archive.write_archive(path, app_version=app_version(), alembic_revision=revision,
                                     created_at=created_at, tables=tables, attachments=files)
    return Summary(len(tables), sum(t.rows for t in tables), len(files), [n for n, _ in missing], manifest)


# --- Import ------------------------------------------------------------------------------------------

def check_schema(verified: archive.Verified) -> None:
    """The archive's tables and columns must be exactly this database's."""
    ours = {t.name: t for t in db.metadata.sorted_tables}
    theirs = {e["name"]: e for e in verified.tables}
    extra, absent = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
    if extra or absent:
        what = "; ".join(filter(None, [extra and "unknown tables " + ", ".join(extra),
                                       absent and "missing tables " + ", ".join(absent)]))
        raise RestoreRefused(f"the archive was made by another version of the app ({what})")
    for name, table in ours.items():
        if [list(c) for c in _columns(table)] != [list(c) for c in theirs[name]["columns"]]:
            raise RestoreRefused(f"the archive's table {name} has other columns than this database's: it was made "
                                 "by another version of the app")


def _nonempty(conn) -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None:
            found.append(table.name)
    return found


def _check_target(conn, verified: archive.Verified) -> None:
    revision = alembic_revision(conn)
    if revision != verified.manifest["alembic_revision"]:
        raise RestoreRefused(f"the database is at migration {revision or 'none'} but the archive was made at "
                             f"{verified.manifest['alembic_revision'] or 'none'}: migrate an empty database to "
                             "the archive's revision first (flask --app wsgi db upgrade)")
    full = _nonempty(conn)
    if full:
        raise RestoreRefused("the database is not empty (rows in " + ", ".join(full[:5])
                             + (f" and {len(full) - 5} more tables" if len(full) > 5 else "")
                             + "): a backup is restored only into an empty database")


def _file_targets(verified: archive.Verified) -> dict[str, str]:
    folder = upload_folder()
    targets = {}
    for entry in verified.attachments:
        dest = os.path.join(folder, entry["name"])
        if os.path.exists(dest):
            digest, _size = archive.file_sha256(dest)
            if digest != entry["sha256"]:
                raise RestoreRefused(f"the attachments folder already holds a different file named {entry['name']}")
            continue  # the same bytes are already there: left as they are
        targets[entry["file"]] = dest
    return targets


def _insert_table(conn, table: sa.Table, rows: list[dict]) -> None:
    """Insert ``rows``; a link to a row of the same table is set afterwards (the row it names may come later),
    and a JSON column holding SQL NULL is set to it afterwards (an inserted ``None`` is JSON ``null``)."""
    own = {fk.parent.name for fk in table.foreign_keys if fk.column.table is table}
    keys = [c.name for c in table.primary_key.columns]
    later: dict[str, list[dict]] = {}
    for row in rows:
        for name, value in row.items():
            if value is archive.SQL_NULL or (name in own and value is not None):
                later.setdefault(name, []).append({**{f"k_{k}": row[k] for k in keys}, "v": value})
                row[name] = None
    for start in range(0, len(rows), _BATCH):
        conn.execute(table.insert(), rows[start:start + _BATCH])
    for name, updates in later.items():
        where = [table.c[k] == sa.bindparam(f"k_{k}") for k in keys]
        if updates[0]["v"] is archive.SQL_NULL:
            stmt = table.update().where(*where).values({name: sa.null()})
            updates = [{k: v for k, v in u.items() if k != "v"} for u in updates]
        else:
            stmt = table.update().where(*where).values({name: sa.bindparam("v")})
        for start in range(0, len(updates), _BATCH):
            conn.execute(stmt, updates[start:start + _BATCH])


def _reset_sequences(conn) -> None:
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": quote.format_table(table), "c": pk[0].name}).scalar()
        if sequence:
            top = conn.execute(sa.select(sa.func.max(pk[0]))).scalar()
            conn.execute(sa.text("SELECT setval(:s, :v, :called)"),
                         {"s": sequence, "v": top or 1, "called": top is not None})


def import_all(path: str) -> Summary:
    """Restore the archive at ``path`` into this empty database; raise ``ArchiveDamaged`` or ``RestoreRefused``
    (changing nothing) when it cannot be done."""
    verified = archive.read_archive(path)
    check_schema(verified)
    db.session.rollback()
    db.session.remove()
    with db.engine.connect() as conn:
        _check_target(conn, verified)
        conn.rollback()
    targets = _file_targets(verified)
    tables = {t.name: t for t in db.metadata.sorted_tables}
    entries = {e["name"]: e for e in verified.tables}
    written: list[str] = []
    total = 0
    try:
        with db.engine.begin() as conn:
            _check_target(conn, verified)  # again, inside the transaction that writes
            for name, table in tables.items():
                columns = [tuple(c) for c in entries[name]["columns"]]
                try:
                    rows = list(archive.decode_rows(columns, verified.table_data[name]))
                except (ValueError, TypeError) as exc:
                    raise ArchiveDamaged(f"{entries[name]['file']} holds a value this app cannot read ({exc})")
                except ArchiveDamaged as exc:
                    raise ArchiveDamaged(f"{entries[name]['file']}: {exc}") from None
                if rows:
                    _insert_table(conn, table, rows)
                total += len(rows)
            _reset_sequences(conn)
            archive.extract_attachments(verified, targets, written)
    except BaseException:
        for dest in written:
            if os.path.exists(dest):
                os.remove(dest)
        raise
    return Summary(len(tables), total, len(verified.attachments), [], verified.manifest)
