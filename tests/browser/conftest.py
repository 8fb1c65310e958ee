"""Real-browser tests: a live Daphne server on the per-run test database, Debian chromium
through Playwright, one browser context per person, signed in through the real login page."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kontaktlaege.accounts.models import User
from tests.support.browser import chromium
from tests.support.signin import sign_in

# Two shared cores: give the live pushes room before an assertion gives up.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="package")
def browser(live_url: str) -> Iterator[Browser]:
    # Started after the server: the server process is forked before any browser thread exists.
    # Package scope: Playwright's sync API keeps an event loop running in this thread, which
    # the async tests outside this package must not find.
    with chromium() as browser:
        yield browser


@dataclass
class Person:
    """One person at one device: a browser context with a single page."""

    context: BrowserContext
    page: Page
    base: str
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str) -> None:
        self.page.goto(self.url(path))

    def sign_in(self, user: User) -> None:
        """Password, then the TOTP code of the user's confirmed device, as a person types them."""
        sign_in(self.page, user, self.base)

    def mark(self) -> None:
        """Leave a marker in the page; it survives only as long as the page is not reloaded."""
        self.page.evaluate("window.klNoReload = true")

    def not_reloaded(self) -> bool:
        return self.page.evaluate("window.klNoReload === true")


NewPerson = Callable[..., Person]


@pytest.fixture
def person(browser: Browser, live_url: str, transactional_db: None) -> Iterator[NewPerson]:
    """Factory: each call opens a fresh browser context (cookies, storage) for one person.
    A script error in any page fails the test."""
    people: list[Person] = []

    def open_person(base: str = live_url) -> Person:
        """`base`: another way to the server, e.g. through a tests.support.loopback.FlakyLink."""
        context = browser.new_context(locale="da-DK", base_url=base)
        page = context.new_page()
        someone = Person(context=context, page=page, base=base)
        page.on("pageerror", lambda exc: someone.errors.append(str(exc)))
        people.append(someone)
        return someone

    yield open_person
    errors = [e for p in people for e in p.errors]
    for p in people:
        p.context.close()
    assert not errors, f"script errors in the pages: {errors}"


def queue_on_behalf(someone: Person, cpr: str, reason: str) -> None:
    """The employee flow of §3.1 from the start page to the queue (signed in already)."""
    page = someone.page
    someone.goto("/")
    page.get_by_role("link", name="På vegne af borger").click()
    page.get_by_label("Borgerens CPR-nummer").fill(cpr)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    pass_device_check(page)
    page.get_by_label("Hvad drejer konsultationen sig om?").fill(reason)
    page.get_by_role("button", name="Start og stil i kø").click()
    expect(page.locator("#queue-number")).not_to_be_empty()


def pass_device_check(page: Page) -> None:
    """§3.1 step 3 (tested on its own elsewhere): go through it as a person would."""
    expect(page.get_by_role("heading", name="Tjek mikrofon, højttaler og kamera")).to_be_visible()
    page.get_by_role("button", name="Start tjek af mikrofon og kamera").click()
    page.locator('section[data-step="1"]').get_by_role("button", name="Næste").click()
    page.get_by_role("button", name="Afspil testlyd").click()
    page.get_by_label("Jeg kan høre lyden").check()
    page.locator('section[data-step="2"]').get_by_role("button", name="Næste").click()
    page.locator('section[data-step="3"]').get_by_role("button", name="Næste").click()
    page.locator('section[data-step="4"]').get_by_role("button", name="Næste").click()


def open_waiting_room(someone: Person) -> None:
    someone.goto("/klinik/")
    expect(someone.page.locator("#connection")).to_have_text("Live")
