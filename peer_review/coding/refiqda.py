"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx), in and out.

Why: facilitators and researchers already use ATLAS.ti, NVivo, MAXQDA, QualCoder or Taguette. The REFI-QDA
standard (QDA-XML 1.0, schemas Codebook.xsd and Project.xsd) lets the codebook and the coded evidence move between
those tools and the workbench. Exports are strict: they validate against the schemas. Imports are lenient: real
tools bend the schema in small ways (missing or different namespace, prefixed elements, BOMs, UTF-16, attribute
case, description as attribute, odd colours, braces around GUIDs, duplicated GUIDs), so whatever can be read is
read and every repair is reported as a warning; only an unreadable file raises ``QdcError``.

Everything here works on plain dataclasses, no ORM: the views map their models to and from these.

Conventions of the standard followed here:

- GUIDs: ``8-4-4-4-12`` hex digits, optionally in braces (the schemas' GUIDType pattern). We write lowercase
  without braces and read any case, with or without braces.
- Text positions (``startPosition``/``endPosition`` of a PlainTextSelection) are 0-based offsets counted in
  Unicode characters (code points) of the source's plain text, end exclusive: exactly Python ``str`` indices. Note
  that browsers count UTF-16 code units, which differ for characters outside the BMP (emoji).
- Plain-text sources live in the archive at ``sources/<guid>.txt`` (UTF-8, no BOM) and are referenced from
  ``project.qde`` as ``plainTextPath="internal://<guid>.txt"``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..i18n import lazy_gettext as _l

__all__ = [
    "CODEBOOK_NS",
    "PROJECT_NS",
    "CodeNode",
    "CodeSet",
    "ParsedCodebook",
    "QdaUser",
    "QdaNote",
    "QdaCoding",
    "QdaSelection",
    "QdaSource",
    "QdaProject",
    "QdcError",
    "new_guid",
    "stable_guid",
    "is_guid",
    "normalise_guid",
    "normalise_color",
    "export_qdc",
    "export_qdpx",
    "parse_qdc",
    "parse_qdpx",
    "read_codebook",
    "validate",
]

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
DEFAULT_ORIGIN = "Safer Cities workbench"
# Inside a .qdpx: what REFI-QDA cannot hold (see ``export_qdpx``); other tools ignore it.
WORKBENCH_PATH = "safer-cities/workbench.json"
MAX_XML_BYTES = 50 * 1024 * 1024

_GUID_RE = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$"
)
_GUID_NAMESPACE = uuid.UUID("6f1c6a0e-2d4b-5b7e-9a51-5afe0c17e5aa")
_KNOWN_TOOLS = ("ATLAS.ti", "NVivo", "MAXQDA", "QualCoder", "Taguette", "Dedoose", "Transana", "Quirkos",
                "f4analyse", "Delve")
_CSS_COLORS = {
    "black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000", "blue": "#0000ff",
    "yellow": "#ffff00", "orange": "#ffa500", "purple": "#800080", "gray": "#808080", "grey": "#808080",
    "pink": "#ffc0cb", "brown": "#a52a2a", "cyan": "#00ffff", "magenta": "#ff00ff", "lime": "#00ff00",
    "navy": "#000080", "teal": "#008080", "olive": "#808000", "maroon": "#800000", "silver": "#c0c0c0",
}


