"""Backup and restore: the demo network (plus an attachment, self-referencing rows and a report PDF) goes out to
one archive and back into an empty database identical row for row and byte for byte; a damaged archive, a
non-empty database or another migration are refused with a message, changing nothing. On PostgreSQL (when
TEST_DATABASE_URL is set) the source and the target are two databases created for this module."""
from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import make_app

REVISION = "testrevision"


def _new_database(tmp_path_factory, label: str, created: list):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp(f"backup_{label}") / "db.sqlite")
    from peer_review.config import database_uri
    base = sa.engine.make_url(database_uri(url, ""))
    name = f"backup_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    created.append((base, name))
    return base.set(database=name).render_as_string(hide_password=False)


def _stamp(revision: str) -> None:
    from peer_review.extensions import db
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version "
                             "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(sa.text("DELETE FROM alembic_version"))
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


def _build_source() -> None:
    """The demo network, and what it lacks: an attachment file, a code pointing at a later code, a report whose
    second revision supersedes its first (PDF bytes in a column)."""
    from peer_review.coding.models import Code
    from peer_review.cycles.models import Cycle
    from peer_review.demo.loader import load_demo
    from peer_review.evidence.attachments import add_attachment
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    from peer_review.reports.models import Report, ReportRevision
    load_demo()
    item = db.session.execute(db.select(EvidenceItem).order_by(EvidenceItem.id)).scalars().first()
    add_attachment(item, "notes.txt", "Notes from the walk, with accents: café, niño.\n".encode())
    first = db.session.execute(db.select(Code).order_by(Code.id)).scalars().first()
    later = Code(key="backup-parent", labels={"en": "A later parent"}, definitions={"en": "x"})
    db.session.add(later)
    db.session.flush()
    first.parent = later
    cycle = db.session.execute(db.select(Cycle).order_by(Cycle.id)).scalars().first()
    report = Report(kind="cycle", cycle=cycle, locale="en")
    pdf = bytes(range(256)) * 4
    one = ReportRevision(report=report, number=1, snapshot={"a": [1, 2.5, None]}, snapshot_hash="0" * 64,
                         renderer_version="test", pdf=pdf, pdf_sha256="1" * 64, size=len(pdf))
    two = ReportRevision(report=report, number=2, snapshot={}, snapshot_hash="2" * 64, renderer_version="test",
                         pdf=b"%PDF-two", pdf_sha256="3" * 64, size=8, supersedes=one, note="corrected")
    db.session.add_all([report, one, two])
    db.session.commit()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from peer_review.extensions import db
    before = os.environ.get("INSTANCE_PATH")
    created: list = []
    src = make_app(_new_database(tmp_path_factory, "src", created), tmp_path_factory.mktemp("backup_src_inst"))
    dst = make_app(_new_database(tmp_path_factory, "dst", created), tmp_path_factory.mktemp("backup_dst_inst"))
    for app in (src, dst):
        with app.app_context():
            db.create_all()
            _stamp(REVISION)
    with src.app_context():
        _build_source()
        from peer_review.backup.operations import export_all
        path = str(tmp_path_factory.mktemp("backup_archive") / "network.tar.gz")
        export_all(path)
    yield {"src": src, "dst": dst, "archive": path}
    for app in (src, dst):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    for base, name in created:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    if before is None:
        os.environ.pop("INSTANCE_PATH", None)
    else:
        os.environ["INSTANCE_PATH"] = before


def _rows(app) -> dict:
    """Every row of every table in key order, with (for JSON columns) whether the value is SQL NULL: both SQL NULL
    and JSON ``null`` read as ``None``."""
    from peer_review.extensions import db
    out = {}
    with app.app_context(), db.engine.connect() as conn:
        for t in db.metadata.sorted_tables:
            nulls = [c.is_(None) for c in t.columns if isinstance(c.type, sa.JSON)]
            order = list(t.primary_key.columns) or list(t.columns)
            out[t.name] = [tuple(r) for r in conn.execute(sa.select(*t.columns, *nulls).order_by(*order))]
    return out


