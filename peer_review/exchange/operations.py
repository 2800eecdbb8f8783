"""Moving evidence and codebooks in and out: plain functions the exchange views call and tests call directly.

- Evidence tables (CSV/XLSX): ``check_evidence_table`` reads and validates a file for a person without changing
  anything; ``import_evidence_table`` does it again and imports every row or none. ``export_evidence`` writes the
  same columns back, so an export re-imports.
- Uploads waiting for confirmation are kept server-side under ``instance/imports/`` behind a random token bound to
  the person who uploaded (``stash_upload`` / ``load_upload`` / ``discard_upload``); only the token travels.
- Codebooks: ``codebook_qdc`` and ``codebook_yaml`` export; ``read_codebook_upload`` + ``plan_codebook_import`` show
  what an import of a REFI-QDA codebook would match or add, ``apply_codebook_import`` does it (idempotent).
- Projects: ``cycle_project`` writes a cycle's visible, coded evidence as a REFI-QDA project (.qdpx).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field

import yaml
from flask import current_app

from ..audit.operations import record
from ..cities.models import City
from ..coding import refiqda
from ..coding.models import Code, CodeGroup, Coding, Memo
from ..coding.operations import MAX_DEFINITION, MAX_LABEL, all_codes, codebook_as_data
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence import tabular, vocab
from ..evidence.operations import (
    export_rows,
    import_context,
    import_rows,
    visible_items,
)
from ..evidence.uploads import safe_filename
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..input_limits import parse_id
from ..utils import slugify, strip_control

TABLE_MAX_BYTES = 5 * 1024 * 1024
CODEBOOK_MAX_BYTES = 20 * 1024 * 1024
TOKEN_MAX_AGE = 60 * 60  # seconds an upload waits for its confirmation
TABLE_EXTENSIONS = (".csv", ".xlsx")
CODEBOOK_EXTENSIONS = (".qdc", ".qde", ".qdpx", ".xml")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
_ROW_FIELD_RE = re.compile(r"^row (\d+): (\w+)$")


class UploadNotFound(LookupError):
    """The token is malformed, unknown, expired, for another kind of upload, or belongs to someone else."""


class UploadRefused(ValueError):
    """A file refused as a whole (too large, wrong kind); ``message`` is translatable and says why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


