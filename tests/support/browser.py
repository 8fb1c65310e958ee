"""Debian's Chromium through Playwright, with a fake camera and microphone. Imports nothing
of Django: bench/ uses it too."""

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

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