def _count(sql: str) -> int:
    from peer_review.extensions import db
    with db.engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def _files(app) -> dict:
    folder = os.path.join(app.instance_path, "uploads")
    if not os.path.isdir(folder):
        return {}
    return {name: Path(folder, name).read_bytes() for name in sorted(os.listdir(folder))}


@pytest.fixture
def target(world):
    """The target app, emptied (rows and attachment files) before each test, at the source's revision."""
    from peer_review.extensions import db
    from tests.conftest import _empty_tables
    dst = world["dst"]
    with dst.app_context():
        _empty_tables()
        _stamp(REVISION)
        folder = os.path.join(dst.instance_path, "uploads")
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            os.remove(os.path.join(folder, name))
        yield dst
        db.session.remove()


def _assert_untouched(app) -> None:
    assert all(not rows for rows in _rows(app).values())
    assert _files(app) == {}


def test_round_trip_is_identical_row_for_row(world, target):
    from peer_review.backup.operations import import_all
    summary = import_all(world["archive"])
    source, restored = _rows(world["src"]), _rows(target)
    assert set(source) == set(restored)
    for name in source:
        assert restored[name] == source[name], name
    assert summary.rows == sum(len(r) for r in source.values())
    assert sum(len(r) for r in source.values()) > 5000
    assert len(source["evidence_attachments"]) == 1 and len(source["report_revisions"]) == 2
    # Both kinds of "nothing" in a JSON column survive: SQL NULL (a cycle never assigned) and JSON null (the
    # "before" of an audit entry for a creation).
    for app in (world["src"], target):
        with app.app_context():
            assert _count("SELECT count(*) FROM cycles WHERE assignment_run IS NULL") > 0
            assert _count("SELECT count(*) FROM audit_entries WHERE before IS NULL") == 0
    files = _files(world["src"])
    assert files and _files(target) == files
    assert summary.attachments == 1


def test_restored_database_keeps_working(world, target):
    """New rows after a restore get fresh ids (PostgreSQL's sequences were moved past the restored ones)."""
    from peer_review.backup.operations import import_all
    from peer_review.cities.models import City
    from peer_review.extensions import db
    import_all(world["archive"])
    top = db.session.execute(sa.select(sa.func.max(City.id))).scalar()
    city = City(name="After restore", slug="after-restore", country="X", region="europe",
                population_band="100k_500k", languages="en", timezone="UTC")
    db.session.add(city)
    db.session.commit()
    assert city.id > top


def test_refuses_a_database_that_is_not_empty(world, target):
    from peer_review.backup.operations import RestoreRefused, import_all
    import_all(world["archive"])
    before = _rows(target)
    with pytest.raises(RestoreRefused, match="not empty"):
        import_all(world["archive"])
    assert _rows(target) == before


def test_refuses_another_migration(world, target):
    from peer_review.backup.operations import RestoreRefused, import_all
    _stamp("someotherrev")
    with pytest.raises(RestoreRefused, match="migration someotherrev"):
        import_all(world["archive"])
    _assert_untouched(target)


