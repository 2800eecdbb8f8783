"""The chart specs (peer_review/charts/specs.py): valid Vega-Lite, data inlined, accessible, and drawn to a clean
SVG by vl-convert with the marks and words each chart promises."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
from altair.vegalite.v6.schema import load_schema

from peer_review.charts import render, specs

TREND = [
    {"cycle": "2023", "value": 3.0, "low": 2.5, "high": 3.5, "method_break": False, "status": "Confirmed"},
    {"cycle": "2024", "value": None, "low": None, "high": None, "method_break": False, "status": ""},
    {"cycle": "2025", "value": 4.2, "low": 3.9, "high": 4.6, "method_break": True, "status": "Provisional"},
    {"cycle": "2026", "value": 4.0, "low": 3.0, "high": 5.0, "method_break": False, "status": "Confirmed"},
]
SELF_PEER = [{"section": "Governance", "self": 3, "peer": 2}, {"section": "Public space", "self": 2, "peer": 3.5},
             {"section": "Data", "self": None, "peer": 1}]
INTERVALS = [{"name": "Street lighting", "value": 0.4, "low": 0.3, "high": 0.5},
             {"name": "Night buses", "value": None, "low": None, "high": None}]
PEERS = [{"name": "Alphaville", "group": "Group A", "pc1": 1, "pc2": 2},
         {"name": "Betatown", "group": "Group B", "pc1": -1, "pc2": 0.5},
         {"name": "Gammaport", "group": "Group A", "pc1": 0.2, "pc2": -1}]
COVERAGE = [{"dimension": "Gender", "category": "Women", "count": 12},
            {"dimension": "Gender", "category": "Men", "count": 3},
            {"dimension": "Age group", "category": "Under 18", "count": 0},
            {"dimension": "Age group", "category": "18 to 64", "count": 20}]
DISTRIBUTIONS = [{"indicator": "Lighting", "value": v} for v in (1, 2, 3, 4)] + \
                [{"indicator": "Transit", "value": v} for v in (10, 20, 35)]


def all_specs():
    return {
        "trend": specs.trend(TREND, "Feeling safe at night"),
        "self_vs_peer": specs.self_vs_peer(SELF_PEER, "Self-assessment and peer review"),
        "intervals": specs.intervals(INTERVALS, "Indicators"),
        "distribution": specs.distribution([1, 5, 3, 2, 4.5, 3.3], 3.3, "Your peer group"),
        "peer_map": specs.peer_map(PEERS, "Peer groups"),
        "coverage": specs.coverage(COVERAGE, "Voices heard"),
        "distributions": specs.distributions(DISTRIBUTIONS, "Across the network"),
    }


SPECS = all_specs()
SCHEMA = load_schema()


def inline_values(spec) -> list[dict]:
    """Every inline data row anywhere in the spec."""
    found = []
    if isinstance(spec, dict):
        if isinstance(spec.get("values"), list):
            found.extend(spec["values"])
        for key, value in spec.items():
            if key == "datasets":
                for rows in value.values():
                    found.extend(rows)
            else:
                found.extend(inline_values(value))
    elif isinstance(spec, list):
        for item in spec:
            found.extend(inline_values(item))
    return found


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_is_valid_vega_lite_with_inline_data_and_a_description(name):
    spec = SPECS[name]
    jsonschema.validate(spec, SCHEMA)
    text = json.dumps(spec)
    assert '"url"' not in text and "http" not in text.replace(spec["$schema"], "")
    assert spec["description"].startswith(spec["title"])
    assert inline_values(spec), "data is inlined"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec_renders_to_a_clean_svg_named_by_its_description(name):
    svg = render.to_svg(SPECS[name])
    assert svg.startswith("<svg") and 'class="marks"' in svg
    assert f'aria-label="{SPECS[name]["description"]}"' in svg.replace("&#8211;", "–")
    assert "<script" not in svg and " style=" not in svg and not re.search(r"\son\w+=", svg)
    assert SPECS[name]["title"] in svg


def test_trend_draws_a_dashed_break_rule_and_a_gap_never_a_zero():
    spec = SPECS["trend"]
    missing = [row for row in inline_values(spec) if row["cycle"] == "2024"]
    assert missing and missing[0]["value"] is None and missing[0]["value"] != 0
    breaks = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule" and "strokeDash" in layer["mark"]]
    assert breaks and breaks[0]["transform"] == [{"filter": "datum.method_break"}]
    svg = render.to_svg(spec)
    assert "Method changed" in svg and "No value" in svg
    assert 'stroke-dasharray="6,4"' in svg
    # Without a break there is no break rule drawn, nor its label.
    calm = specs.trend([dict(p, method_break=False) for p in TREND], "Calm")
    assert "Method changed" not in render.to_svg(calm)


def test_distribution_names_no_city_and_is_not_a_ranking():
    spec = specs.distribution([5, 1, 3], 3, "Peer group")
    rows = inline_values(spec)
    assert all(set(row) <= {"value", "label"} for row in rows)
    assert [row["value"] for row in spec["layer"][0]["data"]["values"]] == [1, 3, 5]  # data order cannot be matched to a list of cities
    svg = render.to_svg(spec)
    assert "Your city" in svg
    for name in ("Alphaville", "Betatown", "Gammaport"):
        assert name not in json.dumps(spec) and name not in svg
    assert "rank" not in json.dumps(spec).lower()


def test_intervals_label_rows_without_enough_evidence_and_draw_no_dot():
    spec = SPECS["intervals"]
    row = next(r for r in inline_values(spec) if r["name"] == "Night buses")
    assert row["missing"] is True and row["value"] is None
    svg = render.to_svg(spec)
    assert "Not enough evidence" in svg
    assert svg.count('aria-roledescription="point"') <= 1 or "Night buses" not in re.findall(
        r'aria-label="([^"]*)"', svg)[-1]


def test_self_vs_peer_shows_both_scores_with_shapes_and_the_gap():
    svg = render.to_svg(SPECS["self_vs_peer"])
    assert "Self-assessment" in svg and "Peer review" in svg
    assert "+1.5" in svg and "-1.0" in svg
    shapes = SPECS["self_vs_peer"]["layer"][2]["encoding"]["shape"]["scale"]["range"]
    assert shapes == ["circle", "square"]


def test_coverage_marks_thin_and_absent_in_words():
    svg = render.to_svg(SPECS["coverage"])
    assert "3 – Thin" in svg and "0 – Absent" in svg


def test_peer_map_colours_and_shapes_by_group_and_names_cities():
    spec = SPECS["peer_map"]
    encoding = spec["layer"][0]["encoding"]
    assert encoding["color"]["field"] == encoding["shape"]["field"] == "group"
    assert "Alphaville" in render.to_svg(spec)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", specs.PALETTE + [specs.GREY, specs.RED])
def test_palette_has_at_least_3_to_1_contrast_on_white(colour):
    assert (1.05) / (_luminance(colour) + 0.05) >= 3


def test_sanitiser_strips_scripts_handlers_links_and_styles():
    dirty = ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
             '<a href="javascript:alert(3)"><text>x</text></a><rect style="fill: red; behavior: url(x)" '
             'fill-opacity="url(http://evil)"/><foreignObject><div/></foreignObject></svg>')
    clean = render.sanitise_svg(dirty, "A chart")
    assert "alert" not in clean and "script" not in clean and "foreignObject" not in clean
    assert "style=" not in clean and "evil" not in clean and 'fill="red"' in clean
    assert 'aria-label="A chart"' in clean and 'role="img"' in clean


def test_renders_are_cached_by_spec_and_locale():
    render.clear_cache()
    first = render.to_svg(SPECS["intervals"], "fr")
    assert render.to_svg(SPECS["intervals"], "fr") is first
    assert "0,4" in first or "0,3" in first  # French decimal commas on the axis