class QdcError(ValueError):
    """A codebook or project file cannot be read at all; ``message`` (translatable) names the problem."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


# --- data -----------------------------------------------------------------------------------------------------


@dataclass
class CodeNode:
    """A code and its sub-codes. ``is_codable`` False marks a pure grouping node (a category)."""

    guid: str
    name: str
    description: str = ""
    color: str | None = None
    children: list[CodeNode] = field(default_factory=list)
    is_codable: bool = True
    note_guids: list[str] = field(default_factory=list)  # memos on the code (QDPX only)


@dataclass
class CodeSet:
    """A code group (REFI-QDA Set): a named collection of codes, independent of the tree."""

    guid: str
    name: str
    description: str = ""
    member_guids: list[str] = field(default_factory=list)


@dataclass
class ParsedCodebook:
    """Result of an import: the code tree, the sets, what was repaired on the way, and the tool that wrote it."""

    codes: list[CodeNode]
    sets: list[CodeSet]
    warnings: list[str]
    tool: str | None


@dataclass
class QdaUser:
    guid: str
    name: str
    id: str | None = None


@dataclass
class QdaNote:
    """A memo; attached to things by listing its guid in their ``note_guids``."""

    guid: str
    text: str
    name: str | None = None
    creating_user: str | None = None
    created: dt.datetime | None = None


@dataclass
class QdaCoding:
    """One code applied to a selection or to a whole source."""

    code_guid: str
    guid: str | None = None  # derived from the parent and the code when None
    creating_user: str | None = None
    created: dt.datetime | None = None
    note_guids: list[str] = field(default_factory=list)


@dataclass
class QdaSelection:
    """A coded passage: ``text[start:end]`` of its source (code points, end exclusive)."""

    guid: str
    start: int
    end: int
    codings: list[QdaCoding] = field(default_factory=list)
    name: str | None = None  # defaults to the passage itself, shortened
    creating_user: str | None = None
    created: dt.datetime | None = None
    note_guids: list[str] = field(default_factory=list)


@dataclass
class QdaSource:
    """A plain-text source (an evidence item), its coded passages and its whole-item codings."""

    guid: str
    name: str
    text: str
    selections: list[QdaSelection] = field(default_factory=list)
    codings: list[QdaCoding] = field(default_factory=list)
    description: str = ""
    creating_user: str | None = None
    created: dt.datetime | None = None
    note_guids: list[str] = field(default_factory=list)


@dataclass
class QdaProject:
    name: str
    codes: list[CodeNode]
    users: list[QdaUser] = field(default_factory=list)
    sets: list[CodeSet] = field(default_factory=list)
    sources: list[QdaSource] = field(default_factory=list)
    notes: list[QdaNote] = field(default_factory=list)
    description: str = ""
    origin: str = DEFAULT_ORIGIN
    creating_user: str | None = None
    created: dt.datetime | None = None
    note_guids: list[str] = field(default_factory=list)  # memos on the project as a whole


# --- GUIDs and colours ----------------------------------------------------------------------------------------


def new_guid() -> str:
    """A fresh random GUID in the standard's format (lowercase, no braces)."""
    return str(uuid.uuid4())


def stable_guid(kind: str, key: object) -> str:
    """A GUID derived from ``kind`` and ``key`` (uuid5): the same object gets the same GUID in every export."""
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{kind}:{key}"))


def is_guid(value: str | None) -> bool:
    """True if ``value`` matches the schemas' GUIDType pattern."""
    return bool(value) and bool(_GUID_RE.match(value.strip()))  # type: ignore[union-attr]


def normalise_guid(value: str) -> str:
    """Canonical form of a valid GUID: lowercase, without braces."""
    return value.strip().strip("{}").lower()


def normalise_color(value: str | None) -> str | None:
    """Read a colour as tools write it and return ``#rrggbb`` or None if it cannot be understood.

    Accepts ``#rgb``, ``#rrggbb``, the same without ``#``, ``#aarrggbb`` (ARGB, as Windows tools write it),
    ``rgb(r, g, b)``, ``r,g,b``, an integer 0xRRGGBB, and basic CSS colour names.
    """
    if value is None:
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _CSS_COLORS:
        return _CSS_COLORS[text]
    match = re.fullmatch(
        r"(?:rgba?\()?\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*[, ]\s*(\d{1,3})\s*(?:[, ]\s*[\d.]+\s*)?\)?", text
    )
    if match:
        parts = [int(p) for p in match.groups()]
        if all(0 <= p <= 255 for p in parts):
            return "#" + "".join(f"{p:02x}" for p in parts)
        return None
    hex_text = text[1:] if text.startswith("#") else text[2:] if text.startswith("0x") else text
    if re.fullmatch(r"[0-9a-f]{3}", hex_text):
        return "#" + "".join(ch * 2 for ch in hex_text)
    if re.fullmatch(r"[0-9a-f]{6}", hex_text):
        return "#" + hex_text
    if re.fullmatch(r"\d{7,8}|\d{1,2}|\d{4,5}", text):  # a decimal 0xRRGGBB integer (6 digits read as hex)
        return f"#{int(text):06x}" if int(text) <= 0xFFFFFF else None
    if re.fullmatch(r"[0-9a-f]{8}", hex_text):
        return "#" + hex_text[2:]  # ARGB
    return None


