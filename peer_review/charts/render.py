"""Server-side rendering of the chart specs with vl-convert (Vega-Lite and Vega run in an embedded engine).

The SVG is inlined in pages (shown with JavaScript off, and in PDF reports). vl-convert emits only <svg>, <g>,
<path>, <rect>, <line>, <text> and the like from our own specs, but the output is still cleaned defensively: no
<script> or <foreignObject>, no on* attributes, no links, and no style attributes either (the
Content-Security-Policy's style-src 'self' would block them): declarations are moved to the equivalent SVG
presentation attributes. Results are cached by the spec's hash.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from threading import Lock
from typing import Any

import vl_convert
from lxml import etree

_CACHE_SIZE = 256
_cache: "OrderedDict[tuple, Any]" = OrderedDict()
_lock = Lock()

# d3-format locales for numbers on axes, keyed by the app's languages.
FORMAT_LOCALES = {"en": "en-GB", "es": "es-ES", "fr": "fr-FR"}

SVG_NS = "http://www.w3.org/2000/svg"
_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "a", "use", "image", "style",
                   "animate", "set", "animateTransform", "animateMotion", "handler", "listener"}
# CSS properties that are also SVG presentation attributes (the ones Vega writes in style="").
_PRESENTATION = {"fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray",
                 "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "opacity",
                 "font-family", "font-size", "font-style", "font-weight", "text-anchor", "dominant-baseline",
                 "shape-rendering", "text-decoration", "letter-spacing", "visibility", "display", "clip-path",
                 "mix-blend-mode", "paint-order", "pointer-events", "cursor"}
_UNSAFE_VALUE = re.compile(r"url\s*\(\s*['\"]?\s*(?!#)|expression\s*\(|javascript:", re.I)
# Vega's own ARIA on mark groups and marks (role="graphics-symbol", aria-label, aria-roledescription, ...): an
# empty group (a layer with no data) keeps its image role but has no name, which screen readers announce as an
# unlabelled image. The chart is one image, named by the spec's description, with the data table under it as the
# text alternative: inner roles and labels are dropped and the drawing is hidden from assistive technology.
_INNER_ARIA = {"role", "aria-label", "aria-labelledby", "aria-describedby", "aria-roledescription", "aria-hidden",
               "aria-description", "tabindex"}


def spec_key(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _cached(kind: str, spec: dict, locale: str | None, make):
    key = (kind, spec_key(spec), locale)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = make()
    with _lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def sanitise_svg(svg: str, label: str | None = None, responsive: bool = False) -> str:
    """The SVG without scripts, event handlers, links, external references or style attributes; label (the
    spec's description) becomes its accessible name: the svg is one image (role="img"), its drawing hidden from
    assistive technology and stripped of Vega's inner roles and labels (see _INNER_ARIA); without a label the whole
    svg is hidden (the data table beside it is the alternative)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True,
                             huge_tree=False)
    root = etree.fromstring(svg.encode(), parser)
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG document")
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if el is not root:
            for name in list(el.attrib):
                if _local(name).lower() in _INNER_ARIA:
                    del el.attrib[name]
        if _local(el.tag) in _FORBIDDEN_TAGS:
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
            continue
        for name in list(el.attrib):
            local = _local(name).lower()
            value = el.attrib[name]
            if local.startswith("on") or local == "href" or (local != "style" and _UNSAFE_VALUE.search(value)):
                del el.attrib[name]
            elif local == "style":
                del el.attrib[name]
                for declaration in value.split(";"):
                    prop, _, val = declaration.partition(":")
                    prop, val = prop.strip().lower(), val.strip()
                    if prop in _PRESENTATION and val and not _UNSAFE_VALUE.search(val) and prop not in el.attrib:
                        el.set(prop, val)
    for name in list(root.attrib):
        if _local(name).lower() in _INNER_ARIA:
            del root.attrib[name]
    for child in root:
        if isinstance(child.tag, str) and _local(child.tag) != "title":
            child.set("aria-hidden", "true")
    if label:
        root.set("role", "img")
        root.set("aria-label", label)
    else:
        root.set("aria-hidden", "true")  # no name to give: the data table under it is the alternative
    root.set("focusable", "false")
    if responsive and root.get("viewBox"):
        # Scales to its column (height from the viewBox's ratio): a phone shows the whole chart, not a slice.
        root.set("data-width", root.get("width", ""))
        root.set("width", "100%")
        root.attrib.pop("height", None)
    return etree.tostring(root, encoding="unicode")


def _title(spec: dict) -> str | None:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(part) for part in title)
    return title or None


def to_svg(spec: dict, locale: str | None = None, responsive: bool = True) -> str:
    """The chart as a clean, inlinable SVG string. locale: the app's language code (en, es, fr). responsive:
    width 100% of its container (pages); False keeps the fixed pixel size (PDF reports)."""
    def make() -> str:
        raw = vl_convert.vegalite_to_svg(spec, format_locale=FORMAT_LOCALES.get(locale or "en", "en-GB"),
                                         allowed_base_urls=[])
        return sanitise_svg(raw, spec.get("description") or _title(spec), responsive)
    return _cached("svg", spec, f"{locale}:{responsive}", make)


def to_png(spec: dict, locale: str | None = None, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (for PDF reports that cannot take SVG)."""
    return _cached("png", spec, f"{locale}:{scale}", lambda: vl_convert.vegalite_to_png(
        spec, scale=scale, format_locale=FORMAT_LOCALES.get(locale or "en", "en-GB"), allowed_base_urls=[]))


def clear_cache() -> None:
    with _lock:
        _cache.clear()
