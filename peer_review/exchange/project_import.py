"""Importing a REFI-QDA project (.qdpx, .qde) into one cycle and city, and the workbench's own notes that make its
project exports come back whole.

- ``read_project_upload`` checks and reads a file (``refiqda_project.parse_project``).
- ``plan_project_import`` says, without changing anything, what an import would do: the codebook plan (codes
  matched or new, as the codebook import), each source becoming an evidence item of the chosen city and cycle (or
  why it cannot), its coded passages and codings, the memos, who each of the file's people is here (an account
  matched by email, else by name, else a name recorded without an account), and everything that is not imported.
- ``apply_project_import`` does exactly that, or nothing: any failure rolls the session back.
- ``workbench_notes`` is what a project export adds for the workbench (translations, code directions and
  families, each item's kind, language, date, groups, consent and visibility), which REFI-QDA has no place for.

Messages that name something from the file (a source, a person) are plain ``gettext`` strings, so templates
escape them.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..audit.operations import record
from ..cities.models import City
from ..coding import refiqda
from ..coding.models import Code, Coding, Memo
from ..coding.operations import MAX_DEFINITION, MAX_LABEL
from ..coding.refiqda_project import SKIPPED_KINDS, ParsedProject, parse_project
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence import vocab
from ..evidence.models import EvidenceItem
from ..evidence.operations import MAX_TEXT, create_item, import_context
from ..evidence.sanitize import _CONTROL_RE, clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..users.models import User
from ..utils import utcnow
from . import operations as ops

PROJECT_EXTENSIONS = (".qdpx", ".qde")
PROJECT_MAX_BYTES = 50 * 1024 * 1024
WORKBENCH_FORMAT = "safer-cities-workbench"
_KEY_RE = re.compile(r"^[a-z0-9_]{1,60}$")
_ITEM_FIELDS = ("type", "language", "date", "area", "source", "gender", "age_group", "vulnerable_groups",
                "consent", "visibility")
# Consent choices an import may give (withdrawn consent means the item may not be coded at all).
IMPORT_CONSENT = tuple((v, label) for v, label in vocab.CONSENT if v != "withdrawn")

NOT_IMPORTED = {
    "text_sources": _l("text sources whose text is not in the file"),
    "picture_sources": _l("pictures"),
    "audio_sources": _l("audio recordings"),
    "video_sources": _l("videos"),
    "pdf_sources": _l("PDF documents without a text version"),
    "pdf_selections": _l("areas marked on PDF pages"),
    "selections": _l("passages outside their text, or of a source that is not imported"),
    "codings": _l("codings of codes that are not in the file"),
    "notes": _l("empty memos"),
    "cases": _l("cases"),
    "variables": _l("variables and their values"),
    "links": _l("links between items"),
    "graphs": _l("graphs"),
    "source_sets": _l("documents and memos listed in sets (sets of codes become code groups)"),
    "unattached_notes": _l("memos attached to the project as a whole or to nothing"),
    "sources": _l("sources that cannot become evidence items (see the list)"),
    "duplicate_codings": _l("codings repeated on the same passage by people without an account here"),
}


# --- The workbench's own notes in its exports ---------------------------------------------------------------

def workbench_notes(codes: list[Code], items: list[EvidenceItem]) -> dict:
    """What REFI-QDA cannot hold, keyed by the GUIDs the export gives codes and sources."""
    return {
        "format": WORKBENCH_FORMAT, "version": 1,
        "codes": {ops.code_guid(c): {"key": c.key, "parent": c.parent.key if c.parent else None,
                                     "direction": c.direction, "family": c.family, "labels": dict(c.labels or {}),
                                     "definitions": dict(c.definitions or {}), "retired": bool(c.retired)}
                  for c in codes},
        "sources": {refiqda.stable_guid("evidence", i.id): {
            "type": i.type, "language": i.language, "date": i.date.isoformat() if i.date else None,
            "area": i.area or "", "source": i.source or "", "gender": i.gender, "age_group": i.age_group,
            "vulnerable_groups": i.group_list, "consent": i.consent, "visibility": i.visibility} for i in items},
    }


def _notes_of(parsed: ParsedProject, part: str) -> dict:
    notes = parsed.workbench or {}
    if notes.get("format") != WORKBENCH_FORMAT or not isinstance(notes.get(part), dict):
        return {}
    return {refiqda.normalise_guid(k): v for k, v in notes[part].items()
            if isinstance(k, str) and refiqda.is_guid(k) and isinstance(v, dict)}


# --- Text: the stored text and where the file's positions fall in it ------------------------------------------

def clean_with_positions(text: str) -> tuple[str, list[int] | None]:
    """``clean_text(text)`` and, for every position 0..len(text) of the original, the position in the cleaned
    text (None when nothing moved). Newlines are normalised and control characters dropped as ``clean_text``
    does; NFC normalisation moves positions only inside the combining sequences it composes."""
    out: list[str] = []
    positions: list[int] = []
    moved = False
    i = 0
    while i < len(text):
        ch = text[i]
        positions.append(len(out))
        if ch == "\r":
            out.append("\n")
            if i + 1 < len(text) and text[i + 1] == "\n":
                positions.append(len(out))
                i += 1
            moved = True
        elif ch in "\u2028\u2029":
            out.append("\n")
        elif _CONTROL_RE.match(ch):
            moved = True
        else:
            out.append(ch)
        i += 1
    positions.append(len(out))
    first = "".join(out)
    if not unicodedata.is_normalized("NFC", first):
        moved = True
        cache: dict[int, int] = {}

        def nfc_position(p: int) -> int:
            if p not in cache:
                cache[p] = len(unicodedata.normalize("NFC", first[:p]))
            return cache[p]
        positions = [nfc_position(p) for p in positions]
        first = unicodedata.normalize("NFC", first)
    cleaned = clean_text(text)
    if cleaned != first:  # cannot happen unless clean_text changes; then only whole-item codings are safe
        return cleaned, []
    return cleaned, positions if moved else None


# --- Planning ------------------------------------------------------------------------------------------------

@dataclass
class Choices:
    """Where the sources go and what they are: the importing facilitator's choices (sources exported by the
    workbench bring their own kind, language, consent and visibility)."""

    city: City
    cycle: Cycle
    type: str
    language: str
    consent: str
    visibility: str


@dataclass
class PlannedPerson:
    user: refiqda.QdaUser
    account: User | None = None
    matched_by: str | None = None  # "email" | "name"

    @property
    def name(self) -> str:
        return self.account.name if self.account else (self.user.name or self.user.id or "")[:120]


@dataclass
class PlannedCoding:
    code_guid: str
    start: int | None
    end: int | None
    person: PlannedPerson | None
    created: dt.datetime | None
    note_guids: list[str] = field(default_factory=list)


@dataclass
class PlannedSource:
    source: refiqda.QdaSource
    title: str
    text: str
    values: dict
    codings: list[PlannedCoding] = field(default_factory=list)
    passages: int = 0
    memos: int = 0
    problem: str | None = None  # why it is not imported

    @property
    def imported(self) -> bool:
        return self.problem is None


@dataclass
class ProjectPlan:
    parsed: ParsedProject
    choices: Choices
    codebook: ops.CodebookPlan
    sources: list[PlannedSource]
    people: list[PlannedPerson]
    not_imported: list[tuple[str, int]]
    memos: int

    @property
    def counts(self) -> dict:
        imported = [s for s in self.sources if s.imported]
        return {"sources": len(imported), "passages": sum(s.passages for s in imported),
                "codings": sum(len(s.codings) for s in imported), "memos": self.memos,
                "new_codes": self.codebook.counts["new_codes"], "matched_codes": self.codebook.counts["matched_codes"]}


def check_project_upload(filename: str, data: bytes) -> str:
    return ops._check_name_and_size(filename, data, PROJECT_EXTENSIONS, PROJECT_MAX_BYTES)


def read_project_upload(filename: str, data: bytes) -> ParsedProject:
    """Raises ``ops.UploadRefused`` or ``refiqda.QdcError`` naming the problem."""
    check_project_upload(filename, data)
    return parse_project(data)


def check_choices(user, city: City | None, cycle: Cycle | None, values: dict) -> Choices:
    """The choices, or ``ValidationFailed`` naming each problem: the city and cycle must be ones this person may
    import into, the city must take part in the cycle, and each value must be one of its vocabulary's."""
    cities, cycles = import_context(user)
    errors: dict[str, list] = {}
    if city is None or city.slug not in cities:
        errors["city"] = [_("Choose a city")]
    if cycle is None or cycle.name not in cycles:
        errors["cycle"] = [_("Choose a cycle that is not closed")]
    if not errors and city.id not in cycle.city_ids:
        errors["city"] = [_("%(city)s does not take part in %(cycle)s.", city=city.name, cycle=cycle.name)]
    for key, voc in (("type", vocab.EVIDENCE_TYPES), ("language", vocab.LANGUAGES), ("consent", IMPORT_CONSENT),
                     ("visibility", vocab.VISIBILITY)):
        if values.get(key) not in vocab.values(voc):
            errors[key] = [_("Choose one of the options")]
    if errors:
        raise ValidationFailed(errors)
    return Choices(city=city, cycle=cycle, type=values["type"], language=values["language"],
                   consent=values["consent"], visibility=values["visibility"])