def _color_for_export(value: str | None) -> str | None:
    return normalise_color(value) if value else None


# --- export ---------------------------------------------------------------------------------------------------


def _check_guid(value: str, what: str) -> str:
    if not is_guid(value):
        raise ValueError(f"{what} has an invalid GUID {value!r}; use new_guid() or stable_guid()")
    return normalise_guid(value)


def _xml_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _set_attrs(element: etree._Element, **attrs: Any) -> None:
    for key, value in attrs.items():
        if value is not None:
            element.set(key, str(value))


def _xml_text(value: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters other than tab, newline, carriage return)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", value)


def _code_element(ns: str, node: CodeNode, with_notes: bool, seen: set[str]) -> etree._Element:
    guid = _check_guid(node.guid, f"code {node.name!r}")
    if guid in seen:
        raise ValueError(f"duplicate code GUID {guid}")
    seen.add(guid)
    element = etree.Element(f"{{{ns}}}Code")
    _set_attrs(
        element,
        guid=guid,
        name=_xml_text(node.name),
        isCodable="true" if node.is_codable else "false",
        color=_color_for_export(node.color),
    )
    if node.description:
        etree.SubElement(element, f"{{{ns}}}Description").text = _xml_text(node.description)
    if with_notes:
        for note in node.note_guids:
            etree.SubElement(element, f"{{{ns}}}NoteRef", targetGUID=_check_guid(note, "note"))
    for child in node.children:
        element.append(_code_element(ns, child, with_notes, seen))
    return element


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def export_qdc(codes: list[CodeNode], sets: list[CodeSet], origin: str = DEFAULT_ORIGIN) -> bytes:
    """Write a REFI-QDA codebook (.qdc) that validates against Codebook.xsd. Raises ValueError on bad input."""
    if not codes:
        raise ValueError("a REFI-QDA codebook needs at least one code")
    ns = CODEBOOK_NS
    root = etree.Element(f"{{{ns}}}CodeBook", nsmap={None: ns})
    _set_attrs(root, origin=origin)
    codes_el = etree.SubElement(root, f"{{{ns}}}Codes")
    seen: set[str] = set()
    for node in codes:
        codes_el.append(_code_element(ns, node, with_notes=False, seen=seen))
    if sets:
        sets_el = etree.SubElement(root, f"{{{ns}}}Sets")
        for code_set in sets:
            _check_members(code_set, seen)
            set_el = etree.SubElement(sets_el, f"{{{ns}}}Set")
            _set_attrs(set_el, guid=_check_guid(code_set.guid, f"set {code_set.name!r}"), name=_xml_text(code_set.name))
            if code_set.description:
                etree.SubElement(set_el, f"{{{ns}}}Description").text = _xml_text(code_set.description)
            for member in code_set.member_guids:
                etree.SubElement(set_el, f"{{{ns}}}MemberCode", guid=_check_guid(member, "set member"))
    return _serialise(root)


def _check_members(code_set: CodeSet, known: set[str]) -> None:
    for member in code_set.member_guids:
        if not is_guid(member) or normalise_guid(member) not in known:
            raise ValueError(f"set {code_set.name!r} refers to {member!r}, which is not in the export")


def _coding_element(ns: str, coding: QdaCoding, parent_guid: str) -> etree._Element:
    code_guid = _check_guid(coding.code_guid, "coding's code")
    guid = _check_guid(coding.guid, "coding") if coding.guid else stable_guid("coding", f"{parent_guid}:{code_guid}")
    element = etree.Element(f"{{{ns}}}Coding")
    _set_attrs(
        element,
        guid=guid,
        creatingUser=_check_guid(coding.creating_user, "user") if coding.creating_user else None,
        creationDateTime=_xml_datetime(coding.created),
    )
    etree.SubElement(element, f"{{{ns}}}CodeRef", targetGUID=code_guid)
    for note in coding.note_guids:
        etree.SubElement(element, f"{{{ns}}}NoteRef", targetGUID=_check_guid(note, "note"))
    return element


