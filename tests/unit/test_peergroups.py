"""Peer groups on data with known clusters: k, memberships, exclusions, determinism, naming, neutral labels."""
from __future__ import annotations

import numpy as np
import pytest

from peer_review.indicators import peergroups as pg

FEATURES = [f"f{j}" for j in range(6)]
LABELS = {"f0": "Trust in police", "f1": "Fear of crime", "f2": "Street lighting", "f3": "Inclusion",
          "f4": "Collaboration", "f5": "GDP per head"}
CENTRES = np.array([[6, 0, 0, 0, 0, 0], [0, 6, 0, 0, 0, 0], [0, 0, 6, 0, 0, 0]], dtype=float)


def blobs(seed=1, per=10, centres=CENTRES, spread=0.3):
    """Three well-separated blobs of ``per`` cities in six features; city ids 1..30 (blob b: 10b+1..10b+10)."""
    rng = np.random.default_rng(seed)
    out = {}
    for b, centre in enumerate(centres):
        for i in range(per):
            values = centre + rng.normal(0, spread, len(centre))
            out[b * per + i + 1] = {f: float(v) for f, v in zip(FEATURES, values)}
    return out


def memberships(result):
    return sorted(sorted(g.members) for g in result.groups)


def test_three_blobs_give_three_groups_with_the_right_members():
    result = pg.group(blobs(), LABELS, seed=0)
    assert result.status == "ok"
    assert result.k == 3
    assert memberships(result) == [list(range(1, 11)), list(range(11, 21)), list(range(21, 31))]
    assert max(result.silhouettes, key=result.silhouettes.get) == 3
    assert set(result.silhouettes) == set(range(2, 9))
    assert set(result.labels.values()) == {"A", "B", "C"}


def test_explained_variance_reaches_the_target_with_the_fewest_components():
    result = pg.group(blobs(), LABELS, seed=0)
    ratios = result.explained_variance
    assert len(ratios) >= 2
    assert sum(ratios) >= 0.8
    assert len(ratios) == 2 or sum(ratios[:-1]) < 0.8
    assert len(result.loadings) == len(ratios)
    assert all(set(comp) == set(FEATURES) for comp in result.loadings)
    for comp in result.loadings:  # unit-length weights
        assert sum(w * w for w in comp.values()) == pytest.approx(1, abs=1e-4)
    assert set(result.coordinates) == set(range(1, 31))
    assert all(len(xy) == 2 for xy in result.coordinates.values())


def test_a_higher_target_keeps_more_components():
    data = blobs()
    assert len(pg.group(data, seed=0, variance_target=0.99).explained_variance) > \
        len(pg.group(data, seed=0, variance_target=0.8).explained_variance)


def test_same_seed_same_result_and_the_result_is_json_safe():
    import json
    data = blobs(seed=7)
    a, b = pg.group(data, LABELS, seed=5), pg.group(data, LABELS, seed=5)
    assert a.to_dict() == b.to_dict()
    json.dumps(a.to_dict())
    # the input's order does not matter
    shuffled = dict(reversed(list(data.items())))
    assert pg.group(shuffled, LABELS, seed=5).to_dict() == a.to_dict()


def test_a_city_missing_too_many_values_is_set_apart_not_grouped():
    data = blobs()
    data[99] = {"f0": 6.1, "f1": None, "f2": None, "f3": None, "f4": 0.1, "f5": None}
    data[98] = {"f0": 0.1, "f1": 6.0, "f2": 0.0, "f3": 0.2, "f4": -0.1, "f5": None}  # one missing of six: kept
    result = pg.group(data, LABELS, seed=0, max_missing_share=0.3)
    assert result.excluded == [{"city_id": 99, "missing_share": pytest.approx(4 / 6, abs=1e-3)}]
    assert 99 not in result.labels and 99 not in result.coordinates
    assert result.imputed == {"f5": 1}
    assert result.k == 3
    assert result.labels[98] == result.labels[11]  # imputed with the median, it joins its own blob


def test_features_missing_for_most_cities_or_constant_are_dropped():
    data = blobs()
    for i, row in enumerate(data.values()):
        row["rare"] = 1.0 if i < 5 else None
        row["same"] = 3.0
    result = pg.group(data, LABELS, seed=0)
    assert {"feature": "rare", "reason": "mostly_missing"} in result.dropped_features
    assert {"feature": "same", "reason": "constant"} in result.dropped_features
    assert result.features == FEATURES
    assert result.excluded == []  # the dropped feature does not count against the cities


