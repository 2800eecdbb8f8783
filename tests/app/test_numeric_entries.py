"""Numbers a city reports: validation, history, stale edits, spreadsheet import, the API, the cycle's values."""
from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.conftest import login_as

TODAY = dt.date(2026, 6, 1)


def good(**over) -> dict:
    data = {"indicator": "homicide_rate", "value": 7.5, "unit": "per_100k", "period_start": dt.date(2025, 1, 1),
            "period_end": dt.date(2025, 12, 31), "source": "Police annual report 2025", "area": "", "sex": "all",
            "age_group": "all", "is_proxy": False, "proxy_note": ""}
    data.update(over)
    return data


@pytest.fixture
def setup(app, make_city, make_user):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.indicators import definitions
    city = make_city("Alpha City", slug="alpha")
    other = make_city("Beta Town", slug="beta")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city, other])
    db.session.add(cycle)
    db.session.commit()
    defs = definitions.definitions_for(definitions.ensure_loaded(), city.id)
    member = make_user("m@a.example", city=city)
    return {"city": city, "other": other, "cycle": cycle, "defs": defs, "member": member}


def check(setup, **over):
    from peer_review.indicators import numeric
    return numeric.validate_entry(good(**over), setup["city"], setup["defs"], today=TODAY)


# --- validation -------------------------------------------------------------------------------------------------

def test_a_good_entry_is_clean(setup):
    clean, errors = check(setup)
    assert errors == {}
    assert clean["value"] == 7.5 and clean["unit"] == "per_100k"


@pytest.mark.parametrize("over,field,words", [
    ({"indicator": "nope"}, "indicator", "not an indicator"),
    ({"indicator": "women_voice_in_planning"}, "indicator", "not an indicator"),  # not numeric (or unknown)
    ({"value": 600}, "value", "between 0 and 500"),
    ({"value": -1}, "value", "between"),
    ({"value": "abc"}, "value", "as a number"),
    ({"value": float("nan")}, "value", "number"),
    ({"value": float("inf")}, "value", "number"),
    ({"value": ""}, "value", "Enter the value"),
    ({"unit": "percent"}, "unit", "per 100,000"),
    ({"period_end": dt.date(2024, 12, 31)}, "period_end", "on or after"),
    ({"period_end": dt.date(2026, 7, 1)}, "period_end", "future"),
    ({"period_start": dt.date(2019, 1, 1)}, "period_end", "5 years"),
    ({"period_start": "not a date"}, "period_start", "real date"),
    ({"source": "  "}, "source", "where the number comes from"),
    ({"sex": "unknown"}, "sex", "one of"),
    ({"age_group": "mixed"}, "age_group", "one of"),
    ({"is_proxy": True, "proxy_note": ""}, "proxy_note", "which proxy"),
    ({"is_proxy": "perhaps"}, "is_proxy", "yes or no"),
])
def test_invalid_entries_are_refused_with_the_reason(setup, over, field, words):
    _clean, errors = check(setup, **over)
    assert field in errors, errors
    assert words.lower() in " ".join(map(str, errors[field])).lower()


def test_texts_are_read_too(setup):
    clean, errors = check(setup, value="12,5", unit="per 100k", period_start="2025-01-01", period_end="2025-12-31",
                          is_proxy="yes", proxy_note="Hospital records", sex="Female", age_group="youth")
    assert errors == {}
    assert clean["value"] == 12.5 and clean["unit"] == "per_100k" and clean["is_proxy"] is True
    assert clean["sex"] == "female" and clean["age_group"] == "youth"


def test_unit_defaults_to_the_indicators_and_proxy_note_dropped_without_proxy(setup):
    clean, errors = check(setup, unit="", proxy_note="leftover")
    assert errors == {} and clean["unit"] == "per_100k" and clean["proxy_note"] == ""


def test_duplicates_are_refused_naming_the_existing_entry(setup):
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(), setup["defs"])
    db.session.commit()
    clean, errors = check(setup, area="")
    assert clean["duplicate_of"] == entry.id and f"#{entry.id}" in str(errors["duplicate"][0])
    # another area, sex or age group is not a duplicate; nor is the other city's, nor a withdrawn entry
    assert check(setup, area="Old Town")[1] == {}
    assert check(setup, sex="female")[1] == {}
    assert numeric.validate_entry(good(), setup["other"], setup["defs"], today=TODAY)[1] == {}
    numeric.withdraw_entry(entry, entry.version)
    db.session.commit()
    assert check(setup)[1] == {}


