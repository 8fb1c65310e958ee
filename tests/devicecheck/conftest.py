"""A live Daphne server (HTTP + sockets) on the per-run test database and Debian chromium with
fake camera and microphone, for the device check and connection test pages."""

import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kontaktlaege.accounts.models import User
from tests import live

# Two shared cores: a slow page is not a failure.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def check_server(django_db_setup: None, django_db_blocker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Daphne in a forked process serving the real ASGI application on a free loopback port;
    the SQLite test database is a file, so it sees what the tests write."""
    server = DaphneProcess(
        "127.0.0.1",
        partial(make_application, static_wrapper=None),
        setup=set_database_connection,
    )
    # Forked while the database is unblocked, so the server may use it.
    with django_db_blocker.unblock():
        connections.close_all()  # the forked server must not share our SQLite handles
        server.start()
    if not server.ready.wait(timeout=30):
        server.terminate()
        raise RuntimeError("Daphne did not start")
    yield f"http://127.0.0.1:{server.port.value}"
    server.terminate()
    server.join(timeout=10)


@pytest.fixture(scope="package")
def check_browser(check_server: str) -> Iterator[Browser]:
    # Launched after the fork, so the server process holds no browser state.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=live.CHROMIUM_ARGS)
        yield browser
        browser.close()


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


def sign_in(page: Page, user: User) -> None:
    live.sign_in(page, user)


def wait_until(page: Page, script: str, arg: Any = None, timeout: float = 15) -> Any:
    """Evaluate `script` until it returns something truthy (page.wait_for_function would
    evaluate a string, which the product's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {script}")
        page.wait_for_timeout(100)