def _short_name(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_attr(value: str | None) -> str | None:
    return _check_guid(value, "user") if value else None


def _project_xml(project: QdaProject) -> bytes:
    ns = PROJECT_NS
    root = etree.Element(f"{{{ns}}}Project", nsmap={None: ns})
    _set_attrs(
        root,
        name=_xml_text(project.name),
        origin=project.origin,
        creatingUserGUID=_user_attr(project.creating_user),
        creationDateTime=_xml_datetime(project.created),
    )
    if project.users:
        users_el = etree.SubElement(root, f"{{{ns}}}Users")
        for user in project.users:
            user_el = etree.SubElement(users_el, f"{{{ns}}}User")
            _set_attrs(user_el, guid=_check_guid(user.guid, "user"), name=_xml_text(user.name), id=user.id)
    seen: set[str] = set()
    if project.codes:
        codes_el = etree.SubElement(etree.SubElement(root, f"{{{ns}}}CodeBook"), f"{{{ns}}}Codes")
        for node in project.codes:
            codes_el.append(_code_element(ns, node, with_notes=True, seen=seen))
    if project.sources:
        sources_el = etree.SubElement(root, f"{{{ns}}}Sources")
        for source in project.sources:
            guid = _check_guid(source.guid, f"source {source.name!r}")
            source_el = etree.SubElement(sources_el, f"{{{ns}}}TextSource")
            _set_attrs(
                source_el,
                guid=guid,
                name=_xml_text(source.name),
                plainTextPath=f"internal://{guid}.txt",
                creatingUser=_user_attr(source.creating_user),
                creationDateTime=_xml_datetime(source.created),
            )
            if source.description:
                etree.SubElement(source_el, f"{{{ns}}}Description").text = _xml_text(source.description)
            for selection in sorted(source.selections, key=lambda s: (s.start, s.end)):
                if not 0 <= selection.start <= selection.end <= len(source.text):
                    raise ValueError(
                        f"selection {selection.guid} [{selection.start}, {selection.end}) is outside source "
                        f"{source.name!r} of {len(source.text)} characters"
                    )
                sel_guid = _check_guid(selection.guid, "selection")
                sel_el = etree.SubElement(source_el, f"{{{ns}}}PlainTextSelection")
                _set_attrs(
                    sel_el,
                    guid=sel_guid,
                    name=_xml_text(selection.name or _short_name(source.text[selection.start : selection.end])),
                    startPosition=selection.start,
                    endPosition=selection.end,
                    creatingUser=_user_attr(selection.creating_user),
                    creationDateTime=_xml_datetime(selection.created),
                )
                for coding in selection.codings:
                    sel_el.append(_coding_element(ns, coding, sel_guid))
                for note in selection.note_guids:
                    etree.SubElement(sel_el, f"{{{ns}}}NoteRef", targetGUID=_check_guid(note, "note"))
            for coding in source.codings:
                source_el.append(_coding_element(ns, coding, guid))
            for note in source.note_guids:
                etree.SubElement(source_el, f"{{{ns}}}NoteRef", targetGUID=_check_guid(note, "note"))
    if project.notes:
        notes_el = etree.SubElement(root, f"{{{ns}}}Notes")
        for note in project.notes:
            note_el = etree.SubElement(notes_el, f"{{{ns}}}Note")
            _set_attrs(
                note_el,
                guid=_check_guid(note.guid, "note"),
                name=_xml_text(note.name or _short_name(note.text, 60)),
                creatingUser=_user_attr(note.creating_user),
                creationDateTime=_xml_datetime(note.created),
            )
            etree.SubElement(note_el, f"{{{ns}}}PlainTextContent").text = _xml_text(note.text)
    if project.sets:
        source_guids = {normalise_guid(s.guid) for s in project.sources}
        note_guids = {normalise_guid(n.guid) for n in project.notes}
        sets_el = etree.SubElement(root, f"{{{ns}}}Sets")
        for code_set in project.sets:
            _check_members(code_set, seen | source_guids | note_guids)
            set_el = etree.SubElement(sets_el, f"{{{ns}}}Set")
            _set_attrs(set_el, guid=_check_guid(code_set.guid, "set"), name=_xml_text(code_set.name))
            if code_set.description:
                etree.SubElement(set_el, f"{{{ns}}}Description").text = _xml_text(code_set.description)
            members = [_check_guid(m, "set member") for m in code_set.member_guids]
            # The schema orders members by kind: codes, then sources, then notes.
            for kind, keep in (
                ("MemberCode", lambda g: g not in source_guids and g not in note_guids),
                ("MemberSource", lambda g: g in source_guids),
                ("MemberNote", lambda g: g in note_guids),
            ):
                for member in members:
                    if keep(member):
                        etree.SubElement(set_el, f"{{{ns}}}{kind}", targetGUID=member)
    if project.description:
        etree.SubElement(root, f"{{{ns}}}Description").text = _xml_text(project.description)
    for note in project.note_guids:
        etree.SubElement(root, f"{{{ns}}}NoteRef", targetGUID=_check_guid(note, "note"))
    return _serialise(root)


def export_qdpx(project: QdaProject, workbench: dict | None = None) -> bytes:
    """Write a REFI-QDA project archive (.qdpx): ``project.qde`` plus ``sources/<guid>.txt`` for each source.

    ``project.qde`` validates against Project.xsd. Raises ValueError for invalid GUIDs or out-of-range positions.
    ``workbench`` (what the standard has no place for: translations, code directions, evidence metadata) goes to
    ``WORKBENCH_PATH`` as JSON, a file other tools leave alone and the workbench reads back on import.
    """
    xml = _project_xml(project)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for source in project.sources:
            archive.writestr(f"sources/{normalise_guid(source.guid)}.txt", source.text.encode("utf-8"))
        if workbench is not None:
            archive.writestr(WORKBENCH_PATH, json.dumps(workbench, ensure_ascii=False, sort_keys=True, indent=1))
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network. Tries the declared encoding, then UTF-8/UTF-16."""
    if not data or not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise QdcError(_l("The file is empty."))
    if len(data) > MAX_XML_BYTES:
        raise QdcError(_l("The file is too large to be a codebook."))
    attempts: list[bytes | str] = [data]
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # A str must not carry an encoding declaration for lxml; drop it (the text is already decoded).
        attempts.append(re.sub(r"^\s*<\?xml[^>]*\?>", "", text.lstrip("\ufeff"), count=1))
    dtd_bytes = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
    dtd_text = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
    for attempt in attempts:
        if (dtd_bytes if isinstance(attempt, bytes) else dtd_text).search(attempt):  # type: ignore[arg-type]
            raise QdcError(
                _l("The file declares a DTD or entities, which codebooks never need; it is refused for safety.")
            )
    first_error: Exception | None = None
    root = None
    for attempt in attempts:
        try:
            root = etree.fromstring(attempt, parser=_parser())
            break
        except (etree.XMLSyntaxError, ValueError) as exc:
            first_error = first_error or exc
    if root is None:
        detail = str(first_error).splitlines()[0] if first_error else ""
        raise QdcError(_l("The file is not readable XML (%(detail)s).", detail=detail))
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or any(
        isinstance(el, etree._Entity) for el in root.iter()
    ):
        raise QdcError(
            _l("The file declares a DTD or entities, which codebooks never need; it is refused for safety.")
        )
    return root


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname.lower()


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _attr(element: etree._Element, *names: str) -> str | None:
    """Attribute by name, ignoring case and any namespace prefix."""
    wanted = {n.lower() for n in names}
    for key, value in element.attrib.items():
        if etree.QName(key).localname.lower() in wanted:
            return value
    return None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f"):
        return False
    return None


def _element_text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def _guid_key(raw: str) -> str:
    """How a GUID as written in the file is looked up: canonical if valid, else the raw text."""
    return normalise_guid(raw) if is_guid(raw) else raw.strip()


class _Reader:
    """Walks a codebook leniently, collecting warnings and keeping GUIDs unique."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.seen: dict[str, str] = {}  # original guid text (normalised) -> guid used
        self.used: set[str] = set()
        self.missing_codable = 0
        self.bad_colors: list[str] = []

    def warn(self, message: object) -> None:
        text = str(message)
        if text not in self.warnings:
            self.warnings.append(text)

    def guid(self, raw: str | None, what: str, name: str) -> str:
        if raw is None or not raw.strip():
            guid = stable_guid("missing", f"{what}:{name}:{len(self.used)}")
            self.warn(_l("%(what)s \"%(name)s\" has no GUID; a new one was given.", what=what, name=name))
        elif is_guid(raw):
            guid = normalise_guid(raw)
        else:
            guid = stable_guid("foreign", raw.strip())
            self.warn(
                _l("%(what)s \"%(name)s\" has an invalid GUID \"%(guid)s\"; a new one was given.",
                   what=what, name=name, guid=raw.strip()[:60])
            )
        if guid in self.used:
            original = guid
            guid = stable_guid("duplicate", f"{original}:{len(self.used)}")
            self.warn(
                _l("The GUID %(guid)s is used twice (again by \"%(name)s\"); the second one was given a new GUID.",
                   guid=original, name=name)
            )
        elif raw and raw.strip():
            self.seen.setdefault(_guid_key(raw), guid)
        self.used.add(guid)
        return guid

    def description(self, element: etree._Element) -> str:
        parts = [_element_text(d) for d in _children(element, "description")]
        attribute = _attr(element, "description", "desc")
        if attribute:
            parts.insert(0, attribute.strip())
        return "\n".join(p for p in parts if p)

    def code(self, element: etree._Element, depth: int = 0) -> CodeNode:
        name = (_attr(element, "name") or "").strip()
        if not name:
            name_el = _children(element, "name")
            name = _element_text(name_el[0]) if name_el else ""
        if not name:
            name = str(_l("(unnamed code)"))
            self.warn(_l("A code without a name was imported as \"%(name)s\".", name=name))
        guid = self.guid(_attr(element, "guid", "id"), str(_l("Code")), name)
        codable = _bool(_attr(element, "isCodable", "codable"))
        if codable is None:
            self.missing_codable += 1
            codable = True
        raw_color = _attr(element, "color", "colour")
        color = normalise_color(raw_color)
        if raw_color and color is None:
            self.bad_colors.append(raw_color)
        node = CodeNode(guid=guid, name=name, description=self.description(element), color=color,
                        is_codable=codable)
        for ref in _children(element, "noteref"):  # memos on the code (projects)
            target = _attr(ref, "targetGUID", "guid")
            if target and target.strip():
                node.note_guids.append(_guid_key(target))
        if depth > 100:
            self.warn(_l("Codes nested more than 100 levels deep were ignored."))
            return node
        nested = _children(element, "code")
        for wrapper in _children(element, "codes"):  # some tools wrap sub-codes in <Codes>
            nested.extend(_children(wrapper, "code"))
        node.children = [self.code(child, depth + 1) for child in nested]
        return node

    def sets(self, container: etree._Element, code_guids: set[str]) -> list[CodeSet]:
        result: list[CodeSet] = []
        for set_el in _children(container, "set"):
            member_codes = _children(set_el, "membercode")
            if not member_codes and (_children(set_el, "membersource") or _children(set_el, "membernote")):
                continue  # a set of documents or memos, not a code group
            name = (_attr(set_el, "name") or "").strip() or str(_l("(unnamed group)"))
            guid = self.guid(_attr(set_el, "guid", "id"), str(_l("Code group")), name)
            members: list[str] = []
            for member in member_codes:
                raw = _attr(member, "guid", "targetGUID", "target")
                target = self.seen.get(_guid_key(raw)) if raw and raw.strip() else None
                if target is None or target not in code_guids:
                    self.warn(
                        _l("Code group \"%(name)s\" refers to a code that is not in the file (%(guid)s); "
                           "that member was skipped.", name=name, guid=(raw or "?")[:60])
                    )
                elif target not in members:
                    members.append(target)
            result.append(CodeSet(guid=guid, name=name, description=self.description(set_el), member_guids=members))
        return result


def _walk(nodes: list[CodeNode]) -> list[CodeNode]:
    out: list[CodeNode] = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node.children))
    return out


