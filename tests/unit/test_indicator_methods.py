"""Every indicator formula against values worked out by hand (or from published tables)."""
from __future__ import annotations

import math

import pytest

from peer_review.indicators import methods

Z = 1.959964  # the 97.5th percentile of the standard normal


def wilson_by_hand(k, n, z=Z):
    p = k / n
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(n * p * (1 - p) + z * z / 4) / (n + z * z)
    return centre - half, centre + half


class TestIntervals:
    def test_n_zero_knows_nothing(self):
        assert methods.wilson(0, 0) == (0.0, 1.0)
        assert methods.jeffreys(0, 0) == (0.0, 1.0)

    def test_one_of_one(self):
        # (1 + z²/2) / (1 + z²) − z·√(z²/4) / (1 + z²) = 1 / (1 + z²) = 0.2065
        low, high = methods.wilson(1, 1)
        assert low == pytest.approx(1 / (1 + Z * Z), abs=1e-4)
        assert low == pytest.approx(0.2065, abs=1e-4)
        assert high == pytest.approx(1.0)

    def test_zero_of_one(self):
        low, high = methods.wilson(0, 1)
        assert low == 0.0
        assert high == pytest.approx(Z * Z / (1 + Z * Z), abs=1e-4)  # 0.7935

    def test_two_of_five_matches_the_published_value(self):
        # Brown, Cai & DasGupta (2001), and the formula by hand: 0.1176 to 0.7693.
        low, high = methods.wilson(2, 5)
        assert (round(low, 4), round(high, 4)) == (0.1176, 0.7693)
        by_hand = wilson_by_hand(2, 5)
        assert low == pytest.approx(by_hand[0], abs=1e-6) and high == pytest.approx(by_hand[1], abs=1e-6)

    def test_zero_of_five_and_five_of_five_are_mirror_images(self):
        low0, high0 = methods.wilson(0, 5)
        low5, high5 = methods.wilson(5, 5)
        assert low0 == 0 and high5 == 1
        assert high0 == pytest.approx(1 - low5)
        assert high0 == pytest.approx(0.4345, abs=1e-4)

    def test_jeffreys_at_five(self):
        # Beta(0.5, 5.5) upper 97.5% quantile and Beta(2.5, 3.5) quantiles.
        assert methods.jeffreys(0, 5)[1] == pytest.approx(0.3794, abs=1e-4)
        low, high = methods.jeffreys(2, 5)
        assert (round(low, 4), round(high, 4)) == (0.0944, 0.7906)
        assert methods.jeffreys(1, 1) == pytest.approx((0.1467, 1.0), abs=1e-4)

    def test_small_samples_look_uncertain(self):
        narrow = methods.wilson(20, 50)
        wide = methods.wilson(2, 5)
        assert (wide[1] - wide[0]) > 2 * (narrow[1] - narrow[0])

    def test_hits_outside_zero_to_n_are_refused(self):
        with pytest.raises(ValueError):
            methods.wilson(6, 5)


class TestMinimumEvidence:
    def test_below_the_minimum_there_is_no_number(self):
        result = methods.share(2, 4, min_items=5)
        assert result["value"] is None and result["status"] == methods.NOT_ENOUGH
        assert result["n"] == 4 and result["hits"] == 2
        assert (result["low"], result["high"]) == methods.wilson(2, 4)

    def test_at_the_minimum_the_value_shows(self):
        result = methods.share(2, 5, min_items=5)
        assert result["value"] == pytest.approx(0.4) and result["status"] == methods.OK

    def test_no_items_is_not_zero(self):
        result = methods.share(0, 0, min_items=5)
        assert result["value"] is None and result["status"] == methods.NOT_ENOUGH


