"""In a real browser: "Luk og behold køen" reaches the pages of those waiting, and an error
page is the product's own."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import NewPerson, open_waiting_room, person, queue_on_behalf
from tests.support.browser import chromium
from tests.support.personas import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["person"]  # the fixture, for the tests below


@pytest.fixture(scope="module")
def browser(live_url: str) -> Iterator[Browser]:
    # Per module: Playwright's sync API keeps an event loop in this thread while it runs.
    with chromium() as browser:
        yield browser


def test_closing_keeping_the_queue_tells_those_waiting(world: World, person: NewPerson) -> None:
    doctor = person()
    doctor.sign_in(world.gp)
    open_waiting_room(doctor)
    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Hoste og feber")
    employee.mark()
    notice = employee.page.get_by_text("Lægen har lukket venteværelset for nye.")
    expect(notice).to_be_hidden()

    doctor.page.get_by_role("button", name="Luk og behold køen").click()

    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Du beholder din plads i køen.")
    expect(employee.page.locator("#queue-number")).to_have_text("1")
    doctor.page.get_by_role("button", name="Åbn for åben videokonsultation nu").click()
    expect(notice).to_be_hidden()
    assert employee.not_reloaded()


def test_a_missing_page_is_the_products_own(world: World, person: NewPerson) -> None:
    someone = person()
    someone.sign_in(world.carer)
    page = someone.page
    response = page.goto(someone.url("/findes-ikke/"))
    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page).to_have_title("Siden findes ikke · Kontakt Læge")
    expect(page.get_by_role("heading", name="Siden findes ikke")).to_be_visible()
    expect(page.get_by_role("link", name="Kontakt Læge")).to_be_visible()  # the header
    page.get_by_role("link", name="Til forsiden").click()
    expect(page.get_by_role("heading", name="Start en videokonsultation")).to_be_visible()
