"""REFI-QDA: exports valid against the standard's schemas, lenient import of real tools' codebooks."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from peer_review.coding.refiqda import (
    CODEBOOK_NS,
    PROJECT_NS,
    CodeNode,
    CodeSet,
    QdaCoding,
    QdaNote,
    QdaProject,
    QdaSelection,
    QdaSource,
    QdaUser,
    QdcError,
    export_qdc,
    export_qdpx,
    is_guid,
    new_guid,
    normalise_color,
    parse_qdc,
    parse_qdpx,
    stable_guid,
    validate,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "qdc"


def schema(name: str) -> Path:
    """Fails where CI is set and the schema is missing; skips, saying why, elsewhere (tests/conftest.py)."""
    from tests.conftest import refiqda_schema
    return refiqda_schema(name)


def g(key: str) -> str:
    return stable_guid("test", key)


def sample_codes() -> list[CodeNode]:
    return [
        CodeNode(g("process"), "Process", "Process indicators", "#336699", is_codable=False, children=[
            CodeNode(g("collaboration"), "Collaboration", "Partnerships & co-production <across> departments",
                     "#aabbcc", children=[
                         CodeNode(g("collab-police"), "With police", "", None, children=[
                             CodeNode(g("collab-police-night"), "Night patrols", "Joint night walks", "#112233"),
                         ]),
                     ]),
            CodeNode(g("leadership"), "Leadership", "Political will"),
        ]),
        CodeNode(g("trust"), "Confianza", "Confianza en la policía y entre vecinos", "#ff8800"),
        CodeNode(g("fear"), "Peur du crime", "Se sentir en insécurité", None),
    ]


def sample_sets() -> list[CodeSet]:
    return [
        CodeSet(g("set-culture"), "Culture indicators", "Feeds culture indicators", [g("trust"), g("fear")]),
        CodeSet(g("set-empty"), "Empty group", "", []),
    ]


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node.children)


# --- export -----------------------------------------------------------------------------------------------------


def test_export_qdc_valid_against_schema():
    xml = export_qdc(sample_codes(), sample_sets())
    assert validate(xml, schema("Codebook.xsd")) == []
    root = etree.fromstring(xml)
    assert root.tag == f"{{{CODEBOOK_NS}}}CodeBook"
    assert root.get("origin") == "Safer Cities workbench"


def test_export_qdc_without_sets_valid():
    xml = export_qdc(sample_codes(), [], origin="Test")
    assert validate(xml, schema("Codebook.xsd")) == []
    assert b"<Sets" not in xml


def test_export_qdc_rejects_bad_input():
    with pytest.raises(ValueError):
        export_qdc([], [])
    with pytest.raises(ValueError):
        export_qdc([CodeNode("not-a-guid", "x")], [])
    with pytest.raises(ValueError):
        export_qdc([CodeNode(g("a"), "x"), CodeNode(g("a"), "y")], [])


def test_validate_reports_errors():
    bad = f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes><Code name="x" guid="nope" isCodable="maybe"/></Codes></CodeBook>'
    errors = validate(bad.encode(), schema("Codebook.xsd"))
    assert errors and all(e.startswith("line ") for e in errors)


def test_qdc_round_trip():
    codes, sets = sample_codes(), sample_sets()
    parsed = parse_qdc(export_qdc(codes, sets))
    assert parsed.codes == codes
    assert parsed.sets == sets
    assert parsed.warnings == []


def test_qdc_round_trip_normalises_guids_and_colours():
    codes = [CodeNode("{" + g("x").upper() + "}", "X", color="#ABC")]
    parsed = parse_qdc(export_qdc(codes, []))
    assert parsed.codes[0].guid == g("x") and parsed.codes[0].color == "#aabbcc"


def make_project() -> QdaProject:
    ana, luis = QdaUser(g("ana"), "Ana García"), QdaUser(g("luis"), "Luis Moreau", id="luis@example.org")
    text = "Las vecinas dicen: «de noche no salimos».\nThe lamp by the bus stop 🚌 is broken; we avoid it."
    start = text.index("de noche")
    lamp = text.index("The lamp")
    when = dt.datetime(2027, 3, 14, 10, 30, tzinfo=dt.timezone.utc)
    source = QdaSource(
        guid=g("item-1"), name="Walk in Barrio Norte", text=text, description="Safety audit note",
        creating_user=ana.guid, created=when,
        selections=[
            QdaSelection(g("sel-2"), lamp, len(text), codings=[QdaCoding(g("collaboration"), creating_user=luis.guid)],
                         created=dt.datetime(2027, 3, 15, 9, 0)),
            QdaSelection(g("sel-1"), start, start + len("de noche no salimos"),
                         codings=[QdaCoding(g("fear"), creating_user=ana.guid, created=when,
                                            note_guids=[g("note-coding")]),
                                  QdaCoding(g("trust"), guid=g("explicit-coding"))],
                         creating_user=ana.guid, note_guids=[g("note-sel")]),
        ],
        codings=[QdaCoding(g("leadership"), creating_user=ana.guid)],
        note_guids=[g("note-item")],
    )
    empty = QdaSource(g("item-2"), "Empty item", "")
    notes = [
        QdaNote(g("note-item"), "Memo on the item: check consent.", creating_user=ana.guid, created=when),
        QdaNote(g("note-sel"), "Memo on the passage"),
        QdaNote(g("note-coding"), "Why fear of crime"),
        QdaNote(g("note-code"), "Definition discussion", name="Code memo"),
        QdaNote(g("note-project"), "Cycle 2027 double-coded sample"),
    ]
    codes = sample_codes()
    codes[1].note_guids = [g("note-code")]
    sets = sample_sets() + [CodeSet(g("set-mixed"), "Mixed", "", [g("trust"), g("item-1"), g("note-item")])]
    return QdaProject(
        name="Safer Cities 2027", codes=codes, users=[ana, luis], sets=sets, sources=[source, empty], notes=notes,
        description="Export for testing", creating_user=ana.guid, created=when, note_guids=[g("note-project")],
    )


def test_export_qdpx_valid_against_schema_and_complete():
    project = make_project()
    data = export_qdpx(project)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        assert names == {"project.qde", f"sources/{g('item-1')}.txt", f"sources/{g('item-2')}.txt"}
        qde = archive.read("project.qde")
        text = archive.read(f"sources/{g('item-1')}.txt").decode("utf-8")
    assert validate(qde, schema("Project.xsd")) == []
    assert text == project.sources[0].text
    ns = {"q": PROJECT_NS}
    root = etree.fromstring(qde)
    source = root.find("q:Sources/q:TextSource", ns)
    assert source.get("plainTextPath") == f"internal://{g('item-1')}.txt"
    selections = source.findall("q:PlainTextSelection", ns)
    assert [s.get("guid") for s in selections] == [g("sel-1"), g("sel-2")]  # ordered by position
    for selection in selections:
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        assert 0 <= start <= end <= len(text)
    first = selections[0]
    start, end = int(first.get("startPosition")), int(first.get("endPosition"))
    assert text[start:end] == "de noche no salimos"  # positions in code points of the plain text
    assert first.get("name") == "de noche no salimos"
    assert [c.find("q:CodeRef", ns).get("targetGUID") for c in first.findall("q:Coding", ns)] == [g("fear"), g("trust")]
    assert first.findall("q:Coding", ns)[1].get("guid") == g("explicit-coding")
    assert first.find("q:Coding/q:NoteRef", ns).get("targetGUID") == g("note-coding")
    assert first.find("q:NoteRef", ns).get("targetGUID") == g("note-sel")
    # A passage after an emoji: code points, not UTF-16 units or bytes.
    second = selections[1]
    assert text[int(second.get("startPosition")):int(second.get("endPosition"))].startswith("The lamp")
    assert source.find("q:Coding/q:CodeRef", ns).get("targetGUID") == g("leadership")
    assert source.find("q:NoteRef", ns).get("targetGUID") == g("note-item")
    notes = root.findall("q:Notes/q:Note", ns)
    assert len(notes) == 5 and notes[0].find("q:PlainTextContent", ns).text.startswith("Memo on the item")
    mixed = root.find(f"q:Sets/q:Set[@guid='{g('set-mixed')}']", ns)
    assert [m.tag.split("}")[1] for m in mixed] == ["MemberCode", "MemberSource", "MemberNote"]
    assert root.find("q:NoteRef", ns).get("targetGUID") == g("note-project")
    assert root.get("creationDateTime") == "2027-03-14T10:30:00Z"
    # every GUID attribute follows the standard's pattern
    for element in root.iter():
        for key in ("guid", "targetGUID", "creatingUser", "creatingUserGUID"):
            if element.get(key) is not None:
                assert is_guid(element.get(key))


def test_export_qdpx_codebook_round_trip_through_parse_qdpx():
    project = make_project()
    parsed = parse_qdpx(export_qdpx(project))
    assert [n.name for n in walk(parsed.codes)] == [n.name for n in walk(project.codes)]
    assert [s.name for s in parsed.sets] == ["Culture indicators", "Empty group", "Mixed"]
    assert parsed.sets[2].member_guids == [g("trust")]  # sources and notes are not codes
    assert parsed.warnings == []
    assert parse_qdc(export_qdpx(project)).codes == parsed.codes  # a .qdpx given as codebook works too


def test_export_qdpx_minimal_project_valid():
    project = QdaProject(name="Minimal", codes=[CodeNode(new_guid(), "Only code")])
    data = export_qdpx(project)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert validate(archive.read("project.qde"), schema("Project.xsd")) == []


def test_export_qdpx_rejects_out_of_range_selection():
    project = QdaProject(name="P", codes=[CodeNode(g("c"), "c")],
                         sources=[QdaSource(g("s"), "s", "short", selections=[QdaSelection(g("x"), 2, 99)])])
    with pytest.raises(ValueError):
        export_qdpx(project)


def test_export_strips_xml_illegal_characters():
    codes = [CodeNode(g("ctl"), "bad\x01name", "desc\x0bription")]
    xml = export_qdc(codes, [])
    assert validate(xml, schema("Codebook.xsd")) == []
    assert parse_qdc(xml).codes[0].name == "badname"


def test_guids():
    assert is_guid(new_guid()) and new_guid() != new_guid()
    assert stable_guid("code", "trust") == stable_guid("code", "trust") != stable_guid("code", "fear")
    assert is_guid("{A1B2C3D4-0001-4000-8000-000000000001}")
    assert not is_guid("A1B2C3D4-0001-4000-8000-00000000000") and not is_guid("") and not is_guid(None)


@pytest.mark.parametrize(
    "raw,expected",
    [("#ABC", "#aabbcc"), ("#A0B1C2", "#a0b1c2"), ("a0b1c2", "#a0b1c2"), ("#FF00A0E0", "#00a0e0"),
     ("rgb(255, 128, 0)", "#ff8000"), ("255,128,0", "#ff8000"), ("Red", "#ff0000"), ("0xff8000", "#ff8000"),
     ("16711680", "#ff0000"), ("", None), (None, None), ("rgb(300,0,0)", None), ("chartreuse-ish", None)],
)
def test_normalise_color(raw, expected):
    assert normalise_color(raw) == expected


# --- import of real tools' dialects -----------------------------------------------------------------------------


def load(name: str):
    return parse_qdc((FIXTURES / name).read_bytes())


def tree(nodes):
    return [(n.name, n.is_codable, tree(n.children)) for n in nodes]


def test_atlasti_dialect():
    parsed = load("atlasti.qdc")
    assert parsed.tool == "ATLAS.ti"
    assert tree(parsed.codes) == [("Trust in police", True, []), ("Fear of crime", True, []), ("Lighting", True, [])]
    assert parsed.codes[0].guid == "a1b2c3d4-0001-4000-8000-000000000001"
    assert parsed.codes[0].color == "#3366cc"
    assert parsed.codes[0].description == "Residents describe trusting or distrusting the police."
    assert [(s.name, len(s.member_guids)) for s in parsed.sets] == [
        ("Culture indicators", 2), ("Process indicators", 1),
    ]
    assert parsed.sets[0].description == "Codes that feed culture indicators."
    assert parsed.warnings == []


def test_nvivo_dialect_nested_three_levels_with_bom_prefix_and_braces():
    parsed = load("nvivo.qdc")
    assert parsed.tool == "NVivo"
    assert tree(parsed.codes) == [
        ("Safety", False, [
            ("Public space", True, [("Street lighting", True, []), ("Parks", True, [])]),
            ("Gender-based violence", True, []),
        ]),
        ("Festivals", True, []),
    ]
    lighting = parsed.codes[0].children[0].children[0]
    assert lighting.guid == "b1000000-0000-4000-8000-000000000003"
    assert lighting.description == "Lights, broken lamps, dark corners"
    assert parsed.sets == [CodeSet("b1000000-0000-4000-8000-0000000000a1", "Spatial", "",
                                   ["b1000000-0000-4000-8000-000000000003", "b1000000-0000-4000-8000-000000000004"])]
    assert parsed.warnings == []


def test_maxqda_dialect_utf16_colours_description_attribute_target_guid():
    parsed = load("maxqda.qdc")
    assert parsed.tool == "MAXQDA"
    assert tree(parsed.codes) == [
        ("Participación", True, [("Jóvenes", True, []), ("Mujeres", True, [])]),
        ("Confianza", True, []),
    ]
    participation = parsed.codes[0]
    assert participation.description == "Involucrar a grupos vulnerables"
    assert [participation.color] + [c.color for c in participation.children] == ["#00a0e0", "#ff8000", "#ff00aa"]
    assert parsed.codes[1].color is None
    (group,) = parsed.sets
    assert group.name == "Inclusión"
    assert group.member_guids == ["c2000000-0000-4000-8000-000000000002", "c2000000-0000-4000-8000-000000000003"]
    assert any("chartreuse-ish" in w for w in parsed.warnings)
    assert any("0000000000ff" in w for w in parsed.warnings)


def test_qualcoder_dialect_categories_wrapped_codes_and_other_namespace():
    parsed = load("qualcoder.qdc")
    assert parsed.tool == "QualCoder"
    assert tree(parsed.codes) == [
        ("Institutions", False, [("Leadership", True, [("Mayor's strategy", True, [])])]),
        ("Funding", True, []),
    ]
    assert parsed.codes[0].children[0].description == "Political will and adopted strategies"
    assert any("urn:QDA-XML:project:1.0" in w for w in parsed.warnings)


def test_taguette_dialect_no_namespace_duplicates_bad_guids():
    parsed = load("taguette.qdc")
    assert parsed.tool == "Taguette"
    names = [n.name for n in parsed.codes]
    assert names == ["interesting", "safety.lighting", "safety.transport", "people", "(unnamed code)"]
    guids = [n.guid for n in parsed.codes]
    assert len(set(guids)) == len(guids) and all(is_guid(x) for x in guids)
    assert guids[1] == "e4000000-0000-4000-8000-000000000002"  # first keeps its GUID
    assert all(n.is_codable for n in parsed.codes)
    (group,) = parsed.sets
    assert group.member_guids == [guids[1], guids[3]]  # the invalid "tag-42" still maps to its code
    text = "\n".join(parsed.warnings)
    for needle in ("no REFI-QDA namespace", "used twice", "tag-42", "without a name", "taken as codable"):
        assert needle in text


def test_project_file_given_instead_of_codebook():
    parsed = load("project.qde")
    assert parsed.tool == "ATLAS.ti"
    assert tree(parsed.codes) == [("Inclusion", True, [("Disability", True, [])])]
    assert parsed.codes[0].description == "Involving marginalised groups"
    assert parsed.sets[0].member_guids == ["f5000000-0000-4000-8000-000000000002"]
    assert any("project file" in w for w in parsed.warnings)


def test_qdpx_archive_with_handwritten_project():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", (FIXTURES / "project.qde").read_bytes())
        archive.writestr("sources/x.txt", "text")
    parsed = parse_qdpx(out.getvalue())
    assert [n.name for n in walk(parsed.codes)] == ["Inclusion", "Disability"]
    assert not any("project file" in w for w in parsed.warnings)


def test_lenient_variants_inline():
    xml = """<?xml version="1.0"?>
