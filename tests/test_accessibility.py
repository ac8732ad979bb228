"""An automated accessibility check (axe-core, from its npm package, unpacked by `make`) on
every public page and the dashboard, in a left-to-right language at a desktop's width and a
right-to-left one at a phone's: no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import PUBLIC_PAGES, Visit
from tests.fakes import ROOT

pytestmark = pytest.mark.browser
AXE = ROOT / ".venv" / "axe" / "axe.min.js"
# Run through the DevTools protocol, which the pages' content security policy does not cover:
# the pages themselves still load nothing but their own files.
SERIOUS = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
      return `${v.id} (${v.impact}): ${where}`;
    });
}"""


def violations(page: Page) -> list[str]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` unpacks it into .venv/axe")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(page.evaluate(SERIOUS))


# Left to right on a desktop, right to left on a phone: each direction and each width once,
# which keeps the suite's time in bounds (each check reads the whole page).
@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("ar", 390)])
def test_it_has_no_serious_accessibility_violation(
    visit: Visit, live_server: object, language: str, width: int
) -> None:
    page = visit.page
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in PUBLIC_PAGES:
        page.goto(f"{live_server.url}{path}?lang={language}")  # type: ignore[attr-defined]
        page.wait_for_load_state("load")
        problems = violations(page)
        if problems:
            found[path] = problems
    assert found == {}


def test_it_would_report_a_serious_violation(visit: Visit, live_server: object) -> None:
    """The check can fail: an unlabelled field is one (axe's "label" rule, critical)."""
    page = visit.page
    page.goto(f"{live_server.url}/c/recognize-to-reconcile/")  # type: ignore[attr-defined]
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input>')")
    assert any(problem.startswith("label (critical)") for problem in violations(page))
