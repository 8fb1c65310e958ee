"""A live Daphne server (HTTP + sockets) on the per-run test database and Debian chromium with
fake camera and microphone, for the device check and connection test pages."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import chromium

# Two shared cores: a slow page is not a failure.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def check_server(live_url: str) -> str:
    return live_url


@pytest.fixture(scope="package")
def check_browser(check_server: str) -> Iterator[Browser]:
    # Launched after the fork, so the server process holds no browser state.
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_page(
    check_browser: Browser, check_server: str, transactional_db: None
) -> Iterator[Callable[[], Page]]:
    """Factory for a fresh browser context; a script error in any page fails the test."""
    contexts = []
    errors: list[str] = []

    def new_page() -> Page:
        context = check_browser.new_context(locale="da-DK", base_url=check_server)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert errors == []
