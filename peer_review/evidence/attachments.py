"""Evidence attachments: storing files, reading their text in a background job, and redaction reaching them.

Uploading only checks the file by content and stores it: the request answers at once. The text of PDF, DOCX,
ODT and plain-text files is read afterwards by the ``extract_text`` job, which never parses in its own process:
``text_reader`` runs in a child process killed after ``TEXT_EXTRACTION_TIMEOUT`` seconds, reads at most
``TEXT_EXTRACTION_MAX_PAGES`` pages of a PDF and keeps at most ``MAX_TEXT`` characters (the longest item text).
An attachment's ``text_status`` says where it is: ``none`` (images), ``pending``, ``ready`` or ``failed``;
``text_error`` holds a short code (``timeout:30``, ``pages:300``, ``empty``...) that ``text_message`` turns
into a sentence in the reader's language: why it failed, or, when ready, that only part of the file was read.

Redacting an item reaches its attachments (``redact_attachments``): the removed phrases are masked in the
extracted text and in plain-text files; any other file that held a phrase, or whose text we could not read in
full (images, scans, long PDFs), is *withheld*: its bytes are deleted, the row stays, and the item page asks for
a redacted copy (``replace_attachment``). Nothing here writes a removed phrase or a file's text to the audit log.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import time
import unicodedata
import uuid

from flask import current_app
from flask_babel import format_decimal, ngettext
from sqlalchemy.orm.attributes import flag_modified

from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..jobs.worker import enqueue, handler
from . import uploads
from .models import Attachment, EvidenceItem
from .redaction import DEFAULT_MASK
from .sanitize import clean_text

log = logging.getLogger(__name__)

TEXT_KINDS = frozenset({"pdf", "docx", "odt", "txt"})
NONE, PENDING, READY, FAILED = "none", "pending", "ready", "failed"
DEFAULT_TIMEOUT = 30
DEFAULT_MAX_PAGES = 300
MIN_PHRASE = 2  # as for the item text (redacting.MIN_PHRASE): a single character is not spread to other places

# Codes stored in Attachment.text_error -> what the page says (``%(n)s`` is the number after the colon).
_MESSAGES = {
    "pages": _l("The PDF has more than %(n)s pages; only the first %(n)s were read."),
    "pages_empty": _l("The PDF has more than %(n)s pages, and no text could be read from the first %(n)s."),
    "chars": _l("The text is longer than %(n)s characters; only the first %(n)s were kept."),
    "empty": _l("No text could be read from this file. It may hold only pictures of pages (a scan)."),
    "encrypted": _l("The file is password-protected, so its text cannot be read."),
    "memory": _l("The file needs too much memory to read, so its text was not extracted."),
    "damaged": _l("The file is damaged or uses features that are not supported, so its text could not be read."),
    "crashed": _l("Reading the file stopped unexpectedly, so its text was not extracted."),
}


def text_message(att: Attachment) -> str | None:
    """The sentence for an attachment's ``text_error`` code, in the current language (None if there is none)."""
    if not att.text_error:
        return None
    code, _sep, arg = att.text_error.partition(":")
    try:
        value: float | int = float(arg) if "." in arg else int(arg)
    except ValueError:
        value = 0
    if code == "timeout":
        return ngettext("The file took too long to read (more than %(n)s second), so its text was not extracted. "
                        "You can still download it; to code its text, upload a simpler copy (for example saved "
                        "again as PDF, or as plain text).",
                        "The file took too long to read (more than %(n)s seconds), so its text was not extracted. "
                        "You can still download it; to code its text, upload a simpler copy (for example saved "
                        "again as PDF, or as plain text).", value, n=format_decimal(value))
    return str(_MESSAGES.get(code, _MESSAGES["crashed"])) % {"n": format_decimal(value)}


# --- Files -------------------------------------------------------------------------------------------

def upload_folder() -> str:
    folder = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


def attachment_path(att: Attachment) -> str:
    return os.path.join(upload_folder(), att.stored_name)


