"""Benchmark: seconds from the click on "Suggest codes" to the first suggestions on the page (target < 3 s).

Runs against a live demo server (`make demo`, or `flask demo-data` + `flask run`) in Debian's headless
Chromium: signs in as the demo facilitator, opens a cycle's coding page, clicks "Suggest codes" (all items)
and waits for the "N suggestions so far" line or the finished job. Prints one line per run.

Run: .venv/bin/python bench/bench_nlp_first_result.py [BASE_URL] [RUNS] [PAUSE]
(defaults http://127.0.0.1:5000, 1 run, PAUSE 3: the seconds the facilitator spends on the coding page before
clicking, as a person reading it would; 0 clicks at once). The server loads the language pipelines in the
background from its first request, so PAUSE 0 right after a restart also times that loading. On a demo network
whose items already have pending suggestions, later runs find nothing new to show early (shown as "?").
"""
import re
import sys
import time

from playwright.sync_api import sync_playwright

EMAIL, PASSWORD = "facilitator@demo.safercities.example", "demo-safer-cities"


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page()
        page.goto(base + "/login")
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("domcontentloaded")
        page.goto(base + "/coding/cycles/1/")
        for run in range(runs):
            page.locator("#scope-all").check(force=True)
            time.sleep(pause)
            start = time.perf_counter()
            page.locator("form[action$=\"/suggest\"] button").click()
            page.locator(".pr-job").first.locator("[data-first-results], a[href*='/suggestions']").first.wait_for(timeout=60_000)
            first = time.perf_counter() - start
            text = page.locator(".pr-job").first.inner_text()
            n = re.search(r"\d+ [^.]*", page.locator("[data-first-results]").first.inner_text()) if page.locator("[data-first-results]").count() else None
            print(f"run {run + 1}: first suggestions on the page {first:.2f} s after the click "
                  f"({n.group(0) if n else '?'}; {pause:g} s on the page before the click)")
            page.goto(base + f"/coding/cycles/1/")
        browser.close()


if __name__ == "__main__":
    main()