def test_a_closed_cycle_is_refused_and_locks_its_entries(setup):
    from peer_review.errors import ValidationFailed
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(cycle_id=setup["cycle"].id), setup["defs"])
    setup["cycle"].state = "closed"
    db.session.commit()
    assert "cycle_id" in check(setup, cycle_id=setup["cycle"].id, area="x")[1]
    with pytest.raises(numeric.EntryLocked):
        numeric.update_entry(entry, {"value": 3}, setup["defs"], entry.version)
    with pytest.raises(numeric.EntryLocked):
        numeric.withdraw_entry(entry, entry.version)
    with pytest.raises(ValidationFailed):
        numeric.create_entry(setup["city"], good(area="y", cycle_id=setup["cycle"].id), setup["defs"])


# --- history and conflicts ----------------------------------------------------------------------------------

def test_every_save_keeps_a_revision_and_an_audit_entry(setup):
    from peer_review.audit.models import AuditEntry
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(), setup["defs"], actor=setup["member"])
    db.session.commit()
    numeric.update_entry(entry, {"value": 8}, setup["defs"], 1, actor=setup["member"], source="api")
    db.session.commit()
    numeric.update_entry(entry, {"source": "Police report, revised"}, setup["defs"], 2)
    db.session.commit()
    numeric.withdraw_entry(entry, 3)
    db.session.commit()
    assert entry.version == 4
    steps = numeric.history(entry)
    assert [h["revision"].version for h in steps] == [4, 3, 2, 1]
    assert [h["revision"].source for h in steps] == ["form", "form", "api", "form"]
    assert steps[2]["changes"] == [("value", 7.5, 8.0)]
    assert steps[0]["changes"] == [("withdrawn", False, True)]
    assert steps[3]["first"] and steps[3]["state"]["value"] == 7.5
    actions = [a.action for a in db.session.execute(db.select(AuditEntry).filter_by(
        object_type="numeric_entry", object_id=str(entry.id)).order_by(AuditEntry.id)).scalars()]
    assert actions == ["numeric.create", "numeric.update", "numeric.update", "numeric.withdraw"]


def test_a_stale_edit_is_a_conflict_not_an_overwrite(setup):
    from peer_review.errors import StaleVersion
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(), setup["defs"])
    db.session.commit()
    numeric.update_entry(entry, {"value": 9}, setup["defs"], 1)
    db.session.commit()
    with pytest.raises(StaleVersion) as err:
        numeric.update_entry(entry, {"value": 1}, setup["defs"], 1)
    assert err.value.current == 2
    with pytest.raises(StaleVersion):
        numeric.withdraw_entry(entry, 1)
    db.session.rollback()
    assert db.session.get(type(entry), entry.id).value == 9


def test_the_edit_page_shows_a_conflict(setup, client):
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(), setup["defs"])
    numeric.update_entry(entry, {"value": 9}, setup["defs"], 1)
    db.session.commit()
    login_as(client, setup["member"])
    form = {"version": "1", "indicator": "homicide_rate", "value": "3", "unit": "per_100k",
            "period_start": ["1", "1", "2025"], "period_end": ["31", "12", "2025"], "source": "x",
            "sex": "all", "age_group": "all", "cycle_id": ""}
    response = client.post(f"/indicators/cities/alpha/numbers/{entry.id}/edit", data=form)
    assert response.status_code == 409
    assert "changed this number while you were editing" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(entry), entry.id).value == 9


