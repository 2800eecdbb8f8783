"""Peer groups of statistically similar cities: standardise, principal components, k-means with k by silhouette.

Pure: numpy and scikit-learn only (no Flask, no database), so tests and the benchmark call ``group`` directly.

The method, step by step (also in ``docs/methodology.md``):

1. Features missing for more than half of the cities are dropped (they would mostly be imputed).
2. Cities missing more than ``max_missing_share`` of the remaining features are set apart (``excluded``, with
   their missing share): they are listed, never grouped on guessed values.
3. Features constant across the remaining cities are dropped (they cannot distinguish anyone).
4. A value still missing is imputed with the feature's median over the cities that have it.
5. Each feature is standardised to a z-score (mean 0, standard deviation 1 over the grouped cities).
6. Principal components: the fewest reaching ``variance_target`` of the variance (at least 2, for the map).
7. k-means on those components (``n_init`` fixed, ``random_state`` = the seed) for every k in ``k_range`` up to a
   third of the cities (so that groups average three cities or more: with few cities and many features the
   silhouette otherwise favours near-singleton groups, which compare a city with nobody); k is the one with the
   highest silhouette score, ties going to the smaller k.
8. Each group is named by what distinguishes it: the one or two features whose group mean z-score lies furthest
   from the overall mean (0), e.g. "higher trust in police, lower fear of crime".

Group labels are never ordered by a score: "A", "B", ... follow the order of each group's smallest member city id
(a neutral rule: the order cities joined the network), and members are listed by name by whoever shows them.
The same data and seed always give the same result.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

#: Bumped whenever the method below changes meaning: it is part of every run's method hash.
METHOD_VERSION = "peergroups-2026.12-1"
N_INIT = 10
MIN_CITIES = 4
FEATURE_MISSING_LIMIT = 0.5  # a feature missing for more than this share of cities is dropped
SECOND_FEATURE_MIN_Z = 0.5  # a second distinguishing feature is named only when it differs at least this much


@dataclass
class Part:
    """One distinguishing feature of a group: its mean z-score and whether that is higher or lower than overall."""
    feature: str
    direction: str  # "higher" | "lower"
    z: float


@dataclass
class Group:
    label: str
    name: str  # default English name built from feature_labels; translate from ``parts``
    parts: list[Part]
    members: list  # city ids, in ascending id order (show them by name)
    means: dict[str, float] = field(default_factory=dict)  # feature -> group mean z-score


@dataclass
class Result:
    status: str  # "ok" | "too_few"
    message: str = ""
    k: int | None = None
    silhouettes: dict[int, float] = field(default_factory=dict)
    explained_variance: list[float] = field(default_factory=list)  # ratio per retained component
    loadings: list[dict[str, float]] = field(default_factory=list)  # per component: feature -> weight
    coordinates: dict = field(default_factory=dict)  # city id -> (pc1, pc2)
    labels: dict = field(default_factory=dict)  # city id -> group label
    groups: list[Group] = field(default_factory=list)  # in label order
    excluded: list[dict] = field(default_factory=list)  # {"city_id", "missing_share"}
    features: list[str] = field(default_factory=list)  # used, sorted
    dropped_features: list[dict] = field(default_factory=list)  # {"feature", "reason": "mostly_missing"|"constant"}
    imputed: dict[str, int] = field(default_factory=dict)  # feature -> cities given the median
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-safe (keys as text), for storing and for the API."""
        out = dataclasses.asdict(self)
        out["silhouettes"] = {str(k): v for k, v in self.silhouettes.items()}
        out["coordinates"] = {str(c): list(xy) for c, xy in self.coordinates.items()}
        out["labels"] = {str(c): g for c, g in self.labels.items()}
        return out


