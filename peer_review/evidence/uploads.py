"""Checking evidence attachments and extracting their text.

Why: attachments come from many cities and are later opened by other people, so the file's *content* decides what
it is, never its name or the browser's claimed type. Only documents and images the workbench can use are accepted
(PDF, DOCX, ODT, PNG, JPEG, GIF, WebP, plain UTF-8 text); executables, scripts, other archives, empty or oversized
files, files whose name contradicts their content, and zip bombs posing as DOCX/ODT are refused with a message the
uploader can act on. The text of documents is extracted (bounded in size) so facilitators can code it.

Everything here is pure: bytes in, values out, no Flask app or database needed. Serving files safely
(``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff``, permission checks) is the views' job.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from peer_review.evidence.sanitize import clean_text

from ..i18n import lazy_gettext as _l

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_TEXT_CHARS",
    "ZIP_MAX_UNCOMPRESSED",
    "ZIP_MAX_RATIO",
    "ZIP_MAX_MEMBERS",
    "KINDS",
    "UploadInfo",
    "UploadRejected",
    "TextRead",
    "check_upload",
    "extract_text",
    "read_text",
    "safe_filename",
]

MAX_UPLOAD_BYTES: int = 10 * 1024 * 1024
MAX_TEXT_CHARS: int = 2_000_000
ZIP_MAX_UNCOMPRESSED: int = 50 * 1024 * 1024
ZIP_MAX_RATIO: float = 100.0
ZIP_MAX_MEMBERS: int = 2000
MAX_PDF_PAGES: int = 2000
# Below this total uncompressed size, a high compression ratio is harmless (tiny repetitive XML parts).
_RATIO_APPLIES_ABOVE: int = 1024 * 1024

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

#: kind -> (MIME type, canonical extension, extensions a file name may carry for this kind)
KINDS: dict[str, tuple[str, str, frozenset[str]]] = {
    "pdf": ("application/pdf", ".pdf", frozenset({".pdf"})),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
        frozenset({".docx"}),
    ),
    "odt": ("application/vnd.oasis.opendocument.text", ".odt", frozenset({".odt"})),
    "png": ("image/png", ".png", frozenset({".png"})),
    "jpeg": ("image/jpeg", ".jpg", frozenset({".jpg", ".jpeg", ".jpe"})),
    "gif": ("image/gif", ".gif", frozenset({".gif"})),
    "webp": ("image/webp", ".webp", frozenset({".webp"})),
    "txt": ("text/plain", ".txt", frozenset({".txt", ".text", ".md", ".markdown", ".csv"})),
}
_ALL_EXTENSIONS = frozenset(ext for _m, _c, exts in KINDS.values() for ext in exts)
_IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "webp"})
_IMAGE_EXTENSIONS = frozenset(ext for kind in _IMAGE_KINDS for ext in KINDS[kind][2])


class UploadRejected(ValueError):
    """An upload was refused; ``message`` is a translatable text to show to the uploader.

    ``reason`` is a stable word for code that must not depend on the message (the text reader runs without an
    app and reports only the reason): ``"encrypted"``, ``"damaged"`` or ``"refused"``.
    """

    def __init__(self, message: object, reason: str = "refused") -> None:
        super().__init__(str(message))
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class UploadInfo:
    """What an accepted upload is: ``kind`` (a key of KINDS), its MIME type, canonical extension and size."""

    kind: str
    mime: str
    extension: str
    size: int


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def safe_filename(name: str | None, default: str = "attachment") -> str:
    """Return a file name safe to store and to put in a Content-Disposition header.

    Keeps letters (any script), digits, ``-``, ``_`` and ``.``; drops any directory part, leading dots and control
    characters; collapses whitespace to ``_``; limits the length to 120 characters while keeping the extension.
    """
    raw = unicodedata.normalize("NFC", str(name or ""))
    raw = raw.replace("\\", "/").split("/")[-1]
    raw = re.sub(r"[\x00-\x1f\x7f]", "", raw)
    raw = re.sub(r"\s+", "_", raw.strip())
    raw = re.sub(r"[^\w.\-]", "", raw)
    raw = re.sub(r"\.{2,}", ".", raw).strip("._-")
    if not raw:
        return default
    stem, ext = os.path.splitext(raw)
    ext = ext[:16]
    if not stem:
        stem = default
    return stem[: 120 - len(ext)] + ext


def _extension(filename: str | None) -> str:
    return os.path.splitext(str(filename or ""))[1].lower()


# --- content sniffing ---------------------------------------------------------------------------------------

_EXECUTABLE_MAGIC: tuple[bytes, ...] = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",  # Linux / Unix
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts with a shebang
    b"\x00asm",  # WebAssembly
)
_ARCHIVE_MAGIC: tuple[bytes, ...] = (
    b"\x1f\x8b",  # gzip
    b"BZh",  # bzip2
    b"\xfd7zXZ\x00",  # xz
    b"7z\xbc\xaf\x27\x1c",  # 7-Zip
    b"Rar!\x1a\x07",  # RAR
    b"MSCF",  # cabinet
)


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _looks_like_text(data: bytes) -> bool:
    """Valid UTF-8 (BOM allowed), no NUL byte, and at least 95% printable or whitespace characters."""
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if not text:
        return False
    sample = text[:200_000]
    printable = sum(1 for ch in sample if ch.isprintable() or ch in "\n\r\t\f")
    return printable / len(sample) >= 0.95


def _open_zip_guarded(data: bytes) -> zipfile.ZipFile:
    """Open a ZIP and refuse it, from its directory alone (nothing extracted), if it looks like a zip bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UploadRejected(_l("The file looks like a damaged document archive and cannot be read.")) from exc
    if len(infos) > ZIP_MAX_MEMBERS:
        raise UploadRejected(
            _l("The document contains too many parts (%(count)s); it is refused as unsafe.", count=len(infos))
        )
    total = sum(max(info.file_size, 0) for info in infos)
    packed = sum(max(info.compress_size, 0) for info in infos)
    if total > ZIP_MAX_UNCOMPRESSED:
        raise UploadRejected(
            _l(
                "The document would expand to %(size)s when opened (the limit is %(limit)s); it is refused as a "
                "possible zip bomb.",
                size=_human_size(total),
                limit=_human_size(ZIP_MAX_UNCOMPRESSED),
            )
        )
    if total > _RATIO_APPLIES_ABOVE:
        ratios = [
            info.file_size / max(info.compress_size, 1) for info in infos if info.file_size > _RATIO_APPLIES_ABOVE
        ]
        if total / max(packed, 1) > ZIP_MAX_RATIO or any(r > ZIP_MAX_RATIO for r in ratios):
            raise UploadRejected(
                _l("The document is compressed far more than real documents are; it is refused as a possible zip bomb.")
            )
    if any(info.flag_bits & 0x1 for info in infos):
        raise UploadRejected(_l("The document is password-protected; remove the password and upload it again."))
    return archive


