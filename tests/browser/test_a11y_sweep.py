"""Every page of the app in headless Chromium, as each role and in each language: axe-core finds no serious or
critical violation, the page does not scroll sideways at 390 px, and its first load needs at most 500 KB of assets.

The pages are every GET route of ``app.url_map`` (not the API, nor files and fragments), built from the world of
the route-by-role walk (tests/app/test_permissions_walk.py and its walk_* hooks), so a new page is swept as soon
as the walk knows it. English: every page as every role that may open it. Spanish and French: every page once,
as the first role that may open it. The counts go to screenshots/a11y-report.txt; screenshots of the main pages
at 1280 and 390 px go to screenshots/<lang>/.

A11Y_ONLY=indicators.,reports.cycle (endpoint prefixes, comma-separated) sweeps only those pages, to recheck a fix
quickly; the full sweep is the one that counts.
"""
from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from flask import url_for
from playwright.sync_api import Error as PlaywrightError

from tests.app.test_permissions_walk import world  # noqa: F401  (the fixture)
from tests.browser.a11y import axe_source, run_axe
from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROLES = ["anonymous", "member", "other_coordinator", "facilitator", "secretariat"]
# Spanish and French: the first of these that may open a page opens it.
OTHER_LANGUAGE_ROLES = ["secretariat", "member", "other_coordinator", "facilitator", "anonymous"]
PASSWORD = "sweep-password-1234"
FAILING = ("serious", "critical")
IMPACTS = ("critical", "serious", "moderate", "minor")
ASSET_BUDGET = 500 * 1024
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MAIN_PAGES = {  # screenshots in every language: endpoint -> the role that shows it
    "auth.login": "anonymous", "main.home": "member", "cycles.show": "secretariat", "cycles.board": "secretariat",
    "assessments.overview": "member", "assessments.section": "member", "reviews.section": "other_coordinator",
    "reviews.response": "member", "evidence.index": "member", "evidence.show": "member",
    "coding.cycle_hub": "facilitator", "indicators.city": "member",
}
NOT_PAGES = ("api.", "static")
ONLY = tuple(p.strip() for p in os.environ.get("A11Y_ONLY", "").split(",") if p.strip())

# The page's own width beyond the viewport, and the widest elements that stick out (outside scroll regions).
OVERFLOW = """() => {
    const width = window.innerWidth;
    const over = document.documentElement.scrollWidth - width;
    if (over <= 1) return null;
    const culprits = [];
    for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.right <= width + 1 || box.width === 0) continue;
        let parent = el.parentElement, clipped = false;
        while (parent && parent !== document.body) {
            const style = getComputedStyle(parent);
            if (style.overflowX !== "visible" && parent.getBoundingClientRect().right <= width + 1) { clipped = true; break; }
            parent = parent.parentElement;
        }
        if (clipped) continue;
        const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
            (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
        culprits.push(name + " (" + Math.round(box.right) + "px)");
    }
    return {over: over, culprits: culprits.slice(-4)};
}"""

# Bytes of the assets the page loaded (styles, scripts, fonts, images; not the document nor htmx requests), as
# sent over the wire (the browser's cache is off, so each page is a first load).
ASSET_BYTES = """() => performance.getEntriesByType("resource")
    .filter(e => !["xmlhttprequest", "fetch", "beacon"].includes(e.initiatorType))
    .map(e => [e.name, e.encodedBodySize || e.transferSize])"""


def _pages(app, params) -> list[tuple[str, str]]:
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods or rule.endpoint.startswith(NOT_PAGES):
            continue
        if ONLY and not rule.endpoint.startswith(ONLY):
            continue
        pages.append((rule.endpoint, url_for(rule.endpoint, **{name: params[name] for name in rule.arguments})))
    return pages


