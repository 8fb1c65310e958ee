"""Presence is live (issue 28): the clinic's list shows a waiting person's page going away
(closed, or its network lost without a word) and coming back, with nothing else changing."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.support.loopback import FlakyLink
from tests.support.personas import World

from .conftest import NewPerson, open_waiting_room, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The server closes a page it has not heard for two heartbeats and a margin (25 s), and
# polls every 2 s.
SILENT_MS = 40_000


def test_the_clinic_sees_a_waiting_page_go_and_come_back(
    world: World, person: NewPerson, live_url: str
) -> None:
    doctor = person()
    doctor.sign_in(world.gp)
    open_waiting_room(doctor)
    entry = doctor.page.locator("#entries > li").filter(has_text="Inger Jensen")
    offline = entry.get_by_text("Forbindelsen er afbrudt", exact=True)

    with FlakyLink(urllib.parse.urlsplit(live_url).port or 80) as link:
        carer = person(link.base)
        carer.sign_in(world.carer)
        queue_on_behalf(carer, world.cpr, "Feber og hoste")
        waiting_page = carer.page.url
        expect(entry).to_be_visible()
        expect(offline).to_be_hidden()

        carer.goto("/")  # the page is closed
        expect(offline).to_be_visible()
        carer.page.goto(waiting_page)
        expect(carer.page.locator("#queue-number")).to_have_text("1")
        expect(offline).to_be_hidden()

        link.cut("lose")  # the tablet's network is gone; its socket never closes
        expect(offline).to_be_visible(timeout=SILENT_MS)
        link.restore()
        expect(offline).to_be_hidden(timeout=SILENT_MS)
    expect(entry).to_be_visible()  # still in the queue throughout
