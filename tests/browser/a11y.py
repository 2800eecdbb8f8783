"""axe-core for the browser tests: installed from the npm registry at test time (``make a11y-deps``, or here
when missing) into the git-ignored ``.cache/axe``, and evaluated in the page.

``page.add_script_tag(path=...)`` inlines the file's text in a <script> element, which the app's
Content-Security-Policy (``script-src 'self'``, no inline scripts) blocks: axe is evaluated through
``page.evaluate`` instead, which runs in the page through the DevTools protocol and is not subject to CSP.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE_VERSION = "4.14.1"
AXE_FOLDER = ROOT / ".cache" / "axe"
AXE_FILE = AXE_FOLDER / "node_modules" / "axe-core" / "axe.min.js"


def installed_version() -> str | None:
    manifest = AXE_FILE.parent / "package.json"
    if not AXE_FILE.is_file() or not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("version")


def install_axe() -> None:
    """The same command as ``make a11y-deps``."""
    subprocess.run(["npm", "install", "--prefix", str(AXE_FOLDER), "--no-audit", "--no-fund", "--no-package-lock",
                    "--save-exact", f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, text=True,
                   timeout=180)


def axe_source() -> str:
    """axe-core's text, installing it when missing; skips (with the reason) when npm or the registry is not
    there."""
    if installed_version() != AXE_VERSION:
        if shutil.which("npm") is None:
            pytest.skip(f"axe-core {AXE_VERSION} is not in {AXE_FOLDER} and npm is not installed (make a11y-deps)")
        try:
            install_axe()
        except (subprocess.SubprocessError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            pytest.skip(f"could not install axe-core {AXE_VERSION} from the npm registry: {detail.strip()[:300]}")
    if installed_version() != AXE_VERSION:
        pytest.skip(f"npm did not install axe-core {AXE_VERSION} into {AXE_FOLDER}")
    return AXE_FILE.read_text(encoding="utf-8")


RUN_AXE = """async () => {
    const result = await window.axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
        targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
        summary: (v.nodes[0] && v.nodes[0].failureSummary || "").split("\\n").slice(0, 3).join(" ")}));
}"""


def run_axe(page, source: str) -> list[dict]:
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(source)
    return page.evaluate(RUN_AXE)