class TestNormalisation:
    def test_goalposts(self):
        assert methods.goalposts(0.25, 0, 1) == pytest.approx(25)
        assert methods.goalposts(20, 0, 40, "less") == pytest.approx(50)
        assert methods.goalposts(10, 0, 40, "less") == pytest.approx(75)
        assert methods.goalposts(80, 0, 40, "less") == 0  # clamped
        assert methods.goalposts(-3, 0, 40) == 0
        assert methods.goalposts(None, 0, 1) is None

    def test_goalposts_do_not_move_when_cities_join(self):
        definitions = {"x": {"goalposts": {"low": 0, "high": 10}, "direction": "more"}}
        before = methods.normalise_all({"a": {"x": 4}}, definitions)["a"]["x"]
        after = methods.normalise_all({"a": {"x": 4}, "b": {"x": 9}, "c": {"x": 1}}, definitions)["a"]["x"]
        assert before == after == pytest.approx(40)
        moving = methods.normalise_all({"a": {"x": 4}, "b": {"x": 9}, "c": {"x": 1}}, definitions, "min_max")
        assert moving["a"]["x"] == pytest.approx(3 / 8 * 100)

    def test_min_max_and_missing(self):
        out = methods.min_max({"a": 2, "b": None, "c": 6, "d": 4})
        assert out == {"a": 0, "b": None, "c": 100, "d": 50}
        assert methods.min_max({"a": 2, "b": 6}, "less") == {"a": 100, "b": 0}
        assert methods.min_max({"a": 3, "b": 3}) == {"a": 50, "b": 50}

    def test_z_scores(self):
        out = methods.z_scores({"a": 1, "b": 3, "c": None})  # mean 2, population sd 1
        assert out == {"a": -1, "b": 1, "c": None}
        assert methods.z_scores({"a": 1, "b": 3}, "less") == {"a": 1, "b": -1}
        assert methods.z_to_scale(0) == pytest.approx(50)


class TestAggregation:
    def test_weighted_mean_leaves_missing_out(self):
        out = methods.aggregate({"a": 60, "b": None, "c": 30}, {"a": 2, "b": 1, "c": 1})
        assert out["value"] == pytest.approx((2 * 60 + 30) / 3)  # 50
        assert out["used"] == 2 and out["total"] == 3 and out["missing"] == ["b"]

    def test_missing_is_never_zero(self):
        with_missing = methods.aggregate({"a": 80, "b": None})
        with_zero = methods.aggregate({"a": 80, "b": 0})
        assert with_missing["value"] == 80 and with_zero["value"] == 40

    def test_too_much_missing_gives_no_composite(self):
        assert methods.aggregate({"a": 80, "b": None, "c": None})["value"] is None

    def test_geometric(self):
        assert methods.aggregate({"a": 25, "b": 100}, how="geometric")["value"] == pytest.approx(50)

    def test_less_of_indicator_counts_against_in_a_composite(self):
        definitions = {"trust": {"goalposts": {"low": 0, "high": 1}, "direction": "more", "dimension": "culture"},
                       "fear": {"goalposts": {"low": 0, "high": 1}, "direction": "less", "dimension": "culture"}}
        out = methods.composites({"a": {"trust": 0.6, "fear": 0.2}}, definitions)
        assert out["a"]["culture"]["value"] == pytest.approx((60 + 80) / 2)

    def test_sensitivity_brackets_the_default_and_never_ranks(self):
        definitions = {k: {"goalposts": {"low": 0, "high": 1}, "direction": "more", "dimension": "d", "weight": w}
                       for k, w in (("x", 1), ("y", 3))}
        raw = {"b": {"x": 0.2, "y": 0.9}, "a": {"x": 0.8, "y": 0.1}, "c": {"x": 0.5, "y": None}}
        out = methods.sensitivity(raw, definitions)
        assert list(out) == ["b", "a", "c"]  # the order given, not by value
        for city in ("a", "b"):
            s = out[city]["d"]
            assert s["low"] <= s["default"] <= s["high"]
            assert len(s["values"]) == 12
        # c has only x (weight 1 of 4): no composite with the defined weights, one with equal weights.
        c = out["c"]["d"]
        assert c["default"] is None and c["values"]["goalposts/arithmetic/equal"] == pytest.approx(50)
        assert out["b"]["d"]["default"] == pytest.approx((20 + 3 * 90) / 4)


class TestBootstrap:
    def test_whole_items_are_resampled(self):
        clusters = [(1, 2), (0, 3), (2, 2), (1, 1)]
        estimate, low, high = methods.bootstrap_ratio(clusters, samples=500, seed=3)
        assert estimate == pytest.approx(4 / 8)
        assert 0 <= low < estimate < high <= 1
        assert methods.bootstrap_ratio(clusters, samples=500, seed=3) == (estimate, low, high)  # seeded

    def test_empty(self):
        assert methods.bootstrap_ratio([]) == (None, None, None)


def test_quartiles():
    assert methods.quartiles([None, 4, 1, 3, 2]) == {"n": 4, "min": 1, "q1": 1.75, "median": 2.5, "q3": 3.25,
                                                     "max": 4}
    assert methods.quartiles([None]) is None