<cb:CodeBook xmlns:cb="urn:QDA-XML:codebook:1.0" ORIGIN="Some Tool 1.0">
  <cb:Codes>
    <cb:Code GUID="{11111111-2222-4333-8444-555555555555}" Name="  Spaced  " ISCODABLE="0" Color="00ff00"
             Description="attr">
      <cb:Description>element</cb:Description>
    </cb:Code>
    <cb:Code guid="11111111-2222-4333-8444-555555555556" isCodable="perhaps"><cb:Name>From element</cb:Name></cb:Code>
  </cb:Codes>
</cb:CodeBook>"""
    parsed = parse_qdc(xml.encode())
    first, second = parsed.codes
    assert (first.guid, first.name, first.is_codable, first.color) == (
        "11111111-2222-4333-8444-555555555555", "Spaced", False, "#00ff00")
    assert first.description == "attr\nelement"
    assert second.name == "From element" and second.is_codable is True
    assert parsed.tool == "Some Tool 1.0"


def test_utf16_without_declaration_and_utf8_bom_inline():
    code = f'<Code guid="{g("u")}" name="Ñandú" isCodable="true"/>'
    xml = f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes>{code}</Codes></CodeBook>'
    assert parse_qdc(xml.encode("utf-16")).codes[0].name == "Ñandú"
    assert parse_qdc(b"\xef\xbb\xbf" + xml.encode()).codes[0].name == "Ñandú"


# --- unreadable files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,needle",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x89PNG\r\n\x1a\n garbage \x00\x01", "not readable XML"),
        (b"this is not xml at all", "not readable XML"),
        (b"<CodeBook><Codes>", "not readable XML"),
        (f'<CodeBook xmlns="{CODEBOOK_NS}"><Codes/></CodeBook>'.encode(), "no codes"),
        (b"<html><body>hello</body></html>", "not a REFI-QDA codebook"),
        (b"PK\x03\x04 broken zip", "damaged"),
    ],
)
def test_unreadable_files_raise_clear_error(data, needle):
    with pytest.raises(QdcError) as info:
        parse_qdc(data)
    assert needle in str(info.value)


def test_xxe_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE CodeBook [<!ENTITY xxe SYSTEM "file://{secret}">]>
<CodeBook xmlns="{CODEBOOK_NS}"><Codes><Code guid="{g('x')}" name="&xxe;" isCodable="true"/></Codes></CodeBook>"""
    with pytest.raises(QdcError) as info:
        parse_qdc(xml.encode())
    assert "DTD" in str(info.value)
    assert "TOPSECRET" not in str(info.value)