def _store(data: bytes, extension: str) -> str:
    stored = f"{uuid.uuid4().hex}{extension}"
    with open(os.path.join(upload_folder(), stored), "wb") as fh:
        fh.write(data)
    return stored


def _shred(path: str, remove: bool = True) -> None:
    """Overwrite a file's bytes before letting it go, so removed personal details do not linger on disk."""
    try:
        size = os.path.getsize(path)
        with open(path, "r+b") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
    except FileNotFoundError:
        return
    if remove:
        os.remove(path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Adding, replacing, using and removing -----------------------------------------------------------

def _queue_reading(att: Attachment, actor=None) -> None:
    if att.text_status == PENDING:
        # The job carries the file's hash: if the file changes meanwhile (redaction, replacement), its result
        # describes old bytes and is dropped.
        enqueue("extract_text", params={"attachment_id": att.id, "sha256": att.sha256}, actor=actor)


def add_attachment(item: EvidenceItem, filename: str, data: bytes, actor=None) -> Attachment:
    """Check and store a file; its text (PDF, DOCX, ODT, text) is read by a background job afterwards."""
    info = uploads.check_upload(filename, data, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    stored = _store(data, info.extension)
    att = Attachment(item=item, filename=uploads.safe_filename(filename), stored_name=stored, kind=info.kind,
                     mime=info.mime, size=info.size, sha256=_sha256(data), extracted_text="",
                     text_status=PENDING if info.kind in TEXT_KINDS else NONE, text_error="",
                     uploaded_by_id=getattr(actor, "id", None))
    db.session.add(att)
    db.session.flush()
    record("evidence.attach", "evidence", item.id, summary=f"{item.title}: {att.filename}",
           after={"attachment": att.filename, "kind": att.kind, "size": att.size}, actor=actor)
    _queue_reading(att, actor)
    return att


def replace_attachment(att: Attachment, filename: str, data: bytes, actor=None) -> Attachment:
    """Put a new file in an attachment's place (a redacted copy of a withheld one); its text is read again."""
    info = uploads.check_upload(filename, data, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    old_path = attachment_path(att)
    before = {"attachment": att.filename, "kind": att.kind, "size": att.size, "withheld": att.withheld}
    att.stored_name = _store(data, info.extension)
    att.filename, att.kind, att.mime, att.size = uploads.safe_filename(filename), info.kind, info.mime, info.size
    att.sha256, att.extracted_text, att.text_error, att.withheld = _sha256(data), "", "", False
    att.text_status = PENDING if info.kind in TEXT_KINDS else NONE
    att.uploaded_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("evidence.attachment_replace", "evidence", att.item_id, summary=f"{att.item.title}: {att.filename}",
           before=before, after={"attachment": att.filename, "kind": att.kind, "size": att.size}, actor=actor)
    _shred(old_path)
    _queue_reading(att, actor)
    return att


def append_attachment_text(item: EvidenceItem, att: Attachment, actor=None) -> None:
    """Make an attachment's text codable by adding it to the item's text (after what is already coded)."""
    from .operations import MAX_TEXT
    if att.withheld:
        raise ValidationFailed({"attachment": [_l("This file is withheld after a redaction; upload a redacted "
                                                  "copy first")]})
    if att.text_status == PENDING:
        raise ValidationFailed({"attachment": [_l("The text of this file is still being read; try again in a "
                                                  "moment")]})
    if att.text_status != READY or not att.extracted_text.strip():
        raise ValidationFailed({"attachment": [_l("No text could be read from this file")]})
    addition = f"\n\n---\n\n**{att.filename}**\n\n{att.extracted_text.strip()}\n"
    if len(item.text) + len(addition) > MAX_TEXT:
        raise ValidationFailed({"attachment": [_l("The text is too long to add to the item")]})
    before = item.snapshot()
    item.text = item.text.rstrip("\n") + addition  # appended, so existing coding offsets stay valid
    record("evidence.attachment_text", "evidence", item.id, summary=f"{item.title}: {att.filename}",
           before=before, after=item.snapshot(), actor=actor)


def delete_attachment(att: Attachment, actor=None) -> None:
    path = attachment_path(att)
    record("evidence.detach", "evidence", att.item_id, summary=att.filename, before={"attachment": att.filename},
           actor=actor)
    db.session.delete(att)
    db.session.flush()
    _shred(path)


# --- Reading the text, in a process that can be killed ----------------------------------------------

def read_in_subprocess(kind: str, path: str, *, timeout: float, max_pages: int, max_chars: int) -> dict:
    """Run ``text_reader`` on one file; kill it after ``timeout`` seconds. Returns its JSON answer, or
    ``{"ok": False, "reason": "timeout" | "crashed"}``, with ``seconds`` and the child's ``pid`` added."""
    from .. import ROOT
    command = [sys.executable, "-m", "peer_review.evidence.text_reader", kind, path, "--max-pages",
               str(max_pages), "--max-chars", str(max_chars), "--seconds", str(timeout)]
    # A small environment: the parser of untrusted files has no business seeing the app's secrets.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": ROOT, "PYTHONDONTWRITEBYTECODE": "1"}
    env.update({key: os.environ[key] for key in ("LD_LIBRARY_PATH", "TMPDIR", "HOME") if key in os.environ})
    started = time.monotonic()
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env, cwd=ROOT)
    except OSError as exc:
        log.warning("Could not start the text reader: %s", exc)
        return {"ok": False, "reason": "crashed", "seconds": 0.0, "pid": None}
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()  # reaps it: no zombie is left behind
        return {"ok": False, "reason": "timeout", "seconds": time.monotonic() - started, "pid": child.pid}
    seconds = time.monotonic() - started
    try:
        result = json.loads(out.decode("utf-8")) if child.returncode == 0 else None
    except ValueError:
        result = None
    if not isinstance(result, dict):
        log.warning("The text reader stopped (exit %s): %s", child.returncode, err.decode("utf-8", "replace")[-500:])
        result = {"ok": False, "reason": "crashed"}
    result.update(seconds=seconds, pid=child.pid)
    return result


def _interpret(outcome: dict, timeout: float, max_pages: int, max_chars: int) -> tuple[str, str, str]:
    """(text_status, extracted_text, text_error code) from the reader's answer."""
    if not outcome.get("ok"):
        reason = outcome.get("reason")
        if reason == "timeout":
            return FAILED, "", f"timeout:{timeout:g}"
        return FAILED, "", reason if reason in ("encrypted", "memory", "crashed") else "damaged"
    text = clean_text(str(outcome.get("text") or ""), max_len=max_chars)
    more_pages = int(outcome.get("pages") or 0) > max_pages
    if not text.strip():
        return FAILED, "", f"pages_empty:{max_pages}" if more_pages else "empty"
    if outcome.get("truncated"):
        return READY, text, f"chars:{max_chars}"
    return READY, text, f"pages:{max_pages}" if more_pages else ""


@handler("extract_text")
def run_extraction(job, report) -> dict:
    """The background job: read one attachment's text in a child process and store the outcome."""
    from .operations import MAX_TEXT
    att_id, sha = job.params.get("attachment_id"), job.params.get("sha256")
    att = db.session.get(Attachment, att_id)
    if att is None or att.withheld or att.sha256 != sha or att.text_status != PENDING:
        return {"attachment": att_id, "status": "skipped"}
    kind, path = att.kind, attachment_path(att)
    timeout = float(current_app.config.get("TEXT_EXTRACTION_TIMEOUT", DEFAULT_TIMEOUT))
    max_pages = int(current_app.config.get("TEXT_EXTRACTION_MAX_PAGES", DEFAULT_MAX_PAGES))
    # No transaction stays open while the file is read (on SQLite it would hold the write lock).
    db.session.commit()
    outcome = read_in_subprocess(kind, path, timeout=timeout, max_pages=max_pages, max_chars=MAX_TEXT)
    status, text, error = _interpret(outcome, timeout, max_pages, MAX_TEXT)
    # Only if the attachment still holds the bytes that were read (not redacted, replaced or withheld meanwhile).
    stored = db.session.execute(
        db.update(Attachment)
        .where(Attachment.id == att_id, Attachment.sha256 == sha, Attachment.withheld.is_(False),
               Attachment.text_status == PENDING)
        .values(text_status=status, extracted_text=text, text_error=error)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return {"attachment": att_id, "status": status if stored else "stale", "reason": error.partition(":")[0],
            "seconds": round(outcome.get("seconds", 0.0), 2), "pid": outcome.get("pid"),
            "characters": len(text)}


# --- Redaction ---------------------------------------------------------------------------------------

def phrase_pattern(phrases: list[str], gap: str = r"\s+") -> re.Pattern | None:
    """One case-insensitive pattern for all phrases; a whitespace run in a phrase matches any whitespace.

    Unlike the item text (whole words), any occurrence counts, inside a word too: in a file, masking or
    withholding a little too much is the safe side."""
    parts = {gap.join(re.escape(word) for word in unicodedata.normalize("NFC", phrase).split())
             for phrase in phrases if phrase and len("".join(phrase.split())) >= MIN_PHRASE}
    if not parts:
        return None
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def _text_is_complete(att: Attachment) -> bool:
    """Whether extracted_text is all of the file's text (so a phrase not in it is not in the file)."""
    return att.text_status == READY and bool(att.extracted_text.strip()) and not att.text_error


def _withhold(att: Attachment) -> str:
    att.withheld = True
    att.extracted_text, att.text_status, att.text_error, att.sha256 = "", NONE, "", ""
    flag_modified(att, "extracted_text")  # written even if already empty: a job may have just stored text
    return attachment_path(att)


def _rewrite_text_file(att: Attachment, pattern: re.Pattern) -> bool | None:
    """Mask the phrases in a stored plain-text file. True if rewritten, False if it held none, None if unreadable."""
    path = attachment_path(att)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return False
    try:
        text = unicodedata.normalize("NFC", raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None
    new = pattern.sub(DEFAULT_MASK, text)
    if new == text:
        return False
    data = (b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b"") + new.encode("utf-8")
    temporary = f"{path}.redacting"
    with open(temporary, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    _shred(path, remove=False)
    os.replace(temporary, path)
    att.size, att.sha256 = len(data), _sha256(data)
    return True


def redact_attachments(item: EvidenceItem, phrases: list[str], actor=None) -> dict:
    """Make the removed phrases unreadable in the item's attachments; return counts for the audit record.

    Extracted text: every occurrence is masked. Plain-text files: rewritten with the same mask. Any other file
    (PDF, DOCX, ODT, images) that held a phrase, or whose text is not known in full, is withheld: its bytes
    are deleted and the page asks for a redacted copy. File names holding a phrase are renamed.
    """
    counts = {"rewritten": 0, "withheld": 0, "texts_masked": 0, "renamed": 0}
    pattern = phrase_pattern(phrases)
    if pattern is None:
        return counts
    name_pattern = phrase_pattern(phrases, gap=r"[\s_]+")
    remove: list[str] = []
    for att in list(item.attachments):
        if att.withheld:
            continue
        renamed = name_pattern.sub("redacted", att.filename)
        if renamed != att.filename:
            att.filename = uploads.safe_filename(renamed)
            counts["renamed"] += 1
        held = bool(att.extracted_text) and pattern.search(att.extracted_text) is not None
        if held:
            att.extracted_text = pattern.sub(DEFAULT_MASK, att.extracted_text)
            counts["texts_masked"] += 1
        if att.kind == "txt":
            rewritten = _rewrite_text_file(att, pattern)
            if rewritten is None:
                remove.append(_withhold(att))
                counts["withheld"] += 1
            elif rewritten:
                counts["rewritten"] += 1
                if att.text_status == PENDING:
                    _queue_reading(att, actor)  # the running job read the old bytes; read the new ones
        elif held or not _text_is_complete(att):
            remove.append(_withhold(att))
            counts["withheld"] += 1
    db.session.flush()
    for path in remove:
        _shred(path)
    return counts
