"""Cohen's kappa and Krippendorff's alpha against textbook examples and the krippendorff package."""

from __future__ import annotations

import random

import krippendorff
import numpy as np
import pytest

from peer_review.coding.agreement import (
    agreement_report,
    cohen_kappa,
    krippendorff_alpha_nominal,
    percent_agreement,
)


def from_table(yy: int, yn: int, ny: int, nn: int) -> tuple[list[str], list[str]]:
    """Ratings from a 2x2 table: yy = both yes, yn = A yes / B no, ny = A no / B yes, nn = both no."""
    a = ["yes"] * (yy + yn) + ["no"] * (ny + nn)
    b = ["yes"] * yy + ["no"] * yn + ["yes"] * ny + ["no"] * nn
    return a, b


@pytest.mark.parametrize(
    "table,expected",
    [
        ((20, 5, 10, 15), 0.4),  # p_o = .70, p_e = .5*.6 + .5*.4 = .50 -> (.70-.50)/.50
        ((45, 15, 25, 15), 0.06 / 0.46),  # p_o = .60, p_e = .6*.7 + .4*.3 = .54
        ((25, 35, 5, 35), 0.14 / 0.54),  # p_o = .60, p_e = .6*.3 + .4*.7 = .46
        ((10, 0, 0, 10), 1.0),
        ((0, 10, 10, 0), -1.0),
    ],
)
def test_cohen_kappa_2x2_tables(table, expected):
    a, b = from_table(*table)
    assert cohen_kappa(a, b) == pytest.approx(expected)


def test_cohen_kappa_three_categories_by_hand():
    # Confusion (rows A, cols B) over categories x, y, z:
    # x: 10 2 3 / y: 1 8 1 / z: 2 2 11  -> n = 40, p_o = 29/40
    # A marginals 15, 10, 15; B marginals 13, 12, 15 -> p_e = (15*13 + 10*12 + 15*15) / 1600 = 540/1600
    table = {("x", "x"): 10, ("x", "y"): 2, ("x", "z"): 3, ("y", "x"): 1, ("y", "y"): 8, ("y", "z"): 1,
             ("z", "x"): 2, ("z", "y"): 2, ("z", "z"): 11}
    a, b = [], []
    for (ra, rb), count in table.items():
        a += [ra] * count
        b += [rb] * count
    p_o, p_e = 29 / 40, 540 / 1600
    assert cohen_kappa(a, b) == pytest.approx((p_o - p_e) / (1 - p_e))


def test_cohen_kappa_undefined_and_errors():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x"] * 5, ["x"] * 5) is None  # single category for both: 0/0
    assert cohen_kappa([True, True], [True, False]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 2])


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: nominal data, 4 observers,
# 12 units, missing values; the paper gives alpha = 0.743.
K_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def to_array(data):
    return np.array([[np.nan if v is None else float(v) for v in row] for row in data])


def test_krippendorff_worked_example():
    assert krippendorff_alpha_nominal(K_2011) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha_nominal(K_2011) == pytest.approx(
        krippendorff.alpha(reliability_data=to_array(K_2011), level_of_measurement="nominal")
    )


def test_krippendorff_two_coders_binary_by_hand():
    # Krippendorff (2011) section A: two observers, binary, 10 units -> alpha = 0.095
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert krippendorff_alpha_nominal([a, b]) == pytest.approx(0.095, abs=5e-4)


def test_krippendorff_matches_package_on_random_data():
    rng = random.Random(42)
    for _ in range(40):
        coders, units = rng.randint(2, 5), rng.randint(3, 30)
        data = [[rng.choice([None, 1, 2, 3, 3, 3]) for _ in range(units)] for _ in range(coders)]
        ours = krippendorff_alpha_nominal(data)
        values = {v for row in data for v in row if v is not None}
        pairable = sum(1 for u in range(units) if sum(row[u] is not None for row in data) >= 2)
        if ours is None:
            continue
        assert len(values) > 1 and pairable
        theirs = krippendorff.alpha(reliability_data=to_array(data), level_of_measurement="nominal")
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_krippendorff_undefined():
    assert krippendorff_alpha_nominal([]) is None
    assert krippendorff_alpha_nominal([[1, None], [None, 1]]) is None  # nothing pairable
    assert krippendorff_alpha_nominal([[1, 1, 1], [1, 1, 1]]) is None  # no variation
    assert krippendorff_alpha_nominal([[1, 2], [1, 2]]) == pytest.approx(1.0)
    assert krippendorff_alpha_nominal([[1.0, float("nan"), 2.0], [1.0, 2.0, 2.0]]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        krippendorff_alpha_nominal([[1, 2], [1]])


def test_percent_agreement():
    assert percent_agreement([1, 2, 3, 4], [1, 2, 0, 0]) == 50.0
    assert percent_agreement([], []) is None


def test_agreement_report():
    items = ["e1", "e2", "e3", "e4", "e5", "e6"]
    codes = ["trust", "fear_of_crime", "inclusion"]
    coder_a = {("e1", "trust"), ("e2", "trust"), ("e3", "trust"), ("e1", "fear_of_crime"), ("e4", "fear_of_crime"),
               ("e9", "trust"), ("e1", "retired_code")}  # last two are outside the sample: ignored
    coder_b = {("e1", "trust"), ("e2", "trust"), ("e5", "trust"), ("e1", "fear_of_crime"), ("e4", "fear_of_crime")}
    report = agreement_report(items, codes, coder_a, coder_b)
    assert (report["items"], report["codes"], report["units"]) == (6, 3, 18)

    trust = report["per_code"]["trust"]
    # A: 1 1 1 0 0 0, B: 1 1 0 0 1 0 -> p_o = 4/6, p_e = (3*3 + 3*3)/36 = .5 -> kappa = 1/3
    assert trust["kappa"] == pytest.approx(1 / 3)
    assert trust["percent_agreement"] == pytest.approx(400 / 6)
    assert (trust["a"], trust["b"], trust["both"]) == (3, 3, 2)
    assert report["per_code"]["fear_of_crime"]["kappa"] == pytest.approx(1.0)
    assert report["per_code"]["inclusion"]["kappa"] is None  # nobody applied it: undefined
    assert report["per_code"]["inclusion"]["percent_agreement"] == 100.0

    assert report["disagreements"] == [("e3", "trust", "a"), ("e5", "trust", "b")]
    assert report["percent_agreement"] == pytest.approx(100 * 16 / 18)
    row_a = [(i, c) in coder_a for i in items for c in codes]
    row_b = [(i, c) in coder_b for i in items for c in codes]
    expected = krippendorff.alpha(reliability_data=np.array([row_a, row_b], dtype=float),
                                  level_of_measurement="nominal")
    assert report["alpha"] == pytest.approx(expected)


def test_agreement_report_empty_sample():
    report = agreement_report([], ["trust"], set(), set())
    assert report["alpha"] is None and report["percent_agreement"] is None
    assert report["per_code"]["trust"]["kappa"] is None and report["disagreements"] == []
