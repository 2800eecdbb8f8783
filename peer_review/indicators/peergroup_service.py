"""Peer groups, database side: the features of a cycle's cities, a stored run (``PeerGrouping``), the latest run and
a city's group for its dashboard. The method itself is ``peergroups.group`` (pure).

The features are the cycle's stored indicator values (whole city, status "ok"; numeric indicators included, as
their values are ``IndicatorValue`` rows of kind "numeric") for the network's own indicators: a city's local
indicators are its own and not comparable, so they never shape a group. ``City.peer_group`` (set by hand, used by
peer assignment) is never written here: groups live only in ``PeerGrouping``.
"""
from __future__ import annotations

from flask_babel import gettext as _

from ..audit.operations import record
from ..extensions import db
from . import definitions
from . import peergroups as method
from .models import IndicatorValue, PeerGrouping


def _refresh(cycle) -> None:
    try:
        from .compute import refresh_cycle
    except ImportError:  # values are computed elsewhere; use what is stored
        return
    refresh_cycle(cycle)


def feature_labels(cycle, locale: str = "en") -> dict[str, str]:
    indicator_set = definitions.set_for_cycle(cycle, pin=False)
    return {ind["id"]: definitions.text(ind.get("name"), locale) or ind["id"]
            for ind in definitions.definitions_for(indicator_set)}


def features_for_cycle(cycle, locale: str = "en", refresh: bool = True) -> tuple[dict, dict]:
    """({city id: {indicator key: value or None}} for every city of the cycle, {indicator key: name})."""
    if refresh:
        _refresh(cycle)
    labels = feature_labels(cycle, locale)
    features: dict[int, dict] = {c.id: {} for c in cycle.cities}
    rows = db.session.execute(
        db.select(IndicatorValue.city_id, IndicatorValue.indicator_key, IndicatorValue.value, IndicatorValue.status)
        .filter(IndicatorValue.cycle_id == cycle.id, IndicatorValue.breakdown == "",
                IndicatorValue.city_id.in_(list(features) or [-1]))).all()
    for city_id, key, value, status in rows:
        if labels and key not in labels:
            continue  # a city's local indicator
        features[city_id][key] = value if status == "ok" else None
    used = {k for row in features.values() for k in row}
    for row in features.values():  # a city without a value for a feature has it missing, explicitly
        for key in used:
            row.setdefault(key, None)
    return features, labels


def _definitions_hash(cycle) -> str:
    indicator_set = definitions.set_for_cycle(cycle, pin=False)
    return indicator_set.content_hash if indicator_set is not None else ""


def run(cycle, seed: int = 0, user=None) -> PeerGrouping:
    """Compute and store a run for ``cycle`` (it becomes the latest), with an audit entry."""
    features, labels = features_for_cycle(cycle)
    result = method.group(features, labels, seed=seed)
    data = result.to_dict()
    groups = {g["label"]: {"name": g["name"], "parts": g["parts"], "members": g["members"], "means": g["means"]}
              for g in data["groups"]}
    row = PeerGrouping(
        cycle_id=cycle.id, seed=int(seed), k=result.k, features=result.features,
        explained_variance=result.explained_variance,
        loadings={f"PC{i + 1}": comp for i, comp in enumerate(result.loadings)},
        silhouettes=data["silhouettes"], coordinates=data["coordinates"], groups=groups,
        excluded=result.excluded + [{"status": result.status, "message": result.message,
                                     "dropped_features": result.dropped_features, "imputed": result.imputed,
                                     "meta": True}],
        method_hash=method.method_hash(result.params, result.features, _definitions_hash(cycle)),
        created_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    summary = (f"{cycle.name}: {result.k} groups (seed {seed})" if result.status == "ok"
               else f"{cycle.name}: too few cities (seed {seed})")
    record("peergroup.run", "peer_grouping", row.id, summary=summary, actor=user,
           after={"cycle": cycle.id, "seed": int(seed), "k": result.k, "status": result.status,
                  "features": result.features, "excluded": [e["city_id"] for e in result.excluded],
                  "method_hash": row.method_hash})
    return row


def latest(cycle) -> PeerGrouping | None:
    return db.session.execute(db.select(PeerGrouping).filter_by(cycle_id=cycle.id)
                              .order_by(PeerGrouping.created_at.desc(), PeerGrouping.id.desc()).limit(1)).scalar()


# --- Reading a stored run ----------------------------------------------------------------------------------------
# The run's status, message, dropped features and imputations ride in ``excluded`` as one entry marked "meta" (the
# model has no columns for them); these helpers keep that detail in one place.

def excluded_cities(row: PeerGrouping) -> list[dict]:
    return [e for e in (row.excluded or []) if not e.get("meta")]


def run_info(row: PeerGrouping) -> dict:
    meta = next((e for e in (row.excluded or []) if e.get("meta")), {})
    return {"status": meta.get("status", "ok" if row.k else "too_few"), "message": meta.get("message", ""),
            "dropped_features": meta.get("dropped_features", []), "imputed": meta.get("imputed", {})}


def group_name(parts: list[dict], labels: dict[str, str]) -> str:
    """A group's name in the current language, from its distinguishing features."""
    if not parts:
        return _("close to the overall mean")
    words = []
    for part in parts:
        feature = method.lower_first(labels.get(part["feature"], part["feature"]))
        words.append(_("higher %(feature)s", feature=feature) if part["direction"] == "higher"
                     else _("lower %(feature)s", feature=feature))
    return ", ".join(words)


def groups_of(row: PeerGrouping, labels: dict[str, str]) -> list[dict]:
    """The run's groups in label order (A, B, ...: a neutral order), each with its name in the current language."""
    return [{"label": label, "name": group_name(g.get("parts", []), labels), "default_name": g.get("name", ""),
             "parts": g.get("parts", []), "members": list(g.get("members", []))}
            for label, g in sorted((row.groups or {}).items(), key=lambda kv: (len(kv[0]), kv[0]))]


def group_of(cycle, city_id: int, locale: str = "en") -> tuple[str, str, list[int]] | None:
    """(label, name, member city ids) of the city's group in the cycle's latest run, or None."""
    row = latest(cycle)
    if row is None:
        return None
    for g in groups_of(row, feature_labels(cycle, locale)):
        if city_id in g["members"]:
            return g["label"], g["name"], g["members"]
    return None


def table_rows(cycle, row: PeerGrouping, labels: dict[str, str]) -> list[dict]:
    """One row per city of the run, for the page's tables and the CSV/JSON download: grouped cities by group label
    then city name, then the cities set apart by name. Never ordered by a score."""
    cities = {c.id: c for c in cycle.cities}
    coords = row.coordinates or {}
    out = []
    for g in groups_of(row, labels):
        members = sorted((cities[i] for i in g["members"] if i in cities), key=lambda c: (c.name.casefold(), c.id))
        for city in members:
            xy = coords.get(str(city.id)) or [None, None]
            out.append({"city": city.name, "slug": city.slug, "group": g["label"], "group_name": g["name"],
                        "pc1": xy[0], "pc2": xy[1], "missing_share": None})
    apart = sorted(((cities[e["city_id"]], e["missing_share"]) for e in excluded_cities(row)
                    if e["city_id"] in cities), key=lambda t: (t[0].name.casefold(), t[0].id))
    out += [{"city": c.name, "slug": c.slug, "group": "", "group_name": "", "pc1": None, "pc2": None,
             "missing_share": share} for c, share in apart]
    return out
