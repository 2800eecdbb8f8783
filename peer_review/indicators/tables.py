"""Every indicator table as data, downloadable as CSV or JSON: the same rows the page shows (cities by name, never
ordered by a value), with raw numbers (shares as 0–1) and missing values empty, never zero."""
from __future__ import annotations

import csv
import io
import json

from flask import Response

from ..evidence.tabular import neutralise_formula
from ..i18n import gettext as _
from .definitions import text


def download(table: dict, name: str, fmt: str) -> Response:
    columns = table["columns"]
    if fmt == "json":
        body = json.dumps({"columns": [c for c, _label in columns], "rows": table["rows"]}, ensure_ascii=False,
                          default=str, indent=1)
        response = Response(body, mimetype="application/json")
        extension = "json"
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _c, label in columns])
        for row in table["rows"]:
            writer.writerow([_cell(row.get(c)) for c, _label in columns])
        response = Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv; charset=utf-8")
        extension = "csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return neutralise_formula(value)
    return value


def definitions_table(indicator_set, locale: str) -> dict:
    columns = [("id", "id"), ("name", _("Name")), ("family", _("Family")), ("direction", _("Direction")),
               ("tier", _("Tier")), ("draws_on", _("Draws on")), ("unit", _("Unit")),
               ("goalpost_low", _("Low goalpost")), ("goalpost_high", _("High goalpost")), ("weight", _("Weight")),
               ("dimension", _("Dimension")), ("definition", _("Definition"))]
    rows = []
    for d in indicator_set.indicators:
        rows.append({"id": d["id"], "name": text(d.get("name"), locale), "family": d.get("family"),
                     "direction": d.get("direction"), "tier": d.get("tier"), "draws_on": draws_on(d),
                     "unit": d.get("unit"), "goalpost_low": d["goalposts"]["low"],
                     "goalpost_high": d["goalposts"]["high"], "weight": d.get("weight", 1),
                     "dimension": d.get("dimension") or d.get("family"), "definition": text(d.get("definition"), locale)})
    return {"columns": columns, "rows": rows}


def draws_on(d: dict) -> str:
    parts = []
    if d.get("codes"):
        support = [c for c in d["codes"] if not c.startswith("-")]
        against = [c[1:] for c in d["codes"] if c.startswith("-")]
        parts.append(_("codes: %(codes)s", codes=", ".join(support)))
        if against:
            parts.append(_("counting against it: %(codes)s", codes=", ".join(against)))
    if d.get("criteria"):
        parts.append(_("criteria: %(criteria)s", criteria=", ".join(d["criteria"])))
    if d.get("numeric"):
        parts.append(_("numbers the city reports"))
    if not parts:
        parts.append(_("rubric criteria that name it"))
    return "; ".join(parts)


def _value_columns():
    return [("indicator", "indicator"), ("name", _("Name")), ("family", _("Family")), ("tier", _("Tier")),
            ("status", _("Status")), ("value", _("Value")), ("low", _("Interval low")),
            ("high", _("Interval high")), ("n", _("Evidence count")), ("hits", _("Items counted for it")),
            ("method_hash", _("Method hash"))]


def city_table(d: dict, name: str, locale: str) -> dict | None:
    if name == "indicators":
        rows = []
        for family, entries in d["families"].items():
            for e in entries:
                v = e["value"] or {}
                rows.append({"indicator": e["definition"]["id"], "name": text(e["definition"].get("name"), locale),
                             "family": family, "tier": e["definition"].get("tier"), "status": v.get("status"),
                             "value": v.get("value"), "low": v.get("low"), "high": v.get("high"), "n": v.get("n"),
                             "hits": v.get("hits"), "method_hash": v.get("method_hash")})
        return {"columns": _value_columns(), "rows": rows}
    if name == "sections":
        return {"columns": [("section", "section"), ("self", _("Self score")), ("peer", _("Peer score")),
                            ("gap", _("Gap (peer − self)")), ("self_n", _("Criteria self-assessed")),
                            ("peer_n", _("Criteria peer-reviewed")), ("criteria", _("Criteria"))],
                "rows": [{k: r[k] for k in ("section", "self", "peer", "gap", "self_n", "peer_n", "criteria")}
                         for r in d["sections"]]}
    if name == "coverage":
        return {"columns": [("dimension", _("Dimension")), ("value", _("Voice")), ("count", _("Items")),
                            ("share", _("Share of items")), ("state", _("Coverage"))],
                "rows": [dict(r) for r in d["coverage"]["rows"]]}
    if name == "trends":
        rows = [{"indicator": key, **{k: p[k] for k in ("cycle", "value", "low", "high", "status", "method_hash",
                                                       "method_break")}}
                for key, points in d["trends"].items() for p in points]
        return {"columns": [("indicator", "indicator"), ("cycle", _("Cycle")), ("status", _("Status")),
                            ("value", _("Value")), ("low", _("Interval low")), ("high", _("Interval high")),
                            ("method_hash", _("Method hash")), ("method_break", _("Method changed"))], "rows": rows}
    if name == "breakdown":
        b = d["breakdown"]
        rows = [{"indicator": r["definition"]["id"], "category": c, "value": cell["value"], "low": cell["low"],
                 "high": cell["high"], "n": cell["n"], "status": cell["status"]}
                for r in b["rows"] for c, cell in r["cells"].items()]
        return {"columns": [("indicator", "indicator"), ("category", b["kind"]), ("status", _("Status")),
                            ("value", _("Value")), ("low", _("Interval low")), ("high", _("Interval high")),
                            ("n", _("Evidence count"))], "rows": rows}
    if name == "numeric":
        rows = []
        for r in d["numeric"]:
            e = r["entry"]
            rows.append({"indicator": r["definition"]["id"], "value": e.value if e else None,
                         "unit": r["definition"].get("unit"),
                         "period_start": e.period_start.isoformat() if e else None,
                         "period_end": e.period_end.isoformat() if e else None, "source": e.source if e else None,
                         "proxy": bool(e and e.is_proxy), "proxy_note": e.proxy_note if e else None})
        return {"columns": [("indicator", "indicator"), ("value", _("Value")), ("unit", _("Unit")),
                            ("period_start", _("Period start")), ("period_end", _("Period end")),
                            ("source", _("Source")), ("proxy", _("Proxy")), ("proxy_note", _("Proxy note"))],
                "rows": rows}
    if name == "peer_group" and d.get("peer"):
        rows = [{"indicator": key, **(v["summary"] or {}), "own": v["own"]} for key, v in d["peer"]["indicators"].items()]
        return {"columns": [("indicator", "indicator"), ("n", _("Cities with a value")), ("min", _("Lowest")),
                            ("q1", _("Lower quartile")), ("median", _("Median")), ("q3", _("Upper quartile")),
                            ("max", _("Highest")), ("own", _("This city"))], "rows": rows}
    return None
