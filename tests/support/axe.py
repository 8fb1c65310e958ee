"""axe-core (bundled by axe-playwright-python) in a real page, under the product's own CSP.

The script is evaluated through the DevTools protocol (Playwright's `page.evaluate`), which the
page's Content-Security-Policy does not govern; `page.add_script_tag` would put an inline
<script> into the page, which `script-src 'self'` rightly refuses. The browser context keeps
its CSP (no `bypass_csp`): `assert_accessible` checks that an inline script is still refused
in the page it has just audited."""

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FATAL = {"serious", "critical"}

_axe = Axe()

# True when an inline script runs in the page: the product's CSP forbids that.
_INLINE_SCRIPT_RUNS = """() => {
  const s = document.createElement("script");
  s.textContent = "window.klInlineScriptRan = true;";
  document.head.appendChild(s);
  s.remove();
  return window.klInlineScriptRan === true;
}"""


def _describe(violation: dict[str, Any]) -> str:
    targets = "; ".join(
        " ".join(map(str, node.get("target", []))) + f" ({node.get('failureSummary', '')!r})"
        for node in violation["nodes"]
    )
    return f"{violation['id']} [{violation['impact']}] {violation['help']}: {targets}"


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe finds in the page as it is now."""
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    results = _axe.run(page, options=options)
    assert not page.evaluate(_INLINE_SCRIPT_RUNS), "the page runs without its CSP"
    return list(results.response["violations"])


def assert_accessible(page: Page, allowed_moderate: dict[str, str] | None = None) -> None:
    """No serious or critical violation at all; a moderate (or minor) one only when the caller
    lists its rule id with the reason it is accepted."""
    allowed = allowed_moderate or {}
    for rule, reason in allowed.items():
        assert reason.strip(), f"an allowed rule needs its reason: {rule}"
    problems = [
        _describe(v) for v in axe_violations(page) if v["impact"] in FATAL or v["id"] not in allowed
    ]
    assert not problems, f"axe in {page.url}:\n" + "\n".join(problems)
