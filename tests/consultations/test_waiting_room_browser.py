"""The clinic's waiting room in a real browser: the doctor sees the message fields and what a
rejection message does."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, expect

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


def _seen(field: Locator) -> None:
    """Visible to a sighted person: more than a pixel (a visually hidden label passes
    Playwright's to_be_visible)."""
    expect(field).to_be_visible()
    box = field.bounding_box()
    assert box is not None and box["width"] >= 120 and box["height"] >= 20, box


def test_the_doctor_sees_the_message_fields(world: World, person: NewPerson) -> None:
    doctor = person()
    doctor.sign_in(world.gp)
    open_waiting_room(doctor)
    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Hoste og feber")

    entry = doctor.page.locator("#entries > li")
    reject_field = entry.get_by_label("Besked ved afvisning (valgfri)")
    message_field = entry.get_by_label("Besked til den ventende")
    for field in (reject_field, message_field):
        _seen(field)
    for label in ("Besked ved afvisning (valgfri)", "Besked til den ventende"):
        _seen(entry.locator("label").filter(has_text=label))

    reject_field.fill("Ring til klinikken i morgen kl. 8")
    entry.get_by_role("button", name="Afvis").click()
    page = employee.page
    expect(page.get_by_text("Afvist videokonsultation")).to_be_visible()
    expect(page.locator("#reject-message")).to_have_text("Ring til klinikken i morgen kl. 8")