class RowsRejected(ValueError):
    """Rows of a table failed validation; ``errors`` lists every problem (row, column, message)."""

    def __init__(self, errors: list[tabular.RowError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def _size_mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}"


def _check_name_and_size(filename: str, data: bytes, extensions: tuple[str, ...], limit: int) -> str:
    name = safe_filename(filename, default="upload")
    ext = os.path.splitext(name)[1].lower()
    if ext not in extensions:
        raise UploadRefused(_l("Choose a file ending in %(extensions)s.", extensions=", ".join(extensions)))
    if len(data) > limit:
        raise UploadRefused(_l("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.",
                               size=_size_mb(len(data)), limit=_size_mb(limit)))
    if not data:
        raise UploadRefused(_l("The file is empty."))
    return name


# --- Uploads waiting for confirmation ------------------------------------------------------------------

@dataclass
class Stashed:
    token: str
    filename: str
    data: bytes
    kind: str


def imports_folder() -> str:
    folder = os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def _paths(token: str) -> tuple[str, str]:
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise UploadNotFound(token)
    folder = imports_folder()
    return os.path.join(folder, f"{token}.json"), os.path.join(folder, f"{token}.upload")


def stash_upload(kind: str, user, filename: str, data: bytes) -> str:
    """Keep an upload until it is confirmed; return the random token that names it (nothing else is sent)."""
    purge_expired_uploads()
    token = secrets.token_urlsafe(32)  # 43 URL-safe characters, 256 bits
    meta_path, data_path = _paths(token)
    with open(data_path, "xb") as fh:
        fh.write(data)
    with open(meta_path, "x", encoding="utf-8") as fh:
        json.dump({"user_id": user.id, "kind": kind, "filename": safe_filename(filename, default="upload"),
                   "created": time.time()}, fh)
    return token


def load_upload(kind: str, token: str, user, claim: bool = False) -> Stashed:
    """The upload behind ``token`` if it is of this kind, still fresh and was made by ``user``.

    With ``claim`` the token is used up atomically (two confirmations sent at once cannot both import).
    """
    meta_path, data_path = _paths(token)
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
        with open(data_path, "rb") as fh:
            data = fh.read()
    except (OSError, ValueError):
        raise UploadNotFound(token) from None
    if meta.get("kind") != kind or meta.get("user_id") != getattr(user, "id", None):
        raise UploadNotFound(token)
    if time.time() - float(meta.get("created") or 0) > TOKEN_MAX_AGE:
        discard_upload(token)
        raise UploadNotFound(token)
    if claim:
        try:
            os.rename(meta_path, meta_path + ".used")  # atomic: only one request wins
        except OSError:
            raise UploadNotFound(token) from None
    return Stashed(token=token, filename=safe_filename(meta.get("filename"), default="upload"), data=data,
                   kind=kind)


def discard_upload(token: str) -> None:
    try:
        paths = _paths(token)
    except UploadNotFound:
        return
    for path in (*paths, paths[0] + ".used"):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def purge_expired_uploads(now: float | None = None) -> int:
    now = time.time() if now is None else now
    removed = 0
    folder = imports_folder()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > TOKEN_MAX_AGE:
                os.remove(path)
                removed += 1
        except OSError:
            continue
    return removed


# --- Evidence tables -----------------------------------------------------------------------------------

def check_table_upload(filename: str, data: bytes) -> str:
    """Refuse a table upload that is not .csv/.xlsx, empty or over the size limit; return a safe name."""
    return _check_name_and_size(filename, data, TABLE_EXTENSIONS, TABLE_MAX_BYTES)


def check_evidence_table(filename: str, data: bytes, user) -> tuple[list[dict], list[tabular.RowError]]:
    """Read and validate a table for ``user`` without changing anything: ``(valid rows, every row error)``.

    Raises ``UploadRefused`` or ``tabular.TableError`` when the file as a whole cannot be read.
    """
    name = check_table_upload(filename, data)
    rows = tabular.read_table(name, data)
    cities, cycles = import_context(user)
    valid, errors = tabular.validate_rows(rows, cities=cities, cycles=cycles)
    errors = list(errors) + _participation_errors(valid) + _visibility_errors(valid, user)
    errors.sort(key=lambda e: (e.row, tabular.COLUMNS.index(e.column) if e.column in tabular.COLUMNS else 99))
    bad_rows = {e.row for e in errors}
    return [r for r in valid if r[tabular.ROW_KEY] not in bad_rows], errors


def _participation_errors(rows: list[dict]) -> list[tabular.RowError]:
    """A row's city must take part in its cycle (the operations check it too; here it shows in the preview)."""
    names = {r["cycle"] for r in rows if r.get("cycle")}
    if not names:
        return []
    cycles = {c.name: c for c in db.session.execute(db.select(Cycle).filter(Cycle.name.in_(names))).scalars()}
    slugs = {s: c for s, c in db.session.execute(
        db.select(City.slug, City.id).filter(City.slug.in_({r["city"] for r in rows if r.get("city")})))}
    out = []
    for row in rows:
        cycle, city_id = cycles.get(row.get("cycle")), slugs.get(row.get("city"))
        if cycle is not None and city_id is not None and city_id not in cycle.city_ids:
            out.append(tabular.RowError(row[tabular.ROW_KEY], "cycle",
                                        _l("%(city)s does not take part in %(cycle)s.", city=row["city"],
                                           cycle=row["cycle"])))
    return out


def _visibility_errors(rows: list[dict], user) -> list[tabular.RowError]:
    """Rows the importer could not see once imported (the operations refuse them too)."""
    from ..evidence.models import EvidenceItem
    from ..evidence.operations import NOT_VISIBLE_AFTER_IMPORT, importer_sees
    ids = dict(db.session.execute(db.select(City.slug, City.id).filter(
        City.slug.in_({r["city"] for r in rows if r.get("city")}))).all())
    return [tabular.RowError(row[tabular.ROW_KEY], "visibility", NOT_VISIBLE_AFTER_IMPORT) for row in rows
            if row.get("city") in ids and row.get("visibility")
            and not importer_sees(user, EvidenceItem(city_id=ids[row["city"]], visibility=row["visibility"]))]


def import_evidence_table(filename: str, data: bytes, user) -> list:
    """Validate again and import every row, or none: raises ``RowsRejected`` (session rolled back) on any problem.

    The caller commits.
    """
    rows, errors = check_evidence_table(filename, data, user)
    if errors:
        raise RowsRejected(errors)
    if not rows:
        raise tabular.TableError(_l("The file has no rows to import."))
    try:
        return import_rows(rows, actor=user)
    except ValidationFailed as err:
        db.session.rollback()
        raise RowsRejected(_row_errors(err)) from err
    except Exception:
        db.session.rollback()
        raise


def _row_errors(err: ValidationFailed) -> list[tabular.RowError]:
    out = []
    for key, messages in err.fields.items():
        match = _ROW_FIELD_RE.match(key)
        row, column = (int(match.group(1)), match.group(2)) if match else (0, key)
        out.extend(tabular.RowError(row, column, m) for m in messages)
    return sorted(out, key=lambda e: e.row)


def evidence_filters(args) -> dict:
    """The evidence list's filters from query arguments (city slug, cycle id, type, language).

    An unknown city or cycle matches nothing (``None`` in ``"empty"``) rather than being ignored, so an export
    never silently widens to everything; an unknown type or language is ignored, as the list does.
    """
    out: dict = {}
    empty = False
    slug = (args.get("city") or "").strip()
    if slug:
        city = db.session.execute(db.select(City).filter_by(slug=slug[:80])).scalar_one_or_none()
        empty |= city is None
        out["city"] = city
    cycle_id = (args.get("cycle") or "").strip()
    if cycle_id:
        cycle = db.session.get(Cycle, number) if (number := parse_id(cycle_id)) is not None else None
        empty |= cycle is None
        out["cycle"] = cycle
    if args.get("type") in vocab.values(vocab.EVIDENCE_TYPES):
        out["type"] = args["type"]
    if args.get("language") in vocab.values(vocab.LANGUAGES):
        out["language"] = args["language"]
    out["empty"] = empty
    return out


def export_evidence(user, fmt: str, *, city=None, cycle=None, type=None, language=None, empty=False,
                    only_cities: set[int] | None = None) -> bytes:
    """The evidence ``user`` may see, filtered like the list (and to ``only_cities`` when given), as CSV or XLSX
    with the import's columns."""
    stmt = visible_items(user, city=city, cycle=cycle, type=type, language=language)
    if only_cities is not None:
        from ..evidence.models import EvidenceItem
        stmt = stmt.filter(EvidenceItem.city_id.in_(only_cities or [-1]))
    items = [] if empty else db.session.execute(stmt).unique().scalars().all()
    rows = export_rows(items)
    if fmt == "xlsx":
        return tabular.write_xlsx(rows)
    if fmt == "csv":
        return tabular.write_csv(rows)
    raise ValueError(f"unknown format {fmt!r}")


# --- Codebook export -----------------------------------------------------------------------------------

def code_guid(code: Code) -> str:
    return refiqda.normalise_guid(code.guid) if code.guid and refiqda.is_guid(code.guid) else \
        refiqda.stable_guid("code", code.key)


def group_guid(group: CodeGroup) -> str:
    return refiqda.normalise_guid(group.guid) if group.guid and refiqda.is_guid(group.guid) else \
        refiqda.stable_guid("code_group", group.name)


def _code_tree(codes: list[Code], notes: dict[int, list[str]] | None = None) -> list[refiqda.CodeNode]:
    """Nest ``codes`` by parent; a code whose parent is not included hangs under its nearest included ancestor."""
    included = {c.id: c for c in codes}
    nodes = {c.id: refiqda.CodeNode(guid=code_guid(c), name=c.label("en"), description=c.definition("en"),
                                    color=c.color, note_guids=list((notes or {}).get(c.id, [])))
             for c in codes}
    roots = []
    for code in sorted(codes, key=lambda c: (c.label("en").casefold(), c.key)):
        parent, seen = code.parent, {code.id}
        while parent is not None and parent.id not in included and parent.id not in seen:
            seen.add(parent.id)
            parent = parent.parent
        if parent is not None and parent.id in included and parent.id != code.id:
            nodes[parent.id].children.append(nodes[code.id])
        else:
            roots.append(nodes[code.id])
    return _break_cycles(roots, nodes)


def _break_cycles(roots, nodes):
    """Parents that form a loop (should never happen) would drop codes; put any unreached code at the top."""
    reached: set[int] = set()

    def walk(node):
        reached.add(id(node))
        for child in node.children:
            if id(child) not in reached:
                walk(child)
    for root in roots:
        walk(root)
    for node in nodes.values():
        if id(node) not in reached:
            for other in nodes.values():
                if node in other.children:
                    other.children.remove(node)
            roots.append(node)
            walk(node)
    return roots


def _code_sets(codes: list[Code]) -> list[refiqda.CodeSet]:
    guids = {c.id: code_guid(c) for c in codes}
    groups = db.session.execute(db.select(CodeGroup).order_by(CodeGroup.name)).scalars().all()
    return [refiqda.CodeSet(guid=group_guid(g), name=g.name, description=g.description or "",
                            member_guids=[guids[c.id] for c in g.codes if c.id in guids]) for g in groups]


def codebook_qdc() -> bytes:
    """Every code in use (not retired) with its sub-codes, and the code groups as Sets, as a REFI-QDA codebook.

    Raises ``LookupError`` when there are no codes (a codebook file needs at least one).
    """
    codes = all_codes(include_retired=False)
    if not codes:
        raise LookupError("no codes")
    return refiqda.export_qdc(_code_tree(codes), _code_sets(codes))


def codebook_yaml() -> bytes:
    """The codebook in the format of ``rubrics/codebook.yaml`` (retired codes included, marked)."""
    header = "# Codebook of the Safer Cities network, exported on {}. Ids are fixed.\n".format(
        dt.date.today().isoformat())
    body = yaml.safe_dump(codebook_as_data(), allow_unicode=True, sort_keys=False, width=110)
    return (header + body).encode("utf-8")


def codebook_taguette_csv() -> bytes:
    """Every code in use as Taguette 1.5 imports a codebook: CSV with the columns ``tag`` and ``description``, a
    sub-code's tag being its path of names joined by dots (``Parent.Child``). English names and definitions; a dot
    inside a name would read as a level there, so it is written as "·". UTF-8 with a BOM, formulas neutralised.

    Raises ``LookupError`` when there are no codes.
    """
    codes = all_codes(include_retired=False)
    if not codes:
        raise LookupError("no codes")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["tag", "description"])

    def walk(nodes: list[refiqda.CodeNode], path: list[str]) -> None:
        for node in nodes:
            here = [*path, " ".join(node.name.replace(".", "·").split())]
            writer.writerow([tabular.neutralise_formula(".".join(here)),
                             tabular.neutralise_formula(" ".join(node.description.split()))])
            walk(node.children, here)
    walk(_code_tree(codes), [])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- Codebook import -----------------------------------------------------------------------------------

