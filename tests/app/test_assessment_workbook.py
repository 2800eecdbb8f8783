"""The offline workbook: download, fill in, upload back with a preview; its refusals."""
from __future__ import annotations

import io

import openpyxl
import pytest

from tests.app.assessment_fixtures import setting, start  # noqa: F401
from tests.conftest import login_as


def _fill(data: bytes, edits: dict) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["assessment"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        cid = row[header.index("criterion_id")].value
        for name, value in edits.get(cid, {}).items():
            row[header.index(name)].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_export_has_locked_descriptors_a_level_dropdown_and_hidden_versions(setting):
    from peer_review.assessments import operations as ops
    from peer_review.assessments import workbook
    from peer_review.extensions import db
    a = start(setting)
    ops.save_answer(a, "gov.1", {"level": 2, "justification": "=SUM(A1)"}, 0)
    db.session.commit()
    wb = openpyxl.load_workbook(io.BytesIO(workbook.export(a)))
    ws = wb["assessment"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["section", "criterion_id", "title"] and "level_4" in header
    row = [c for c in ws[2]]
    assert row[header.index("criterion_id")].value == "gov.1"
    assert row[header.index("level_0")].value == "Not started: Nothing done yet."
    assert row[header.index("level_0")].protection.locked and not row[header.index("level")].protection.locked
    assert ws.protection.sheet
    assert row[header.index("justification")].value == "'=SUM(A1)"  # never a formula
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"0,1,2,3,4,n/a"' in lists
    meta = wb["about"]
    assert meta.sheet_state == "hidden"
    values = {r[0].value: r[1].value for r in meta.iter_rows() if r[0].value != "answer_version"}
    assert values["assessment_id"] == a.id and values["content_hash"] == setting["version"].content_hash
    assert [(r[1].value, r[2].value) for r in meta.iter_rows() if r[0].value == "answer_version"] == [("gov.1", 1)]


def test_round_trip_with_preview_then_confirm(client, setting):
    from peer_review.assessments.models import Answer, AnswerRevision
    from peer_review.extensions import db
    a = start(setting)
    login_as(client, setting["member"])
    data = client.get(f"/assessments/{a.id}/workbook.xlsx").data
    filled = _fill(data, {"gov.1": {"level": 3, "justification": "Council adopted the plan."},
                          "gov.2": {"level": "n/a", "na_reason": "The region runs it"},
                          "inc.1": {"level": 0, "proxy": "yes", "proxy_note": "Budget line only"}})
    preview = client.post(f"/assessments/{a.id}/workbook", data={"file": (io.BytesIO(filled), "a.xlsx")},
                          content_type="multipart/form-data")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert html.count("Will be updated") == 3 and "No change" in html
    with client.application.app_context():
        assert db.session.execute(db.select(Answer)).first() is None  # a preview changes nothing
    token = html.split("/workbook/")[1].split('"')[0]
    r = client.post(f"/assessments/{a.id}/workbook/{token}")
    assert r.status_code == 302
    with client.application.app_context():
        answers = {x.criterion_id: x for x in db.session.execute(db.select(Answer)).scalars()}
        assert answers["gov.1"].level == 3 and answers["gov.1"].justification == "Council adopted the plan."
        assert answers["gov.2"].not_applicable and answers["gov.2"].na_reason == "The region runs it"
        assert answers["inc.1"].level == 0 and answers["inc.1"].proxy_used
        assert {r.source for r in db.session.execute(db.select(AnswerRevision)).scalars()} == {"workbook"}
    assert client.post(f"/assessments/{a.id}/workbook/{token}").status_code == 404  # one use only


def test_refuses_another_rubric_version_and_bad_levels(client, setting):
    from peer_review.extensions import db
    a = start(setting)
    login_as(client, setting["member"])
    data = client.get(f"/assessments/{a.id}/workbook.xlsx").data
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["about"]["B2"] = "0" * 64
    out = io.BytesIO()
    wb.save(out)
    r = client.post(f"/assessments/{a.id}/workbook", data={"file": (io.BytesIO(out.getvalue()), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "another version of the rubric" in r.get_data(as_text=True)
    bad = _fill(data, {"gov.1": {"level": 7}, "gov.2": {"level": "n/a"}, "inc.1": {"level": 2}})
    r = client.post(f"/assessments/{a.id}/workbook", data={"file": (io.BytesIO(bad), "a.xlsx")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Row 2, level" in html and "Row 3, na_reason" in html
    assert "/workbook/" not in html.split("</table>")[1]  # no confirm button: all or nothing
    r = client.post(f"/assessments/{a.id}/workbook", data={"file": (io.BytesIO(b"not a workbook"), "a.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "not an XLSX workbook" in r.get_data(as_text=True)
    from peer_review.assessments.models import Answer
    with client.application.app_context():
        assert db.session.execute(db.select(Answer)).first() is None


def test_rows_changed_on_the_server_since_export_are_flagged_and_kept(client, setting):
    from peer_review.assessments import operations as ops
    from peer_review.assessments.models import Answer
    from peer_review.extensions import db
    a = start(setting)
    ops.save_answer(a, "gov.1", {"level": 1, "justification": "First"}, 0)
    db.session.commit()
    login_as(client, setting["member"])
    data = client.get(f"/assessments/{a.id}/workbook.xlsx").data
    ops.save_answer(db.session.get(type(a), a.id), "gov.1", {"justification": "Changed online meanwhile"}, 1)
    db.session.commit()
    filled = _fill(data, {"gov.1": {"justification": "From the workbook"}, "gov.2": {"level": 2}})
    preview = client.post(f"/assessments/{a.id}/workbook", data={"file": (io.BytesIO(filled), "a.xlsx")},
                          content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert "Changed here since the export: not overwritten" in html and html.count("Will be updated") == 1
    token = html.split("/workbook/")[1].split('"')[0]
    assert client.post(f"/assessments/{a.id}/workbook/{token}").status_code == 302
    with client.application.app_context():
        answers = {x.criterion_id: x for x in db.session.execute(db.select(Answer)).scalars()}
        assert answers["gov.1"].justification == "Changed online meanwhile" and answers["gov.2"].level == 2


def test_locked_assessment_refuses_uploads(client, setting):
    from peer_review.assessments import operations as ops
    from peer_review.extensions import db
    from tests.app.assessment_fixtures import full_answers
    a = start(setting)
    for cid, values in full_answers().items():
        ops.save_answer(a, cid, values, 0)
    ops.submit(a)
    db.session.commit()
    login_as(client, setting["member"])
    assert client.get(f"/assessments/{a.id}/workbook").status_code == 302


@pytest.mark.parametrize("locale", ["es", "fr"])
def test_export_in_the_readers_language(setting, locale):
    from peer_review.assessments import workbook
    a = start(setting)
    wb = openpyxl.load_workbook(io.BytesIO(workbook.export(a, locale)))
    titles = [r[2].value for r in wb["assessment"].iter_rows(min_row=2)]
    assert titles[0] == {"es": "Estrategia de seguridad", "fr": "Stratégie de sécurité"}[locale]