def _tool(origin: str | None) -> str | None:
    if not origin or not origin.strip():
        return None
    lowered = origin.lower()
    for tool in _KNOWN_TOOLS:
        if tool.lower() in lowered:
            return tool
    return origin.strip()[:80]


def _find_first(root: etree._Element, name: str) -> etree._Element | None:
    for element in root.iter():
        if _local(element) == name:
            return element
    return None


def parse_qdc(data: bytes) -> ParsedCodebook:
    """Read a codebook as real tools write it (.qdc; a .qde project or a .qdpx archive is read for its codebook).

    Returns the code tree, the code groups (Sets), warnings for everything that was repaired, and the tool named
    by the file's ``origin``. Raises ``QdcError`` only when the file cannot be read at all: not XML, empty, a DTD
    or entities (XXE), or no codes.
    """
    if data[:4] == b"PK\x03\x04":
        return parse_qdpx(data)
    return read_codebook(_parse_xml(data))[0]


def read_codebook(root: etree._Element, require_codes: bool = True) -> tuple[ParsedCodebook, _Reader]:
    """The codebook of a parsed codebook or project document, and the reader that walked it (its ``seen`` maps
    each GUID as written in the file to the GUID the code was given, for resolving references to codes)."""
    reader = _Reader()
    root_name = _local(root)
    ns = etree.QName(root.tag).namespace if isinstance(root.tag, str) else None
    if root_name == "project":
        reader.warn(_l("This is a REFI-QDA project file, not a codebook; its codebook was read."))
        direct = _children(root, "codebook")
        codebook = direct[0] if direct else _find_first(root, "codebook")
        expected_ns = PROJECT_NS
    elif root_name == "codebook":
        codebook = root
        expected_ns = CODEBOOK_NS
    else:
        codebook = _find_first(root, "codebook")
        expected_ns = CODEBOOK_NS
        if codebook is None:
            raise QdcError(
                _l("This XML file is not a REFI-QDA codebook (its root element is <%(root)s>).",
                   root=str(etree.QName(root.tag).localname)[:40])
            )
        reader.warn(_l("The codebook was found inside an unexpected <%(root)s> element.",
                       root=str(etree.QName(root.tag).localname)[:40]))
    if ns is None:
        reader.warn(_l("The file has no REFI-QDA namespace; it was read anyway."))
    elif ns != expected_ns:
        reader.warn(_l("The file uses the namespace \"%(ns)s\" instead of \"%(expected)s\"; it was read anyway.",
                       ns=ns[:80], expected=expected_ns))
    codes_containers = _children(codebook, "codes") if codebook is not None else []
    code_elements = [c for container in codes_containers for c in _children(container, "code")]
    if codebook is not None and not code_elements:
        code_elements = _children(codebook, "code")  # <CodeBook><Code/>… without <Codes>
    if not code_elements and require_codes:
        raise QdcError(_l("The file contains no codes."))
    codes = [reader.code(element) for element in code_elements]
    all_codes = _walk(codes)
    if reader.missing_codable:
        reader.warn(_l("%(n)s codes did not say whether they can be applied; they were taken as codable.",
                       n=reader.missing_codable))
    if reader.bad_colors:
        reader.warn(_l("Colours that could not be understood were dropped: %(colors)s.",
                       colors=", ".join(sorted(set(reader.bad_colors)))[:200]))
    code_guids = {node.guid for node in all_codes}
    set_containers = _children(codebook, "sets") if codebook is not None else []
    if root is not codebook:
        set_containers += _children(root, "sets")
    sets = [s for container in set_containers for s in reader.sets(container, code_guids)]
    return ParsedCodebook(codes=codes, sets=sets, warnings=reader.warnings, tool=_tool(_attr(root, "origin"))), reader


