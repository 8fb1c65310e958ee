"""The employee's call in a real browser (PRODUCT.md §3.1 steps 1, 2, 4, 5 and §3.2), with the
clinic's waiting room open beside it."""

import re

import pytest
from playwright.sync_api import expect

from kontaktlaege.accounts.models import User
from tests.support import factories
from tests.support.personas import World

from .conftest import NewPerson, open_waiting_room, pass_device_check, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_sign_in_cpr_consent_reason_and_live_queue(world: World, person: NewPerson) -> None:
    newcomer: User = factories.EmployeeFactory(  # type: ignore[assignment]
        username="lise",
        first_name="Lise",
        last_name="Berg",
        municipality=world.carer.municipality,
        job_role="",
        workplace="",
    )
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    expect(clinic.page.locator("#empty")).to_be_visible()
    expect(clinic.page).to_have_title(re.compile(r"^Venteværelse"))
    clinic.mark()

    employee = person()
    page = employee.page
    employee.sign_in(newcomer)

    # §3.1.1: role and workplace asked at the first sign-in.
    expect(page.get_by_role("heading", name="Din rolle og dit arbejdssted")).to_be_visible()
    page.get_by_label("Din rolle").fill("Hjemmesygeplejerske")
    page.get_by_label("Dit arbejdssted").fill("Sygeplejen Amager")
    page.get_by_role("button", name="Gem oplysninger").click()
    expect(page.get_by_role("heading", name="Start en videokonsultation")).to_be_visible()

    # §3.1.2: CPR validated, consent required.
    page.get_by_role("link", name="På vegne af borger").click()
    page.get_by_label("Borgerens CPR-nummer").fill("12345")
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    cpr_error = page.get_by_role("alert").filter(has_text="Et CPR-nummer består af 10 cifre")
    expect(cpr_error).to_be_visible()

    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    expect(page.get_by_label("Tro- og love-erklæring")).not_to_be_checked()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    expect(page.get_by_role("alert").filter(has_text="sætte flueben")).to_be_visible()
    expect(page.get_by_text("Et CPR-nummer består af 10 cifre")).to_have_count(0)

    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    pass_device_check(page)

    # §3.1.4: the reason page names the citizen and the clinic found in the registry.
    expect(page.locator("#draft-citizen")).to_have_text("Inger Jensen")
    expect(page.locator("#draft-clinic")).to_contain_text("Lægehuset Nørrebro")
    page.get_by_label("Hvad drejer konsultationen sig om?").fill("Hoste og feber siden i går")
    page.get_by_role("button", name="Start og stil i kø").click()

    # §3.1.5: queued, number 1.
    expect(page.locator("#queue-number")).to_have_text("1")
    expect(page.locator("#connection")).to_have_text("Forbundet")

    # §3.3: the clinic's open page shows the arrival without a reload.
    entry = clinic.page.locator("#entries > li")
    expect(entry).to_have_count(1)
    expect(entry.locator(".kind")).to_have_text("Medarbejder på vegne af borger")
    expect(entry.locator(".citizen")).to_have_text("Inger Jensen")
    expect(entry.locator(".cpr")).to_have_text(f"{world.cpr[:6]}-{world.cpr[6:]}")
    expect(entry.locator(".employee")).to_have_text("Lise Berg")
    expect(entry.locator(".role")).to_have_text("Hjemmesygeplejerske")
    expect(entry.locator(".workplace")).to_have_text("Sygeplejen Amager")
    expect(entry.locator(".reason")).to_have_text("Hoste og feber siden i går")
    expect(entry.locator(".waited")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(clinic.page).to_have_title(re.compile(r"^\(1\) Venteværelse"))
    expect(clinic.page.locator("#queue-count")).to_have_text("1")
    expect(clinic.page.locator("#empty")).to_be_hidden()
    assert clinic.not_reloaded()


def test_queue_number_follows_the_queue_live(world: World, person: NewPerson) -> None:
    first = person()
    first.sign_in(world.carer)
    queue_on_behalf(first, world.cpr, "Svimmelhed efter ny medicin")
    expect(first.page.locator("#queue-number")).to_have_text("1")

    second = person()
    second.sign_in(world.carer2)
    queue_on_behalf(second, world.cpr2, "Sår på underbenet heler ikke")
    expect(second.page.locator("#queue-number")).to_have_text("2")
    expect(second.page).to_have_title("(2) Videokonsultation – Lægehuset Nørrebro · Kontakt Læge")
    second.mark()

    first.page.get_by_role("button", name="Forlad køen").click()
    expect(first.page.get_by_text("Du har forladt køen.")).to_be_visible()
    expect(second.page.locator("#queue-number")).to_have_text("1")
    expect(second.page).to_have_title("(1) Videokonsultation – Lægehuset Nørrebro · Kontakt Læge")
    assert second.not_reloaded()


def test_without_cpr_rejected_with_message(world: World, person: NewPerson) -> None:
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)

    employee = person()
    page = employee.page
    employee.sign_in(world.carer)
    page.get_by_role("link", name="Videokonsultation uden borgerens CPR-nummer").click()
    page.get_by_label("Lægens ydernummer").fill("12")
    page.get_by_role("button", name="Find læge").click()
    expect(page.get_by_role("alert").filter(has_text="6 cifre")).to_be_visible()
    page.get_by_label("Lægens ydernummer").fill(world.ydernummer.number)
    page.get_by_role("button", name="Find læge").click()

    expect(page.locator("#confirm-clinic")).to_have_text("Lægehuset Nørrebro")
    expect(page.get_by_text("Anne Holm")).to_be_visible()
    page.get_by_role("button", name="Tilføj læge").click()
    pass_device_check(page)

    expect(page.locator("#draft-citizen")).to_have_count(0)
    expect(page.locator("#draft-clinic")).to_contain_text("Lægehuset Nørrebro")
    page.get_by_label("Hvad drejer konsultationen sig om?").fill("Aftalt opfølgning på plejeplan")
    page.get_by_role("button", name="Start og stil i kø").click()
    expect(page.locator("#queue-number")).to_have_text("1")
    employee.mark()

    entry = clinic.page.locator("#entries > li")
    expect(entry.locator(".kind")).to_have_text("Medarbejder uden borger")
    expect(entry.locator(".employee")).to_have_text("Mette Sørensen")
    expect(entry.locator(".reason")).to_have_text("Aftalt opfølgning på plejeplan")
    entry.get_by_label("Besked ved afvisning (valgfri)").fill("Ring til mig i morgen kl. 8")
    entry.get_by_role("button", name="Afvis").click()
    expect(entry).to_have_count(0)

    expect(page.get_by_text("Afvist videokonsultation")).to_be_visible()
    expect(page.locator("#reject-message")).to_have_text("Ring til mig i morgen kl. 8")
    expect(page.get_by_role("button", name="Forlad køen")).to_be_hidden()
    assert employee.not_reloaded()
