"""The backup archive, with no app and no database: a gzip-compressed tar holding

- ``manifest.json``: format and version, the app version, the Alembic revision, when it was made, every table
  (its file, columns with their kinds, row count, size and SHA-256) and every attachment file (size and SHA-256),
  and the SHA-256 of the manifest itself (over its canonical JSON without that key), so an edited manifest is seen;
- ``tables/<name>.jsonl``: one JSON object per row, in primary-key order (dates and datetimes as ISO text, bytes
  as base64, JSON columns as they are; a JSON column holding SQL NULL rather than JSON ``null`` is named in the
  row's ``"$null"`` list);
- ``attachments/<stored name>``: the evidence attachment files.

``write_archive`` writes one (to a temporary file renamed into place, so a failed write leaves nothing half
done); ``read_archive`` checks every byte against the manifest before anything is used and raises
``ArchiveDamaged`` with a message naming the problem. The same content and ``created_at`` give the same bytes.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

FORMAT = "safer-cities-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KINDS = ("plain", "datetime", "date", "bytes", "json")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$")
_CHUNK = 1024 * 1024


class _SqlNull:
    """A JSON column holding SQL NULL (as opposed to the JSON value ``null``, which is ``None``)."""

    def __repr__(self) -> str:
        return "SQL_NULL"


SQL_NULL = _SqlNull()
NULLS_KEY = "$null"  # a row's JSON columns that hold SQL NULL (no column name starts with "$")


class ArchiveDamaged(Exception):
    """The archive cannot be trusted; ``str(error)`` says why, in words for the person restoring."""


# --- Values ------------------------------------------------------------------------------------------

def encode_value(value, kind: str):
    if value is None or kind in ("plain", "json"):
        return value
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    raise ValueError(f"unknown column kind {kind!r}")


def decode_value(value, kind: str):
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value.encode("ascii"), validate=True)
    raise ValueError(f"unknown column kind {kind!r}")


def encode_rows(columns: list[tuple[str, str]], rows: Iterable) -> tuple[bytes, int]:
    """JSON Lines for ``rows`` (sequences in the order of ``columns``, pairs of name and kind); returns the bytes
    and the number of rows."""
    out = io.BytesIO()
    count = 0
    for row in rows:
        obj, nulls = {}, []
        for (name, kind), value in zip(columns, row):
            if value is SQL_NULL:
                nulls.append(name)
                value = None
            obj[name] = encode_value(value, kind)
        if nulls:
            obj[NULLS_KEY] = nulls
        out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        count += 1
    return out.getvalue(), count


def decode_rows(columns: list[tuple[str, str]], data: bytes) -> Iterator[dict]:
    kinds = dict(columns)
    for number, line in enumerate(data.splitlines(), start=1):
        obj = json.loads(line)
        nulls = obj.pop(NULLS_KEY, []) if isinstance(obj, dict) else []
        if not isinstance(obj, dict) or set(obj) != set(kinds) or not set(nulls) <= set(kinds):
            raise ArchiveDamaged(f"row {number} does not have the table's columns")
        row = {name: decode_value(obj[name], kinds[name]) for name in kinds}
        row.update({name: SQL_NULL for name in nulls})
        yield row


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def manifest_checksum(manifest: dict) -> str:
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# --- Writing -----------------------------------------------------------------------------------------

@dataclass
class TableData:
    name: str
    columns: list[tuple[str, str]]  # (name, kind)
    data: bytes
    rows: int


def write_archive(path: str, *, app_version: str, alembic_revision: str | None, created_at: dt.datetime,
                  tables: list[TableData], attachments: list[tuple[str, str]]) -> dict:
    """Write the archive to ``path`` and return its manifest. ``attachments`` are (stored name, file path)."""
    entries = []
    for t in tables:
        entries.append({"name": t.name, "file": f"tables/{t.name}.jsonl", "rows": t.rows, "size": len(t.data),
                        "sha256": sha256(t.data), "columns": [[n, k] for n, k in t.columns]})
    files = []
    for name, source in attachments:
        if not _SAFE_NAME.match(name):
            raise ValueError(f"unsafe attachment name {name!r}")
        digest, size = file_sha256(source)
        files.append({"name": name, "file": f"attachments/{name}", "size": size, "sha256": digest})
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "app_version": app_version,
                "alembic_revision": alembic_revision, "created_at": created_at.isoformat(),
                "tables": entries, "attachments": files}
    manifest["manifest_sha256"] = manifest_checksum(manifest)
    mtime = int(created_at.replace(tzinfo=created_at.tzinfo or dt.UTC).timestamp())

    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".backup-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=mtime, filename="") as gz, \
                tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            body = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
            _add(tar, MANIFEST, io.BytesIO(body), len(body), mtime)
            for t, entry in zip(tables, entries):
                _add(tar, entry["file"], io.BytesIO(t.data), len(t.data), mtime)
            for (name, source), entry in zip(attachments, files):
                with open(source, "rb") as fh:
                    _add(tar, entry["file"], fh, entry["size"], mtime)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return manifest


def _add(tar: tarfile.TarFile, name: str, fileobj, size: int, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, fileobj)


# --- Reading -----------------------------------------------------------------------------------------

@dataclass
class Verified:
    """An archive whose every file matched its manifest: the manifest and the table files' bytes."""
    path: str
    manifest: dict
    table_data: dict[str, bytes] = field(default_factory=dict)

    @property
    def tables(self) -> list[dict]:
        return self.manifest["tables"]

    @property
    def attachments(self) -> list[dict]:
        return self.manifest["attachments"]


