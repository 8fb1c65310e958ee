"""Every page of every flow checked with axe-core in real Chromium, under the product's CSP
(tests.support.axe): no serious or critical WCAG 2.1 A/AA violation, and a moderate one only
when listed here with its reason."""

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from kontaktlaege.accounts import activation
from kontaktlaege.accounts.models import User
from kontaktlaege.privacy import shared_device as sd
from tests.support import factories
from tests.support.axe import assert_accessible
from tests.support.factories import PASSWORD
from tests.support.personas import World

from .conftest import NewPerson, Person, open_waiting_room, pass_device_check, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Moderate findings accepted, each with the reason. Empty: none is accepted today.
ALLOWED_MODERATE: dict[str, str] = {}


def check(page: Page) -> None:
    assert_accessible(page, ALLOWED_MODERATE)


def edit_session(someone: Person, **values: object) -> None:
    """Change the server-side session of the person's browser (as time passing would)."""
    key = next(c["value"] for c in someone.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=key)
    for name, value in values.items():
        session[name] = value
    session.save()


def test_the_check_finds_what_it_should(person: NewPerson) -> None:
    """axe runs in the page under its CSP and reports: an image without a text fails."""
    visitor = person()
    visitor.goto("/konto/log-ind/")
    visitor.page.evaluate(
        "() => document.querySelector('main').append(document.createElement('img'))"
    )
    with pytest.raises(AssertionError, match=r"image-alt \[critical\]"):
        check(visitor.page)


def test_sign_in_error_and_public_pages(world: World, person: NewPerson) -> None:
    visitor = person()
    page = visitor.page
    visitor.goto("/konto/log-ind/")
    expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    check(page)

    # The password step with an error shown.
    page.get_by_label("Brugernavn").fill(world.carer.username)
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page)

    page.get_by_label("Brugernavn").fill(world.carer.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("heading", name="Bekræft med engangskode")).to_be_visible()
    check(page)
    page.get_by_label("Engangskode fra din app").fill("000000")
    page.get_by_role("button", name="Log ind", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page)

    # A new account binds its authenticator app: the activation code, then the QR code.
    newcomer = factories.EmployeeFactory(username="ny")
    TOTPDevice.objects.filter(user=newcomer).delete()
    code = activation.issue(newcomer)  # type: ignore[arg-type]
    first = person()
    first.goto("/konto/log-ind/")
    first.page.get_by_label("Brugernavn").fill("ny")
    first.page.get_by_label("Adgangskode").fill(PASSWORD)
    first.page.get_by_role("button", name="Næste").click()
    expect(first.page.get_by_label("Aktiveringskode")).to_be_visible()
    check(first.page)
    first.page.get_by_label("Aktiveringskode").fill(code)
    first.page.get_by_role("button", name="Fortsæt").click()
    expect(first.page.get_by_role("img", name="QR-kode til godkendelses-app")).to_be_visible()
    check(first.page)

    visitor.goto("/findes-ikke/")
    expect(page.get_by_text("Fejlkode 404.")).to_be_visible()
    check(page)

    visitor.goto("/video/gaest/ugyldigt-link/")
    check(page)

    visitor.goto("/forbindelsestest/")
    expect(page.locator("#summary")).not_to_be_empty()
    check(page)


