"""Reading a whole REFI-QDA project (.qdpx archive or bare .qde): users, codebook, text sources, coded passages,
codings and memos, plus an account of everything the workbench cannot take (pictures, audio, video, PDF pages
without text, cases, variables, links, graphs).

Lenient like the codebook reader (``refiqda``): what can be read is read, each repair is a warning, and only a
file that cannot be read at all raises ``QdcError``. Plain dataclasses, no ORM; the exchange's project import maps
them to evidence items, codings and memos. Warnings are plain text (user values are interpolated into them, so
templates escape them like any other text).
"""
from __future__ import annotations

import datetime as dt
import json
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from lxml import etree

from .refiqda import (
    WORKBENCH_PATH,
    ParsedCodebook,
    QdaCoding,
    QdaNote,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdcError,
    _attr,
    _children,
    _element_text,
    _guid_key,
    _local,
    _parse_xml,
    _short_name,
    is_guid,
    normalise_guid,
    read_codebook,
    stable_guid,
)

MAX_SOURCE_BYTES = 20 * 1024 * 1024
# What the workbench cannot import, by kind, in the order the preview lists them.
SKIPPED_KINDS = ("text_sources", "picture_sources", "audio_sources", "video_sources", "pdf_sources", "pdf_selections",
                 "selections", "codings", "notes", "cases", "variables", "links", "graphs", "source_sets")


@dataclass
class ParsedProject:
    """A project as read: ``codebook`` as the codebook import plans it, the text ``sources`` with their passages
    and codings (code GUIDs resolved to the codebook's), the ``notes`` and who wrote things (``users``).

    ``skipped`` counts what is not imported, by kind (``SKIPPED_KINDS``), ``skipped_names`` names the sources
    among them; ``workbench`` is the workbench's own sidecar when the file was exported here."""

    name: str
    codebook: ParsedCodebook
    users: list[QdaUser]
    sources: list[QdaSource]
    notes: list[QdaNote]
    warnings: list[str]
    tool: str | None
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_names: list[str] = field(default_factory=list)
    workbench: dict | None = None

    @property
    def selections(self) -> int:
        return sum(len(s.selections) for s in self.sources)

    @property
    def codings(self) -> int:
        return sum(len(s.codings) + sum(len(sel.codings) for sel in s.selections) for s in self.sources)