def label_for(n: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def lower_first(text: str) -> str:
    """"Trust in police" -> "trust in police"; acronyms ("GDP per head") are kept."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def default_name(parts: list[Part], feature_labels: dict[str, str]) -> str:
    if not parts:
        return "Close to the overall mean"
    words = [f"{p.direction} {lower_first(feature_labels.get(p.feature, p.feature))}" for p in parts]
    text = ", ".join(words)
    return text[:1].upper() + text[1:]


def params_of(seed: int, variance_target: float, k_range: tuple[int, int], max_missing_share: float) -> dict:
    return {"method_version": METHOD_VERSION, "seed": int(seed), "variance_target": float(variance_target),
            "k_range": [int(k_range[0]), int(k_range[1])], "max_missing_share": float(max_missing_share), "min_mean_group": 3,
            "n_init": N_INIT, "feature_missing_limit": FEATURE_MISSING_LIMIT, "imputation": "median",
            "standardise": "z-score", "clustering": "k-means", "k_choice": "silhouette, ties to the smaller k"}


def method_hash(params: dict, features: list[str], definitions_hash: str = "") -> str:
    """SHA-256 of the method's settings (without the seed, stored beside it), the features and the definitions."""
    payload = {"params": {k: v for k, v in params.items() if k != "seed"}, "features": sorted(features),
               "definitions": definitions_hash}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _is_missing(value) -> bool:
    if value is None or isinstance(value, bool):
        return True
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _prepare(features: dict, max_missing_share: float):
    """The matrix of grouped cities (NaN where missing), their ids, the features kept, exclusions and drops."""
    cities = sorted(features)
    names = sorted({f for row in features.values() for f in (row or {})})
    raw = np.array([[np.nan if _is_missing((features[c] or {}).get(f)) else float(features[c][f]) for f in names]
                    for c in cities], dtype=float).reshape(len(cities), len(names))
    dropped = []
    if cities:
        missing_share = np.isnan(raw).mean(axis=0) if names else np.zeros(0)
        keep = missing_share <= FEATURE_MISSING_LIMIT
        dropped += [{"feature": f, "reason": "mostly_missing"} for f, k in zip(names, keep) if not k]
        raw, names = raw[:, keep], [f for f, k in zip(names, keep) if k]
    excluded, rows = [], []
    for i, city in enumerate(cities):
        share = float(np.isnan(raw[i]).mean()) if names else 1.0
        if share > max_missing_share:
            excluded.append({"city_id": city, "missing_share": round(share, 4)})
        else:
            rows.append(i)
    grouped = [cities[i] for i in rows]
    matrix = raw[rows] if rows else np.zeros((0, len(names)))
    if len(grouped):
        spread = np.nanmax(matrix, axis=0) - np.nanmin(matrix, axis=0) if names else np.zeros(0)
        varying = np.nan_to_num(spread, nan=0.0) > 1e-12
        dropped += [{"feature": f, "reason": "constant"} for f, v in zip(names, varying) if not v]
        matrix, names = matrix[:, varying], [f for f, v in zip(names, varying) if v]
    return grouped, matrix, names, excluded, sorted(dropped, key=lambda d: d["feature"])


def _impute(matrix: np.ndarray, names: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    imputed = {}
    out = matrix.copy()
    for j, name in enumerate(names):
        holes = np.isnan(out[:, j])
        if holes.any():
            out[holes, j] = float(np.nanmedian(out[:, j]))
            imputed[name] = int(holes.sum())
    return out, imputed


def _components(z: np.ndarray, variance_target: float):
    from sklearn.decomposition import PCA
    pca = PCA(svd_solver="full").fit(z)
    ratios = pca.explained_variance_ratio_
    reach = int(np.searchsorted(np.cumsum(ratios), variance_target - 1e-12) + 1)
    n = min(max(2, reach), len(ratios))
    return pca, n


MIN_MEAN_GROUP = 3  # k is at most the number of cities over this


def _choose_k(scores: np.ndarray, seed: int, k_range: tuple[int, int]):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    silhouettes, fits = {}, {}
    most = max(2, len(scores) // MIN_MEAN_GROUP)
    for k in range(max(2, k_range[0]), min(k_range[1], len(scores) - 1, most) + 1):
        labels = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit_predict(scores)
        if len(set(labels.tolist())) < 2:
            continue  # identical points: k-means could not make k groups
        silhouettes[k] = round(float(silhouette_score(scores, labels)), 6)
        fits[k] = labels
    if not silhouettes:
        return None, {}, None
    best = max(silhouettes.values())
    k = min(k for k, s in silhouettes.items() if s >= best - 1e-9)
    return k, silhouettes, fits[k]


def _describe(z: np.ndarray, members: np.ndarray, names: list[str]) -> tuple[list[Part], dict[str, float]]:
    means = z[members].mean(axis=0)
    order = sorted(range(len(names)), key=lambda j: (-abs(means[j]), names[j]))
    parts = []
    for rank, j in enumerate(order[:2]):
        if abs(means[j]) < 1e-9 or (rank == 1 and abs(means[j]) < SECOND_FEATURE_MIN_Z):
            break
        parts.append(Part(names[j], "higher" if means[j] > 0 else "lower", round(float(means[j]), 4)))
    return parts, {names[j]: round(float(means[j]), 4) for j in range(len(names))}


def group(features: dict, feature_labels: dict[str, str] | None = None, seed: int = 0,
          variance_target: float = 0.8, k_range: tuple[int, int] = (2, 8), max_missing_share: float = 0.3) -> Result:
    """Peer groups for ``features`` ({city id: {feature: value or None}}); see the module's docstring."""
    feature_labels = feature_labels or {}
    params = params_of(seed, variance_target, k_range, max_missing_share)
    cities, matrix, names, excluded, dropped = _prepare(features, max_missing_share)
    base = {"excluded": excluded, "dropped_features": dropped, "features": names, "params": params}
    if len(cities) < MIN_CITIES:
        return Result("too_few", f"Peer groups need at least {MIN_CITIES} cities with enough values; "
                                 f"{len(cities)} have them.", **base)
    if len(names) < 2:
        return Result("too_few", "Peer groups need at least two indicators that differ between cities; "
                                 f"{len(names)} do.", **base)
    filled, imputed = _impute(matrix, names)
    z = (filled - filled.mean(axis=0)) / filled.std(axis=0)
    pca, n_components = _components(z, variance_target)
    scores = pca.transform(z)[:, :n_components]
    k, silhouettes, raw_labels = _choose_k(scores, seed, k_range)
    if k is None:
        return Result("too_few", "The cities' values are too alike to form groups.", imputed=imputed, **base)
    clusters = sorted({int(c) for c in raw_labels}, key=lambda c: min(cities[i] for i in np.flatnonzero(raw_labels == c)))
    groups, labels = [], {}
    for n, cluster in enumerate(clusters):
        members = np.flatnonzero(raw_labels == cluster)
        parts, means = _describe(z, members, names)
        label = label_for(n)
        ids = sorted(cities[i] for i in members)
        groups.append(Group(label, default_name(parts, feature_labels), parts, ids, means))
        labels.update({c: label for c in ids})
    _disambiguate(groups, z, cities, names, feature_labels)
    return Result(
        "ok", "", k=k, silhouettes=silhouettes,
        explained_variance=[round(float(r), 6) for r in pca.explained_variance_ratio_[:n_components]],
        loadings=[{f: round(float(w), 6) for f, w in zip(names, pca.components_[i])} for i in range(n_components)],
        coordinates={c: (round(float(scores[i, 0]), 6), round(float(scores[i, 1]), 6)) for i, c in enumerate(cities)},
        labels=labels, groups=groups, imputed=imputed, **base)


def _disambiguate(groups: list[Group], z, cities, names, feature_labels) -> None:
    """Two groups with the same name get their next distinguishing feature added, so each name tells them apart."""
    index = {c: i for i, c in enumerate(cities)}
    seen: dict[str, list[Group]] = {}
    for g in groups:
        seen.setdefault(g.name, []).append(g)
    for same in (s for s in seen.values() if len(s) > 1):
        for g in same:
            members = [index[c] for c in g.members]
            means = z[members].mean(axis=0)
            used = {p.feature for p in g.parts}
            rest = sorted((j for j in range(len(names)) if names[j] not in used),
                          key=lambda j: (-abs(means[j]), names[j]))
            if rest and abs(means[rest[0]]) > 1e-9:
                j = rest[0]
                g.parts.append(Part(names[j], "higher" if means[j] > 0 else "lower", round(float(means[j]), 4)))
                g.name = default_name(g.parts, feature_labels)