@dataclass
class PlannedCode:
    node: refiqda.CodeNode
    status: str  # "matched" | "new"
    key: str  # the existing code's id, or the id the new code will get
    code: Code | None = None  # the matched code
    matched_by: str | None = None  # "guid" | "name"
    children: list[PlannedCode] = field(default_factory=list)


@dataclass
class PlannedGroup:
    set: refiqda.CodeSet
    status: str  # "matched" | "new"
    group: CodeGroup | None = None
    member_keys: list[str] = field(default_factory=list)
    first: bool = True  # False for a later Set of the file with the same name: merged into the first


@dataclass
class CodebookPlan:
    codes: list[PlannedCode]
    groups: list[PlannedGroup]
    warnings: list[str]
    tool: str | None

    def walk(self) -> list[PlannedCode]:
        out: list[PlannedCode] = []

        def visit(nodes):
            for n in nodes:
                out.append(n)
                visit(n.children)
        visit(self.codes)
        return out

    @property
    def counts(self) -> dict:
        codes = self.walk()
        return {"codes": len(codes), "new_codes": sum(c.status == "new" for c in codes),
                "matched_codes": sum(c.status == "matched" for c in codes),
                "groups": len([g for g in self.groups if g.first]),
                "new_groups": sum(g.status == "new" and g.first for g in self.groups)}