def test_groups_are_named_by_the_feature_that_distinguishes_them():
    result = pg.group(blobs(), LABELS, seed=0)
    by_member = {g.members[0]: g for g in result.groups}
    first = by_member[1]
    assert first.parts[0].feature == "f0" and first.parts[0].direction == "higher" and first.parts[0].z > 1
    assert first.name.startswith("Higher trust in police")
    assert by_member[11].parts[0].feature == "f1"
    assert by_member[21].parts[0].feature == "f2"
    assert all(len(g.parts) <= 2 for g in result.groups)


def test_a_group_set_apart_by_a_low_value_is_named_lower():
    centres = np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, -6, 0]], dtype=float)
    centres[0, 3] = 6
    result = pg.group(blobs(centres=centres), LABELS, seed=0)
    low = next(g for g in result.groups if 21 in g.members)
    assert low.parts[0].feature == "f4" and low.parts[0].direction == "lower"
    assert low.name.startswith("Lower collaboration")


def test_acronyms_keep_their_capitals():
    parts = [pg.Part("f5", "higher", 1.2), pg.Part("f1", "lower", -0.9)]
    assert pg.default_name(parts, LABELS) == "Higher GDP per head, lower fear of crime"


def test_group_labels_follow_the_smallest_member_id_not_a_score():
    # the blob with the highest values gets the highest ids: its label is still decided by ids alone
    centres = np.array([[0, 0, 0, 0, 0, 0], [3, 3, 3, 3, 3, 3], [9, 9, 9, 0, 0, 0]], dtype=float)
    result = pg.group(blobs(centres=centres), LABELS, seed=0)
    assert result.k == 3
    assert [g.label for g in result.groups] == ["A", "B", "C"]
    assert [min(g.members) for g in result.groups] == [1, 11, 21]
    # renumbering the cities (same values) moves the labels with the ids
    data = blobs(centres=centres)
    renumbered = {(100 - cid if cid > 20 else cid + 10 if cid <= 10 else cid - 10): row for cid, row in data.items()}
    again = pg.group(renumbered, LABELS, seed=0)
    first = next(g for g in again.groups if g.label == "A")
    assert min(first.members) == 1 and first.members == list(range(1, 11))  # the old second blob


def test_too_few_cities():
    data = dict(list(blobs().items())[:3])
    result = pg.group(data, LABELS)
    assert result.status == "too_few" and "at least 4" in result.message
    assert result.k is None and result.groups == []


def test_too_few_usable_cities_after_exclusions():
    data = dict(list(blobs().items())[:4])
    data[2] = {f: None for f in FEATURES}
    result = pg.group(data, LABELS)
    assert result.status == "too_few"
    assert [e["city_id"] for e in result.excluded] == [2]


def test_identical_cities_cannot_be_grouped():
    data = {i: {"a": 1.0, "b": 2.0} for i in range(1, 7)}
    result = pg.group(data)
    assert result.status == "too_few"


def test_k_stays_below_the_number_of_cities():
    data = dict(list(blobs().items())[:2] + list(blobs().items())[10:12] + list(blobs().items())[20:22])
    result = pg.group(data, LABELS, seed=0)
    assert result.status == "ok"
    assert max(result.silhouettes) <= len(data) - 1


def test_ties_go_to_the_smaller_k(monkeypatch):
    import sklearn.metrics
    monkeypatch.setattr(sklearn.metrics, "silhouette_score", lambda X, labels: 0.5)
    result = pg.group(blobs(), LABELS, seed=0)
    assert result.k == 2


def test_method_hash_ignores_the_seed_but_not_the_features():
    p0 = pg.params_of(0, 0.8, (2, 8), 0.3)
    p1 = pg.params_of(1, 0.8, (2, 8), 0.3)
    assert pg.method_hash(p0, ["a", "b"], "x") == pg.method_hash(p1, ["b", "a"], "x")
    assert pg.method_hash(p0, ["a", "b"], "x") != pg.method_hash(p0, ["a", "c"], "x")
    assert pg.method_hash(p0, ["a", "b"], "x") != pg.method_hash(p0, ["a", "b"], "y")


def test_labels_beyond_z():
    assert [pg.label_for(n) for n in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]