_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError)


def read_archive(path: str) -> Verified:
    """Check the whole archive against its manifest; raise ``ArchiveDamaged`` naming the first problem."""
    if not os.path.isfile(path):
        raise ArchiveDamaged(f"{path} is not a file")
    try:
        return _read(path)
    except ArchiveDamaged:
        raise
    except _READ_ERRORS as exc:
        raise ArchiveDamaged(f"the archive is truncated or not a backup archive ({exc or type(exc).__name__})")


def _read(path: str) -> Verified:
    with tarfile.open(path, mode="r:gz") as tar:
        first = tar.next()
        if first is None or first.name != MANIFEST or not first.isfile():
            raise ArchiveDamaged(f"the archive does not start with {MANIFEST}: it is not a backup archive")
        manifest = _check_manifest(tar.extractfile(first).read())
        expected = {e["file"]: ("table", e) for e in manifest["tables"]}
        expected.update({e["file"]: ("attachment", e) for e in manifest["attachments"]})
        verified = Verified(path, manifest)
        seen = set()
        for member in tar:
            if member is first:
                continue
            if member.name not in expected or member.name in seen or not member.isfile():
                raise ArchiveDamaged(f"the archive holds {member.name!r}, which its manifest does not list")
            seen.add(member.name)
            what, entry = expected[member.name]
            fh = tar.extractfile(member)
            if what == "table":
                data = fh.read()
                _check_bytes(member.name, entry, len(data), sha256(data))
                if data.count(b"\n") != entry["rows"] or (data and not data.endswith(b"\n")):
                    raise ArchiveDamaged(f"{member.name} does not hold the {entry['rows']} rows its manifest says")
                verified.table_data[entry["name"]] = data
            else:
                digest, size = hashlib.sha256(), 0
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                _check_bytes(member.name, entry, size, digest.hexdigest())
        missing = sorted(set(expected) - seen)
        if missing:
            raise ArchiveDamaged(f"{missing[0]} is missing from the archive"
                                 + (f" (and {len(missing) - 1} more files)" if len(missing) > 1 else ""))
    return verified


def _check_bytes(name: str, entry: dict, size: int, digest: str) -> None:
    if size != entry["size"]:
        raise ArchiveDamaged(f"{name} has {size} bytes where the manifest says {entry['size']}")
    if digest != entry["sha256"]:
        raise ArchiveDamaged(f"{name} does not match its checksum in the manifest: it has been changed or damaged")


def _check_manifest(raw: bytes) -> dict:
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise ArchiveDamaged(f"{MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveDamaged(f"{MANIFEST} does not describe a Safer Cities backup")
    if manifest.get("manifest_sha256") != manifest_checksum(manifest):
        raise ArchiveDamaged(f"{MANIFEST} does not match its own checksum: it has been edited or damaged")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveDamaged(f"the archive has format version {manifest.get('format_version')!r}; this version "
                             f"of the app reads version {FORMAT_VERSION}")
    try:
        for entry in manifest["tables"]:
            assert entry["file"] == f"tables/{entry['name']}.jsonl" and _SAFE_NAME.match(entry["name"])
            assert all(kind in KINDS for _name, kind in entry["columns"])
            assert isinstance(entry["rows"], int) and isinstance(entry["size"], int)
        for entry in manifest["attachments"]:
            assert entry["file"] == f"attachments/{entry['name']}" and _SAFE_NAME.match(entry["name"])
            assert isinstance(entry["size"], int) and isinstance(entry["sha256"], str)
    except (KeyError, TypeError, ValueError, AssertionError):
        raise ArchiveDamaged(f"{MANIFEST} lists a table or file in a form this app does not read") from None
    return manifest


def extract_attachments(verified: Verified, targets: dict[str, str], written: list[str]) -> None:
    """Copy attachments out of a verified archive in one pass: ``targets`` maps an archive file name to the path it
    is written to (never over an existing file); each path is appended to ``written`` as soon as it exists, so the
    caller can remove them all if anything fails. Bytes are checked again on the way."""
    entries = {e["file"]: e for e in verified.attachments}
    if not targets:
        return
    try:
        with tarfile.open(verified.path, mode="r:gz") as tar:
            for member in tar:
                dest = targets.get(member.name)
                if dest is None:
                    continue
                src = tar.extractfile(member)
                digest, size = hashlib.sha256(), 0
                with open(dest, "xb") as out:
                    written.append(dest)
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                _check_bytes(member.name, entries[member.name], size, digest.hexdigest())
    except ArchiveDamaged:
        raise
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArchiveDamaged(f"the archive changed while it was being restored ({exc or type(exc).__name__})")
    if len(written) < len(targets):
        raise ArchiveDamaged("the archive changed while it was being restored: attachments are missing")