def test_pages_add_list_and_show_the_proxy_tag(setup, client):
    from peer_review.extensions import db
    from peer_review.indicators.models import NumericEntry
    login_as(client, setup["member"])
    form = {"indicator": "street_lighting", "value": "64,5", "unit": "", "period_start": ["1", "1", "2025"],
            "period_end": ["31", "12", "2025"], "source": "Lighting department", "sex": "all",
            "age_group": "all", "is_proxy": "y", "proxy_note": "Complaints resolved", "cycle_id": ""}
    response = client.post("/indicators/cities/alpha/numbers/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = db.session.execute(db.select(NumericEntry)).scalar_one()
    assert entry.value == 64.5 and entry.unit == "percent" and entry.is_proxy
    page = client.get("/indicators/cities/alpha/numbers").get_data(as_text=True)
    assert "Proxy" in page and "64.5" in page
    again = client.post("/indicators/cities/alpha/numbers/new", data=form)
    assert again.status_code == 400 and f"entry #{entry.id}" in again.get_data(as_text=True).lower()
    history = client.get(f"/indicators/cities/alpha/numbers/{entry.id}/history").get_data(as_text=True)
    assert "Complaints resolved" in history and "Version 1" in history
    withdraw = client.post(f"/indicators/cities/alpha/numbers/{entry.id}/withdraw", data={"version": "1"})
    assert withdraw.status_code == 302
    assert "64.5" not in client.get("/indicators/cities/alpha/numbers").get_data(as_text=True)
    assert "64.5" in client.get("/indicators/cities/alpha/numbers?withdrawn=1").get_data(as_text=True)


# --- spreadsheets -----------------------------------------------------------------------------------------------

CSV = (
    "indicator,value,unit,period_start,period_end,source,area,sex,age_group,proxy,proxy_note\n"
    "homicide_rate,7.4,per_100k,2025-01-01,2025-12-31,Police,,all,all,no,\n"
    "homicide_rate,900,per_100k,2025-01-01,2025-12-31,Police,North,all,all,no,\n"
    "feel_safe_after_dark,41,percent,2025-01-01,2025-12-31,Survey,,female,adults,no,\n"
    "feel_safe_after_dark,44,%,2025-01-01,2025-12-31,Survey,,female,adults,no,\n"
    "victimisation_rate,12,percent,2025-01-01,2025-12-31,,,all,all,yes,\n"
    "street_lighting,70,percent,2025-01-01,2025-12-31,Lighting dept,,all,all,no,\n"
)


def test_spreadsheet_rows_are_checked_one_by_one(setup):
    from peer_review.indicators import numeric
    rows = numeric.read_rows("n.csv", CSV.encode())
    valid, errors = numeric.check_rows(rows, setup["city"], setup["defs"], today=TODAY)
    assert [row for row, _c in valid] == [2, 4, 7]
    assert {(e.row, e.column) for e in errors} == {(3, "value"), (5, "duplicate"), (6, "source"),
                                                   (6, "proxy_note")}


def test_xlsx_is_read_and_bad_files_refused(setup):
    import openpyxl

    from peer_review.evidence.tabular import TableError
    from peer_review.indicators import numeric
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(numeric.COLUMNS)
    sheet.append(["homicide_rate", 7.4, "per_100k", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "Police"])
    out = io.BytesIO()
    book.save(out)
    rows = numeric.read_rows("n.xlsx", out.getvalue())
    assert rows[0]["period_start"] == "2025-01-01" and rows[0]["value"] == "7.4"
    with pytest.raises(numeric.UploadRefused):
        numeric.check_upload("n.pdf", b"x")
    with pytest.raises(numeric.UploadRefused):
        numeric.check_upload("n.csv", b"x" * (numeric.MAX_BYTES + 1))
    with pytest.raises(TableError):
        numeric.read_rows("n.csv", b"value,unit\n1,2\n")
    with pytest.raises(TableError):
        numeric.read_rows("n.xlsx", b"PK\x03\x04 not a zip")
    too_many = "indicator,value,period_start,period_end,source\n" + "a,1,b,c,d\n" * (numeric.MAX_ROWS + 1)
    with pytest.raises(TableError):
        numeric.read_rows("n.csv", too_many.encode())


def _upload(client, data: bytes, name="numbers.csv"):
    return client.post("/indicators/cities/alpha/numbers/import",
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _token(page: str) -> str:
    import re
    return re.search(r"/numbers/import/([A-Za-z0-9_-]{40,64})", page).group(1)


def test_import_with_errors_saves_nothing_unless_asked_then_only_the_good_rows(setup, client):
    from peer_review.extensions import db
    from peer_review.indicators.models import NumericEntry
    login_as(client, setup["member"])
    data = CSV.replace("2025-12-31", (dt.date.today() - dt.timedelta(days=1)).isoformat()).encode()
    preview = _upload(client, data)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Save the 3 valid rows" in page and "900" not in page.split("Rows that")[1]
    token = _token(page)
    refused = client.post(f"/indicators/cities/alpha/numbers/import/{token}", data={})
    assert refused.status_code == 400
    assert db.session.execute(db.select(db.func.count(NumericEntry.id))).scalar() == 0
    saved = client.post(f"/indicators/cities/alpha/numbers/import/{token}", data={"partial": "1"})
    assert saved.status_code == 302
    rows = db.session.execute(db.select(NumericEntry).order_by(NumericEntry.id)).scalars().all()
    assert [(e.indicator_key, e.value, e.entered_via) for e in rows] == [
        ("homicide_rate", 7.4, "spreadsheet"), ("feel_safe_after_dark", 41.0, "spreadsheet"),
        ("street_lighting", 70.0, "spreadsheet")]
    assert rows[0].revisions[0].source == "spreadsheet"
    # the token is used up
    assert client.post(f"/indicators/cities/alpha/numbers/import/{token}", data={"partial": "1"}).status_code == 404


def test_a_clean_file_imports_on_confirm(setup, client):
    from peer_review.extensions import db
    from peer_review.indicators.models import NumericEntry
    login_as(client, setup["member"])
    good_rows = "\n".join(CSV.splitlines()[:2] + [CSV.splitlines()[3]]) + "\n"
    preview = _upload(client, good_rows.encode())
    page = preview.get_data(as_text=True)
    assert "Save 2 numbers" in page
    assert client.post(f"/indicators/cities/alpha/numbers/import/{_token(page)}").status_code == 302
    assert db.session.execute(db.select(db.func.count(NumericEntry.id))).scalar() == 2
    template = client.get("/indicators/cities/alpha/numbers/template.csv")
    assert template.mimetype == "text/csv" and b"indicator,value,unit" in template.data


def test_another_persons_token_is_not_found(setup, client, make_user):
    login_as(client, setup["member"])
    token = _token(_upload(client, CSV.encode()).get_data(as_text=True))
    staff = make_user("s@net.example", roles=["secretariat"])
    login_as(client, staff)
    assert client.post(f"/indicators/cities/alpha/numbers/import/{token}", data={"partial": "1"}).status_code == 404


# --- API -----------------------------------------------------------------------------------------------------

def test_api_round_trip(setup, client, api_token):
    headers = api_token(setup["member"])
    body = {"indicator": "homicide_rate", "value": 7.5, "unit": "per_100k", "period_start": "2025-01-01",
            "period_end": "2025-12-31", "source": "Police"}
    created = client.post("/api/v1/cities/alpha/numeric-entries", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    entry = created.get_json()
    assert entry["version"] == 1 and entry["city"] == "alpha" and created.headers["ETag"] == '"v1"'
    dup = client.post("/api/v1/cities/alpha/numeric-entries", json=body, headers=headers)
    assert dup.status_code == 422 and "duplicate" in dup.get_json()["error"]["fields"]
    bad = client.post("/api/v1/cities/alpha/numeric-entries", json={**body, "value": 999, "unit": "percent"},
                      headers=headers)
    assert set(bad.get_json()["error"]["fields"]) >= {"value", "unit"}
    url = f"/api/v1/numeric-entries/{entry['id']}"
    assert client.patch(url, json={"value": 8}, headers=headers).status_code == 428
    changed = client.patch(url, json={"value": 8, "version": 1}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    stale = client.patch(url, json={"value": 9, "version": 1}, headers=headers)
    assert stale.status_code == 409
    listing = client.get("/api/v1/cities/alpha/numeric-entries?indicator=homicide_rate", headers=headers)
    assert [i["value"] for i in listing.get_json()["items"]] == [8.0]
    assert client.delete(url, headers=headers).get_json()["withdrawn"] is True
    history = client.get(f"{url}/history", headers=headers).get_json()["items"]
    assert [(h["version"], h["source"], h["state"]["value"]) for h in history] == [
        (1, "api", 7.5), (2, "api", 8.0), (3, "api", 8.0)]
    assert client.get("/api/v1/cities/alpha/numeric-entries", headers=headers).get_json()["items"] == []


def test_permissions_per_role(setup, client, make_user, api_token):
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(), setup["defs"])
    db.session.commit()
    url = f"/api/v1/numeric-entries/{entry.id}"
    body = {"value": 3, "version": 1}
    people = {
        "other city": (make_user("o@b.example", city=setup["other"], city_role="coordinator"), 404, 404),
        "facilitator": (make_user("f@net.example", roles=["facilitator"]), 200, 403),
        "secretariat": (make_user("s@net.example", roles=["secretariat"]), 200, 200),
    }
    for name, (user, read, write) in people.items():
        headers = api_token(user)
        assert client.get(url, headers=headers).status_code == read, name
        body["version"] = db.session.get(type(entry), entry.id).version
        assert client.patch(url, json=body, headers=headers).status_code == write, name


# --- what a cycle counts ---------------------------------------------------------------------------------------

def test_values_for_cycle_picks_the_entry_that_counts(setup):
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    city, other, cycle, defs = setup["city"], setup["other"], setup["cycle"], setup["defs"]

    def add(target, **over):
        return numeric.create_entry(target, good(**over), defs)

    older = add(city, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31))
    latest = add(city, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31))
    add(city, area="North", value=9)  # a breakdown: not the city's value
    add(city, sex="female", value=3)
    too_old = add(other, period_start=dt.date(2023, 1, 1), period_end=dt.date(2024, 12, 30))
    linked = add(other, indicator="street_lighting", unit="percent", value=50, cycle_id=cycle.id,
                 period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 6, 30))
    add(other, indicator="street_lighting", unit="percent", value=60, period_start=dt.date(2025, 6, 1),
        period_end=dt.date(2025, 12, 31))
    withdrawn = add(city, indicator="feel_safe_after_dark", unit="percent", value=40)
    numeric.withdraw_entry(withdrawn, 1)
    db.session.commit()
    values = numeric.values_for_cycle(cycle, [city.id, other.id])
    assert values[(city.id, "homicide_rate")].id == latest.id != older.id
    assert (other.id, "homicide_rate") not in values and too_old.id
    assert values[(other.id, "street_lighting")].id == linked.id  # linked to the cycle wins
    assert (city.id, "feel_safe_after_dark") not in values
    cells = numeric.disaggregation(city, cycle, "homicide_rate")
    assert [(e.area, e.sex, e.value) for e in cells] == [("", "female", 3.0), ("North", "all", 9.0)]


