"""A municipality's statistics page in real Chromium: its charts are drawn (uPlot under the
product's CSP) with no script error and no CSP violation, it passes axe, and every table in it
holds exactly what the page's CSV download holds."""

import pytest
from playwright.sync_api import Page, expect

from tests.security.conftest import AdminFactory
from tests.support.axe import assert_accessible
from tests.support.personas import World
from tests.support.statistics import sections, seed

from .conftest import NewPerson

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before the page's own scripts (through DevTools, outside the page's CSP).
WATCH_CSP = """window.klViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.klViolations.push(`${e.violatedDirective} ${e.blockedURI}`));"""

READ_TABLES = """() => Object.fromEntries([...document.querySelectorAll("section.stats")].map(
  (s) => [s.querySelector("h2").textContent.trim(),
          [...s.querySelectorAll("table.figures tr")].map(
            (tr) => [...tr.children].map((cell) => cell.textContent.trim()))]))"""


def test_municipality_page_charts_and_csv(world: World, person: NewPerson) -> None:
    seeded = seed(world)
    admin = AdminFactory(username="kbhadmin", municipality=seeded.kbh)
    someone = person()
    console_errors: list[str] = []
    someone.page.on(
        "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
    )
    someone.context.add_init_script(WATCH_CSP)
    someone.sign_in(admin)
    page: Page = someone.page

    page.get_by_role("link", name="Statistik").click()
    expect(page.get_by_role("heading", name="Statistik: Københavns Kommune")).to_be_visible()
    page.get_by_label("Fra måned").fill("2025-01")
    page.get_by_label("Til måned").fill("2025-03")
    page.get_by_role("button", name="Vis").click()
    expect(page.get_by_text("Periode: 2025-01 til 2025-03.")).to_be_visible()

    # A chart above each of the six tables with months, weekdays and hours (kinds, outcomes,
    # continued by phone, waiting time and duration per month, weekdays, hours).
    expect(page.locator(".chart canvas")).to_have_count(6)

    csv_url = page.get_by_role("link", name="Hent som CSV (til Excel)").get_attribute("href")
    assert csv_url
    download = page.request.get(page.url.split("?")[0] + csv_url)
    assert download.ok
    tables = page.evaluate(READ_TABLES)
    assert tables["Konsultationer pr. måned efter type"][-1] == [
        "I alt", "4", "1", "1", "1", "1", "8"
    ]  # fmt: skip
    assert tables == sections(download.text())

    assert page.evaluate("window.klViolations") == []
    assert console_errors == []
    assert_accessible(page)
