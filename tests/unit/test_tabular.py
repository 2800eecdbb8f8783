"""Evidence import/export: reading CSV/XLSX, row-by-row validation, formula-safe export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from peer_review.evidence.tabular import (
    COLUMNS,
    MAX_ROWS,
    RowError,
    TableError,
    neutralise_formula,
    read_table,
    validate_rows,
    write_csv,
    write_xlsx,
)

CITIES = {"Bogotá", "Durban", "Lyon"}
CYCLES = {"2027 round", "2029 round"}

HEADER = ",".join(COLUMNS)
GOOD_ROWS = [
    'Bogotá,2027 round,narrative,La plaza de noche,"Las vecinas dicen: ""de noche no salimos"".\nSegunda línea.",'
    "2027-03-14,es,Barrio Norte,Taller comunitario,women,adults,migrants;disability,obtained,network",
    "Durban,2027 round,safety_audit,Walk near the taxi rank,Broken lights at the rank.,,en,,,,,,anonymised,city",
]


def csv_bytes(lines: list[str], delimiter: str = ",", bom: bool = False) -> bytes:
    text = "\n".join(line.replace(",", delimiter) if delimiter != "," else line for line in lines) + "\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def test_good_csv():
    rows = read_table("evidence.csv", csv_bytes([HEADER, *GOOD_ROWS]))
    assert len(rows) == 2
    assert rows[0]["_row"] == 2 and rows[1]["_row"] == 3
    assert rows[0]["text"] == 'Las vecinas dicen: "de noche no salimos".\nSegunda línea.'
    valid, errors = validate_rows(rows, cities=CITIES, cycles=CYCLES)
    assert errors == []
    first, second = valid
    assert first["city"] == "Bogotá" and first["date"] == dt.date(2027, 3, 14)
    assert first["vulnerable_groups"] == ["migrants", "disability"]
    assert first["gender"] == "women" and first["visibility"] == "network"
    assert second["date"] is None and second["gender"] == "unspecified" and second["age_group"] == "unspecified"
    assert second["vulnerable_groups"] == [] and second["area"] == ""
    assert set(first) == set(COLUMNS) | {"_row"}


def test_csv_with_bom_and_semicolons():
    semicolon_rows = [
        "Lyon;2027 round;cultural_story;Fête du quartier;Le festival, enfin, a réuni tout le monde.;2027-06-21;fr;"
        "Croix-Rousse;Association;mixed;youth;none;public_source;network",
    ]
    data = ("\ufeff" + ";".join(COLUMNS) + "\r\n" + "\r\n".join(semicolon_rows) + "\r\n").encode("utf-8")
    rows = read_table("export.csv", data)
    assert rows[0]["city"] == "Lyon"
    assert rows[0]["text"] == "Le festival, enfin, a réuni tout le monde."
    valid, errors = validate_rows(rows, cities=CITIES, cycles=CYCLES)
    assert errors == [] and valid[0]["vulnerable_groups"] == ["none"]


def test_csv_with_bom_comma():
    rows = read_table("e.csv", csv_bytes([HEADER, *GOOD_ROWS], bom=True))
    assert rows[0]["city"] == "Bogotá"


def test_tab_separated_and_header_variants():
    header = "\t".join(c.upper().replace("_", " ") for c in COLUMNS)
    line = "\t".join(["Lyon", "2027 round", "narrative", "T", "Body", "", "fr", "", "", "", "", "", "obtained", "city"])
    rows = read_table("e.tsv", (header + "\n" + line + "\n").encode())
    valid, errors = validate_rows(rows, cities=CITIES, cycles=CYCLES)
    assert errors == [] and valid[0]["language"] == "fr"


def test_labels_and_case_accepted_for_enums():
    line = ("durban,2027 ROUND,Narrative or testimony,T,Body,,EN,,,Women,,Migrants; homeless,Consent obtained,"
            "Whole network")
    valid, errors = validate_rows(read_table("e.csv", csv_bytes([HEADER, line])), cities=CITIES, cycles=CYCLES)
    assert errors == []
    row = valid[0]
    assert (row["city"], row["cycle"], row["type"], row["language"]) == ("Durban", "2027 round", "narrative", "en")
    assert row["vulnerable_groups"] == ["migrants", "homeless"] and row["consent"] == "obtained"


def test_blank_lines_skipped_but_row_numbers_kept():
    rows = read_table("e.csv", csv_bytes([HEADER, GOOD_ROWS[0], ",,,,", GOOD_ROWS[1]]))
    assert [r["_row"] for r in rows] == [2, 4]


def test_missing_required_columns_named():
    with pytest.raises(TableError) as info:
        read_table("e.csv", b"city,title,text\nLyon,a,b\n")
    message = str(info.value)
    for column in ("cycle", "type", "language", "consent", "visibility"):
        assert column in message
    assert "title" not in message.split(":")[-1]


def test_unreadable_files():
    for name, data, needle in [
        ("e.csv", b"", "empty"),
        ("e.csv", "city;cycle\nBogot\xe1".encode("latin-1"), "UTF-8"),
        ("e.xlsx", b"PK\x03\x04 not really", "damaged"),
        ("e.xls", b"\xd0\xcf\x11\xe0", ".csv and .xlsx"),
        ("e.csv", b"a\x00b", "binary"),
    ]:
        with pytest.raises(TableError) as info:
            read_table(name, data)
        assert needle in str(info.value), (name, str(info.value))


def test_too_many_rows():
    line = "Lyon,2027 round,narrative,T,B,,fr,,,,,,obtained,city"
    data = csv_bytes([HEADER] + [line] * (MAX_ROWS + 1))
    with pytest.raises(TableError) as info:
        read_table("e.csv", data)
    assert "5000" in str(info.value)
    assert len(read_table("e.csv", csv_bytes([HEADER] + [line] * MAX_ROWS))) == MAX_ROWS


def test_bad_rows_give_errors_with_row_numbers():
    lines = [
        HEADER,
        GOOD_ROWS[0],
        "Atlantis,2027 round,poem,,Body,14/03/2027,de,,,,teens,aliens;migrants,maybe,everyone",
        "Lyon,2099 round,narrative," + "T" * 201 + ",,2027-02-30,fr,,,,,none;migrants,obtained,city",
        GOOD_ROWS[1],
    ]
    valid, errors = validate_rows(read_table("e.csv", csv_bytes(lines)), cities=CITIES, cycles=CYCLES)
    assert [row["_row"] for row in valid] == [2, 5]  # valid rows are still reported as valid
    assert all(isinstance(e, RowError) for e in errors)
    by_row: dict[int, set[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, set()).add(error.column)
    assert by_row[3] == {"city", "type", "title", "date", "language", "age_group", "vulnerable_groups", "consent",
                         "visibility"}
    assert by_row[4] == {"cycle", "title", "text", "date", "vulnerable_groups"}
    messages = {(e.row, e.column): str(e.message) for e in errors}
    assert "Atlantis" in messages[(3, "city")]
    assert "poem" in messages[(3, "type")] and "narrative" in messages[(3, "type")]
    assert "aliens" in messages[(3, "vulnerable_groups")]
    assert "YYYY-MM-DD" in messages[(3, "date")] and "YYYY-MM-DD" in messages[(4, "date")]
    assert "201" in messages[(4, "title")]
    assert "required" in messages[(4, "text")]


def test_text_too_long_and_cleaned():
    line = 'Lyon,2027 round,narrative,T,"a\x1bb\x07c' + "x" * 50 + '",,fr,,,,,,obtained,city'
    valid, errors = validate_rows(read_table("e.csv", csv_bytes([HEADER, line])), cities=CITIES, cycles=CYCLES)
    assert errors == [] and valid[0]["text"].startswith("abcx")
    valid, errors = validate_rows(
        read_table("e.csv", csv_bytes([HEADER, line])), cities=CITIES, cycles=CYCLES, max_text=10
    )
    assert valid == [] and errors[0].column == "text" and errors[0].row == 2


def test_formula_cells_kept_as_plain_text_on_import():
    line = 'Lyon,2027 round,narrative,=1+1,"=HYPERLINK(""http://evil"",""x"")",,fr,,@source,,,,obtained,city'
    valid, errors = validate_rows(read_table("e.csv", csv_bytes([HEADER, line])), cities=CITIES, cycles=CYCLES)
    assert errors == []
    assert valid[0]["title"] == "=1+1"
    assert valid[0]["text"] == '=HYPERLINK("http://evil","x")'
    assert valid[0]["source"] == "@source"


def test_rows_without_row_key_are_numbered_from_2():
    row = dict.fromkeys(COLUMNS, "")
    _valid, errors = validate_rows([row, row], cities=CITIES, cycles=CYCLES)
    assert {e.row for e in errors} == {2, 3}


# --- xlsx -------------------------------------------------------------------------------------------------------


def make_xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_read_with_real_dates_and_numbers():
    data = make_xlsx([
        COLUMNS,
        ["Durban", "2027 round", "survey_text", 2027, "Answer", dt.datetime(2027, 5, 1), "en", None, None, None, None,
         None, "obtained", "city"],
    ])
    rows = read_table("e.xlsx", data)
    assert rows[0]["date"] == "2027-05-01" and rows[0]["title"] == "2027"
    valid, errors = validate_rows(rows, cities=CITIES, cycles=CYCLES)
    assert errors == [] and valid[0]["date"] == dt.date(2027, 5, 1)


def test_xlsx_round_trip_with_formula_neutralised():
    original = {
        "city": "Bogotá", "cycle": "2027 round", "type": "narrative", "title": "=cmd|' /C calc'!A0",
        "text": "+34 612 345 678 and -minus\nsecond line", "date": dt.date(2027, 3, 14), "language": "es",
        "area": "@area", "source": "Taller", "gender": "women", "age_group": "youth",
        "vulnerable_groups": ["migrants", "disability"], "consent": "obtained", "visibility": "restricted",
    }
    data = write_xlsx([original])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cells = {COLUMNS[i]: sheet.cell(row=2, column=i + 1) for i in range(len(COLUMNS))}
    assert cells["title"].value == "'=cmd|' /C calc'!A0" and cells["title"].data_type == "s"
    assert cells["text"].value.startswith("'+34")
    assert cells["area"].value == "'@area"
    assert cells["vulnerable_groups"].value == "migrants;disability"
    valid, errors = validate_rows(read_table("e.xlsx", data), cities=CITIES, cycles=CYCLES)
    assert errors == []
    back = {k: v for k, v in valid[0].items() if k != "_row"}
    assert back == original


def test_csv_round_trip_and_formula_neutralised():
    original = {
        "city": "Lyon", "cycle": "2027 round", "type": "focus_group", "title": "-2 points",
        "text": '=HYPERLINK("http://evil","x")', "date": None, "language": "fr", "area": "", "source": "",
        "gender": "unspecified", "age_group": "unspecified", "vulnerable_groups": [], "consent": "pending",
        "visibility": "city",
    }
    data = write_csv([original])
    assert data.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert records[0] == COLUMNS
    assert records[1][COLUMNS.index("title")] == "'-2 points"
    assert records[1][COLUMNS.index("text")].startswith("'=HYPERLINK")
    valid, errors = validate_rows(read_table("e.csv", data), cities=CITIES, cycles=CYCLES)
    assert errors == []
    assert {k: v for k, v in valid[0].items() if k != "_row"} == original


def test_xlsx_long_text_and_control_chars():
    data = write_xlsx([{"title": "a\x01b", "text": "y" * 40_000}])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet.cell(row=2, column=COLUMNS.index("title") + 1).value == "ab"
    assert len(sheet.cell(row=2, column=COLUMNS.index("text") + 1).value) == 32_767


@pytest.mark.parametrize("value,expected", [("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"),
                                            ("\t=1", "'\t=1"), ("ok", "ok"), ("", "")])
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected
