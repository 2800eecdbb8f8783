"""Rubric files: precise problems (file, path inside it, what is wrong), the content hash, the comparison of two
versions, and which files count as rubrics. Pure: no app."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from peer_review.rubrics.files import (
    check_rubric,
    content_hash,
    diff_versions,
    is_empty_diff,
    read_rubric_file,
    rubric_files,
    version_key,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rubrics"
CORE = (FIXTURES / "core" / "1.0.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, rubric: str = "core", version: str = "1.0") -> Path:
    folder = tmp_path / rubric
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[str, str]]:
    _data, problems = read_rubric_file(path)
    assert all(p.file == str(path) for p in problems)
    return [(p.path, p.message) for p in problems]


def test_the_fixtures_are_sound():
    for path in sorted(FIXTURES.glob("*/*.yaml")):
        data, problems = read_rubric_file(path)
        assert problems == [], [str(p) for p in problems]
        assert data["version"] == path.stem


def test_a_missing_french_text_is_named_by_its_path(tmp_path):
    path = write(tmp_path, CORE.replace(', fr: "Audité et réparé chaque année."}', "}"))
    assert problems_of(path) == [
        ("sections[1].criteria[0].levels[2].descriptor.fr", "is missing: write the French text")]


def test_an_empty_text_is_a_problem(tmp_path):
    path = write(tmp_path, CORE.replace('fr: "Comptes rendus de réunions."', 'fr: "  "'))
    assert problems_of(path) == [("sections[0].criteria[1].evidence_expected.fr", "is empty: write the text")]


def test_a_missing_level_names_the_criterion_and_the_level(tmp_path):
    path = write(tmp_path, CORE.replace(
        '          - {level: 1, descriptor: {en: "Occasional meetings.", es: "Reuniones ocasionales.", '
        'fr: "Réunions ponctuelles."}}\n', ""))
    assert problems_of(path) == [
        ("sections[0].criteria[1].levels", "describes no level 1: describe every level of the scale (0, 1, 2)")]


def test_a_level_off_the_scale_and_a_level_twice(tmp_path):
    path = write(tmp_path, CORE.replace('{level: 2, descriptor: {en: "A standing board."',
                                        '{level: 3, descriptor: {en: "A standing board."')
                             .replace('{level: 1, descriptor: {en: "An audit."',
                                      '{level: 0, descriptor: {en: "An audit."'))
    assert problems_of(path) == [
        ("sections[0].criteria[1].levels", "describes no level 2: describe every level of the scale (0, 1, 2)"),
        ("sections[0].criteria[1].levels[2].level", "3 is not a level of the scale (0, 1, 2)"),
        ("sections[1].criteria[0].levels", "describes no level 1: describe every level of the scale (0, 1, 2)"),
        ("sections[1].criteria[0].levels[1].level", "level 0 is described twice"),
    ]


def test_a_duplicate_criterion_id(tmp_path):
    path = write(tmp_path, CORE.replace("id: governance.coordination", "id: governance.safety-strategy"))
    assert problems_of(path) == [
        ("sections[0].criteria[1].id", "'governance.safety-strategy' is already the id of sections[0].criteria[0]")]


def test_a_duplicate_section_id_and_a_criterion_outside_its_section(tmp_path):
    path = write(tmp_path, CORE.replace("id: public-space\n", "id: governance\n"))
    assert problems_of(path) == [
        ("sections[1].id", "'governance' is already the id of sections[0]"),
        ("sections[1].criteria[0].id", "'public-space.lighting' should start with its section's id and a dot "
                                       "(governance.something)"),
    ]


def test_bad_ids_tier_and_unknown_fields(tmp_path):
    path = write(tmp_path, CORE.replace("id: public-space.lighting", "id: Lighting")
                 .replace("tier: core\n", "tier: central\n", 1).replace("proxies:", "proxys:"))
    assert problems_of(path) == [
        ("sections[0].criteria[0].proxys", "is not a field of this format (expected one of: evidence_expected, "
                                           "guidance, id, indicator, levels, proxies, tier, title)"),
        ("sections[0].criteria[0].tier", "'central' must be core or local"),
        ("sections[1].criteria[0].id", "'Lighting' is not a valid criterion id: the section's id, a dot, then "
                                       "lower-case letters, digits and hyphens (governance.safety-strategy)"),
    ]


def test_a_version_written_as_a_number_and_a_file_misnamed(tmp_path):
    path = write(tmp_path, CORE.replace('version: "1.0"', "version: 1.0"))
    assert problems_of(path) == [("version", "should be text, not a number")]
    path = write(tmp_path, CORE, version="1.2")
    assert problems_of(path) == [
        ("version", "says '1.0' but the file is named 1.2.yaml: name the file after its version")]


def test_bad_yaml_says_line_and_column(tmp_path):
    path = write(tmp_path, CORE.replace('title: {en: "Governance",', 'title: {en: "Governance"'))
    assert problems_of(path) == [
        ("line 12, column 30", "YAML syntax: expected ',' or '}', but got '<scalar>' (while parsing a flow mapping)")]
    assert str(read_rubric_file(path)[1][0]).startswith(f"{path}: line 12, column 30: YAML syntax")


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, CORE.replace('title: {en: "Governance",', 'title: {en: "Governance", en: "Gov",'))
    [(where, message)] = problems_of(path)
    assert where == "line 12, column 31"
    assert message == "YAML syntax: the key 'en' appears twice (while reading a mapping)"


def test_a_missing_scale_and_sections(tmp_path):
    data = yaml.safe_load(CORE)
    del data["scale"]
    data["sections"] = []
    assert [(p.path, p.message) for p in check_rubric(data, "x.yaml")] == [
        ("sections", "needs at least 1 entries"), ("scale", "is missing")]


def test_an_extension_adds_local_criteria_only_and_inherits_the_scale(tmp_path):
    shutil.copytree(FIXTURES / "core", tmp_path / "core")
    local = (FIXTURES / "local" / "1.0.yaml").read_text(encoding="utf-8")
    bad = local.replace("tier: local", "tier: core", 1).replace(
        "sections:", "scale: [{level: 0, name: {en: a, es: b, fr: c}}, {level: 1, name: {en: a, es: b, fr: c}}]\n"
                     "sections:").replace("id: public-space.markets", "id: public-space.lighting")
    path = write(tmp_path, bad, rubric="local")
    assert problems_of(path) == [
        ("scale", "is not allowed in an extension: it inherits the scale of the version it extends"),
        ("sections[0].criteria[0].id", "'public-space.lighting' is already a criterion of the version this extends"),
        ("sections[0].criteria[0].tier", "'core' must be local: an extension adds local criteria only"),
    ]


def test_an_extension_without_its_base_says_so(tmp_path):
    path = write(tmp_path, (FIXTURES / "local" / "1.0.yaml").read_text(encoding="utf-8"), rubric="local")
    assert problems_of(path) == [
        ("extends", "core 1.0 was not found, so the levels cannot be checked against its scale")]


def test_the_content_hash_ignores_layout_and_comments_but_not_content():
    data = yaml.safe_load(CORE)
    reflowed = yaml.safe_load(yaml.safe_dump(data, default_flow_style=False, sort_keys=True))
    assert content_hash(data) == content_hash(reflowed) and len(content_hash(data)) == 64
    reflowed["sections"][0]["title"]["fr"] = "Gouvernance locale"
    assert content_hash(data) != content_hash(reflowed)


def test_diff_of_two_versions():
    old = yaml.safe_load(CORE)
    new = yaml.safe_load((FIXTURES / "core" / "1.1.yaml").read_text(encoding="utf-8"))
    assert diff_versions(old, new) == {
        "sections_added": ["inclusion"],
        "sections_removed": [],
        "sections_reworded": [],
        "criteria_added": ["inclusion.women-safety-walks"],
        "criteria_removed": ["governance.coordination"],
        "reworded": [{"criterion": "governance.safety-strategy", "field": "title", "language": "es",
                      "old": "Estrategia de seguridad", "new": "Estrategia local de seguridad"}],
        "levels_changed": [{"criterion": "governance.safety-strategy", "level": 1, "language": "en",
                            "old": "A draft strategy.", "new": "A strategy drafted with residents."}],
        "indicator_changed": [{"criterion": "public-space.lighting", "old": "spatial_investment",
                               "new": "safe_sanitation"}],
        "tier_changed": [],
        "scale_changed": [],
    }
    assert is_empty_diff(diff_versions(old, old))


def test_which_files_are_rubrics(tmp_path):
    for name in ("core/1.0.yaml", "core/part2.sections.yaml", "core/_draft.yaml", "local/1.0.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "codebook.yaml").write_text("codes: []\n")
    assert [p.relative_to(tmp_path).as_posix() for p in rubric_files(tmp_path)] == ["core/1.0.yaml", "local/1.0.yaml"]


def test_versions_compare_as_numbers():
    assert sorted(["1.10", "1.9", "2.0", "1.0"], key=version_key) == ["1.0", "1.9", "1.10", "2.0"]


@pytest.mark.parametrize("text,where", [("- a\n- b\n", "(top)"), ("", "(top)")])
def test_a_file_that_is_not_a_mapping(tmp_path, text, where):
    [(path, message)] = problems_of(write(tmp_path, text))
    assert path == where and message.startswith("should be a mapping of fields")
