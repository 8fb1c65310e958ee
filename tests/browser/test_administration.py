"""The municipality's administrator in a real browser: sets a pilot, creates an employee,
who activates the second factor with the activation code, signs in and calls a pilot clinic;
a clinic outside the pilot is refused. Every page checked with axe."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from kontaktlaege.accounts.models import User
from tests.support import factories
from tests.support.axe import assert_accessible
from tests.support.personas import World

from .conftest import NewPerson, queue_on_behalf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Lang-og-sikker-42"


def test_admin_creates_an_employee_who_calls_only_pilot_clinics(
    world: World, person: NewPerson
) -> None:
    kbh = world.carer.municipality
    pilot_clinic = factories.ClinicFactory(name="Pilotklinikken", municipality=kbh)
    pilot_cpr = factories.citizen(
        factories.YdernummerFactory(clinic=pilot_clinic, number="054321"), "Karl Berg"
    )
    kbh_admin = factories.UserFactory(username="kbhadmin", kind=User.Kind.ADMIN, municipality=kbh)

    admin = person()
    admin.sign_in(kbh_admin)  # type: ignore[arg-type]
    page = admin.page
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Afprøvning: hvilke klinikker kan der ringes til").click()
    page.get_by_label("Afprøvning: medarbejderne kan kun ringe til de valgte klinikker").check()
    page.get_by_label("Pilotklinikken").check()
    page.get_by_role("button", name="Gem afprøvning").click()
    expect(page.get_by_text("Afprøvningen er gemt.")).to_be_visible()
    expect(page.get_by_text("Kommunen er i afprøvning")).to_be_visible()
    assert_accessible(page)

    admin.goto("/administration/")
    page.get_by_role("link", name="Enheder og arbejdssteder").click()
    page.get_by_label("Enhedens navn").fill("Hjemmeplejen Indre By")
    page.get_by_label("Forvaltning").select_option(label="Sundhed")
    page.get_by_role("button", name="Gem enhed").click()
    expect(page.get_by_role("link", name="Hjemmeplejen Indre By")).to_be_visible()
    assert_accessible(page)

    admin.goto("/administration/")
    page.get_by_role("link", name="Kommunens support").click()
    page.get_by_label("Navn (f.eks. IT-support)").fill("KK IT-support")
    page.get_by_label("Telefon").fill("33 66 33 66")
    page.get_by_role("button", name="Gem support").click()
    expect(page.get_by_text("Supportoplysningerne er gemt.")).to_be_visible()
    assert_accessible(page)

    admin.goto("/administration/")
    page.get_by_role("link", name="Medarbejdernes brugere").click()
    expect(page.get_by_role("cell", name="mette", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="jonas", exact=True)).to_have_count(0)  # Roskilde's
    assert_accessible(page)
    page.get_by_label("Brugernavn").fill("sofie")
    page.get_by_label("Fornavn").fill("Sofie")
    page.get_by_label("Efternavn").fill("Lund")
    page.get_by_label("Første adgangskode").fill(PASSWORD)
    page.get_by_label("Enhed", exact=True).select_option(label="Hjemmeplejen Indre By")
    page.get_by_role("button", name="Opret bruger").click()
    expect(page.get_by_text("Brugeren Sofie Lund (sofie) er oprettet.")).to_be_visible()
    code = page.locator("#activation-code").inner_text()
    assert_accessible(page)

    # The employee: password, the activation code, then the authenticator app.
    employee = person()
    ep = employee.page
    employee.goto("/konto/log-ind/")
    ep.get_by_label("Brugernavn").fill("sofie")
    ep.get_by_label("Adgangskode").fill(PASSWORD)
    ep.get_by_role("button", name="Næste").click()
    ep.get_by_label("Aktiveringskode").fill(code)
    ep.get_by_role("button", name="Fortsæt").click()
    expect(ep.get_by_role("img", name="QR-kode til godkendelses-app")).to_be_visible()
    device = TOTPDevice.objects.get(user__username="sofie", confirmed=False)
    ep.get_by_label("Engangskode fra din app").fill(f"{totp(device.bin_key):06d}")
    ep.get_by_role("button", name="Bekræft").click()
    ep.get_by_label("Din rolle").fill("Sygeplejerske")
    ep.get_by_label("Dit arbejdssted").fill("Hjemmeplejen Indre By")
    ep.get_by_role("button", name="Gem oplysninger").click()
    expect(ep.get_by_role("heading", name="Start en videokonsultation")).to_be_visible()

    # A clinic outside the pilot is refused at the CPR step, with a clear message.
    ep.get_by_role("link", name="På vegne af borger").click()
    ep.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    ep.get_by_label("Tro- og love-erklæring").check()
    ep.get_by_role("button", name="Log ind på borgers vegne").click()
    refused = ep.get_by_role("alert").filter(
        has_text="Lægehuset Nørrebro er endnu ikke med i afprøvningen af Kontakt Læge i "
        "Københavns Kommune."
    )
    expect(refused).to_be_visible()
    assert_accessible(ep)

    # The pilot's clinic: the call is queued.
    queue_on_behalf(employee, pilot_cpr, "Hoste og feber siden i går")
    expect(ep.locator("#queue-number")).to_have_text("1")

    # The help page names the municipality's support.
    ep.get_by_role("link", name="Hjælp").click()
    expect(ep.get_by_role("heading", name="Kommunens support")).to_be_visible()
    expect(ep.get_by_role("link", name="33 66 33 66")).to_be_visible()
    assert_accessible(ep)

    # The administrator sees who used the product, with the unit, and nothing of the citizen.
    admin.goto("/administration/brug/")
    people = page.locator("#usage-people")
    expect(people.get_by_role("cell", name="Sofie Lund")).to_be_visible()
    expect(people.get_by_role("cell", name="Hjemmeplejen Indre By")).to_be_visible()
    expect(page.get_by_text("Karl Berg")).to_have_count(0)
    assert_accessible(page)