def test_employee_flow_with_and_without_a_citizen(world: World, person: NewPerson) -> None:
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    expect(clinic.page.locator("#empty")).to_be_visible()
    check(clinic.page)
    clinic.page.get_by_role("link", name="Åbningstider").click()
    expect(clinic.page.get_by_role("heading", name=re.compile("Åbningstider"))).to_be_visible()
    check(clinic.page)
    open_waiting_room(clinic)

    # The first sign-in asks for role and workplace.
    newcomer: User = factories.EmployeeFactory(  # type: ignore[assignment]
        username="lise", municipality=world.carer.municipality, job_role="", workplace=""
    )
    first_time = person()
    first_time.sign_in(newcomer)
    expect(
        first_time.page.get_by_role("heading", name="Din rolle og dit arbejdssted")
    ).to_be_visible()
    check(first_time.page)

    employee = person()
    page = employee.page
    employee.sign_in(world.carer)
    employee.goto("/")
    expect(page.get_by_role("heading", name="Start en videokonsultation")).to_be_visible()
    check(page)

    page.get_by_role("link", name="På vegne af borger").click()
    check(page)
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    check(page)  # with the errors shown
    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()

    # The device check, each step.
    expect(page.get_by_role("heading", name="Tjek mikrofon, højttaler og kamera")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Start tjek af mikrofon og kamera").click()
    step1 = page.locator('section[data-step="1"]')
    expect(step1.get_by_role("button", name="Næste")).to_be_visible()
    check(page)
    step1.get_by_role("button", name="Næste").click()
    expect(page.get_by_role("button", name="Afspil testlyd")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Afspil testlyd").click()
    page.get_by_label("Jeg kan høre lyden").check()
    page.locator('section[data-step="2"]').get_by_role("button", name="Næste").click()
    step3 = page.locator('section[data-step="3"]')
    expect(step3.get_by_role("button", name="Næste")).to_be_visible()
    check(page)
    step3.get_by_role("button", name="Næste").click()
    step4 = page.locator('section[data-step="4"]')
    expect(step4.get_by_role("button", name="Næste")).to_be_visible()
    check(page)
    step4.get_by_role("button", name="Næste").click()

    # The reason, empty first (its error shown), then the queue.
    expect(page.get_by_label("Hvad drejer konsultationen sig om?")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Start og stil i kø").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    check(page)
    page.get_by_label("Hvad drejer konsultationen sig om?").fill("Hoste og feber")
    page.get_by_role("button", name="Start og stil i kø").click()
    expect(page.locator("#queue-number")).to_have_text("1")
    check(page)

    # The waiting room with an entry in it.
    expect(clinic.page.locator("#entries > li")).to_have_count(1)
    check(clinic.page)

    # Without a citizen, by the doctor's ydernummer; the doctor rejects.
    other = person()
    other_page = other.page
    other.sign_in(world.carer2)
    other.goto("/")
    other_page.get_by_role("link", name="Videokonsultation uden borgerens CPR-nummer").click()
    check(other_page)
    other_page.get_by_label("Lægens ydernummer").fill("12")
    other_page.get_by_role("button", name="Find læge").click()
    expect(other_page.get_by_role("alert").first).to_be_visible()
    check(other_page)
    other_page.get_by_label("Lægens ydernummer").fill(world.ydernummer.number)
    other_page.get_by_role("button", name="Find læge").click()
    expect(other_page.get_by_role("button", name="Tilføj læge")).to_be_visible()
    check(other_page)
    other_page.get_by_role("button", name="Tilføj læge").click()
    pass_device_check(other_page)
    other_page.get_by_label("Hvad drejer konsultationen sig om?").fill("Aftalt opfølgning")
    other_page.get_by_role("button", name="Start og stil i kø").click()
    expect(other_page.locator("#queue-number")).to_have_text("2")

    entry = clinic.page.locator("#entries > li").filter(has_text="Aftalt opfølgning")
    entry.get_by_label("Besked ved afvisning (valgfri)").fill("Ring til os i morgen")
    entry.get_by_role("button", name="Afvis").click()
    expect(other_page.get_by_text("Afvist videokonsultation")).to_be_visible()
    check(other_page)
    check(clinic.page)


def test_call_privacy_and_audit_pages(world: World, person: NewPerson) -> None:
    clinic = person()
    clinic.sign_in(world.gp)
    open_waiting_room(clinic)
    employee = person()
    employee.sign_in(world.carer)
    queue_on_behalf(employee, world.cpr, "Svimmel og hoster")

    clinic.page.locator("#entries > li").get_by_role("button", name="Start").click()
    expect(clinic.page).to_have_url(re.compile(r"/video/$"))
    for side in (clinic, employee):
        expect(side.page.locator("#remote-videos figure")).to_have_count(1, timeout=30_000)
        expect(side.page.locator("#remote-videos video")).to_be_visible()
    check(clinic.page)
    check(employee.page)

    # A relative joins by the one-time link: the doctor's link, the guest's pages.
    clinic.page.get_by_role("button", name="Inviter pårørende/tolk").click()
    link = clinic.page.get_by_label(re.compile("^Engangslink"))
    expect(link).not_to_have_value("")
    check(clinic.page)
    guest = person()
    guest.page.goto(link.input_value())
    check(guest.page)
    guest.page.locator("#id_name").fill("Tolk Hansen")
    guest.page.locator("#join-call").click()
    expect(guest.page.locator("#remote-videos figure")).to_have_count(2, timeout=30_000)
    check(guest.page)
    expect(clinic.page.locator("#remote-videos figure")).to_have_count(2, timeout=30_000)
    check(clinic.page)  # with the guest in the call

    # Citizen mode on the employee's device: the banner, then the unlock page.
    employee.page.get_by_role("button", name=re.compile("^Borgertilstand")).click()
    expect(employee.page.get_by_text("Borgertilstand: enheden er låst")).to_be_visible()
    check(employee.page)
    employee.page.get_by_role("link", name="Lås op (medarbejder)").click()
    expect(employee.page.get_by_role("heading", name="Lås enheden op")).to_be_visible()
    check(employee.page)

    # The doctor ends the call: the ended pages of both sides.
    employee.page.get_by_role("link", name="Tilbage til konsultationen").click()
    clinic.page.get_by_role("button", name="Afslut opkald").click()
    expect(clinic.page.locator("#call-ended")).to_be_visible()
    check(clinic.page)
    ended = employee.page.get_by_text("Konsultationen er afsluttet.").filter(visible=True)
    expect(ended.first).to_be_visible()
    check(employee.page)
    expect(guest.page.locator("#call-ended")).to_be_visible()
    check(guest.page)

    # The clinic's idle lock: the page that asks for password and code again.
    edit_session(clinic, **{sd.IDLE_LOCKED: True})
    clinic.goto("/klinik/")
    expect(clinic.page.get_by_role("heading", name="Log ind igen")).to_be_visible()
    check(clinic.page)

    # The administrator's audit search and citizen report.
    admin: User = factories.UserFactory(username="national", kind=User.Kind.ADMIN, is_staff=True)  # type: ignore[assignment]
    auditor = person()
    auditor.sign_in(admin)
    auditor.goto("/revision/")
    expect(auditor.page.get_by_role("heading", name="Revisionslog")).to_be_visible()
    check(auditor.page)
    auditor.page.get_by_role("link", name="Adgangsrapport for en borger").click()
    check(auditor.page)
    auditor.page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    auditor.page.get_by_role("button", name="Vis rapport").click()
    expect(auditor.page.locator("table.audit tbody tr").first).to_be_visible()
    check(auditor.page)
