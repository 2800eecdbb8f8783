"""Loading rubric files into the database, and the rule that keeps a used version frozen.

A version's content never changes once stored: loading the same content again does nothing, different content
under an id and version already stored is refused (a change is a new version number, which ``supersedes`` the
one before). Old cycles therefore always read the rubric they were filled in with.
"""
from __future__ import annotations

from pathlib import Path

from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from . import content
from .files import check_rubric, content_hash, load_yaml, version_key
from .models import RubricVersion

ROOT = Path(__file__).resolve().parents[2]


def get_version(rubric_id: str, version: str) -> RubricVersion | None:
    return db.session.execute(db.select(RubricVersion).filter_by(rubric_id=rubric_id, version=version)
                              ).scalar_one_or_none()


def parse_ref(ref) -> RubricVersion | None:
    """A version from ``"core@1.0"`` (as the API and forms name it) or its numeric id; None when unknown."""
    if isinstance(ref, RubricVersion):
        return ref
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return db.session.get(RubricVersion, ref) if 0 < ref < 2**31 else None
    if isinstance(ref, str) and "@" in ref:
        rubric_id, _sep, version = ref.partition("@")
        return get_version(rubric_id.strip(), version.strip())
    if isinstance(ref, str) and ref.strip().isdigit() and len(ref.strip()) < 10:
        return db.session.get(RubricVersion, int(ref.strip()))
    return None


def ref_of(version: RubricVersion | None) -> str | None:
    return f"{version.rubric_id}@{version.version}" if version is not None else None


def all_versions() -> list[RubricVersion]:
    rows = db.session.execute(db.select(RubricVersion)).scalars().all()
    return sorted(rows, key=lambda v: (v.rubric_id, version_key(v.version)))


def versions_of(rubric_id: str) -> list[RubricVersion]:
    rows = db.session.execute(db.select(RubricVersion).filter_by(rubric_id=rubric_id)).scalars().all()
    return sorted(rows, key=lambda v: version_key(v.version))


def versions_in_use() -> set[int]:
    """Ids of the versions some cycle or self-assessment uses, and of every version those extend (an extension's
    cycle reads its core too)."""
    from ..assessments.models import Assessment
    from ..cycles.models import Cycle

    used = set(db.session.execute(db.select(Cycle.rubric_version_id).filter(
        Cycle.rubric_version_id.is_not(None)).distinct()).scalars())
    used |= set(db.session.execute(db.select(Assessment.rubric_version_id).distinct()).scalars())
    extends = dict(db.session.execute(db.select(RubricVersion.id, RubricVersion.extends_id)).all())
    for version_id in list(used):
        while extends.get(version_id) is not None and extends[version_id] not in used:
            version_id = extends[version_id]
            used.add(version_id)
    return used


def frozen(version: RubricVersion) -> bool:
    """A version in use (see ``versions_in_use``) can never change; a new version number replaces it."""
    return version.id is not None and version.id in versions_in_use()


def cycles_using(version: RubricVersion) -> list:
    from ..cycles.models import Cycle
    return db.session.execute(db.select(Cycle).filter(Cycle.rubric_version_id == version.id)
                              .order_by(Cycle.starts_on.desc())).scalars().all()


def _base_content(version: RubricVersion) -> dict:
    """What an extension of ``version`` is checked against: the inherited scale and the merged sections."""
    return {"scale": content.scale(version), "sections": content.sections(version)}


def _source_path(path: Path) -> str:
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(ROOT))
    except ValueError:
        return str(path)


def load_version(path, actor=None) -> RubricVersion:
    """Check the file at ``path`` and store it as a rubric version; the stored one when its content is already
    there. Raises ValidationFailed (field ``file``) with every problem when it cannot be loaded."""
    path = Path(path)
    shown = str(path)
    data, problems = load_yaml(path)
    base = None
    if not problems and isinstance(data, dict) and isinstance(data.get("extends"), dict):
        ext = data["extends"]
        base = get_version(str(ext.get("rubric")), str(ext.get("version")))
        if base is None:
            raise ValidationFailed({"extends": [_l(
                "%(file)s extends %(rubric)s %(version)s, which is not loaded: load that version first.",
                file=shown, rubric=ext.get("rubric"), version=ext.get("version"))]})
    if not problems:
        problems = check_rubric(data, shown, base=_base_content(base) if base is not None else None)
    if problems:
        raise ValidationFailed({"file": [str(p) for p in problems]})

    digest = content_hash(data)
    existing = get_version(data["rubric"], data["version"])
    if existing is not None:
        if existing.content_hash == digest:
            return existing
        label = f"{data['rubric']} {data['version']}"
        if frozen(existing):
            names = ", ".join(c.name for c in cycles_using(existing)[:5]) or _l("a self-assessment")
            raise ValidationFailed({"file": [_l(
                "%(label)s is in use (%(names)s) and frozen: its content cannot change. Give the changed file a "
                "new version number.", label=label, names=names)]})
        raise ValidationFailed({"file": [_l(
            "%(label)s is already loaded with different content. Give the changed file a new version number.",
            label=label)]})

    version = RubricVersion(
        rubric_id=data["rubric"], version=data["version"], title=data["title"], content=data,
        content_hash=digest, source_path=_source_path(path), extends=base,
        loaded_by_id=getattr(actor, "id", None))
    db.session.add(version)
    db.session.flush()
    _chain_versions(version.rubric_id)
    record("rubric.load", "rubric", version.id, summary=version.label, actor=actor, after={
        "rubric": version.rubric_id, "version": version.version, "content_hash": digest,
        "source_path": version.source_path, "extends": ref_of(base),
        "supersedes": ref_of(version.supersedes),
        "criteria": sum(len(s.get("criteria", [])) for s in data.get("sections", [])),
    })
    return version


def _chain_versions(rubric_id: str) -> None:
    """Each version supersedes the newest earlier one, even when an older file is loaded after a newer one."""
    previous = None
    for version in versions_of(rubric_id):
        if version.supersedes_id != getattr(previous, "id", None):
            version.supersedes = previous
        previous = version
    db.session.flush()