def _rewrite(src: str, dest: str, change) -> None:
    """Copy the archive member by member, letting ``change(name, data)`` return new bytes or None to drop it."""
    out = io.BytesIO()
    with tarfile.open(src, "r:gz") as tin, tarfile.open(fileobj=out, mode="w") as tout:
        for member in tin:
            data = change(member.name, tin.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            tout.addfile(member, io.BytesIO(data))
    with open(dest, "wb") as fh:
        fh.write(gzip.compress(out.getvalue()))


def _flip_table(name, data):
    if name == "tables/cities.jsonl":
        return data.replace(b"Kisaru", b"Kisarv", 1) if b"Kisaru" in data else data[:-2] + b"X\n"
    return data


def _edit_manifest(name, data):
    if name == "manifest.json":
        manifest = json.loads(data)
        manifest["tables"][0]["rows"] += 1
        return json.dumps(manifest).encode()
    return data


def _drop_attachment(name, data):
    return None if name.startswith("attachments/") else data


def _edit_manifest_and_its_checksum(name, data):
    if name == "manifest.json":
        from peer_review.backup.archive import manifest_checksum
        manifest = json.loads(data)
        manifest["tables"][1]["sha256"] = "0" * 64
        manifest["manifest_sha256"] = manifest_checksum(manifest)
        return json.dumps(manifest).encode()
    return data


@pytest.mark.parametrize("change, message", [
    (_flip_table, "tables/cities.jsonl does not match its checksum"),
    (_edit_manifest, "manifest.json does not match its own checksum"),
    (_edit_manifest_and_its_checksum, "does not match its checksum"),
    (_drop_attachment, r"attachments/.* is missing from the archive"),
], ids=["byte-changed-in-a-table", "manifest-edited", "checksum-edited", "attachment-missing"])
def test_refuses_a_damaged_archive(world, target, tmp_path, change, message):
    from peer_review.backup.archive import ArchiveDamaged
    from peer_review.backup.operations import import_all
    damaged = str(tmp_path / "damaged.tar.gz")
    _rewrite(world["archive"], damaged, change)
    with pytest.raises(ArchiveDamaged, match=message):
        import_all(damaged)
    _assert_untouched(target)


def test_refuses_a_truncated_or_corrupted_file(world, target, tmp_path):
    from peer_review.backup.archive import ArchiveDamaged
    from peer_review.backup.operations import import_all
    with open(world["archive"], "rb") as fh:
        data = fh.read()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveDamaged, match="truncated"):
        import_all(str(truncated))
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    corrupted = tmp_path / "corrupted.tar.gz"
    corrupted.write_bytes(bytes(flipped))
    with pytest.raises(ArchiveDamaged):
        import_all(str(corrupted))
    _assert_untouched(target)


def test_refuses_an_unlisted_file(world, target, tmp_path):
    from peer_review.backup.archive import ArchiveDamaged
    from peer_review.backup.operations import import_all
    out = io.BytesIO()
    with tarfile.open(world["archive"], "r:gz") as tin, tarfile.open(fileobj=out, mode="w") as tout:
        for member in tin:
            tout.addfile(member, tin.extractfile(member))
        extra = tarfile.TarInfo("tables/extra.jsonl")
        extra.size = 3
        tout.addfile(extra, io.BytesIO(b"{}\n"))
    damaged = tmp_path / "extra.tar.gz"
    damaged.write_bytes(gzip.compress(out.getvalue()))
    with pytest.raises(ArchiveDamaged, match="does not list"):
        import_all(str(damaged))
    _assert_untouched(target)


def test_same_content_gives_the_same_bytes(world, tmp_path):
    import datetime as dt

    from peer_review.backup.operations import export_all
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with world["src"].app_context():
        export_all(str(tmp_path / "a.tar.gz"), created_at=when)
        export_all(str(tmp_path / "b.tar.gz"), created_at=when)
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    with tarfile.open(tmp_path / "a.tar.gz", "r:gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["alembic_revision"] == REVISION and manifest["created_at"] == when.isoformat()
    assert {t["name"] for t in manifest["tables"]} >= {"cities", "users", "codes", "report_revisions"}


def test_commands(world, target, tmp_path):
    out = tmp_path / "cli.tar.gz"
    with world["src"].app_context():  # the commands run in the app context they find (the target's, here)
        result = world["src"].test_cli_runner().invoke(args=["export-all", str(out)])
        again = world["src"].test_cli_runner().invoke(args=["export-all", str(out)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and "1 attachment" in result.output
    assert again.exit_code != 0 and "--overwrite" in again.output
    damaged = tmp_path / "cut.tar.gz"
    damaged.write_bytes(out.read_bytes()[:1000])
    refused = target.test_cli_runner().invoke(args=["import-all", str(damaged)])
    assert refused.exit_code != 0 and "damaged" in refused.output and "Nothing was changed" in refused.output
    _assert_untouched(target)
    result = target.test_cli_runner().invoke(args=["import-all", str(out)])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert _rows(target) == _rows(world["src"])
