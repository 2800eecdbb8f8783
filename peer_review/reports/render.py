"""A report's snapshot rendered to HTML (the preview in the app, and WeasyPrint's input) and to a tagged PDF.

Rendering reads only the snapshot: the same snapshot gives the same bytes (the PDF's identifier and its
created/modified dates come from the snapshot, never from the clock). Nothing is fetched: the print stylesheet
is read from static/css/report.css and charts are inline SVG.
"""
from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from threading import Lock

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import charts
from ..evidence.sanitize import render_markdown
from .snapshot import snapshot_hash

# WeasyPrint logs every layout step at INFO: dozens of lines per report in the app's (JSON) logs. Warnings stay.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

TEMPLATES = {"peer_review": "reports/peer_review.html", "cycle": "reports/cycle.html",
             "state_of_safety": "reports/state_of_safety.html"}
BODIES = {"peer_review": "reports/_peer_review_body.html", "cycle": "reports/_cycle_body.html",
          "state_of_safety": "reports/_state_of_safety_body.html"}
_lock = Lock()


def _template_dir() -> Path:
    return Path(current_app.root_path).parent / "templates" / "reports"


def _stylesheet() -> Path:
    return Path(current_app.static_folder) / "css" / "report.css"


@lru_cache(maxsize=4)
def _files_hash(paths: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def renderer_version() -> str:
    import weasyprint
    files = tuple(sorted(str(p) for p in _template_dir().glob("*.html"))) + (str(_stylesheet()),)
    return f"weasyprint {weasyprint.__version__}; templates {_files_hash(files)}"


def _fmt(value) -> str:
    if value is None:
        return "—"
    from flask_babel import format_decimal
    return format_decimal(value, format="0.0")


def chart(snapshot: dict, responsive: bool = False) -> dict | None:
    """The self-versus-peer chart of the sections, with its data table (call inside force_locale)."""
    rows = [{"section": s["title"], "self": s["self_mean"], "peer": s["peer_mean"]} for s in snapshot["sections"]]
    if not any(r["self"] is not None or r["peer"] is not None for r in rows):
        return None
    spec = charts.self_vs_peer(rows, _("Self-assessment and peer review by section"))
    return {"spec": spec, "svg": charts.to_svg(spec, snapshot["locale"], responsive=responsive),
            "rows": [[r["section"], _fmt(r["self"]), _fmt(r["peer"]),
                      _fmt(None if r["self"] is None or r["peer"] is None else r["peer"] - r["self"])]
                     for r in rows]}


def _pct(value) -> str:
    if value is None:
        return "—"
    from flask_babel import format_percent
    return format_percent(value, format="#,##0%")


def _num(value) -> str:
    if value is None:
        return "—"
    from flask_babel import format_decimal
    return format_decimal(value, format="#,##0.##")


def _day(iso: str | None) -> str:
    """An ISO date of the snapshot, written the reader's way (call inside force_locale)."""
    if not iso:
        return "—"
    import datetime as dt

    from flask_babel import format_date
    return format_date(dt.date.fromisoformat(iso[:10]), "long")


def context(snapshot: dict, preview: bool = False) -> dict:
    ctx = {"s": snapshot, "md": render_markdown, "fmt": _fmt, "pct": _pct, "num": _num, "day": _day,
           "chart": None, "charts": {}}
    if snapshot["kind"] == "state_of_safety":
        from .charts import state_of_safety_charts
        ctx["charts"] = state_of_safety_charts(snapshot, responsive=preview)
    else:
        ctx["chart"] = chart(snapshot, responsive=preview)
        if snapshot["kind"] == "cycle":
            from .charts import cycle_charts
            ctx["charts"] = cycle_charts(snapshot, responsive=preview)
    return ctx


def render_html(snapshot: dict, preview: bool = False) -> str:
    """The report as HTML in its own language: the whole document (preview False) or the body the app's
    preview page includes (preview True)."""
    with force_locale(snapshot["locale"]):
        ctx = context(snapshot, preview)
        if preview:
            return render_template(BODIES[snapshot["kind"]], **ctx)
        return render_template(TEMPLATES[snapshot["kind"]], **ctx)


def _pdf_date(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None


_PDF_CACHE: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_PDF_CACHE_SIZE = 8


def render_pdf(snapshot: dict, cache: bool = True) -> bytes:
    """Tagged PDF (PDF/UA-1) bytes; deterministic for a given snapshot, so the last few are kept by the
    snapshot's hash (a draft downloaded twice, or published right after, renders once)."""
    if not cache:
        return _render_pdf(snapshot)
    key = (snapshot_hash(snapshot), renderer_version())
    with _lock:
        if key in _PDF_CACHE:
            _PDF_CACHE.move_to_end(key)
            return _PDF_CACHE[key]
    pdf = _render_pdf(snapshot)
    with _lock:
        _PDF_CACHE[key] = pdf
        while len(_PDF_CACHE) > _PDF_CACHE_SIZE:
            _PDF_CACHE.popitem(last=False)
    return pdf


def _render_pdf(snapshot: dict) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    html = render_html(snapshot)
    fetcher = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=html, base_url=str(_template_dir()), url_fetcher=fetcher).render(
        stylesheets=[CSS(string=_stylesheet().read_text(encoding="utf-8"), url_fetcher=fetcher)])
    document.metadata.created = document.metadata.modified = _pdf_date(snapshot.get("as_of"))
    document.metadata.generator = "Safer Cities peer review workbench"
    identifier = snapshot_hash(snapshot)[:32].encode()
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier)
