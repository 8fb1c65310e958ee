"""The test call in a real browser: the employee's own video comes back through the
self-answering waiting room, and nothing shows in any clinic."""

import pytest
from playwright.sync_api import expect

from kontaktlaege.consultations.models import Consultation
from tests.support.axe import assert_accessible
from tests.support.browser import wait_until
from tests.support.personas import World

from .conftest import NewPerson, open_waiting_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RETURNED_FRAMES = """async () => {
  const v = document.getElementById("test-call-echo");
  return v && v.srcObject ? v.videoWidth : 0;
}"""


def test_frames_come_back_to_the_caller_and_no_clinic_sees_it(
    world: World, person: NewPerson
) -> None:
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    expect(clinic.page.locator("#empty")).to_be_visible()

    employee = person()
    employee.sign_in(world.carer)
    page = employee.page
    page.get_by_role("link", name="Hjælp").click()
    page.get_by_role("link", name="Testopkald: se og hør dig selv gennem Kontakt Læge").click()
    expect(page.get_by_role("heading", name="Testopkald")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Start testopkald").click()
    expect(page.get_by_role("status")).to_contain_text("du ser og hører dig selv")
    wait_until(page, RETURNED_FRAMES)
    assert page.evaluate(RETURNED_FRAMES) > 0
    assert_accessible(page)
    page.get_by_role("button", name="Afslut testopkald").click()
    expect(page.get_by_role("button", name="Start testopkald")).to_be_visible()

    assert not Consultation.objects.exists()
    expect(clinic.page.locator("#entries > li")).to_have_count(0)
    expect(clinic.page.locator("#empty")).to_be_visible()
