"""The connection-test page fits a phone: nothing wider than the screen at 390 × 844."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def phone_browser(live_url: str) -> Iterator[Browser]:
    # Per module: Playwright's sync API keeps an event loop in this thread while it runs.
    with chromium() as browser:
        yield browser


def test_connection_test_fits_a_phone_screen(phone_browser: Browser, live_url: str) -> None:
    context = phone_browser.new_context(
        locale="da-DK", viewport={"width": 390, "height": 844}, base_url=live_url
    )
    try:
        page = context.new_page()
        page.goto("/forbindelsestest/")
        expect(page.locator("#summary")).not_to_be_empty(timeout=30_000)  # results written
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px screen"
        # Each check's result is still on screen.
        for cell in page.locator("table.checks td.result").all():
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    finally:
        context.close()