def check_codebook_upload(filename: str, data: bytes) -> str:
    return _check_name_and_size(filename, data, CODEBOOK_EXTENSIONS, CODEBOOK_MAX_BYTES)


def read_codebook_upload(filename: str, data: bytes) -> refiqda.ParsedCodebook:
    """Parse a codebook as tools write it; raises ``UploadRefused`` or ``refiqda.QdcError`` naming the problem."""
    check_codebook_upload(filename, data)
    return refiqda.parse_qdc(data)


def new_code_key(name: str, taken: set[str]) -> str:
    base = slugify(name).replace("-", "_")[:60] or "code"
    key, n = base, 2
    while key in taken:
        suffix = f"_{n}"
        key = base[: 60 - len(suffix)] + suffix
        n += 1
    return key


def plan_codebook_import(parsed: refiqda.ParsedCodebook) -> CodebookPlan:
    """What importing ``parsed`` would do: each code matched (same GUID, or a label in any language equal to its
    name, ignoring case) or new (with the id it will get); each Set matched by GUID or name, or new."""
    existing = db.session.execute(db.select(Code).order_by(Code.retired, Code.id)).scalars().all()
    by_guid: dict[str, Code] = {}
    by_name: dict[str, Code] = {}
    for code in existing:  # active codes first, so they win over retired ones on equal names
        if code.guid and refiqda.is_guid(code.guid):
            by_guid.setdefault(refiqda.normalise_guid(code.guid), code)
        by_guid.setdefault(refiqda.stable_guid("code", code.key), code)  # our own exports
        for label in (code.labels or {}).values():
            if isinstance(label, str) and label.strip():
                by_name.setdefault(label.strip().casefold(), code)
    taken = {c.key for c in existing}

    def plan(node: refiqda.CodeNode) -> PlannedCode:
        code = by_guid.get(refiqda.normalise_guid(node.guid)) if refiqda.is_guid(node.guid) else None
        how = "guid" if code is not None else None
        if code is None:
            code = by_name.get(node.name.strip().casefold())
            how = "name" if code is not None else None
        if code is not None:
            planned = PlannedCode(node=node, status="matched", key=code.key, code=code, matched_by=how)
        else:
            key = new_code_key(node.name, taken)
            taken.add(key)
            planned = PlannedCode(node=node, status="new", key=key)
        planned.children = [plan(child) for child in node.children]
        return planned

    codes = [plan(node) for node in parsed.codes]
    keys_by_guid = {}
    for planned in CodebookPlan(codes, [], [], None).walk():
        keys_by_guid.setdefault(refiqda.normalise_guid(planned.node.guid), planned.key)

    groups_existing = db.session.execute(db.select(CodeGroup)).scalars().all()
    group_by_guid = {refiqda.normalise_guid(g.guid): g for g in groups_existing if g.guid and refiqda.is_guid(g.guid)}
    group_by_name = {g.name.strip().casefold(): g for g in groups_existing}
    groups: list[PlannedGroup] = []
    planned_names: set[str] = set()
    for code_set in parsed.sets:
        name = code_set.name.strip()[:120]
        group = group_by_guid.get(refiqda.normalise_guid(code_set.guid)) if refiqda.is_guid(code_set.guid) else None
        group = group or group_by_name.get(name.casefold())
        members = [keys_by_guid[g] for g in code_set.member_guids if g in keys_by_guid]
        first = (group.name.casefold() if group else name.casefold()) not in planned_names
        planned_names.add(group.name.casefold() if group else name.casefold())
        groups.append(PlannedGroup(set=code_set, status="matched" if group else "new", group=group,
                                   member_keys=list(dict.fromkeys(members)), first=first))
    return CodebookPlan(codes=codes, groups=groups, warnings=list(parsed.warnings), tool=parsed.tool)