def _zip_kind(data: bytes) -> str:
    archive = _open_zip_guarded(data)
    with archive:
        names = set(archive.namelist())
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise UploadRejected(_l("Documents with macros are not accepted; save it as a plain DOCX or PDF."))
            return "docx"
        if "mimetype" in names and archive.getinfo("mimetype").file_size <= 200:
            if archive.read("mimetype").strip() == ODT_MIMETYPE:
                return "odt"
    raise UploadRejected(
        _l("Archives (ZIP and similar) are not accepted, except Word (DOCX) and OpenDocument text (ODT) documents.")
    )


def _detect_kind(data: bytes) -> str:
    if data.startswith(_EXECUTABLE_MAGIC):
        raise UploadRejected(_l("Programs and scripts are not accepted as evidence attachments."))
    if data.startswith(b"%PDF-"):
        return "pdf"
    image = _sniff_image(data)
    if image:
        return image
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_kind(data)
    if data.startswith(_ARCHIVE_MAGIC) or (len(data) > 262 and data[257:262] == b"ustar"):
        raise UploadRejected(
            _l("Archives (ZIP and similar) are not accepted, except Word (DOCX) and OpenDocument text (ODT) documents.")
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise UploadRejected(_l("Old Microsoft Office files (.doc, .xls) are not accepted; save it as DOCX or PDF."))
    if _looks_like_text(data):
        return "txt"
    raise UploadRejected(
        _l("This type of file is not accepted. Upload a PDF, DOCX, ODT, PNG, JPEG, GIF, WebP or plain text file.")
    )


def check_upload(filename: str | None, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> UploadInfo:
    """Decide what an uploaded file is from its content, or raise ``UploadRejected`` with a reason.

    The file name only matters as a cross-check: a name with a known extension must match the content (a
    ``report.pdf`` that is not a PDF is refused; one image type named as another is accepted); a name with an extension nobody accepts (``.exe``, ``.html``,
    ``.svg``...) is refused even if the content is harmless text. No name, or a name without extension, is fine.
    """
    size = len(data)
    if size == 0:
        raise UploadRejected(_l("The file is empty."))
    if size > max_bytes:
        raise UploadRejected(
            _l(
                "The file is too large (%(size)s); the limit is %(limit)s.",
                size=_human_size(size),
                limit=_human_size(max_bytes),
            )
        )
    kind = _detect_kind(data)
    mime, canonical, allowed = KINDS[kind]
    ext = _extension(filename)
    if kind in _IMAGE_KINDS and ext in _IMAGE_EXTENSIONS:
        ext = ""  # a PNG saved as .jpg is common and harmless: the content decides, the stored name is fixed
    if ext and ext not in allowed:
        if ext in _ALL_EXTENSIONS:
            raise UploadRejected(
                _l(
                    "The file is named as %(ext)s but its content is %(kind)s; check that you chose the right file.",
                    ext=ext,
                    kind=kind.upper(),
                )
            )
        raise UploadRejected(_l("Files ending in %(ext)s are not accepted.", ext=ext))
    return UploadInfo(kind=kind, mime=mime, extension=canonical, size=size)


# --- text extraction ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextRead:
    """What ``read_text`` found: the text, and whether it is all of it.

    ``pages`` is the PDF's page count and ``pages_read`` how many were read (both 0 for other kinds);
    ``truncated`` says the text was cut at the character limit.
    """

    text: str
    pages: int = 0
    pages_read: int = 0
    truncated: bool = False


class _Capped:
    """Collects text pieces and stops once ``limit`` characters are reached, so extraction stays bounded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.length = 0
        self.truncated = False
        self.pages = 0
        self.pages_read = 0

    @property
    def full(self) -> bool:
        return self.length >= self.limit

    def add(self, text: str) -> None:
        if not text:
            return
        if self.full:
            self.truncated = True
            return
        if len(text) > self.limit - self.length:
            self.truncated = True
        text = text[: self.limit - self.length]
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "\n".join(self.parts)


def _pdf_text(data: bytes, out: _Capped, max_pages: int = MAX_PDF_PAGES) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        message = _l("The PDF is password-protected; its text cannot be extracted.")
        try:
            if not reader.decrypt(""):
                raise UploadRejected(message, reason="encrypted")
        except UploadRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - any decryption failure means the same to the user
            raise UploadRejected(message, reason="encrypted") from exc
    out.pages = len(reader.pages)
    for index in range(min(out.pages, max_pages)):
        if out.full:
            out.truncated = True
            break
        out.add((reader.pages[index].extract_text() or "").strip())
        out.pages_read = index + 1


def _docx_text(data: bytes, out: _Capped) -> None:
    import docx
    from docx.table import Table

    _open_zip_guarded(data).close()
    document = docx.Document(io.BytesIO(data))
    for block in document.iter_inner_content():
        if out.full:
            out.truncated = True
            break
        if isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    text = cell.text.strip()
                    if not cells or cells[-1] != text:  # merged cells repeat their text
                        cells.append(text)
                out.add("\t".join(cells))
        else:
            out.add(block.text)


_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _odf_inline(element: object, pieces: list[str]) -> None:
    """Text of one paragraph, honouring text:s, text:tab and text:line-break; nested paragraphs are skipped."""
    from lxml import etree

    el: etree._Element = element  # type: ignore[assignment]
    if el.text:
        pieces.append(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == f"{{{_ODF_TEXT}}}s":
            pieces.append(" " * int(child.get(f"{{{_ODF_TEXT}}}c", "1") or 1))
        elif tag == f"{{{_ODF_TEXT}}}tab":
            pieces.append("\t")
        elif tag == f"{{{_ODF_TEXT}}}line-break":
            pieces.append("\n")
        elif tag in (f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h", f"{{{_ODF_TEXT}}}note"):
            pass  # visited on their own (notes' paragraphs) or not part of the running text
        else:
            _odf_inline(child, pieces)
        if child.tail:
            pieces.append(child.tail)


def _odt_text(data: bytes, out: _Capped) -> None:
    from lxml import etree

    archive = _open_zip_guarded(data)
    with archive:
        try:
            content = archive.read("content.xml")
        except KeyError as exc:
            raise UploadRejected(_l("The ODT document has no content and cannot be read."), reason="damaged") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    root = etree.fromstring(content, parser=parser)
    for el in root.iter(f"{{{_ODF_TEXT}}}p", f"{{{_ODF_TEXT}}}h"):
        if out.full:
            out.truncated = True
            break
        pieces: list[str] = []
        _odf_inline(el, pieces)
        out.add("".join(pieces))


def extract_text(kind: str, data: bytes, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return the plain text of a checked upload, cut to ``max_chars`` characters.

    Images give ``""``. Any parser failure becomes ``UploadRejected`` with a message naming the document type, so
    a damaged file never surfaces as a server error. The result is passed through ``clean_text`` (newlines
    normalised, control characters removed) because coding offsets will refer to it.

    This runs in the caller's process with no time limit: the app reads attachments through
    ``peer_review.evidence.text_reader`` in a separate, killable process instead.
    """
    return read_text(kind, data, max_chars=max_chars).text


def read_text(kind: str, data: bytes, *, max_chars: int = MAX_TEXT_CHARS, max_pages: int = MAX_PDF_PAGES) -> TextRead:
    """``extract_text`` that also says whether the text is complete: at most ``max_pages`` pages of a PDF are
    read and at most ``max_chars`` characters kept; ``TextRead`` tells which limit was reached."""
    out = _Capped(max_chars)
    try:
        if kind == "pdf":
            _pdf_text(data, out, max_pages)
        elif kind == "docx":
            _docx_text(data, out)
        elif kind == "odt":
            _odt_text(data, out)
        elif kind == "txt":
            try:
                out.add(data.decode("utf-8-sig"))
            except UnicodeDecodeError as exc:
                raise UploadRejected(_l("The text file is not valid UTF-8 text."), reason="damaged") from exc
        elif kind in KINDS:
            return TextRead("")
        else:
            raise UploadRejected(_l("Unknown attachment type %(kind)s.", kind=kind))
    except UploadRejected:
        raise
    except RecursionError as exc:
        raise UploadRejected(_l("The %(kind)s document is too deeply nested to read.", kind=kind.upper()),
                             reason="damaged") from exc
    except MemoryError as exc:
        raise UploadRejected(_l("The %(kind)s document needs too much memory to read.", kind=kind.upper()),
                             reason="memory") from exc
    except Exception as exc:  # noqa: BLE001 - third-party parsers raise many types on damaged input
        raise UploadRejected(
            _l("The %(kind)s document is damaged or not supported; its text cannot be extracted.", kind=kind.upper()),
            reason="damaged",
        ) from exc
    return TextRead(clean_text(out.text(), max_len=max_chars), pages=out.pages, pages_read=out.pages_read,
                    truncated=out.truncated)
