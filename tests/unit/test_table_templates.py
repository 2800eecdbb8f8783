"""Every table in the templates sits in its own scroll region, keyboard-focusable and labelled (WCAG 2.1.1 and
4.1.2 for scrollable regions), so that a wide table scrolls there instead of squeezing its words to letters."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# The label is the table's caption, a Jinja expression (which may hold quotes of its own).
REGION = re.compile(r'<div class="pr-table-scroll" role="region" aria-label="\{\{ .+ \}\}" tabindex="0">\s*$')


def test_every_table_is_in_a_focusable_labelled_scroll_region():
    tables, unwrapped = 0, []
    for path in sorted(TEMPLATES.rglob("*.html")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            if "<table" not in line:
                continue
            tables += 1
            before = next((lines[i] for i in range(n - 1, -1, -1) if lines[i].strip()), "")
            closes = next((i for i in range(n + 1, len(lines)) if "</table>" in lines[i]), len(lines) - 1)
            closed_by_div = closes + 1 < len(lines) and lines[closes + 1].strip() == "</div>"
            if not REGION.search(before) or not closed_by_div:
                unwrapped.append(f"{path.relative_to(TEMPLATES)}:{n + 1}")
    assert tables >= 15
    assert unwrapped == [], f"tables outside a pr-table-scroll region: {unwrapped}"