def test_values_for_cycle_is_one_query(setup):
    from sqlalchemy import event

    from peer_review.extensions import db
    from peer_review.indicators import numeric
    statements = []
    listener = lambda *a, **k: statements.append(a[2])
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        numeric.values_for_cycle(setup["cycle"], list(range(1, 501)))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if "numeric_entries" in s]) == 1


def test_closed_cycle_entries_are_read_only_on_pages_and_api(setup, client, api_token):
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    entry = numeric.create_entry(setup["city"], good(cycle_id=setup["cycle"].id), setup["defs"])
    setup["cycle"].state = "closed"
    db.session.commit()
    login_as(client, setup["member"])
    base = f"/indicators/cities/alpha/numbers/{entry.id}"
    for url in (f"{base}/edit", f"{base}/withdraw"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"{base}/history")
    page = client.get(f"{base}/history").get_data(as_text=True)
    assert "closed cycle" in page and f"{base}/edit" not in page
    assert f"{base}/edit" not in client.get("/indicators/cities/alpha/numbers").get_data(as_text=True)
    headers = api_token(setup["member"])
    url = f"/api/v1/numeric-entries/{entry.id}"
    assert client.patch(url, json={"value": 1, "version": 1}, headers=headers).status_code == 403
    assert client.delete(url, headers=headers).status_code == 403
    assert client.get(url, headers=headers).get_json()["read_only"] is True


def test_an_entry_linked_to_another_cycle_does_not_count(setup):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.indicators import numeric
    earlier = Cycle(name="2025 round", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 12, 1), state="open",
                    cities=[setup["city"]])
    db.session.add(earlier)
    db.session.flush()
    numeric.create_entry(setup["city"], good(cycle_id=earlier.id), setup["defs"])
    db.session.commit()
    assert numeric.values_for_cycle(setup["cycle"], [setup["city"].id]) == {}
    assert list(numeric.values_for_cycle(earlier, [setup["city"].id])) == [(setup["city"].id, "homicide_rate")]