def _people(parsed: ParsedProject) -> dict[str, PlannedPerson]:
    """Each person of the file: the account with their email (in ``id`` or ``name``), else the only account with
    their name (ignoring case), else no account (their name is recorded)."""
    accounts = db.session.execute(db.select(User)).scalars().all()
    by_email = {u.email.casefold(): u for u in accounts}
    by_name: dict[str, list[User]] = {}
    for account in accounts:
        by_name.setdefault((account.name or "").strip().casefold(), []).append(account)
    out = {}
    for user in parsed.users:
        person = PlannedPerson(user=user)
        for value in (user.id, user.name):
            if value and "@" in value and value.strip().casefold() in by_email:
                person.account, person.matched_by = by_email[value.strip().casefold()], "email"
                break
        if person.account is None and user.name:
            same = by_name.get(user.name.strip().casefold(), [])
            if len(same) == 1:
                person.account, person.matched_by = same[0], "name"
        out[user.guid] = person
    return out


def _title(name: str) -> str:
    title = " ".join(clean_text(name).split())
    return title if len(title) <= 200 else title[:199] + "…"


def _item_values(choices: Choices, notes: dict | None, filename: str, tool: str | None) -> dict:
    values = {"type": choices.type, "language": choices.language, "consent": choices.consent,
              "visibility": choices.visibility, "date": None, "area": "", "gender": "unspecified",
              "age_group": "unspecified", "vulnerable_groups": [],
              "source": _("Imported from %(file)s", file=filename)[:300] if not tool else
              _("Imported from %(file)s (%(tool)s)", file=filename, tool=tool)[:300]}
    for key, voc in (("type", vocab.EVIDENCE_TYPES), ("language", vocab.LANGUAGES), ("consent", IMPORT_CONSENT),
                     ("visibility", vocab.VISIBILITY), ("gender", vocab.GENDERS), ("age_group", vocab.AGE_GROUPS)):
        if notes and notes.get(key) in vocab.values(voc):
            values[key] = notes[key]
    if notes:
        try:
            values["date"] = dt.date.fromisoformat(notes["date"]) if notes.get("date") else None
        except (TypeError, ValueError):
            pass
        for key, limit in (("area", 120), ("source", 300)):
            if isinstance(notes.get(key), str):
                values[key] = " ".join(clean_text(notes[key]).split())[:limit]
        groups = notes.get("vulnerable_groups")
        if isinstance(groups, list):
            values["vulnerable_groups"] = [g for g in groups if g in vocab.values(vocab.VULNERABLE_GROUPS)]
    return values


