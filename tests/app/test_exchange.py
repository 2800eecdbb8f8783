"""Exchange pages through the test client: evidence import (preview, confirm, all or nothing, tokens), evidence
export (round trip, formula injection), codebook export (.qdc valid, .yaml), codebook import of real tools' files
(preview, nested codes, groups, idempotent), project export (.qdpx valid)."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "qdc"
HEADER = "city,cycle,type,title,text,date,language,area,source,gender,age_group,vulnerable_groups,consent,visibility"
TOKEN_IN_FORM = re.compile(r'/exchange/(?:evidence|codebook)/import/([A-Za-z0-9_-]+)"')


def schema(name: str) -> Path:
    """Fails where CI is set and the schema is missing; skips, saying why, elsewhere (tests/conftest.py)."""
    from tests.conftest import refiqda_schema
    return refiqda_schema(name)


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
    return {
        "alpha": alpha, "beta": beta, "gamma": gamma, "cycle": cycle,
        "member": make_user("m@alpha.example", city=alpha),
        "beta_member": make_user("m@beta.example", city=beta),
        "facilitator": make_user("fac@net.example", roles=["facilitator"]),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
    }


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join((HEADER,) + rows) + "\n").encode("utf-8")


def upload(client, url: str, data: bytes, filename: str, **fields):
    return client.post(url, data={"file": (io.BytesIO(data), filename), **fields},
                       content_type="multipart/form-data")


def token_of(response) -> str:
    match = TOKEN_IN_FORM.search(response.get_data(as_text=True))
    assert match, "no confirmation form on the page"
    return match.group(1)


def count(model) -> int:
    from sqlalchemy import func

    from peer_review.extensions import db
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(db.select(func.count()).select_from(model))


def items():
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    db.session.rollback()
    return db.session.execute(db.select(EvidenceItem).order_by(EvidenceItem.id)).scalars().all()


GOOD = (
    'alpha,2026 round,narrative,Night market walk,"We walked the market at night, lamps were out.",2026-03-14,en,'
    'Old Market,Women\'s safety walk,women,adults,disability;migrants,obtained,city',
    "alpha,2026 round,Safety audit note (incl. women's safety walk),Bus stop audit,Dark corner by stop 4.,,es,,"
    ",,,,anonymised,network",
)


# --- Evidence import -----------------------------------------------------------------------------------

def test_csv_import_preview_then_confirm(client, login, net):
    from peer_review.audit.models import AuditEntry
    from peer_review.evidence.models import EvidenceItem
    login(client, net["member"])
    assert client.get("/exchange/evidence/import").status_code == 200
    response = upload(client, "/exchange/evidence/import", csv_bytes(*GOOD), "evidence.csv")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Night market walk" in page and "Bus stop audit" in page and "Import 2 items" in page
    assert count(EvidenceItem) == 0  # the preview saves nothing
    token = token_of(response)

    response = client.post(f"/exchange/evidence/import/{token}")
    assert response.status_code == 302
    got = items()
    assert [i.title for i in got] == ["Night market walk", "Bus stop audit"]
    walk = got[0]
    assert (walk.city.slug, walk.cycle.name, walk.type, walk.language, walk.area, walk.source) == \
        ("alpha", "2026 round", "narrative", "en", "Old Market", "Women's safety walk")
    assert walk.date == dt.date(2026, 3, 14) and walk.group_list == ["disability", "migrants"]
    assert (walk.gender, walk.age_group, walk.consent, walk.visibility) == ("women", "adults", "obtained", "city")
    assert walk.text == "We walked the market at night, lamps were out."
    assert walk.created_by_id == net["member"].id
    assert (got[1].type, got[1].date, got[1].visibility) == ("safety_audit", None, "network")
    assert count(AuditEntry) >= 1
    # The token was used up: confirming again finds nothing, and nothing is left on disk.
    assert client.post(f"/exchange/evidence/import/{token}").status_code == 404
    assert count(EvidenceItem) == 2
    folder = Path(client.application.instance_path) / "imports"
    assert not [p for p in folder.iterdir() if p.name.startswith(token)]


def test_xlsx_import(client, login, net):
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["alpha", "2026 round", "cultural_story", "Drum circle", "Youth drummers filled the square.",
                  dt.datetime(2026, 5, 2), "fr", "Centre", "", "mixed", "youth", "", "obtained", "network"])
    out = io.BytesIO()
    workbook.save(out)
    login(client, net["facilitator"])
    response = upload(client, "/exchange/evidence/import", out.getvalue(), "evidence.xlsx")
    assert response.status_code == 200 and "Drum circle" in response.get_data(as_text=True)
    assert client.post(f"/exchange/evidence/import/{token_of(response)}").status_code == 302
    (item,) = items()
    assert (item.title, item.type, item.date, item.language, item.age_group) == \
        ("Drum circle", "cultural_story", dt.date(2026, 5, 2), "fr", "youth")


def test_bad_rows_are_all_listed_and_nothing_is_imported(client, login, net):
    from peer_review.evidence.models import EvidenceItem
    login(client, net["member"])
    data = csv_bytes(
        GOOD[0],
        "alpha,2026 round,poem,Bad type,Text,2026-01-01,en,,,,,,obtained,city",        # row 3: type
        "beta,2026 round,narrative,Not my city,Text,,en,,,,,,obtained,city",           # row 4: city
        "alpha,2026 round,narrative,,Text,14/03/2026,en,,,,,,obtained,city",           # row 5: title and date
        GOOD[1],
    )
    response = upload(client, "/exchange/evidence/import", data, "evidence.csv")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "4 problems were found" in page and "Nothing was imported" in page
    rows = re.findall(r'govuk-table__cell--numeric">(\d+)</td>\s*<td class="govuk-table__cell"><code>(\w+)</code>',
                      page)
    assert rows == [("3", "type"), ("4", "city"), ("5", "title"), ("5", "date")]
    assert "2 rows have no problem" in page
    assert count(EvidenceItem) == 0
    assert not TOKEN_IN_FORM.search(page)  # no way to confirm a file with errors


def test_city_outside_the_cycle_is_a_row_error(client, login, net):
    from peer_review.evidence.models import EvidenceItem
    login(client, net["facilitator"])
    response = upload(client, "/exchange/evidence/import",
                      csv_bytes("gamma,2026 round,narrative,Elsewhere,Text,,en,,,,,,obtained,city"), "e.csv")
    assert response.status_code == 400
    assert "gamma does not take part in 2026 round" in response.get_data(as_text=True)
    assert count(EvidenceItem) == 0


def test_confirm_is_all_or_nothing(client, login, net):
    """A row that became invalid between preview and confirm stops the whole import, valid rows included."""
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    login(client, net["facilitator"])
    data = csv_bytes(GOOD[0], "beta,2026 round,narrative,Beta item,Text,,en,,,,,,obtained,city")
    response = upload(client, "/exchange/evidence/import", data, "e.csv")
    assert response.status_code == 200
    token = token_of(response)
    cycle = db.session.get(Cycle, net["cycle"].id)
    cycle.cities = [c for c in cycle.cities if c.slug != "beta"]
    db.session.commit()
    response = client.post(f"/exchange/evidence/import/{token}")
    assert response.status_code == 400
    assert "beta does not take part" in response.get_data(as_text=True)
    assert count(EvidenceItem) == 0


def test_import_rows_failure_rolls_back_everything(app, net):
    """Even when the operations (not the preview) refuse a row, no item of the file stays in the session."""
    from peer_review.evidence.models import EvidenceItem
    from peer_review.exchange import operations as ops
    from peer_review.extensions import db
    data = csv_bytes(GOOD[0], GOOD[1])
    rows, errors = ops.check_evidence_table("e.csv", data, net["facilitator"])
    assert len(rows) == 2 and not errors
    from unittest import mock
    real = ops.import_rows

    def failing(rows, actor=None):
        real(rows[:1], actor=actor)  # the first row reaches the session...
        raise ops.ValidationFailed({"row 3: title": ["boom"]})  # ...then a later row fails
    with mock.patch.object(ops, "import_rows", failing), pytest.raises(ops.RowsRejected) as caught:
        ops.import_evidence_table("e.csv", data, net["facilitator"])
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "title")]
    db.session.commit()
    assert count(EvidenceItem) == 0


def test_token_of_another_person_is_refused(client, login, net):
    from peer_review.evidence.models import EvidenceItem
    login(client, net["member"])
    token = token_of(upload(client, "/exchange/evidence/import", csv_bytes(GOOD[0]), "e.csv"))
    login(client, net["facilitator"])
    assert client.post(f"/exchange/evidence/import/{token}").status_code == 404
    assert count(EvidenceItem) == 0
    login(client, net["member"])  # still usable by its owner
    assert client.post(f"/exchange/evidence/import/{token}").status_code == 302
    assert count(EvidenceItem) == 1


def test_tampered_tokens_are_refused(client, login, net, app):
    from peer_review.exchange import operations as ops
    login(client, net["facilitator"])
    secret = Path(app.instance_path) / "secret.json"
    secret.write_text('{"user_id": %d, "kind": "evidence", "filename": "x.csv", "created": 9e99}'
                      % net["facilitator"].id)
    try:
        for bad in ("../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..", "../secret", "a" * 43 + ".json",
                    "A" * 10, "x" * 200):
            response = client.post(f"/exchange/evidence/import/{bad}")
            assert response.status_code in (404, 405), bad
        for bad in ("../../etc/passwd", "../secret", "/etc/passwd", "", "a/b" * 20):
            with pytest.raises(ops.UploadNotFound):
                ops.load_upload("evidence", bad, net["facilitator"])
        unknown = "Q" * 43
        assert client.post(f"/exchange/evidence/import/{unknown}").status_code == 404
    finally:
        secret.unlink()


def test_token_for_one_kind_does_not_confirm_another(app, net):
    from peer_review.exchange import operations as ops
    token = ops.stash_upload("evidence", net["facilitator"], "e.csv", csv_bytes(GOOD[0]))
    with pytest.raises(ops.UploadNotFound):
        ops.load_upload("codebook", token, net["facilitator"])
    assert ops.load_upload("evidence", token, net["facilitator"]).filename == "e.csv"
    # Names are sanitised; tokens are long and random.
    other = ops.stash_upload("evidence", net["facilitator"], "../../evil name.csv", b"x")
    assert other != token and len(other) >= 40
    assert ops.load_upload("evidence", other, net["facilitator"]).filename == "evil_name.csv"
    assert sorted(p.name for p in (Path(app.instance_path) / "imports").iterdir()) == \
        sorted([f"{token}.json", f"{token}.upload", f"{other}.json", f"{other}.upload"])
    ops.discard_upload(token)
    ops.discard_upload(other)


def test_expired_token_is_refused(app, net, monkeypatch):
    from peer_review.exchange import operations as ops
    token = ops.stash_upload("evidence", net["facilitator"], "e.csv", csv_bytes(GOOD[0]))
    later = ops.time.time() + ops.TOKEN_MAX_AGE + 5
    monkeypatch.setattr(ops.time, "time", lambda: later)
    with pytest.raises(ops.UploadNotFound):
        ops.load_upload("evidence", token, net["facilitator"])
    assert not (Path(app.instance_path) / "imports" / f"{token}.upload").exists()


def test_oversized_and_wrong_files_are_refused_with_a_message(client, login, net):
    from peer_review.evidence.models import EvidenceItem
    login(client, net["member"])
    big = csv_bytes(GOOD[0]) + b"x" * (5 * 1024 * 1024)
    response = upload(client, "/exchange/evidence/import", big, "big.csv")
    assert response.status_code == 400
    assert "the limit is 5.0 MB" in response.get_data(as_text=True)
    response = upload(client, "/exchange/evidence/import", b"MZ\x90\x00binary", "evil.exe")
    assert response.status_code == 400 and "Choose a file ending in .csv, .xlsx" in response.get_data(as_text=True)
    response = upload(client, "/exchange/evidence/import", b"title,text\nA,B\n", "e.csv")
    assert response.status_code == 400 and "missing required columns" in response.get_data(as_text=True)
    response = client.post("/exchange/evidence/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV or XLSX file" in response.get_data(as_text=True)
    assert count(EvidenceItem) == 0


def test_member_cannot_import_into_another_city(client, login, net):
    login(client, net["beta_member"])
    response = upload(client, "/exchange/evidence/import", csv_bytes(GOOD[0]), "e.csv")
    assert response.status_code == 400 and "Unknown city" in response.get_data(as_text=True)


# --- Evidence export -----------------------------------------------------------------------------------

def _make_items(net):
    from peer_review.evidence.operations import create_item
    from peer_review.extensions import db
    base = {"cycle": net["cycle"], "type": "narrative", "language": "en", "consent": "obtained"}
    made = [
        create_item({**base, "city": net["alpha"], "title": "=HYPERLINK(\"http://evil.example\",\"click\")",
                     "text": "+cmd|' /C calc'!A0", "visibility": "network", "date": dt.date(2026, 2, 1),
                     "vulnerable_groups": ["homeless"], "area": "@Riverside", "source": "-survey"}),
        create_item({**base, "city": net["alpha"], "title": "Alpha city-only", "text": "Only Alpha and staff.",
                     "visibility": "city", "language": "es"}),
        create_item({**base, "city": net["beta"], "title": "Beta restricted", "text": "Beta and facilitators.",
                     "visibility": "restricted", "type": "focus_group"}),
    ]
    db.session.commit()
    return made


def test_export_csv_and_xlsx_visible_items_filters_and_headers(client, login, net):
    from peer_review.evidence import tabular
    _make_items(net)
    login(client, net["secretariat"])
    response = client.get("/exchange/evidence.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="evidence.csv"'
    rows = tabular.read_table("e.csv", response.data)
    assert sorted(r["title"] for r in rows) == ["=HYPERLINK(\"http://evil.example\",\"click\")", "Alpha city-only"]
    assert list(tabular.COLUMNS) == response.data.decode("utf-8-sig").splitlines()[0].split(",")

    login(client, net["facilitator"])
    titles = lambda q: sorted(r["title"] for r in tabular.read_table(  # noqa: E731
        "e.csv", client.get(f"/exchange/evidence.csv{q}").data))
    assert len(titles("")) == 3
    assert titles("?city=beta") == ["Beta restricted"]
    assert titles("?type=focus_group") == ["Beta restricted"]
    assert titles("?language=es") == ["Alpha city-only"]
    assert len(titles(f"?cycle={net['cycle'].id}&city=alpha")) == 2
    assert titles("?city=nowhere") == [] and titles("?cycle=999999") == [] and titles("?cycle=x") == []
    assert len(titles("?type=bogus")) == 3  # an unknown type is ignored, as on the list

    response = client.get("/exchange/evidence.xlsx?city=beta")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="evidence.xlsx"'
    assert [r["title"] for r in tabular.read_table("e.xlsx", response.data)] == ["Beta restricted"]


def test_export_is_for_facilitators_and_staff(client, login, net):
    login(client, net["member"])
    for url in ("/exchange/evidence.csv", "/exchange/evidence.xlsx", "/exchange/codebook.qdc",
                "/exchange/codebook.yaml", f"/exchange/cycles/{net['cycle'].id}/project.qdpx"):
        assert client.get(url).status_code == 403, url


def test_formula_injection_is_neutralised_in_exports(client, login, net):
    import openpyxl
    _make_items(net)
    login(client, net["facilitator"])
    text = client.get("/exchange/evidence.csv?city=alpha&language=en").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+cmd" in text and "'@Riverside" in text and "'-survey" in text
    assert ",=HYPERLINK" not in text and ",+cmd" not in text and '"=HYPERLINK' not in text
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/exchange/evidence.xlsx?city=alpha&language=en").data)
                                   ).active
    values = [cell.value for cell in list(sheet.iter_rows())[1]]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in values and "'+cmd|' /C calc'!A0" in values
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_reimports_to_the_same_items(client, login, net, fmt):
    from peer_review.evidence.models import EvidenceItem
    originals = _make_items(net)
    fields = ("city_id", "cycle_id", "type", "title", "text", "date", "language", "area", "source", "gender",
              "age_group", "vulnerable_groups", "consent", "visibility")
    before = sorted(tuple(getattr(i, f) for f in fields) for i in originals)
    login(client, net["facilitator"])
    exported = client.get(f"/exchange/evidence.{fmt}").data
    response = upload(client, "/exchange/evidence/import", exported, f"evidence.{fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert client.post(f"/exchange/evidence/import/{token_of(response)}").status_code == 302
    assert count(EvidenceItem) == 6
    copies = [i for i in items() if i.id not in {o.id for o in originals}]
    assert sorted(tuple(getattr(i, f) for f in fields) for i in copies) == before


# --- Codebook export -----------------------------------------------------------------------------------

@pytest.fixture
def codebook(app):
    from peer_review.coding.models import CodeGroup
    from peer_review.coding.operations import create_code, get_code, retire_code, sync_codebook
    from peer_review.extensions import db
    sync_codebook()
    create_code({"key": "street_lighting", "labels": {"en": "Street lighting"}, "parent": "spatial_investment",
                 "definitions": {"en": "Lamps & dark corners <b>"}})
    create_code({"key": "broken_lamps", "labels": {"en": "Broken lamps"}, "parent": "street_lighting"})
    create_code({"key": "old_code", "labels": {"en": "Old code"}})
    retire_code(get_code("old_code"))
    db.session.add(CodeGroup(name="Public space", description="Spatial codes",
                             codes=[get_code("street_lighting"), get_code("spatial_investment"),
                                    get_code("old_code")]))
    db.session.commit()


def test_codebook_qdc_export_is_valid_and_complete(client, login, net, codebook):
    from peer_review.coding import refiqda
    from peer_review.coding.operations import all_codes
    login(client, net["facilitator"])
    response = client.get("/exchange/codebook.qdc")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="codebook.qdc"'
    assert refiqda.validate(response.data, schema("Codebook.xsd")) == []
    parsed = refiqda.parse_qdc(response.data)
    assert parsed.warnings == []
    flat = {}

    def walk(nodes, parent=None):
        for node in nodes:
            flat[node.name] = (parent, node)
            walk(node.children, node.name)
    walk(parsed.codes)
    assert len(flat) == len(all_codes()) and "Old code" not in flat
    assert flat["Street lighting"][0] == "Spatial investment"
    assert flat["Broken lamps"][0] == "Street lighting"
    assert flat["Street lighting"][1].description == "Lamps & dark corners <b>"
    assert flat["Trust"][1].guid == refiqda.stable_guid("code", "trust")
    (group,) = parsed.sets
    assert group.name == "Public space" and len(group.member_guids) == 2  # the retired member is left out
    assert client.get("/exchange/codebook.qdc").data == response.data  # stable GUIDs: same file every time


def test_codebook_qdc_export_without_codes(client, login, net):
    login(client, net["facilitator"])
    response = client.get("/exchange/codebook.qdc")
    assert response.status_code == 302


def test_codebook_yaml_export(client, login, net, codebook):
    import yaml

    from peer_review.coding.operations import read_codebook_file
    login(client, net["secretariat"])
    response = client.get("/exchange/codebook.yaml")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = yaml.safe_load(response.data)
    by_id = {c["id"]: c for c in data["codes"]}
    assert {c["id"] for c in read_codebook_file()} <= set(by_id)
    assert by_id["broken_lamps"]["parent"] == "street_lighting" and by_id["old_code"]["retired"] is True
    assert by_id["trust"]["labels"]["es"] == "Confianza"


# --- Codebook import -----------------------------------------------------------------------------------

def _import_codebook(client, path_or_bytes, filename=None, language=None):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    response = upload(client, "/exchange/codebook/import", data, filename or path_or_bytes.name)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, token_of(response)


def _code_state():
    from peer_review.coding.models import Code, CodeGroup
    from peer_review.extensions import db
    db.session.rollback()
    codes = {c.key: (c.parent.key if c.parent else None, c.guid, dict(c.labels), dict(c.definitions))
             for c in db.session.execute(db.select(Code)).scalars()}
    groups = {g.name: sorted(c.key for c in g.codes) for g in db.session.execute(db.select(CodeGroup)).scalars()}
    return codes, groups


def test_import_nvivo_codebook_nested_with_sets(client, login, net):
    from peer_review.audit.models import AuditEntry
    from peer_review.coding.operations import sync_codebook
    from peer_review.extensions import db
    sync_codebook()
    db.session.commit()
    before_codes, _ = _code_state()
    login(client, net["facilitator"])
    assert client.get("/exchange/codebook/import").status_code == 200
    response, token = _import_codebook(client, FIXTURES / "nvivo.qdc")
    page = response.get_data(as_text=True)
    for name in ("Safety", "Public space", "Street lighting", "Parks", "Gender-based violence", "Festivals",
                 "Spatial", "NVivo"):
        assert name in page, name
    assert "street_lighting" in page and "6 new codes will be added." in page
    assert re.search(r"Safety</strong>.*?<ul.*?Public space</strong>.*?<ul.*?Street lighting</strong>", page, re.S)
    assert _code_state()[0] == before_codes  # the preview changes nothing

    response = client.post(f"/exchange/codebook/import/{token}", data={"language": "en"})
    assert response.status_code == 302
    codes, groups = _code_state()
    assert codes["safety"][0] is None
    assert codes["public_space"][0] == "safety"
    assert codes["street_lighting"][0] == "public_space"
    assert codes["parks"][0] == "public_space"
    assert codes["gender_based_violence"][0] == "safety"
    assert codes["street_lighting"][1] == "b1000000-0000-4000-8000-000000000003"
    assert codes["street_lighting"][2] == {"en": "Street lighting"}
    assert codes["street_lighting"][3] == {"en": "Lights, broken lamps, dark corners"}
    assert groups["Spatial"] == ["parks", "street_lighting"]
    assert len(codes) == len(before_codes) + 6
    db.session.rollback()
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="codebook.import")).scalar_one()
    assert entry.after["new_codes"] == 6 and entry.after["new_groups"] == 1

    # The same file again: everything matches, nothing is added.
    response, token = _import_codebook(client, FIXTURES / "nvivo.qdc")
    page = response.get_data(as_text=True)
    assert "0 new codes will be added.\n6 codes match" in page and ">New<" not in page
    assert client.post(f"/exchange/codebook/import/{token}", data={"language": "en"}).status_code == 302
    assert _code_state() == (codes, groups)


def test_import_matches_existing_codes_by_name_without_renaming(client, login, net):
    from peer_review.coding.operations import sync_codebook
    from peer_review.extensions import db
    sync_codebook()
    db.session.commit()
    before, _ = _code_state()
    qdc = b"""<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="ATLAS.ti 23">
      <Codes>
        <Code guid="c0000000-0000-4000-8000-000000000001" name="TRUST" isCodable="true">
          <Description>Trust as the tool defines it</Description>
          <Code guid="c0000000-0000-4000-8000-000000000002" name="Trust in police" isCodable="true"/>
        </Code>
        <Code guid="c0000000-0000-4000-8000-000000000003" name="Miedo al delito" isCodable="true"/>
      </Codes>
      <Sets><Set guid="c0000000-0000-4000-8000-0000000000a1" name="Culture">
        <MemberCode guid="c0000000-0000-4000-8000-000000000001"/>
        <MemberCode guid="c0000000-0000-4000-8000-000000000002"/></Set></Sets>
    </CodeBook>"""
    login(client, net["facilitator"])
    response, token = _import_codebook(client, qdc, "atlas.qdc")
    page = response.get_data(as_text=True)
    assert "1 new code will be added.\n2 codes match" in page and "trust_in_police" in page
    assert client.post(f"/exchange/codebook/import/{token}", data={"language": "es"}).status_code == 302
    codes, groups = _code_state()
    assert codes["trust"][2] == before["trust"][2]  # labels untouched
    assert codes["trust"][3] == before["trust"][3]  # every language already had a definition
    assert codes["trust"][1] is None  # matched by name: keeps the GUID it is exported with (from its id)
    assert codes["fear_of_crime"][1] is None
    assert codes["trust_in_police"][0] == "trust" and codes["trust_in_police"][2] == {"es": "Trust in police"}
    assert groups["Culture"] == ["trust", "trust_in_police"]
    assert len(codes) == len(before) + 1


def test_new_code_ids_are_deduplicated(app, net):
    from peer_review.coding import refiqda
    from peer_review.coding.operations import sync_codebook
    from peer_review.exchange import operations as ops
    sync_codebook()
    parsed = refiqda.ParsedCodebook(codes=[
        refiqda.CodeNode(guid=refiqda.new_guid(), name="Parks"),
        refiqda.CodeNode(guid=refiqda.new_guid(), name="Parks!"),
        refiqda.CodeNode(guid=refiqda.new_guid(), name="Trust 2"),
        refiqda.CodeNode(guid=refiqda.new_guid(), name="整理"),
    ], sets=[], warnings=[], tool=None)
    plan = ops.plan_codebook_import(parsed)
    assert [c.key for c in plan.codes] == ["parks", "parks_2", "trust_2", "code"]
    counts = ops.apply_codebook_import(parsed, language="fr")
    assert counts["new_codes"] == 4
    assert ops.apply_codebook_import(parsed)["new_codes"] == 0


@pytest.mark.parametrize("name", ["atlasti.qdc", "maxqda.qdc", "qualcoder.qdc", "taguette.qdc", "project.qde"])
def test_real_tools_files_preview_and_import(client, login, net, name):
    login(client, net["facilitator"])
    response, token = _import_codebook(client, FIXTURES / name)
    assert "Import this codebook?" in response.get_data(as_text=True)
    assert client.post(f"/exchange/codebook/import/{token}").status_code == 302
    codes, _groups = _code_state()
    assert codes
    response, token = _import_codebook(client, FIXTURES / name)
    assert "0 new codes will be added" in response.get_data(as_text=True)


def test_qdc_round_trip_through_export_and_import(client, login, net, codebook):
    login(client, net["facilitator"])
    before = _code_state()
    exported = client.get("/exchange/codebook.qdc").data
    response, token = _import_codebook(client, exported, "codebook.qdc")
    assert "0 new codes will be added" in response.get_data(as_text=True)
    assert client.post(f"/exchange/codebook/import/{token}").status_code == 302
    assert _code_state() == before


def test_qdpx_archive_import(client, login, net, codebook):
    login(client, net["facilitator"])
    project = client.get(f"/exchange/cycles/{net['cycle'].id}/project.qdpx").data
    response, _token = _import_codebook(client, project, "cycle.qdpx")
    assert "0 new codes will be added" in response.get_data(as_text=True)


@pytest.mark.parametrize("data,filename,needle", [
    (b"this is not xml at all", "codes.qdc", "not readable XML"),
    (b"", "codes.qdc", "The file is empty"),
    (b'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>', "c.qdc",
     "contains no codes"),
    (b"<html><body>hello</body></html>", "c.qdc", "not a REFI-QDA codebook"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CodeBook>&e;</CodeBook>',
     "c.qdc", "DTD"),
    (b"PK\x03\x04broken", "c.qdpx", "damaged"),
    (b"<CodeBook/>", "codes.docx", "Choose a file ending in"),
])
def test_unreadable_codebook_gives_a_clear_message(client, login, net, data, filename, needle):
    from peer_review.coding.models import Code, CodeGroup
    login(client, net["facilitator"])
    response = upload(client, "/exchange/codebook/import", data, filename)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert needle in page and "govuk-error-summary" in page
    assert count(Code) == 0 and count(CodeGroup) == 0


def test_codebook_import_permissions(client, login, net):
    from peer_review.coding.models import Code
    from peer_review.exchange import operations as ops
    data = (FIXTURES / "nvivo.qdc").read_bytes()
    token = ops.stash_upload("codebook", net["facilitator"], "nvivo.qdc", data)
    for user in ("member", "secretariat"):
        login(client, net[user])
        assert client.get("/exchange/codebook/import").status_code == 403
        assert upload(client, "/exchange/codebook/import", data, "nvivo.qdc").status_code == 403
        assert client.post(f"/exchange/codebook/import/{token}").status_code == 403
    assert count(Code) == 0


# --- Project export ------------------------------------------------------------------------------------

def test_project_qdpx_is_valid_and_holds_what_counts(client, login, net, codebook):
    from peer_review.coding import refiqda
    from peer_review.coding.models import Coding, DoubleCodingSample, Memo
    from peer_review.coding.operations import add_codings, add_memo, get_code
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    made = _make_items(net)
    fac, other = net["facilitator"], net["secretariat"]
    first = db.session.get(EvidenceItem, made[1].id)  # "Only Alpha and staff."
    passage = add_codings(first, [get_code("trust"), get_code("inclusion")], fac, 0, 10)
    add_codings(first, [get_code("street_lighting")], fac)  # whole item
    restricted = db.session.get(EvidenceItem, made[2].id)
    add_codings(restricted, [get_code("fear_of_crime")], fac, 0, 4)
    sample = DoubleCodingSample(cycle_id=net["cycle"].id, name="s", coder_a_id=fac.id, coder_b_id=other.id, seed=1)
    db.session.add(sample)
    db.session.flush()
    db.session.add(Coding(item=first, code=get_code("exclusion"), coder_id=other.id, sample_id=sample.id,
                          start_offset=0, end_offset=4))
    add_memo("item", first.id, "Check the date with the city.", fac)
    add_memo("coding", passage[0].id, "Strong statement.", fac)
    add_memo("code", get_code("trust").id, "Keep apart from cohesion.", fac)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Memo.id))) == 3

    login(client, net["facilitator"])
    response = client.get(f"/exchange/cycles/{net['cycle'].id}/project.qdpx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="cycle-{net["cycle"].id}.qdpx"'
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    qde = archive.read("project.qde")
    assert refiqda.validate(qde, schema("Project.xsd")) == []
    text = qde.decode()
    source_guid = refiqda.stable_guid("evidence", first.id)
    assert archive.read(f"sources/{source_guid}.txt").decode() == first.text
    assert len([n for n in archive.namelist() if n.startswith("sources/")]) == 3
    assert 'startPosition="0" endPosition="10"' in text and text.count("<PlainTextSelection") == 2
    assert text.count("<Coding ") == 4  # two on the passage, one whole-item, one on the restricted item
    assert refiqda.stable_guid("code", "exclusion") not in text.split("<Sources>")[1]  # blind work left out
    assert "Check the date with the city." in text and "Strong statement." in text and "Keep apart" in text
    assert f'name="{fac.name}"' in text and f'name="{other.name}"' not in text
    assert refiqda.parse_qdc(response.data).codes  # the codebook inside reads back

    login(client, net["secretariat"])  # staff do not see restricted items
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/exchange/cycles/{net['cycle'].id}/project.qdpx").data))
    assert len([n for n in archive.namelist() if n.startswith("sources/")]) == 2
    assert refiqda.validate(archive.read("project.qde"), schema("Project.xsd")) == []


def test_project_export_of_unknown_or_hidden_cycle(client, login, net):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    draft = Cycle(name="2027 draft", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1), state="draft")
    db.session.add(draft)
    db.session.commit()
    login(client, net["facilitator"])
    assert client.get("/exchange/cycles/999999/project.qdpx").status_code == 404
    assert client.get(f"/exchange/cycles/{draft.id}/project.qdpx").status_code == 404
    login(client, net["secretariat"])
    response = client.get(f"/exchange/cycles/{draft.id}/project.qdpx")
    assert response.status_code == 200
    assert refiqda_valid(zipfile.ZipFile(io.BytesIO(response.data)).read("project.qde"))


def refiqda_valid(qde: bytes) -> bool:
    from peer_review.coding import refiqda
    return refiqda.validate(qde, schema("Project.xsd")) == []


# --- Entry page ----------------------------------------------------------------------------------------

def test_exchange_page_shows_only_what_each_person_may_use(client, login, net):
    login(client, net["member"])
    page = client.get("/exchange/").get_data(as_text=True)
    assert "/exchange/evidence/import" in page
    assert "/exchange/evidence.csv" not in page and "/exchange/codebook" not in page
    assert "project.qdpx" not in page
    assert 'href="/exchange/"' in client.get("/").get_data(as_text=True)  # in the navigation

    login(client, net["secretariat"])
    page = client.get("/exchange/").get_data(as_text=True)
    assert "/exchange/evidence.csv" in page and "/exchange/codebook.qdc" in page
    assert f"/exchange/cycles/{net['cycle'].id}/project.qdpx" in page
    assert "/exchange/codebook/import" not in page

    login(client, net["facilitator"])
    page = client.get("/exchange/").get_data(as_text=True)
    assert "/exchange/codebook/import" in page and "/exchange/evidence/import" in page


def test_confirm_needs_csrf_token(client, login, net, app):
    from peer_review.evidence.models import EvidenceItem
    login(client, net["member"])
    token = token_of(upload(client, "/exchange/evidence/import", csv_bytes(GOOD[0]), "e.csv"))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/exchange/evidence/import/{token}").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert count(EvidenceItem) == 0
    assert os.path.exists(Path(app.instance_path) / "imports" / f"{token}.upload")


def test_a_token_can_be_claimed_only_once(app, net):
    from peer_review.exchange import operations as ops
    token = ops.stash_upload("evidence", net["facilitator"], "e.csv", csv_bytes(GOOD[0]))
    assert ops.load_upload("evidence", token, net["facilitator"], claim=True).data.startswith(b"city,")
    with pytest.raises(ops.UploadNotFound):  # a second, simultaneous confirmation finds nothing
        ops.load_upload("evidence", token, net["facilitator"], claim=True)
    ops.discard_upload(token)
    assert not [p for p in (Path(app.instance_path) / "imports").iterdir() if p.name.startswith(token)]
