"""Rubric files (``rubrics/<rubric-id>/<version>.yaml``): read, checked against ``schema.json`` and the rules a
schema cannot say, hashed, and compared. Pure: no Flask, no database.

Every problem is a :class:`Problem` naming the file, the place inside it (``sections[2].criteria[4].levels[3]
.descriptor.fr``, or ``line 12, column 5`` for YAML syntax) and what is wrong, in a sentence.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).with_name("schema.json")
LANGUAGES = ("en", "es", "fr")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French"}
VERSION_NAME = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
TEXT_FIELDS = ("title", "guidance", "evidence_expected", "proxies")


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


# --- Reading -------------------------------------------------------------------------------------------------

class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping (PyYAML would silently keep the last)."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"the key {key!r} appears twice", key_node.start_mark)
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path) -> tuple[object, list[Problem]]:
    """The file's data, or the syntax problem with its line and column (counted from 1)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(name, "(file)", "the file does not exist")]
    except UnicodeDecodeError as err:
        return None, [Problem(name, "(file)", f"is not UTF-8 text (byte {err.start})")]
    try:
        return yaml.load(text, Loader=_StrictLoader), []
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        what = " ".join(p for p in (err.problem, err.context and f"({err.context})") if p)
        return None, [Problem(name, where, f"YAML syntax: {what}")]
    except yaml.YAMLError as err:
        return None, [Problem(name, "(file)", f"YAML: {err}")]


def read_rubric_file(path, base: dict | None = None) -> tuple[dict | None, list[Problem]]:
    """Read and check one rubric file: ``(data, [])`` when it is sound, else ``(data or None, problems)``.

    ``base`` is the content an extension extends (its ``scale`` and ``sections``); when it is not given, the base
    file is looked up beside this one (``../<rubric>/<version>.yaml``)."""
    data, problems = load_yaml(path)
    if problems:
        return None, problems
    if base is None and isinstance(data, dict) and isinstance(data.get("extends"), dict):
        base = _base_beside(Path(path), data["extends"])
    problems = check_rubric(data, str(path), base=base)
    return data, problems


def _base_beside(path: Path, extends: dict) -> dict | None:
    rubric, version = extends.get("rubric"), extends.get("version")
    if not isinstance(rubric, str) or not isinstance(version, str):
        return None
    candidate = path.parent.parent / rubric / f"{version}.yaml"
    if candidate.resolve() == path.resolve() or not candidate.is_file():
        return None
    data, _problems = load_yaml(candidate)
    return data if isinstance(data, dict) else None


# --- Checking ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def format_path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _kind(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of fields"
    return type(value).__name__


_EXPECTED = {"object": "a mapping of fields", "array": "a list", "string": "text", "integer": "a whole number",
             "number": "a number", "boolean": "true or false"}


