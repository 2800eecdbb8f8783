"""The charts of the "State of Safety" and cycle reports, drawn from their snapshots (call inside force_locale).
Each chart's figures are also in a table of the report, its text alternative."""
from __future__ import annotations

from flask_babel import gettext as _

from .. import charts


def _svg(spec: dict, snapshot: dict, responsive: bool) -> dict:
    return {"spec": spec, "svg": charts.to_svg(spec, snapshot["locale"], responsive=responsive)}


def state_of_safety_charts(snapshot: dict, responsive: bool = False) -> dict:
    out = {}
    rows = [{"name": ind["name"], "value": ind["value"], "low": ind["low"], "high": ind["high"],
             "enough_evidence": ind["status"] == "ok"}
            for family in snapshot["families"] for ind in family["indicators"] if ind["kind"] == "evidence"]
    if rows:
        out["intervals"] = _svg(charts.intervals(rows, _("Evidence indicators and their intervals (95%)")),
                                snapshot, responsive)
    from ..indicators.blueprint import voice_name
    dimensions = {"gender": _("Gender"), "age_group": _("Age group"), "group": _("Vulnerable group")}
    voices = [{"dimension": dimensions.get(r["dimension"], r["dimension"]),
               "category": voice_name(r["dimension"], r["value"]), "count": r["count"],
               "status": r["state"] if r["state"] in ("ok", "thin", "absent") else "ok"}
              for r in snapshot["coverage"]["rows"]]
    if voices and snapshot["coverage"]["total"]:
        out["coverage"] = _svg(charts.coverage(voices, _("Whose voices the evidence carries")), snapshot,
                               responsive)
    return out


def cycle_charts(snapshot: dict, responsive: bool = False) -> dict:
    out = {}
    rows = [{"indicator": d["name"], "value": v} for d in snapshot.get("indicators", []) for v in d["values"]]
    if rows:
        out["distributions"] = _svg(charts.distributions(rows, _("Indicators across the network")), snapshot,
                                    responsive)
    return out
