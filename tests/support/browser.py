"""Debian's Chromium through Playwright, with a fake camera and microphone. Imports nothing
of Django: bench/ uses it too."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    """The browser (with `extra_args` on its command line). In tests use it with package or
    module scope: Playwright's sync API keeps an event loop running in this thread, which the
    async tests elsewhere must not find."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [*extra_args])
        yield browser
        browser.close()


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
