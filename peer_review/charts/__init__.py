"""Charts from one definition each: Vega-Lite specs (specs.py), rendered to SVG on the server (render.py) and
enhanced in the browser by static/js/charts.js; templates/charts/macros.html puts them in pages."""
from .render import to_png, to_svg
from .specs import coverage, distribution, distributions, intervals, peer_map, self_vs_peer, trend

__all__ = ["coverage", "distribution", "distributions", "intervals", "peer_map", "self_vs_peer", "to_png", "to_svg",
           "trend"]
