"""Reading the texts a form, a spreadsheet cell or an API body gives for a reported number (no database)."""
import datetime as dt

import pytest

from peer_review.indicators import numeric


@pytest.mark.parametrize("raw,expected", [
    (7, 7.0), (7.5, 7.5), ("12.5", 12.5), ("12,5", 12.5), (" 3 ", 3.0), ("1 000", 1000.0), ("-2", -2.0),
    ("", None), ("abc", None), ("nan", None), ("inf", None), (float("nan"), None), (True, None), ("1,234.5", None),
    ("9" * 50, None),
])
def test_parse_number(raw, expected):
    assert numeric.parse_number(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("", False), ("no", False), ("0", False), (False, False), ("yes", True), ("Y", True), ("oui", True),
    (True, True), ("maybe", None),
])
def test_parse_bool(raw, expected):
    assert numeric.parse_bool(raw) is expected


def test_parse_date_and_five_years():
    assert numeric.parse_date("2025-02-28") == dt.date(2025, 2, 28)
    assert numeric.parse_date("2025-02-30") is None and numeric.parse_date("28/02/2025") is None
    assert numeric.parse_date(dt.datetime(2025, 1, 2, 10)) == dt.date(2025, 1, 2)
    assert numeric._years_later(dt.date(2024, 2, 29), 5) == dt.date(2029, 2, 28)


def test_age_groups_leave_out_mixed_and_unspecified():
    assert numeric.AGE_GROUPS[0] == "all"
    assert "mixed" not in numeric.AGE_GROUPS and "unspecified" not in numeric.AGE_GROUPS
    assert "older_people" in numeric.AGE_GROUPS