def _datetime(value: str | None) -> dt.datetime | None:
    if not value or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def _decode(data: bytes) -> tuple[str, bool]:
    """Text of a source file: UTF-8 as the standard says (a BOM tolerated), UTF-16 with its BOM, else Windows-1252
    (second value True: a guess that deserves a warning)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), False
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


class _ProjectReader:
    def __init__(self, root: etree._Element, archive: zipfile.ZipFile | None, code_guids: dict[str, str],
                 warnings: list[str]) -> None:
        self.root = root
        self.archive = archive
        self.code_guids = code_guids  # GUID as written -> the codebook's GUID
        self.warnings = warnings
        self.skipped: dict[str, int] = {}
        self.skipped_names: list[str] = []
        self.members = {i.filename.replace("\\", "/").lower(): i for i in archive.infolist()} if archive else {}

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def skip(self, kind: str, n: int = 1) -> None:
        if n:
            self.skipped[kind] = self.skipped.get(kind, 0) + n

    # --- files inside the archive

    def internal_text(self, path: str | None, what: str) -> str | None:
        """The text behind ``internal://name`` (``sources/name`` in the archive); None, with a warning, if the
        file is elsewhere (``relative://``, ``absolute://``) or missing."""
        if not path or not path.strip():
            return None
        path = path.strip()
        if not path.lower().startswith("internal://"):
            self.warn(_("The text of \"%(name)s\" is kept outside the project file (%(path)s), so it cannot be "
                        "read.", name=what, path=path[:120]))
            return None
        name = path[len("internal://"):].lstrip("/").replace("\\", "/")
        info = self.members.get(f"sources/{name}".lower()) or self.members.get(name.lower())
        if info is None or info.is_dir():
            self.warn(_("The text of \"%(name)s\" (%(path)s) is missing from the archive.", name=what,
                        path=path[:120]))
            return None
        if info.file_size > MAX_SOURCE_BYTES:
            self.warn(_("The text of \"%(name)s\" is larger than 20 MB and was not read.", name=what))
            return None
        text, guessed = _decode(self.archive.read(info))  # type: ignore[union-attr]
        if guessed:
            self.warn(_("The text of \"%(name)s\" is not UTF-8; it was read as Windows-1252.", name=what))
        return text

    def text_of(self, element: etree._Element, what: str) -> str | None:
        inline = _children(element, "plaintextcontent")
        if inline:
            return "".join(inline[0].itertext())
        return self.internal_text(_attr(element, "plainTextPath"), what)

    # --- references

    def user(self, element: etree._Element, *names: str) -> str | None:
        raw = _attr(element, *(names or ("creatingUser",)))
        return _guid_key(raw) if raw and raw.strip() else None

    def note_refs(self, element: etree._Element) -> list[str]:
        out = []
        for ref in _children(element, "noteref"):
            raw = _attr(ref, "targetGUID", "guid")
            if raw and raw.strip():
                out.append(_guid_key(raw))
        return out

    def codings(self, element: etree._Element, where: str) -> list[QdaCoding]:
        out = []
        for coding in _children(element, "coding"):
            refs = _children(coding, "coderef")
            raw = _attr(refs[0], "targetGUID", "guid") if refs else _attr(coding, "codeGUID", "code")
            code = self.code_guids.get(_guid_key(raw)) if raw and raw.strip() else None
            if code is None:
                self.skip("codings")
                self.warn(_("A coding in \"%(where)s\" refers to a code that is not in the file (%(guid)s); it was "
                            "left out.", where=where, guid=(raw or "?")[:60]))
                continue
            guid = _attr(coding, "guid")
            out.append(QdaCoding(code_guid=code, guid=normalise_guid(guid) if is_guid(guid) else None,
                                 creating_user=self.user(coding), created=_datetime(_attr(coding, "creationDateTime")),
                                 note_guids=self.note_refs(coding)))
        return out

    # --- sources

    def text_source(self, element: etree._Element, name: str | None = None) -> QdaSource | None:
        name = name or (_attr(element, "name") or "").strip() or _("Untitled source")
        text = self.text_of(element, name)
        if text is None:
            return None
        raw_guid = _attr(element, "guid")
        source = QdaSource(guid=_guid_key(raw_guid) if raw_guid else stable_guid("source", name), name=name,
                           text=text, description="\n".join(_element_text(d) for d in _children(element, "description")),
                           creating_user=self.user(element), created=_datetime(_attr(element, "creationDateTime")),
                           note_guids=self.note_refs(element))
        for selection in _children(element, "plaintextselection"):
            sel_name = _attr(selection, "name")
            try:
                start = int((_attr(selection, "startPosition") or "").strip())
                end = int((_attr(selection, "endPosition") or "").strip())
            except ValueError:
                start = end = -1
            if not 0 <= start < end <= len(text):
                self.skip("selections")
                self.warn(_("A passage of \"%(source)s\" lies outside its text (%(start)s to %(end)s of %(n)s "
                            "characters); it was left out.", source=name, start=_attr(selection, "startPosition"),
                            end=_attr(selection, "endPosition"), n=len(text)))
                continue
            raw = _attr(selection, "guid")
            source.selections.append(QdaSelection(
                guid=_guid_key(raw) if raw else stable_guid("selection", f"{source.guid}:{start}:{end}"),
                start=start, end=end, codings=self.codings(selection, sel_name or _short_name(text[start:end], 40)),
                name=sel_name, creating_user=self.user(selection),
                created=_datetime(_attr(selection, "creationDateTime")), note_guids=self.note_refs(selection)))
        source.codings = self.codings(element, name)
        self.skip("variables", len(_children(element, "variablevalue")))
        return source

    def sources(self) -> list[QdaSource]:
        out: list[QdaSource] = []
        for container in _children(self.root, "sources"):
            for element in container:
                kind = _local(element)
                name = (_attr(element, "name") or "").strip() or _("Untitled source")
                if kind == "textsource":
                    source = self.text_source(element)
                    if source is None:
                        self.skip("text_sources")
                        self.skip("selections", len(_children(element, "plaintextselection")))
                        self.skipped_names.append(name)
                    else:
                        out.append(source)
                elif kind == "pdfsource":
                    representation = _children(element, "representation")
                    source = self.text_source(representation[0], name) if representation else None
                    self.skip("pdf_selections", len(_children(element, "pdfselection")))
                    if source is None:
                        self.skip("pdf_sources")
                        self.skipped_names.append(name)
                        continue
                    source.guid = _guid_key(_attr(element, "guid") or source.guid)
                    source.codings += self.codings(element, name)
                    source.note_guids += self.note_refs(element)
                    out.append(source)
                elif kind in ("picturesource", "audiosource", "videosource"):
                    self.skip(kind.replace("source", "_sources"))
                    self.skipped_names.append(name)
                elif isinstance(element.tag, str):
                    self.warn(_("An unknown kind of source <%(kind)s> was left out.", kind=kind[:40]))
        return out

    def users(self) -> list[QdaUser]:
        out = []
        for container in _children(self.root, "users"):
            for user in _children(container, "user"):
                raw = _attr(user, "guid")
                if not raw or not raw.strip():
                    continue
                out.append(QdaUser(guid=_guid_key(raw), name=(_attr(user, "name") or "").strip()[:120],
                                   id=(_attr(user, "id") or "").strip()[:254] or None))
        return out

    def notes(self) -> list[QdaNote]:
        out = []
        for container in _children(self.root, "notes"):
            for note in _children(container, "note"):
                raw = _attr(note, "guid")
                name = (_attr(note, "name") or "").strip()
                text = self.text_of(note, name or _("a memo"))
                if not raw or not raw.strip() or text is None or not text.strip():
                    self.skip("notes")
                    continue
                out.append(QdaNote(guid=_guid_key(raw), text=text, name=name or None, creating_user=self.user(note),
                                   created=_datetime(_attr(note, "creationDateTime"))))
        return out

    def count_the_rest(self) -> None:
        for kind, container, child in (("cases", "cases", "case"), ("variables", "variables", "variable"),
                                       ("links", "links", "link"), ("graphs", "graphs", "graph")):
            self.skip(kind, sum(len(_children(c, child)) for c in _children(self.root, container)))
        for container in _children(self.root, "sets"):  # sets of codes become code groups; other members stay
            self.skip("source_sets", sum(len(_children(s, "membersource")) + len(_children(s, "membernote"))
                                         for s in _children(container, "set")))


def _open(data: bytes) -> tuple[bytes, zipfile.ZipFile | None]:
    if data[:4] != b"PK\x03\x04":
        return data, None
    from ..evidence.uploads import UploadRejected, _open_zip_guarded
    try:
        archive = _open_zip_guarded(data)
    except UploadRejected as exc:
        raise QdcError(exc.message) from exc
    candidates = [i for i in archive.infolist() if i.filename.lower().endswith(".qde") and not i.is_dir()]
    if not candidates:
        archive.close()
        raise QdcError(_("The archive contains no project.qde file; it is not a REFI-QDA project."))
    candidates.sort(key=lambda i: (i.filename.lower() != "project.qde", i.filename.count("/"), i.filename))
    xml = archive.read(candidates[0])
    if xml[:2] == b"PK":
        archive.close()
        raise QdcError(_("The project.qde file inside the archive is not XML."))
    return xml, archive


def _workbench(archive: zipfile.ZipFile | None, warnings: list[str]) -> dict | None:
    if archive is None or WORKBENCH_PATH not in archive.namelist():
        return None
    info = archive.getinfo(WORKBENCH_PATH)
    data = None
    if info.file_size <= MAX_SOURCE_BYTES:
        try:
            data = json.loads(archive.read(info).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            data = None
    if not isinstance(data, dict):
        warnings.append(_("The workbench's own notes in the file (translations, evidence details) cannot be read; "
                          "the project was read without them."))
        return None
    return data


def parse_project(data: bytes) -> ParsedProject:
    """Read a whole project. Raises ``QdcError`` when the file cannot be read or is not a REFI-QDA project."""
    xml, archive = _open(data)
    try:
        root = _parse_xml(xml)
        if _local(root) != "project":
            raise QdcError(_("This file is not a REFI-QDA project (its root element is <%(root)s>); to bring in "
                             "its codes, import it as a codebook.", root=str(etree.QName(root.tag).localname)[:40]))
        codebook, code_reader = read_codebook(root, require_codes=False)
        warnings = [w for w in codebook.warnings
                    if w != str(_("This is a REFI-QDA project file, not a codebook; its codebook was read."))]
        codebook.warnings = warnings
        reader = _ProjectReader(root, archive, dict(code_reader.seen), warnings)
        users = reader.users()
        notes = reader.notes()
        sources = reader.sources()
        reader.count_the_rest()
        workbench = _workbench(archive, warnings)
    finally:
        if archive is not None:
            archive.close()
    return ParsedProject(name=(_attr(root, "name") or "").strip(), codebook=codebook, users=users,
                         sources=sources, notes=notes, warnings=warnings, tool=codebook.tool,
                         skipped={k: v for k, v in reader.skipped.items() if v}, skipped_names=reader.skipped_names,
                         workbench=workbench)


def project_summary(data: bytes) -> dict | None:
    """What a project file holds besides its codebook (sources, passages, codings, memos), or None when it is not a
    project or cannot be read: the codebook import says plainly what it leaves behind."""
    try:
        parsed = parse_project(data)
    except QdcError:
        return None
    counts = {"sources": len(parsed.sources) + len(parsed.skipped_names), "selections": parsed.selections,
              "codings": parsed.codings, "memos": len(parsed.notes), "users": len(parsed.users)}
    return counts if any(counts[k] for k in ("sources", "codings", "memos")) else None