def parse_qdpx(data: bytes) -> ParsedCodebook:
    """Read the codebook of a REFI-QDA project archive (.qdpx): the ``.qde`` file inside, via ``parse_qdc``."""
    from peer_review.evidence.uploads import UploadRejected, _open_zip_guarded

    try:
        archive = _open_zip_guarded(data)
    except UploadRejected as exc:
        raise QdcError(exc.message) from exc
    with archive:
        candidates = [i for i in archive.infolist() if i.filename.lower().endswith(".qde") and not i.is_dir()]
        if not candidates:
            raise QdcError(_l("The archive contains no project.qde file; it is not a REFI-QDA project."))
        candidates.sort(key=lambda i: (i.filename.lower() != "project.qde", i.filename.count("/"), i.filename))
        xml = archive.read(candidates[0])
    if xml[:2] == b"PK":  # an archive inside the archive: never recurse
        raise QdcError(_l("The project.qde file inside the archive is not XML."))
    parsed = parse_qdc(xml)
    parsed.warnings = [w for w in parsed.warnings if w != str(
        _l("This is a REFI-QDA project file, not a codebook; its codebook was read."))]
    return parsed


def validate(xml_bytes: bytes, schema_path: str | Path) -> list[str]:
    """Validate XML against an XSD; return the errors (empty list when valid). Used by tests and diagnostics."""
    schema = etree.XMLSchema(etree.parse(str(schema_path), parser=_parser()))
    document = etree.fromstring(xml_bytes, parser=_parser())
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