def plan_project_import(parsed: ParsedProject, choices: Choices, filename: str = "") -> ProjectPlan:
    codebook = ops.plan_codebook_import(parsed.codebook)
    known_codes = {refiqda.normalise_guid(p.node.guid) for p in codebook.walk()}
    people = _people(parsed)
    notes = {n.guid: n for n in parsed.notes}
    source_notes = _notes_of(parsed, "sources")
    not_imported = {k: v for k, v in parsed.skipped.items() if v}
    attached: set[str] = set()
    memos = 0
    existing = {(t, x) for t, x in db.session.execute(db.select(EvidenceItem.title, EvidenceItem.text).filter_by(
        city_id=choices.city.id, cycle_id=choices.cycle.id))}

    planned_sources = []
    for source in parsed.sources:
        text, positions = clean_with_positions(source.text)
        title = _title(source.name) or _("Untitled source")
        planned = PlannedSource(source=source, title=title, text=text,
                                values=_item_values(choices, source_notes.get(source.guid), filename, parsed.tool))
        planned_sources.append(planned)
        if not text.strip():
            planned.problem = _("Its text is empty.")
        elif len(text) > MAX_TEXT:
            planned.problem = _("Its text is longer than %(n)s characters; attach it as a document instead.",
                                n=f"{MAX_TEXT:,}")
        elif (title, text) in existing:
            planned.problem = _("It is already an evidence item of %(city)s in %(cycle)s.", city=choices.city.name,
                                cycle=choices.cycle.name)
        if planned.problem:
            not_imported["selections"] = not_imported.get("selections", 0) + len(source.selections)
            continue

        def person(*guids) -> PlannedPerson | None:
            for guid in guids:
                if guid and guid in people:
                    return people[guid]
            return None
        for coding in source.codings:
            planned.codings.append(PlannedCoding(coding.code_guid, None, None,
                                                 person(coding.creating_user, source.creating_user), coding.created,
                                                 list(coding.note_guids)))
        for selection in source.selections:
            start, end = selection.start, selection.end
            if positions is not None:
                start, end = (positions[start], positions[end]) if positions else (-1, -1)
            if not 0 <= start < end <= len(text):
                not_imported["selections"] = not_imported.get("selections", 0) + 1
                continue
            planned.passages += 1
            first = len(planned.codings)
            for coding in selection.codings:
                planned.codings.append(PlannedCoding(
                    coding.code_guid, start, end, person(coding.creating_user, selection.creating_user),
                    coding.created or selection.created, list(coding.note_guids)))
            if selection.note_guids:  # memos on a passage go to its first coding, or to the item
                target = planned.codings[first] if len(planned.codings) > first else None
                if target is not None:
                    target.note_guids += selection.note_guids
                else:
                    source.note_guids += selection.note_guids
        planned.codings = [c for c in planned.codings if refiqda.normalise_guid(c.code_guid) in known_codes]
        refs = list(source.note_guids) + [g for c in planned.codings for g in c.note_guids]
        planned.memos = sum(1 for g in refs if g in notes)
        attached.update(g for g in refs if g in notes)
        memos += planned.memos
    code_refs = _code_note_refs(parsed)
    memos += sum(1 for g in code_refs if g in notes)
    attached.update(g for g in code_refs if g in notes)
    unattached = len([g for g in notes if g not in attached])
    if unattached:
        not_imported["unattached_notes"] = unattached
    rejected = sum(1 for s in planned_sources if not s.imported)
    if rejected:
        not_imported["sources"] = rejected
    order = [*SKIPPED_KINDS, "unattached_notes", "sources"]
    listed = sorted(not_imported.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    return ProjectPlan(parsed=parsed, choices=choices, codebook=codebook, sources=planned_sources,
                       people=list(people.values()), not_imported=listed, memos=memos)


def _code_note_refs(parsed: ParsedProject) -> list[str]:
    return [g for node in refiqda._walk(parsed.codebook.codes) for g in node.note_guids]


def not_imported_text(kind: str) -> str:
    return str(NOT_IMPORTED.get(kind, kind))


# --- Applying ------------------------------------------------------------------------------------------------

def _complete_codes(plan: ProjectPlan) -> dict[str, Code]:
    """The codebook's codes by file GUID after the codebook import, completed from the workbench's notes: a new
    code gets its id, translations, direction, family and retired state back; a matched code only gains the
    translations it lacks (nothing it has is overwritten)."""
    notes = _notes_of(plan.parsed, "codes")
    by_key = {c.key: c for c in db.session.execute(db.select(Code)).scalars()}
    out: dict[str, Code] = {}
    for planned in plan.codebook.walk():
        guid = refiqda.normalise_guid(planned.node.guid)
        code = by_key.get(planned.key)
        if code is None:
            continue
        out.setdefault(guid, code)
        note = notes.get(guid)
        if not note:
            continue
        labels = {k: " ".join(str(v).split())[:MAX_LABEL] for k, v in (note.get("labels") or {}).items()
                  if k in vocab.values(vocab.LANGUAGES) and isinstance(v, str) and v.strip()}
        definitions = {k: str(v).strip()[:MAX_DEFINITION] for k, v in (note.get("definitions") or {}).items()
                       if k in vocab.values(vocab.LANGUAGES) and isinstance(v, str) and v.strip()}
        if planned.status == "new":
            key = note.get("key")
            if isinstance(key, str) and _KEY_RE.fullmatch(key) and key not in by_key:
                del by_key[code.key]
                code.key = key
                by_key[key] = code
            code.labels = labels or code.labels
            code.definitions = definitions or code.definitions
            if note.get("direction") in ("more", "less"):
                code.direction = note["direction"]
            if note.get("family") in ("process", "culture", "context"):
                code.family = note["family"]
            code.retired = bool(note.get("retired"))
        else:
            missing_labels = {k: v for k, v in labels.items() if not (code.labels or {}).get(k)}
            missing_definitions = {k: v for k, v in definitions.items() if not (code.definitions or {}).get(k)}
            if missing_labels:
                code.labels = {**(code.labels or {}), **missing_labels}
            if missing_definitions:
                code.definitions = {**(code.definitions or {}), **missing_definitions}
    db.session.flush()
    return out


def apply_project_import(parsed: ParsedProject, choices: Choices, actor, filename: str = "") -> dict:
    """Import what ``plan_project_import`` shows, or nothing (the session is rolled back on any failure and the
    error raised again). Audited; the caller commits. Returns the counts."""
    try:
        return _apply(parsed, choices, actor, filename)
    except Exception:
        db.session.rollback()
        raise


def _apply(parsed: ParsedProject, choices: Choices, actor, filename: str) -> dict:
    plan = plan_project_import(parsed, choices, filename)
    if parsed.codebook.codes:
        ops.apply_codebook_import(parsed.codebook, actor=actor, language=choices.language, filename=filename)
    codes = _complete_codes(plan)
    notes = {n.guid: n for n in parsed.notes}
    people = {p.user.guid: p for p in plan.people}
    counts = {"sources": 0, "passages": 0, "codings": 0, "memos": 0, "duplicate_codings": 0}

    def add_memo(target_type: str, target_id: int, guids: list[str]) -> None:
        for guid in dict.fromkeys(guids):
            note = notes.get(guid)
            if note is None:
                continue
            text = (clean_text(note.text) or "").strip()[:10_000]
            if target_type == "code" and db.session.execute(db.select(Memo.id).filter_by(
                    target_type="code", target_id=target_id, text=text).limit(1)).first():
                continue  # the same memo on the same code, from an earlier import
            author = people.get(note.creating_user) if note.creating_user else None
            db.session.add(Memo(target_type=target_type, target_id=target_id, text=text,
                                author_id=author.account.id if author and author.account else None,
                                author_name=author.name if author and not author.account else None,
                                created_at=note.created or utcnow()))
            counts["memos"] += 1

    with db.session.no_autoflush:
        for planned in plan.sources:
            if not planned.imported:
                continue
            item = create_item({**planned.values, "city": choices.city, "cycle": choices.cycle,
                                "title": planned.title, "text": planned.text}, actor=actor)
            if item.text != planned.text:
                raise ValidationFailed({"text": [_("The text of %(title)s changed when stored.", title=planned.title)]})
            counts["sources"] += 1
            counts["passages"] += planned.passages
            add_memo("item", item.id, planned.source.note_guids)
            seen: dict[tuple, Coding] = {}
            for pc in planned.codings:
                code = codes.get(refiqda.normalise_guid(pc.code_guid))
                if code is None:
                    continue
                account = pc.person.account if pc.person else None
                identity = (code.id, pc.start, pc.end, account.id if account else None)
                coding = seen.get(identity)
                if coding is None:
                    coding = Coding(item=item, code=code, start_offset=pc.start, end_offset=pc.end,
                                    coder_id=account.id if account else None,
                                    coder_name=pc.person.name if pc.person and not account else None,
                                    origin="imported", created_at=pc.created or utcnow())
                    db.session.add(coding)
                    db.session.flush()
                    seen[identity] = coding
                    counts["codings"] += 1
                else:
                    counts["duplicate_codings"] += 1
                add_memo("coding", coding.id, pc.note_guids)
        for node in refiqda._walk(parsed.codebook.codes):
            code = codes.get(refiqda.normalise_guid(node.guid))
            if code is not None and node.note_guids:
                add_memo("code", code.id, node.note_guids)
    db.session.flush()
    record("project.import", "cycle", choices.cycle.id,
           summary=_("%(file)s into %(city)s, %(cycle)s: %(sources)s items, %(codings)s codings, %(memos)s memos",
                     file=filename or "project", city=choices.city.name, cycle=choices.cycle.name,
                     sources=counts["sources"], codings=counts["codings"], memos=counts["memos"]),
           after={**counts, "file": filename, "tool": parsed.tool, "city": choices.city.slug,
                  "cycle": choices.cycle.name,
                  "not_imported": dict(plan.not_imported),
                  "people": {p.user.name or p.user.guid: (p.account.email if p.account else None)
                             for p in plan.people}},
           actor=actor)
    return counts