def test_billion_laughs_refused():
    xml = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<CodeBook xmlns="{CODEBOOK_NS}"><Codes><Code guid="{g('x')}" name="&lol3;" isCodable="true"/></Codes></CodeBook>"""
    with pytest.raises(QdcError):
        parse_qdc(xml.encode())


def test_qdpx_with_nested_archive_refused():
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("project.qde", "<x/>")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w") as archive:
        archive.writestr("project.qde", inner.getvalue())
    with pytest.raises(QdcError):
        parse_qdpx(outer.getvalue())


def test_qdpx_without_project_file():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(QdcError) as info:
        parse_qdpx(out.getvalue())
    assert "project.qde" in str(info.value)


def test_export_rejects_set_members_not_exported():
    with pytest.raises(ValueError):
        export_qdc(sample_codes(), [CodeSet(g("s"), "S", "", [g("unknown")])])
    project = make_project()
    project.sets.append(CodeSet(g("s2"), "S2", "", [g("unknown")]))
    with pytest.raises(ValueError):
        export_qdpx(project)


def test_document_sets_in_projects_are_not_code_groups():
    xml = f"""<Project xmlns="{PROJECT_NS}" name="p"><CodeBook><Codes>
      <Code guid="{g('c')}" name="c" isCodable="true"/></Codes></CodeBook>
      <Sets><Set guid="{g('docs')}" name="Documents"><MemberSource targetGUID="{g('src')}"/></Set>
            <Set guid="{g('codes')}" name="Codes"><MemberCode targetGUID="{g('c')}"/></Set></Sets></Project>"""
    parsed = parse_qdc(xml.encode())
    assert [(s.name, s.member_guids) for s in parsed.sets] == [("Codes", [g("c")])]
