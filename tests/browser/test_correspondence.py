"""The doctor's note in real browsers (issue 35): after the call the doctor writes a note and
sends it; it appears in the calling employee's municipality's inbox and nowhere else; the
employee replies; the clinic sees the reply."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.axe import assert_accessible
from tests.support.personas import World

from .conftest import NewPerson, open_waiting_room, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Set over video: tør hoste, ingen feber. Hjemmeplejen holder øje med væske."
REPLY = "Tak, vi tilser borgeren to gange dagligt fra i morgen."


def test_note_after_a_call_reaches_the_municipality_and_the_reply_the_clinic(
    world: World, person: NewPerson
) -> None:
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Hoste og feber i tre dage")

    # The call, then the doctor ends it.
    clinic.page.locator("#entries > li").get_by_role("button", name="Start").click()
    expect(clinic.page).to_have_url(re.compile(r"/video/$"))
    expect(clinic.page.locator("#remote-videos figure")).to_have_count(1, timeout=30_000)
    clinic.page.get_by_role("button", name="Afslut opkald").click()
    expect(clinic.page.locator("#call-ended")).to_be_visible()

    # The note, sent with one click.
    clinic.page.get_by_role("link", name="Skriv notat til kommunen", exact=True).click()
    expect(clinic.page.get_by_role("heading", name="Notat til kommunen")).to_be_visible()
    clinic.page.get_by_label("Notat til kommunen").fill(NOTE)
    clinic.page.get_by_role("button", name="Send til kommunen").click()
    expect(clinic.page.get_by_text("Notatet er sendt til kommunen.")).to_be_visible()
    sent = clinic.page.locator(".message-to_municipality")
    expect(sent).to_contain_text(NOTE)
    expect(sent.locator(".status-pill")).to_have_text("Leveret")
    assert_accessible(clinic.page)

    # Roskilde's employee sees nothing of it.
    foreign = person()
    foreign.sign_in(world.foreign_carer)
    foreign.page.get_by_role("link", name="Indbakke").click()
    expect(foreign.page.get_by_text("Ingen notater endnu.")).to_be_visible()
    expect(foreign.page.get_by_text("tør hoste")).to_have_count(0)
    assert_accessible(foreign.page)

    # Copenhagen's inbox has it: the citizen, the clinic, the note.
    page = employee.page
    employee.goto("/")
    page.get_by_role("link", name="Indbakke").click()
    row = page.locator("#inbox tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Inger Jensen")
    expect(row).to_contain_text("Lægehuset Nørrebro")
    expect(row).to_contain_text("tør hoste")
    expect(row).to_contain_text("Ulæst")
    assert_accessible(page)
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Notat fra lægen")).to_be_visible()
    expect(page.locator(".message-to_municipality")).to_contain_text(NOTE)
    page.get_by_role("button", name="Markér som læst").click()
    expect(page.get_by_role("button", name="Markér som læst")).to_have_count(0)
    page.get_by_label("Svar til klinikken").fill(REPLY)
    page.get_by_role("button", name="Send svar").click()
    expect(page.get_by_text("Svaret er sendt til klinikken.")).to_be_visible()
    expect(page.locator(".message-to_clinic")).to_contain_text(REPLY)
    assert_accessible(page)

    # The clinic sees the reply.
    clinic.page.get_by_role("link", name="Korrespondance", exact=True).click()
    listing = clinic.page.locator("table tbody tr")
    expect(listing).to_contain_text("1 ulæst")
    assert_accessible(clinic.page)
    listing.get_by_role("link").click()
    expect(clinic.page.locator(".message-to_clinic")).to_contain_text(REPLY)
    clinic.page.get_by_role("button", name="Markér svar som læst").click()
    expect(clinic.page.get_by_role("button", name="Markér svar som læst")).to_have_count(0)