def _schema_problems(error, file: str) -> list[Problem]:
    """One jsonschema error as sentences (a missing field per field, an unknown field per field)."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-message")
    kind = error.validator
    if kind == "required":
        missing = [k for k in error.validator_value if not isinstance(error.instance, dict) or k not in error.instance]
        out = []
        for key in missing:
            if key in LANGUAGE_NAMES:
                message = f"is missing: write the {LANGUAGE_NAMES[key]} text"
            else:
                message = "is missing"
            out.append(Problem(file, format_path(path + [key]), message))
        return out
    if kind == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        hint = ", ".join(sorted(allowed))
        return [Problem(file, format_path(path + [k]), f"is not a field of this format (expected one of: {hint})")
                for k in extra]
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        if wanted == "object" and set(schema.get("required", [])) == set(LANGUAGES):
            message = f"should be a text in each language (en, es, fr), not {_kind(error.instance)}"
        else:
            message = f"should be {_EXPECTED.get(wanted, wanted)}, not {_kind(error.instance)}"
        return [Problem(file, format_path(path), message)]
    if kind in ("minLength", "pattern") and isinstance(error.instance, str) and not error.instance.strip():
        return [Problem(file, format_path(path), "is empty: write the text")]
    if custom:
        quoted = kind in ("pattern", "enum", "const") and isinstance(error.instance, str)
        shown = f"{error.instance!r} " if quoted else ""
        return [Problem(file, format_path(path), f"{shown}{custom}")]
    if kind == "minItems":
        return [Problem(file, format_path(path), f"needs at least {error.validator_value} entries")]
    if kind == "maxItems":
        return [Problem(file, format_path(path), f"has more than {error.validator_value} entries")]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [Problem(file, format_path(path), f"should be {word} {error.validator_value}, not {error.instance}")]
    if kind == "maxLength":
        return [Problem(file, format_path(path), f"is longer than {error.validator_value} characters")]
    return [Problem(file, format_path(path), error.message)]


def check_rubric(data, file: str = "(rubric)", base: dict | None = None) -> list[Problem]:
    """Every problem of one rubric file's data: the schema's, then the rules the schema cannot express."""
    if not isinstance(data, dict):
        return [Problem(file, "(top)", f"should be a mapping of fields (rubric, version, title, ...), "
                                       f"not {_kind(data)}")]
    problems: list[Problem] = []
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        for problem in _schema_problems(error, file):
            if problem not in problems:
                problems.append(problem)
    problems += _check_names(data, file)
    problems += _check_ids_and_levels(data, file, base)
    return _in_file_order(problems, data)


def _in_file_order(problems: list[Problem], data: dict) -> list[Problem]:
    """Problems from the top of the file down: each step of a path ranked by where it is in the data (a list
    entry by its index, a field by its place among its mapping's fields; a missing field after them)."""
    def key(problem: Problem):
        node, ranks = data, []
        for part in re.split(r"[\[\].]+", problem.path):
            if not part:
                continue
            if isinstance(node, list) and part.isdigit():
                ranks.append(int(part))
                node = node[int(part)] if int(part) < len(node) else None
            elif isinstance(node, dict):
                keys = list(node)
                ranks.append(keys.index(part) if part in keys else len(keys))
                node = node.get(part)
            else:
                ranks.append(-1)
                node = None
        return ranks
    return sorted(problems, key=key)


def _check_names(data: dict, file: str) -> list[Problem]:
    """``rubrics/core/1.0.yaml`` says ``rubric: core`` and ``version: "1.0"``: the name is how people find it."""
    path = Path(file)
    if not VERSION_NAME.match(path.stem) or path.suffix not in (".yaml", ".yml"):
        return []
    out = []
    if isinstance(data.get("version"), str) and data["version"] != path.stem:
        out.append(Problem(file, "version", f"says {data['version']!r} but the file is named {path.name}: "
                                             f"name the file after its version"))
    if isinstance(data.get("rubric"), str) and data["rubric"] != path.parent.name:
        out.append(Problem(file, "rubric", f"says {data['rubric']!r} but the file is in the folder "
                                            f"{path.parent.name!r}: keep each rubric in a folder of its id"))
    return out


def _levels_of(items) -> list:
    return [i.get("level") for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _check_ids_and_levels(data: dict, file: str, base: dict | None) -> list[Problem]:
    out: list[Problem] = []
    extension = "extends" in data
    scale_source = base if extension else data
    scale = _levels_of((scale_source or {}).get("scale"))
    if not extension and scale:
        if len(set(scale)) != len(scale):
            out.append(Problem(file, "scale", "has a level number more than once"))
        elif scale != sorted(scale):
            out.append(Problem(file, "scale", "should list its levels from the lowest to the highest"))
    if extension and base is None:
        ext = data.get("extends") or {}
        out.append(Problem(file, "extends", f"{ext.get('rubric')} {ext.get('version')} was not found, so the "
                                            f"levels cannot be checked against its scale"))
    base_criteria = {c.get("id") for s in (base or {}).get("sections", []) if isinstance(s, dict)
                     for c in (s.get("criteria") or []) if isinstance(c, dict)} if extension else set()
    sections = data.get("sections") if isinstance(data.get("sections"), list) else []
    seen_sections: dict[str, int] = {}
    seen_criteria: dict[str, str] = {}
    for i, section in enumerate(sections):
        if not isinstance(section, dict):
            continue
        sid = section.get("id")
        if isinstance(sid, str):
            if sid in seen_sections:
                out.append(Problem(file, f"sections[{i}].id",
                                   f"{sid!r} is already the id of sections[{seen_sections[sid]}]"))
            else:
                seen_sections[sid] = i
        criteria = section.get("criteria") if isinstance(section.get("criteria"), list) else []
        for j, criterion in enumerate(criteria):
            if not isinstance(criterion, dict):
                continue
            where = f"sections[{i}].criteria[{j}]"
            cid = criterion.get("id")
            if isinstance(cid, str) and isinstance(sid, str) and re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9-]+", cid):
                if not re.fullmatch(re.escape(sid) + r"\.[a-z0-9-]+", cid):
                    out.append(Problem(file, f"{where}.id", f"{cid!r} should start with its section's id and a dot "
                                                            f"({sid}.something)"))
                if cid in seen_criteria:
                    out.append(Problem(file, f"{where}.id", f"{cid!r} is already the id of {seen_criteria[cid]}"))
                elif cid in base_criteria:
                    out.append(Problem(file, f"{where}.id", f"{cid!r} is already a criterion of the version this "
                                                            f"extends"))
                else:
                    seen_criteria[cid] = where
            if scale:
                out += _check_levels(criterion.get("levels"), scale, file, f"{where}.levels")
    return out


def _check_levels(levels, scale: list, file: str, where: str) -> list[Problem]:
    if not isinstance(levels, list):
        return []
    numbers = _levels_of(levels)
    out = []
    scale_words = ", ".join(str(n) for n in scale)
    for n, level in enumerate(numbers):
        if level is None or isinstance(level, bool) or not isinstance(level, int):
            continue
        if level not in scale:
            out.append(Problem(file, f"{where}[{n}].level", f"{level} is not a level of the scale ({scale_words})"))
        elif numbers.index(level) != n:
            out.append(Problem(file, f"{where}[{n}].level", f"level {level} is described twice"))
    missing = [n for n in scale if n not in numbers]
    if missing:
        words = ", ".join(str(n) for n in missing)
        out.append(Problem(file, where, f"describes no level {words}: describe every level of the scale "
                                        f"({scale_words})"))
    elif not out and numbers != scale:
        out.append(Problem(file, where, f"should list the levels in the scale's order ({scale_words})"))
    return out


# --- Hash and comparison -------------------------------------------------------------------------------------

def canonical_json(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(data) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8): the same content, the same hash, whatever
    the YAML's layout or comments."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _index(data: dict) -> tuple[dict, dict]:
    sections, criteria = {}, {}
    for section in (data or {}).get("sections", []) or []:
        sections[section["id"]] = section
        for criterion in section.get("criteria", []) or []:
            criteria[criterion["id"]] = dict(criterion, section=section["id"])
    return sections, criteria


def _text_changes(old: dict | None, new: dict | None) -> list[dict]:
    old, new = old or {}, new or {}
    return [{"language": lang, "old": old.get(lang), "new": new.get(lang)}
            for lang in sorted(set(old) | set(new), key=lambda x: (x not in LANGUAGES, x))
            if old.get(lang) != new.get(lang)]


def diff_versions(old: dict, new: dict) -> dict:
    """What changed between two versions' content, criterion by criterion:

    ``sections_added``/``sections_removed`` (ids), ``sections_reworded`` (section, field, language, old, new),
    ``criteria_added``/``criteria_removed`` (ids), ``reworded`` (criterion, field, language, old, new) for title,
    guidance, evidence expected and proxies, ``levels_changed`` (criterion, level, language, old, new; a level
    added or removed has ``None`` on one side), ``indicator_changed`` and ``tier_changed`` (criterion, old, new),
    ``scale_changed`` (level, language, old, new)."""
    old_sections, old_criteria = _index(old)
    new_sections, new_criteria = _index(new)
    out = {
        "sections_added": [s for s in new_sections if s not in old_sections],
        "sections_removed": [s for s in old_sections if s not in new_sections],
        "sections_reworded": [],
        "criteria_added": [c for c in new_criteria if c not in old_criteria],
        "criteria_removed": [c for c in old_criteria if c not in new_criteria],
        "reworded": [], "levels_changed": [], "indicator_changed": [], "tier_changed": [], "scale_changed": [],
    }
    for sid in (s for s in new_sections if s in old_sections):
        for field in ("title", "guidance"):
            for change in _text_changes(old_sections[sid].get(field), new_sections[sid].get(field)):
                out["sections_reworded"].append({"section": sid, "field": field, **change})
    for cid in (c for c in new_criteria if c in old_criteria):
        before, after = old_criteria[cid], new_criteria[cid]
        for field in TEXT_FIELDS:
            for change in _text_changes(before.get(field), after.get(field)):
                out["reworded"].append({"criterion": cid, "field": field, **change})
        old_levels = {lv["level"]: lv.get("descriptor") for lv in before.get("levels", [])}
        new_levels = {lv["level"]: lv.get("descriptor") for lv in after.get("levels", [])}
        for level in sorted(set(old_levels) | set(new_levels)):
            for change in _text_changes(old_levels.get(level), new_levels.get(level)):
                out["levels_changed"].append({"criterion": cid, "level": level, **change})
        for field, key in (("indicator", "indicator_changed"), ("tier", "tier_changed")):
            if before.get(field) != after.get(field):
                out[key].append({"criterion": cid, "old": before.get(field), "new": after.get(field)})
    old_scale = {lv["level"]: lv.get("name") for lv in (old or {}).get("scale", []) or []}
    new_scale = {lv["level"]: lv.get("name") for lv in (new or {}).get("scale", []) or []}
    for level in sorted(set(old_scale) | set(new_scale)):
        for change in _text_changes(old_scale.get(level), new_scale.get(level)):
            out["scale_changed"].append({"level": level, **change})
    return out


def is_empty_diff(diff: dict) -> bool:
    return not any(diff.values())


def version_key(version: str) -> tuple:
    """"1.10" after "1.9": versions compare as numbers."""
    return tuple(int(p) if p.isdigit() else 0 for p in str(version).split("."))


def rubric_files(root) -> list[Path]:
    """The rubric files under ``root`` (``rubrics/``): ``*/*.yaml`` without work files (named ``part...`` or
    ``_...``); ``rubrics/codebook.yaml`` is at the top, not in a rubric's folder, so it is never one, and
    ``rubrics/indicators/`` holds the indicator definitions."""
    root = Path(root)
    return sorted(p for p in root.glob("*/*.yaml") if not is_work_file(p) and p.parent.name != "indicators")


def is_work_file(path) -> bool:
    path = Path(path)
    return path.name.startswith(("part", "_")) or (path.name == "codebook.yaml" and path.parent.name == "rubrics")