def _clean(text: str, limit: int) -> str:
    text = (strip_control(text or "") or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def apply_codebook_import(parsed: refiqda.ParsedCodebook, actor=None, language: str = "en",
                          filename: str = "") -> dict:
    """Import a parsed codebook: add new codes (name and description in ``language``, parent from the nesting,
    the file's GUID kept), complete matched codes (colour, or label and definition in ``language``; existing
    texts are never overwritten, and a matched code keeps its own GUID), create or complete the code groups and
    their members. Importing the same file again changes nothing. Audited; the caller commits. Returns the counts."""
    if language not in vocab.values(vocab.LANGUAGES):
        raise ValidationFailed({"language": [_l("Choose English, Spanish or French")]})
    plan = plan_codebook_import(parsed)
    used_guids = {g for (g,) in db.session.execute(db.select(Code.guid).filter(Code.guid.is_not(None)))}
    counts = {"new_codes": 0, "completed_codes": 0, "new_groups": 0, "members_added": 0}
    by_key: dict[str, Code] = {}

    def apply(planned: PlannedCode, parent: Code | None) -> None:
        node = planned.node
        guid = refiqda.normalise_guid(node.guid) if refiqda.is_guid(node.guid) else None
        name, description = _clean(node.name, MAX_LABEL), _clean(node.description, MAX_DEFINITION)
        if planned.status == "new":
            code = Code(key=planned.key, labels={language: name},
                        definitions={language: description} if description else {},
                        direction=parent.direction if parent is not None else "more",
                        family=parent.family if parent is not None else "context",
                        color=node.color, parent=parent)
            if guid and guid not in used_guids:
                code.guid = guid
                used_guids.add(guid)
            db.session.add(code)
            counts["new_codes"] += 1
        else:
            code = planned.code
            changed = False
            # A matched code keeps the GUID it has been exported with (stored, or derived from its id): taking
            # the file's would make every tool holding an earlier export see a different code.
            if name and not (code.labels or {}).get(language):
                code.labels, changed = {**(code.labels or {}), language: name}, True
            if description and not (code.definitions or {}).get(language):
                code.definitions, changed = {**(code.definitions or {}), language: description}, True
            if node.color and not code.color:
                code.color, changed = node.color, True
            counts["completed_codes"] += changed
        by_key[planned.key] = code
        for child in planned.children:
            apply(child, code)

    with db.session.no_autoflush:
        for planned in plan.codes:
            apply(planned, None)
    db.session.flush()

    used_group_guids = {g for (g,) in db.session.execute(db.select(CodeGroup.guid).filter(
        CodeGroup.guid.is_not(None)))}
    groups_by_name: dict[str, CodeGroup] = {}
    for planned in plan.groups:
        code_set = planned.set
        name = _clean(code_set.name, 120) or str(_l("(unnamed group)"))
        group = planned.group or groups_by_name.get(name.casefold())
        guid = refiqda.normalise_guid(code_set.guid) if refiqda.is_guid(code_set.guid) else None
        description = _clean(code_set.description, 5000)
        if group is None:
            group = CodeGroup(name=name, description=description)
            if guid and guid not in used_group_guids:
                group.guid = guid
                used_group_guids.add(guid)
            db.session.add(group)
            counts["new_groups"] += 1
        else:  # a matched group keeps its GUID, as codes do
            if description and not group.description:
                group.description = description
        groups_by_name[group.name.casefold()] = group
        for key in planned.member_keys:
            code = by_key.get(key)
            if code is not None and code not in group.codes:
                group.codes.append(code)
                counts["members_added"] += 1
    db.session.flush()
    summary = str(_l("%(file)s: %(new)s new codes, %(completed)s codes completed, %(groups)s new code groups, "
                     "%(members)s group members added", file=filename or "codebook", new=counts["new_codes"],
                     completed=counts["completed_codes"], groups=counts["new_groups"],
                     members=counts["members_added"]))
    record("codebook.import", "codebook", None, summary=summary,
           after={**counts, "file": filename, "tool": plan.tool, "codes_in_file": len(plan.walk()),
                  "language": language}, actor=actor)
    return counts


# --- Project export ------------------------------------------------------------------------------------

def _user_guid(user_id: int) -> str:
    return refiqda.stable_guid("user", user_id)


def cycle_project(cycle: Cycle, user) -> bytes:
    """The cycle's evidence that ``user`` may see, with what counts of its coding, as a REFI-QDA project.

    Sources are the items (name = title, text = stored text, which coding offsets refer to); passage codings become
    PlainTextSelections, whole-item codings codings of the source; only counted codings (not blind double-coding
    work); memos become notes. Items whose consent was withdrawn are left out.
    """
    items = [i for i in db.session.execute(visible_items(user, cycle=cycle)).unique().scalars()
             if i.consent != "withdrawn"]
    item_ids = [i.id for i in items]
    codings = db.session.execute(
        db.select(Coding).filter(Coding.item_id.in_(item_ids), Coding.sample_id.is_(None))
        .order_by(Coding.item_id, Coding.start_offset, Coding.id)).unique().scalars().all() if item_ids else []
    used_ids = {c.code_id for c in codings}
    codes = [c for c in db.session.execute(db.select(Code)).scalars() if not c.retired or c.id in used_ids]
    code_ids = {c.id for c in codes}
    coding_ids = [c.id for c in codings]

    memos = []
    for target_type, ids in (("item", item_ids), ("coding", coding_ids), ("code", list(code_ids))):
        if ids:
            memos += db.session.execute(db.select(Memo).filter(Memo.target_type == target_type,
                                                               Memo.target_id.in_(ids))
                                        .order_by(Memo.created_at, Memo.id)).scalars().all()
    notes_by = {}
    for memo in memos:
        notes_by.setdefault((memo.target_type, memo.target_id), []).append(refiqda.stable_guid("memo", memo.id))

    people = {}
    for coding in codings:
        if coding.coder is not None:
            people[coding.coder.id] = coding.coder
    for memo in memos:
        if memo.author is not None:
            people[memo.author.id] = memo.author
    users = [refiqda.QdaUser(guid=_user_guid(p.id), name=p.name or f"user {p.id}", id=str(p.id))
             for p in sorted(people.values(), key=lambda p: p.id)]
    # Coders and authors of imported projects who have no account here keep their names.
    names = sorted({c.coder_name for c in codings if c.coder_id is None and c.coder_name}
                   | {m.author_name for m in memos if m.author_id is None and m.author_name})
    users += [refiqda.QdaUser(guid=refiqda.stable_guid("named user", n), name=n) for n in names]

    def person(user_id, name) -> str | None:
        if user_id in people:
            return _user_guid(user_id)
        return refiqda.stable_guid("named user", name) if user_id is None and name else None

    def qda_coding(coding: Coding) -> refiqda.QdaCoding:
        return refiqda.QdaCoding(code_guid=code_guid(coding.code), guid=refiqda.stable_guid("coding", coding.id),
                                 creating_user=person(coding.coder_id, coding.coder_name),
                                 created=coding.created_at, note_guids=notes_by.get(("coding", coding.id), []))

    by_item: dict[int, list[Coding]] = {}
    for coding in codings:
        by_item.setdefault(coding.item_id, []).append(coding)
    sources = []
    for item in sorted(items, key=lambda i: i.id):
        text = item.text or ""
        source = refiqda.QdaSource(
            guid=refiqda.stable_guid("evidence", item.id), name=item.title, text=text,
            description=f"{item.city.name} · {vocab.label(vocab.EVIDENCE_TYPES, item.type)} · {item.language}"
                        + (f" · {item.date.isoformat()}" if item.date else ""),
            created=item.created_at, note_guids=notes_by.get(("item", item.id), []))
        spans: dict[tuple[int, int], refiqda.QdaSelection] = {}
        for coding in by_item.get(item.id, []):
            if coding.whole_item:
                source.codings.append(qda_coding(coding))
                continue
            start, end = coding.start_offset, min(coding.end_offset, len(text))
            if start >= end:
                continue  # the text became shorter than the passage (should not happen: coded text is frozen)
            selection = spans.get((start, end))
            if selection is None:
                selection = refiqda.QdaSelection(
                    guid=refiqda.stable_guid("selection", f"{item.id}:{start}:{end}"), start=start, end=end,
                    creating_user=person(coding.coder_id, coding.coder_name),
                    created=coding.created_at)
                spans[(start, end)] = selection
                source.selections.append(selection)
            selection.codings.append(qda_coding(coding))
        sources.append(source)

    notes = [refiqda.QdaNote(guid=refiqda.stable_guid("memo", m.id), text=m.text,
                             creating_user=person(m.author_id, m.author_name),
                             created=m.created_at) for m in memos]
    code_notes = {cid: notes_by.get(("code", cid), []) for cid in code_ids}
    project = refiqda.QdaProject(
        name=cycle.name, codes=_code_tree(codes, code_notes), users=users, sets=_code_sets(codes),
        sources=sources, notes=notes, created=dt.datetime.now(dt.timezone.utc),
        description=str(_l("Evidence of the cycle %(cycle)s exported from the Safer Cities workbench.",
                           cycle=cycle.name)))
    from .project_import import workbench_notes
    return refiqda.export_qdpx(project, workbench=workbench_notes(codes, items))
