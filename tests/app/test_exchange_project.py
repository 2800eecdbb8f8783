"""REFI-QDA exchange measured with real clients' files: importing a whole project (sources, passages, codings,
memos, people) into a chosen cycle and city, with a preview and all or nothing; the codebook import saying what a
project file leaves behind; a matched code keeping the GUID it was exported with; the Taguette CSV codebook; the
workbench's own .qdpx round trip into an empty database; schema tests that fail in CI instead of skipping."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest

from tests.app.test_exchange import FIXTURES, count, schema, upload

PROJECT_TOKEN = re.compile(r'/exchange/project/import/([A-Za-z0-9_-]+)"')
CHOICES = {"type": "focus_group", "language": "es", "consent": "anonymised", "visibility": "city"}


@pytest.fixture
def net(app, make_city, make_user):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    alpha = make_city("Alpha City", slug="alpha")
    beta = make_city("Beta Town", slug="beta")
    gamma = make_city("Gamma Ville", slug="gamma")  # not in the cycle
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[alpha, beta])
    db.session.add(cycle)
    db.session.commit()
    return {"alpha": alpha, "beta": beta, "gamma": gamma, "cycle": cycle,
            "member": make_user("m@alpha.example", city=alpha),
            "facilitator": make_user("fac@net.example", roles=["facilitator"], name="Fatou Diallo"),
            "secretariat": make_user("sec@net.example", roles=["secretariat"])}


def choose(net, city="alpha", **extra) -> dict:
    return {"cycle": str(net["cycle"].id), "city": city, **CHOICES, **extra}


def preview(client, data: bytes, filename: str, fields: dict, status: int = 200):
    response = upload(client, "/exchange/project/import", data, filename, **fields)
    assert response.status_code == status, response.get_data(as_text=True)
    return response, response.get_data(as_text=True)


def confirm(client, response, fields: dict):
    token = PROJECT_TOKEN.search(response.get_data(as_text=True)).group(1)
    return client.post(f"/exchange/project/import/{token}", data=fields)


# --- Another tool's project -----------------------------------------------------------------------------------

ANA, BO, CLEO = ("{A0000000-0000-4000-8000-000000000001}", "a0000000-0000-4000-8000-000000000002",
                 "a0000000-0000-4000-8000-000000000003")
TEXT = "Line one.\r\nThe underpass lamps are broken.\r\nNeighbours trust each other.\r\n"


def g(n: int) -> str:
    return f"b0000000-0000-4000-8000-{n:012d}"


def atlas_project(title: str = "Walk in Barrio Norte", person: str = "Cleo Field") -> bytes:
    broken = (TEXT.index("underpass"), TEXT.index("underpass") + len("underpass lamps are broken"))
    trust = (TEXT.index("Neighbours"), TEXT.index("Neighbours") + len("Neighbours trust each other"))
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Field notes" origin="ATLAS.ti 23.2.1">
  <Users>
    <User guid="{ANA}" name="Ana R." id="ana@city.example"/>
    <User guid="{BO}" name="bo chen"/>
    <User guid="{CLEO}" name="{person}"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{g(1)}" name="Lighting" isCodable="true"><Description>Lamps and dark corners</Description>
      <NoteRef targetGUID="{g(93)}"/>
      <Code guid="{g(2)}" name="Broken lamps" isCodable="true"/>
    </Code>
    <Code guid="{g(3)}" name="Trust" isCodable="true"/>
  </Codes></CodeBook>
  <Cases><Case guid="{g(60)}" name="Barrio Norte"/></Cases>
  <Sources>
    <TextSource guid="{g(10)}" name="{title}" plainTextPath="internal://{g(10)}.txt" creatingUser="{ANA}">
      <PlainTextSelection guid="{g(11)}" startPosition="{broken[0]}" endPosition="{broken[1]}" creatingUser="{BO}">
        <Coding guid="{g(21)}" creatingUser="{BO}"><CodeRef targetGUID="{g(2)}"/></Coding>
        <NoteRef targetGUID="{g(92)}"/>
      </PlainTextSelection>
      <PlainTextSelection guid="{g(12)}" startPosition="{trust[0]}" endPosition="{trust[1]}">
        <Coding guid="{g(22)}" creatingUser="{CLEO}"><CodeRef targetGUID="{g(3)}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{g(13)}" startPosition="0" endPosition="99999">
        <Coding guid="{g(23)}"><CodeRef targetGUID="{g(3)}"/></Coding>
      </PlainTextSelection>
      <Coding guid="{g(24)}" creatingUser="{ANA}"><CodeRef targetGUID="{g(1)}"/></Coding>
      <Coding guid="{g(25)}"><CodeRef targetGUID="{g(99)}"/></Coding>
      <NoteRef targetGUID="{g(91)}"/>
    </TextSource>
    <PictureSource guid="{g(30)}" name="Photo of the underpass" path="internal://{g(30)}.jpg"/>
    <PDFSource guid="{g(31)}" name="Police report" path="internal://{g(31)}.pdf">
      <PDFSelection guid="{g(32)}" page="1" firstX="0" firstY="0" secondX="10" secondY="10"/>
    </PDFSource>
  </Sources>
  <Notes>
    <Note guid="{g(91)}" name="About the walk" creatingUser="{CLEO}"><PlainTextContent>Walk done at night.</PlainTextContent></Note>
    <Note guid="{g(92)}" creatingUser="{BO}"><PlainTextContent>Strong quote.</PlainTextContent></Note>
    <Note guid="{g(93)}"><PlainTextContent>Lighting covers private lamps too.</PlainTextContent></Note>
    <Note guid="{g(94)}"><PlainTextContent>Project memo.</PlainTextContent></Note>
  </Notes>
  <NoteRef targetGUID="{g(94)}"/>
</Project>"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("project.qde", qde.encode("utf-8"))
        archive.writestr(f"sources/{g(10)}.txt", TEXT.encode("utf-8"))
    return out.getvalue()


def test_another_tools_project_previews_then_imports_into_the_chosen_city_and_cycle(client, login, net, make_user):
    from peer_review.coding.models import Code, Coding, Memo
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    ana = make_user("ana@city.example", name="Ana Ruiz", roles=["facilitator"])
    bo = make_user("bo@city.example", name="Bo Chen", roles=["facilitator"])
    login(client, net["facilitator"])
    assert client.get("/exchange/project/import").status_code == 200
    response, page = preview(client, atlas_project(), "field.qdpx", choose(net))
    assert "Import this project?" in page and "ATLAS.ti" in page
    assert "1 source becomes an evidence item of Alpha City in 2026 round,\nwith 2 coded passages, 3 codings and " \
           "3 memos." in page
    assert "3 new codes will be added" in page
    # What is left out is said plainly, with counts.
    for needle in ("pictures: 1", "PDF documents without a text version: 1", "areas marked on PDF pages: 1",
                   "cases: 1", "codings of codes that are not in the file: 1",
                   "passages outside their text, or of a source that is not imported: 1",
                   "memos attached to the project as a whole or to nothing: 1", "Photo of the underpass"):
        assert needle in page, needle
    assert "Ana Ruiz (ana@city.example), matched by email" in page
    assert "Bo Chen (bo@city.example), matched by name" in page
    assert "Cleo Field, without an account here" in page
    assert count(EvidenceItem) == 0 and count(Code) == 0  # the preview changes nothing

    assert confirm(client, response, choose(net)).status_code == 302
    db.session.rollback()
    (item,) = db.session.execute(db.select(EvidenceItem)).scalars().all()
    assert (item.city.slug, item.cycle.name, item.title) == ("alpha", "2026 round", "Walk in Barrio Norte")
    assert (item.type, item.language, item.consent, item.visibility) == ("focus_group", "es", "anonymised", "city")
    assert item.text == TEXT.replace("\r\n", "\n") and "field.qdpx" in item.source
    codings = {(c.code.key, c.passage(), c.coder_id, c.coder_name, c.origin)
               for c in db.session.execute(db.select(Coding)).scalars()}
    assert codings == {("broken_lamps", "underpass lamps are broken", bo.id, None, "imported"),
                       ("trust", "Neighbours trust each other", None, "Cleo Field", "imported"),
                       ("lighting", item.text, ana.id, None, "imported")}
    codes = {c.key: c for c in db.session.execute(db.select(Code)).scalars()}
    assert codes["broken_lamps"].parent.key == "lighting" and codes["lighting"].labels == {"es": "Lighting"}
    memos = {(m.target_type, m.text, m.author_id, m.author_name) for m in db.session.execute(db.select(Memo)).scalars()}
    broken = next(c for c in db.session.execute(db.select(Coding)).scalars() if c.code.key == "broken_lamps")
    assert memos == {("item", "Walk done at night.", None, "Cleo Field"), ("coding", "Strong quote.", bo.id, None),
                     ("code", "Lighting covers private lamps too.", None, None)}
    assert db.session.execute(db.select(Memo).filter_by(target_type="coding")).scalar_one().target_id == broken.id
    # The item page names the coder who has no account.
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "Cleo Field" in page

    # The same file again: the source is already there, so nothing is imported twice.
    response, page = preview(client, atlas_project(), "field.qdpx", choose(net))
    assert "It is already an evidence item of Alpha City in 2026 round." in page
    assert "0 sources become evidence items of Alpha City" in page


def test_preview_refuses_a_city_outside_the_cycle_and_unreadable_files(client, login, net):
    from peer_review.evidence.models import EvidenceItem
    login(client, net["facilitator"])
    _response, page = preview(client, atlas_project(), "field.qdpx", choose(net, city="gamma"), status=400)
    assert "Gamma Ville does not take part in 2026 round." in page and "govuk-error-summary" in page
    _response, page = preview(client, b"PK\x03\x04broken", "field.qdpx", choose(net), status=400)
    assert "damaged" in page
    _response, page = preview(client, b"<CodeBook/>", "codes.qdc", choose(net), status=400)
    assert "Choose a file ending in .qdpx, .qde" in page
    _response, page = preview(client, b'<?xml version="1.0"?><script xmlns="x"/>', "evil.qde", choose(net), status=400)
    assert "&lt;script&gt;" in page and "<script xmlns" not in page
    assert count(EvidenceItem) == 0


def test_names_from_the_file_are_escaped(client, login, net):
    login(client, net["facilitator"])
    _response, page = preview(client, atlas_project(title="&lt;img src=x onerror=alert(1)&gt;",
                                                    person="&lt;b&gt;Eve&lt;/b&gt;"), "f.qdpx", choose(net))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>Eve</b>" not in page and "&lt;b&gt;Eve&lt;/b&gt;, without an account here" in page


def test_confirm_is_all_or_nothing(client, login, net, monkeypatch):
    from peer_review.coding.models import Code, Coding
    from peer_review.evidence.models import EvidenceItem
    from peer_review.exchange import project_import
    login(client, net["facilitator"])
    response, _page = preview(client, atlas_project(), "field.qdpx", choose(net))
    real = project_import.Coding

    def failing(**kwargs):
        if kwargs["code"].key == "trust":
            raise RuntimeError("disk full")
        return real(**kwargs)
    monkeypatch.setattr(project_import, "Coding", failing)
    with pytest.raises(RuntimeError):
        confirm(client, response, choose(net))
    assert count(EvidenceItem) == 0 and count(Code) == 0 and count(Coding) == 0


def test_project_import_is_for_facilitators(client, login, net):
    from peer_review.evidence.models import EvidenceItem
    from peer_review.exchange import operations as ops
    token = ops.stash_upload("project", net["facilitator"], "field.qdpx", atlas_project())
    for user in ("member", "secretariat"):
        login(client, net[user])
        assert client.get("/exchange/project/import").status_code == 403
        assert upload(client, "/exchange/project/import", atlas_project(), "f.qdpx", **choose(net)).status_code == 403
        assert client.post(f"/exchange/project/import/{token}", data=choose(net)).status_code == 403
    assert count(EvidenceItem) == 0
    login(client, net["facilitator"])
    page = client.get("/exchange/").get_data(as_text=True)
    assert "/exchange/project/import" in page


# --- The codebook import of a project says what it leaves behind -----------------------------------------------

def test_codebook_import_of_a_project_says_plainly_what_is_not_imported(client, login, net):
    login(client, net["facilitator"])
    response = upload(client, "/exchange/codebook/import", atlas_project(), "field.qdpx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A codebook import brings in only its codes: its 3 sources, 3 codings and 4 memos are not imported." \
        in page
    assert 'href="/exchange/project/import"' in page
    page = upload(client, "/exchange/codebook/import", (FIXTURES / "nvivo.qdc").read_bytes(),
                  "nvivo.qdc").get_data(as_text=True)
    assert "project-not-imported" not in page  # a plain codebook has nothing to leave behind


# --- A matched code keeps its GUID ------------------------------------------------------------------------------

def test_a_code_matched_by_name_keeps_the_guid_it_was_exported_with(client, login, net):
    from peer_review.coding import refiqda
    from peer_review.coding.operations import sync_codebook
    from peer_review.extensions import db
    sync_codebook()
    db.session.commit()
    login(client, net["facilitator"])

    def guids(data: bytes) -> dict:
        parsed = refiqda.parse_qdc(data)
        return {**{n.name: n.guid for n in refiqda._walk(parsed.codes)}, **{s.name: s.guid for s in parsed.sets}}
    first = guids(client.get("/exchange/codebook.qdc").data)
    assert first["Trust"] == refiqda.stable_guid("code", "trust")
    for n, group_guid in ((1, "d0000000-0000-4000-8000-0000000000a1"), (2, "d0000000-0000-4000-8000-0000000000a2")):
        qdc = f"""<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 2022">
          <Codes><Code guid="d0000000-0000-4000-8000-00000000000{n}" name="trust" isCodable="true"/></Codes>
          <Sets><Set guid="{group_guid}" name="Culture">
            <MemberCode guid="d0000000-0000-4000-8000-00000000000{n}"/></Set></Sets></CodeBook>""".encode()
        response = upload(client, "/exchange/codebook/import", qdc, f"maxqda{n}.qdc")
        assert "1 code matches" in response.get_data(as_text=True)
        token = re.search(r'/exchange/codebook/import/([A-Za-z0-9_-]+)"', response.get_data(as_text=True)).group(1)
        assert client.post(f"/exchange/codebook/import/{token}", data={"language": "en"}).status_code == 302
        again = guids(client.get("/exchange/codebook.qdc").data)
        assert again["Trust"] == first["Trust"]  # a tool holding the first export still sees the same code
        assert again["Culture"] == "d0000000-0000-4000-8000-0000000000a1"  # the group keeps its first GUID


# --- Taguette ---------------------------------------------------------------------------------------------------

def test_codebook_csv_for_taguette(client, login, net):
    from peer_review.coding.operations import create_code, sync_codebook
    from peer_review.extensions import db
    sync_codebook()
    create_code({"key": "street_lighting", "labels": {"en": "Street lighting", "es": "Alumbrado"},
                 "parent": "spatial_investment", "definitions": {"en": "Lamps, e.g. broken ones"}})
    create_code({"key": "broken_lamps", "labels": {"en": "Broken lamps (St. Mary's)"}, "parent": "street_lighting"})
    create_code({"key": "formula", "labels": {"en": "=1+1"}})
    db.session.commit()
    login(client, net["facilitator"])
    page = client.get("/exchange/").get_data(as_text=True)
    assert 'href="/exchange/codebook.csv"' in page and "Taguette" in page
    response = client.get("/exchange/codebook.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["tag", "description"]
    tags = {r[0]: r[1] for r in rows[1:]}
    assert tags["Spatial investment.Street lighting"] == "Lamps, e.g. broken ones"
    assert "Spatial investment.Street lighting.Broken lamps (St· Mary's)" in tags  # a dot would be a level
    assert "'=1+1" in tags and "Trust" in tags
    assert all(len(r) == 2 for r in rows)
    login(client, net["member"])
    assert client.get("/exchange/codebook.csv").status_code == 403


# --- The workbench's own round trip -------------------------------------------------------------------------------

def _snapshot():
    """Everything a round trip must give back, by stable names rather than database ids."""
    from peer_review.coding.models import Code, CodeGroup, Coding, Memo
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    db.session.rollback()
    items = {i.id: i for i in db.session.execute(db.select(EvidenceItem)).scalars()}
    codings = {c.id: c for c in db.session.execute(db.select(Coding).filter(Coding.sample_id.is_(None))).scalars()}
    codes = {c.id: c for c in db.session.execute(db.select(Code)).scalars()}

    def coder(c):
        return c.coder.name if c.coder else c.coder_name

    def target(m):
        if m.target_type == "item":
            return items[m.target_id].title
        if m.target_type == "code":
            return codes[m.target_id].key
        c = codings[m.target_id]
        return (c.item.title, c.code.key, c.start_offset, c.end_offset)
    return {
        "sources": sorted((i.title, i.text, i.type, i.language, i.date, i.area, i.source, i.gender, i.age_group,
                           i.vulnerable_groups, i.consent, i.visibility) for i in items.values()),
        "codings": sorted((c.item.title, c.code.key, c.start_offset or -1, c.end_offset or -1, c.passage(),
                           coder(c)) for c in codings.values()),
        "memos": sorted((m.target_type, str(target(m)), m.text, m.author.name if m.author else m.author_name)
                        for m in db.session.execute(db.select(Memo)).scalars()),
        "codebook": {c.key: (c.parent.key if c.parent else None, c.labels, c.definitions, c.direction, c.family,
                             c.retired) for c in codes.values()},
        "groups": sorted((gr.name, tuple(c.key for c in gr.codes))
                         for gr in db.session.execute(db.select(CodeGroup)).scalars()),
    }


def test_own_qdpx_round_trip_into_an_empty_database(client, login, net, make_city, make_user, app):
    from peer_review.coding.models import CodeGroup, Coding
    from peer_review.coding.operations import (
        add_codings,
        add_memo,
        create_code,
        get_code,
        sync_codebook,
    )
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.operations import create_item
    from peer_review.extensions import db
    from tests.conftest import _empty_tables
    sync_codebook()
    create_code({"key": "street_lighting", "labels": {"en": "Street lighting", "es": "Alumbrado público",
                                                      "fr": "Éclairage public"},
                 "definitions": {"en": "Lamps", "fr": "Lampadaires"}, "parent": "spatial_investment",
                 "direction": "less", "family": "process"})
    db.session.add(CodeGroup(name="Public space", codes=[get_code("street_lighting"), get_code("trust")]))
    fac = net["facilitator"]
    base = {"cycle": net["cycle"], "city": net["alpha"], "consent": "obtained"}
    walk = create_item({**base, "type": "safety_audit", "title": "Night walk", "language": "es",
                        "text": "Las farolas del paso están rotas.\nLos vecinos confían más. 🌙 Fin.",
                        "visibility": "restricted", "date": dt.date(2026, 3, 4), "area": "Barrio Norte",
                        "source": "Walk group", "gender": "women", "age_group": "adults",
                        "vulnerable_groups": ["migrants", "disability"]})
    story = create_item({**base, "type": "cultural_story", "title": "Mural festival", "language": "en",
                         "text": "Since the mural festival neighbours greet each other.", "visibility": "network"})
    lamps = walk.text.index("farolas")
    passage = add_codings(walk, [get_code("street_lighting"), get_code("trust")], fac, lamps, lamps + 22)
    after_emoji = walk.text.index("Fin")
    add_codings(walk, [get_code("trust")], fac, after_emoji, after_emoji + 3)  # positions after an emoji
    add_codings(story, [get_code("inclusion")], fac)  # whole item
    db.session.add(Coding(item=story, code=get_code("trust"), start_offset=0, end_offset=5, coder_name="Cleo Field",
                          origin="imported"))
    add_memo("item", walk.id, "Check the date with the city.", fac)
    add_memo("coding", passage[0].id, "Strong statement.", fac)
    add_memo("code", get_code("street_lighting").id, "Public lamps only.", fac)
    db.session.commit()
    before = _snapshot()
    login(client, fac)
    exported = client.get(f"/exchange/cycles/{net['cycle'].id}/project.qdpx")
    assert exported.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(exported.data))
    from peer_review.coding import refiqda
    assert refiqda.validate(archive.read("project.qde"), schema("Project.xsd")) == []
    assert refiqda.WORKBENCH_PATH in archive.namelist()

    # An empty database: no codes, no evidence, no people but the one importing (with the same name).
    _empty_tables()
    city = make_city("Alpha City", slug="alpha")
    db.session.add(Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1),
                         state="open", cities=[city]))
    db.session.commit()
    importer = make_user("fac@net.example", roles=["facilitator"], name="Fatou Diallo")
    cycle = db.session.execute(db.select(Cycle)).scalar_one()
    login(client, importer)
    fields = {"cycle": str(cycle.id), "city": "alpha", **CHOICES}
    response, page = preview(client, exported.data, "cycle.qdpx", fields)
    assert "2 sources become evidence items of Alpha City in 2026 round,\nwith 3 coded passages, 5 codings and " \
           "3 memos." in page
    assert "not-imported" not in page  # nothing of the workbench's own export is left behind
    assert confirm(client, response, fields).status_code == 302
    after = _snapshot()
    assert after["sources"] == before["sources"]
    assert after["codings"] == before["codings"]
    assert after["memos"] == before["memos"]
    assert after["groups"] == before["groups"]
    assert after["codebook"] == before["codebook"]  # ids, parents, translations, directions, families
    # And out again: the same GUIDs for the same codes.
    again = zipfile.ZipFile(io.BytesIO(client.get(f"/exchange/cycles/{cycle.id}/project.qdpx").data))
    code_guids = re.compile(rb'<Code guid="([0-9a-f-]+)" name="([^"]+)"')
    assert sorted(code_guids.findall(again.read("project.qde"))) == \
        sorted(code_guids.findall(archive.read("project.qde")))


# --- Schema tests fail in CI instead of skipping --------------------------------------------------------------

def test_schema_tests_fail_in_ci_and_skip_with_a_reason_elsewhere(monkeypatch, tmp_path):
    from tests import conftest
    monkeypatch.setattr(conftest, "SHARED", tmp_path / "no-shared")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        schema("Project.xsd")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared is absent"):
        schema("Project.xsd")
    monkeypatch.setattr(conftest, "SHARED", conftest.ROOT.parent / "shared")
    if (conftest.SHARED / "refi-qda" / "Project.xsd").is_file():
        monkeypatch.setenv("CI", "true")
        assert schema("Project.xsd").name == "Project.xsd"
