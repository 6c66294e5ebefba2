"""WCAG 2.1 AA checks: axe-core (from npm, installed by ``make test`` into ``.venv/axe``) injected
into a Playwright page."""
from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent.parent / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page, tags: list[str] = TAGS) -> list[str]:
    """What axe-core finds on the page as it is now, one line per rule and element (``tags``: the
    rules of WCAG 2.1 A and AA by default; the crawl adds axe's best practices)."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} not found: run 'make test', which installs axe-core from npm")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())  # evaluated by the browser's debugger: the page's CSP does not apply
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
                          ".then(r => r.violations.map(v => [v.id, v.help, v.nodes.map(n => n.target.join(' '))]))",
                          tags)
    return [f"{rule} ({help}): {target}" for rule, help, targets in found for target in targets]
