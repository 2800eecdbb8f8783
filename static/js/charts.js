// Progressive enhancement of the charts from templates/charts/macros.html: each <figure data-chart-spec> already
// shows the SVG rendered on the server; this redraws it from the same Vega-Lite spec (its JSON data block) with
// vega-embed, for tooltips. Vega's expression interpreter replaces code generation (no eval, so the
// Content-Security-Policy needs no 'unsafe-eval'), and the default stylesheets are off (no <style> elements; the
// tooltip's styles come from static/vendor/vega/vega-tooltip.css). If anything fails, the server SVG stays.
(function () {
  "use strict";

  // d3-format locales for the app's languages (the same ones peer_review/charts/render.py gives vl-convert).
  var FORMAT_LOCALES = {
    en: { decimal: ".", thousands: ",", grouping: [3], currency: ["£", ""] },
    es: { decimal: ",", thousands: ".", grouping: [3], currency: ["", "\u00a0€"] },
    fr: { decimal: ",", thousands: "\u00a0", grouping: [3], currency: ["", "\u00a0€"], percent: "\u202f%" }
  };

  // The chart is one image named by the spec's description (the data table under it is the text alternative),
  // as the server SVG is (peer_review/charts/render.py): Vega's inner mark groups are hidden from assistive
  // technology, and a group left without a name (an empty layer keeps role="graphics-symbol") loses its role.
  function describe(svg, spec) {
    var title = spec.title && typeof spec.title === "object" && !Array.isArray(spec.title) ? spec.title.text : spec.title;
    var label = spec.description || (Array.isArray(title) ? title.join(" ") : title);
    if (label) {
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", label);
      svg.removeAttribute("aria-hidden");
    } else {
      svg.setAttribute("aria-hidden", "true");
    }
    svg.setAttribute("focusable", "false");
    for (var i = 0; i < svg.children.length; i++) {
      if (svg.children[i].tagName.toLowerCase() !== "title") svg.children[i].setAttribute("aria-hidden", "true");
    }
    var named = svg.querySelectorAll("[role]");
    for (var j = 0; j < named.length; j++) {
      var el = named[j];
      if (!el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) el.removeAttribute("role");
    }
  }

  function enhance(figure) {
    var block = document.getElementById(figure.getAttribute("data-chart-spec"));
    var canvas = figure.querySelector(".pr-chart__canvas");
    if (!block || !canvas) return;
    var spec;
    try {
      spec = JSON.parse(block.tagName === "TEMPLATE" ? block.content.textContent : block.textContent);
    } catch (error) {
      return;
    }
    // The server SVG scales to its column; vega-embed draws at the spec's pixel size (its pointer maths needs
    // that), so a column much narrower than the chart (a phone) keeps the scaled static chart instead.
    var still = canvas.querySelector("svg");
    var natural = still ? parseFloat(still.getAttribute("data-width")) : NaN;
    if (natural && canvas.clientWidth < natural * 0.9) {
      figure.setAttribute("data-chart-enhanced", "static");
      return;
    }
    var lang = (document.documentElement.lang || "en").slice(0, 2);
    var target = document.createElement("div");
    target.className = "pr-chart__interactive";
    window.vegaEmbed(target, spec, {
      ast: true,
      expr: window.vega.expressionInterpreter,
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      formatLocale: FORMAT_LOCALES[lang] || FORMAT_LOCALES.en,
      tooltip: { disableDefaultStyle: true, theme: "light" }
    }).then(function (result) {
      var svg = target.querySelector("svg");
      if (svg) describe(svg, spec);
      canvas.replaceChildren(target);
      figure.setAttribute("data-chart-enhanced", "true");
      return result;
    }).catch(function (error) {
      figure.setAttribute("data-chart-enhanced", "failed");
      if (window.console) window.console.error("chart " + figure.id + ": " + error);
    });
  }

  function start() {
    if (!window.vegaEmbed || !window.vega || !window.vega.expressionInterpreter) return;
    var figures = document.querySelectorAll("figure[data-chart-spec]");
    for (var i = 0; i < figures.length; i++) enhance(figures[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // Charts that htmx brings in after the page (the dashboards load theirs after the tables): each settle
  // enhances the figures not handled yet.
  document.addEventListener("htmx:afterSettle", function () {
    if (!window.vegaEmbed || !window.vega || !window.vega.expressionInterpreter) return;
    var figures = document.querySelectorAll("figure[data-chart-spec]:not([data-chart-enhanced])");
    for (var i = 0; i < figures.length; i++) {
      figures[i].setAttribute("data-chart-enhanced", "pending");
      enhance(figures[i]);
    }
  });
})();