def _sign_in(browser, base: str, user, lang: str):
    context = browser.new_context(viewport=DESKTOP, locale=lang, extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if user is not None:
        page.goto(base + "/login")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.locator("main form [type=submit]").click()
        page.wait_for_load_state("domcontentloaded")
        assert "/login" not in page.url, f"{user.email} could not sign in"
    return context, page


def _visit(page, url: str):
    """The page's response, or None when it is not a whole HTML page (a file, a fragment, a redirect away)."""
    try:
        response = page.goto(url, wait_until="load")
    except PlaywrightError as exc:
        if "Download is starting" in str(exc):
            return None  # a file
        raise
    if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
        return None
    if page.url.split("?")[0] != url.split("?")[0]:
        return None  # redirected: swept where it landed
    if not page.evaluate("() => !!document.querySelector('main')"):
        return None  # an htmx fragment, swept inside its page
    if page.evaluate("() => !!document.querySelector('[hx-trigger*=load], [hx-trigger*=every]')"):
        try:
            page.wait_for_load_state("networkidle", timeout=5_000)
        except Exception:  # noqa: BLE001  (a polling page never idles: check it as it is)
            pass
    return response


def test_every_page_as_every_role_in_each_language(app, browser, live_server, world):  # noqa: F811
    from peer_review.extensions import db
    source = axe_source()
    started = time.monotonic()
    users = world["users"]
    for user in users.values():
        user.set_password(PASSWORD)
    db.session.commit()
    with app.test_request_context():
        pages = _pages(app, world["params"])
    local = [(endpoint, url.replace("http://localhost", "", 1)) for endpoint, url in pages]

    rows, axe_failures, overflow, heavy, heaviest, seen = [], [], [], [], [], {}
    plan = [("en", role, None) for role in ROLES]
    plan += [(lang, role, "once") for lang in ("es", "fr") for role in OTHER_LANGUAGE_ROLES]
    opened: dict[str, set[str]] = {"es": set(), "fr": set()}
    for lang, role, once in plan:
        user = users.get(role)
        if user is not None:
            user.locale = lang
            db.session.commit()
        context, page = _sign_in(browser, live_server, user, lang)
        try:
            for endpoint, path in local:
                if once and (endpoint in opened[lang] or endpoint not in seen):
                    continue  # Spanish and French: the pages English found, once each
                if once and role not in seen[endpoint]:
                    continue
                if _visit(page, live_server + path) is None:
                    continue
                seen.setdefault(endpoint, set()).add(role)
                if once:
                    opened[lang].add(endpoint)
                violations = run_axe(page, source)
                counts = Counter(v["impact"] for v in violations)
                rows.append((endpoint, role, lang, counts, violations))
                for v in violations:
                    if v["impact"] in FAILING:
                        axe_failures.append(f"{lang} {role} {path} [{v['impact']}] {v['id']}: {v['help']} "
                                            f"({v['nodes']} nodes: {', '.join(v['targets'])}) {v['summary']}")
                if lang == "en":
                    weight = page.evaluate(ASSET_BYTES)
                    total = sum(size for _name, size in weight)
                    heaviest.append((total, f"{path} as {role}"))
                    if total > ASSET_BUDGET:
                        heavy.append(f"{path} as {role}: {total / 1024:.0f} KB "
                                     f"({', '.join(n.rsplit('/', 1)[-1].split('?')[0] for n, _s in weight)})")
                    page.set_viewport_size(PHONE)
                    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                    wide = page.evaluate(OVERFLOW)
                    if wide:
                        overflow.append(f"{path} as {role}: {wide['over']}px too wide: {', '.join(wide['culprits'])}")
                    if MAIN_PAGES.get(endpoint) == role:
                        _screenshots(page, lang, endpoint)
                    else:
                        page.set_viewport_size(DESKTOP)
                elif MAIN_PAGES.get(endpoint) == role or (MAIN_PAGES.get(endpoint) and once):
                    _screenshots(page, lang, endpoint)
        finally:
            context.close()
    if users:
        for user in users.values():
            user.locale = "en"
        db.session.commit()
    elapsed = time.monotonic() - started
    report = _report(rows, elapsed)
    if heaviest:
        most = max(heaviest)
        report += f"\n\nlargest first load: {most[0] / 1024:.0f} KB of assets as sent ({most[1]})"
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "a11y-report.txt").write_text(report + "\n", encoding="utf-8")
    print("\n" + report)

    unseen = sorted({endpoint for endpoint, _ in local} - set(seen))
    assert ONLY or len(seen) >= 80, f"too few pages swept ({len(seen)}): is the walk's world still built?"
    problems = []
    if axe_failures:
        problems.append(f"axe-core: {len(axe_failures)} serious or critical violations:\n  " + "\n  ".join(axe_failures))
    if overflow:
        problems.append(f"pages wider than a 390 px phone ({len(overflow)}):\n  " + "\n  ".join(overflow))
    if heavy:
        problems.append(f"pages over {ASSET_BUDGET // 1024} KB of assets ({len(heavy)}):\n  " + "\n  ".join(heavy))
    if problems:
        pytest.fail("\n\n".join(problems) + f"\n\n(not whole pages, not swept: {', '.join(unseen)})", pytrace=False)


def _screenshots(page, lang: str, endpoint: str) -> None:
    folder = SCREENSHOTS / lang
    folder.mkdir(parents=True, exist_ok=True)
    name = endpoint.replace(".", "-")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(folder / f"{name}-1280.png"), full_page=True)


def _report(rows, elapsed: float) -> str:
    width = max([len(r[0]) for r in rows] + [4])
    lines = [f"axe-core sweep: {len(rows)} page views in {elapsed:.0f} s (violations by impact; fails on "
             f"serious or critical)", "",
             f"{'page':<{width}}  {'role':<17} lang  " + "  ".join(f"{i:>8}" for i in IMPACTS) + "  rules"]
    for endpoint, role, lang, counts, violations in rows:
        rules = ",".join(sorted({v["id"] for v in violations}))
        lines.append(f"{endpoint:<{width}}  {role:<17} {lang:<4}  " + "  ".join(f"{counts.get(i, 0):>8}" for i in IMPACTS)
                     + f"  {rules}")
    total = Counter()
    for row in rows:
        total.update(row[3])
    lines += ["", "total: " + ", ".join(f"{i} {total.get(i, 0)}" for i in IMPACTS)]
    # Where each rule hit, once per page and rule (the first nodes), so a moderate one can be found without a rerun.
    where = {}
    for endpoint, _role, _lang, _counts, violations in rows:
        for v in violations:
            where.setdefault((v["id"], endpoint), f"{v['id']} [{v['impact']}] {endpoint}: {', '.join(v['targets'])}")
    if where:
        lines += ["", "where:"] + ["  " + where[key] for key in sorted(where)]
    return "\n".join(lines)
