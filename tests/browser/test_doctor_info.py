"""Doctor information in a real browser (issue 32): the clinic's staff enter an absence with a
substitute, and an employee looking up a citizen of that clinic sees the absence and the
substitute's phone at the look-up and again above the reason field."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kontaktlaege.accounts.models import User
from tests.support import factories
from tests.support.axe import assert_accessible
from tests.support.personas import World

from .conftest import NewPerson, pass_device_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class AdminFactory(factories.UserFactory):
    kind = User.Kind.ADMIN


# The card must come before the reason field in the page (and so in reading order).
CARD_BEFORE_REASON = """() => {
  const card = document.getElementById("doctor-card");
  const reason = document.getElementById("id_reason");
  return !!(card.compareDocumentPosition(reason) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


def test_absence_with_substitute_is_seen_before_the_reason(world: World, person: NewPerson) -> None:
    today = timezone.localdate()
    clinic = person()
    clinic.sign_in(world.secretary)
    page = clinic.page
    page.get_by_role("link", name="Lægeinformation").click()
    expect(page.get_by_role("heading", name="Ydernummer 012345")).to_be_visible()
    assert_accessible(page)
    absence = page.locator("section", has=page.get_by_role("heading", name="Fravær og afløser"))
    absence.get_by_label("Fra", exact=True).fill((today - timedelta(days=1)).isoformat())
    absence.get_by_label("Til og med").fill((today + timedelta(days=7)).isoformat())
    absence.get_by_label("Årsag (valgfri)").fill("Kursus")
    absence.get_by_label("Afløserens navn").fill("Peter Lund")
    absence.get_by_label("Afløserens klinik").fill("Lægerne i Valby")
    absence.get_by_label("Afløserens telefon").fill("36 44 55 66")
    absence.get_by_role("button", name="Tilføj fravær").click()
    expect(page.get_by_text("Fraværet er gemt.")).to_be_visible()
    expect(page.locator("#absences")).to_contain_text("Peter Lund")
    expect(page.locator("#doctor-absent")).to_be_visible()  # the clinic sees what employees see

    employee = person()
    employee.sign_in(world.carer)
    employee.goto("/")
    page = employee.page
    page.get_by_role("link", name="På vegne af borger").click()
    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    # Said at the look-up, before the device check.
    expect(page.get_by_role("heading", name="Borgerens læge")).to_be_visible()
    expect(page.locator("#doctor-substitute")).to_contain_text("36 44 55 66")
    assert_accessible(page)
    page.get_by_role("link", name="Fortsæt til videokonsultation").click()
    pass_device_check(page)

    card = page.locator("#doctor-card")
    expect(card.get_by_role("heading", name="Før du ringer")).to_be_visible()
    back = (today + timedelta(days=7)).day
    expect(page.locator("#doctor-absent")).to_contain_text("Lægen er fraværende til og med")
    expect(page.locator("#doctor-absent")).to_contain_text(f"{back}.")
    expect(page.locator("#doctor-absent")).to_contain_text("Kursus")
    substitute = page.locator("#doctor-substitute")
    expect(substitute).to_contain_text("Peter Lund")
    expect(substitute).to_contain_text("Lægerne i Valby")
    expect(substitute.get_by_role("link", name="36 44 55 66")).to_have_attribute(
        "href", "tel:36445566"
    )
    expect(page.locator("#doctor-clinic-phone")).to_have_text("70 10 20 30")  # plan B
    assert page.evaluate(CARD_BEFORE_REASON)
    expect(page.get_by_label("Hvad drejer konsultationen sig om?")).to_be_empty()
    assert_accessible(page)


def test_a_pinned_doctor_comes_first_in_the_employees_search(
    world: World, person: NewPerson
) -> None:
    kbh = world.carer.municipality
    frb = factories.MunicipalityFactory(name="Frederiksberg Kommune", region=kbh.region)
    clinic = factories.ClinicFactory(name="Lægehuset Frederiksberg", municipality=frb)
    factories.DoctorFactory(
        ydernummer=factories.YdernummerFactory(clinic=clinic, number="200001"), name="Bo Holm"
    )
    admin = person()
    admin.sign_in(AdminFactory(username="kbhadmin", municipality=kbh))
    admin.goto("/")  # a municipality's administrator starts on the administration page
    page = admin.page
    page.get_by_role("navigation", name="Konto").get_by_role("link", name="Faste læger").click()
    expect(page.get_by_role("heading", name="Faste læger for Københavns Kommune")).to_be_visible()
    page.get_by_label("Navn, klinik eller ydernummer").fill("Holm")
    page.get_by_role("button", name="Søg").click()
    results = page.locator("#results > li")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text("I din kommune")  # Nørrebro, then the region's
    results.filter(has_text="Lægehuset Frederiksberg").get_by_role("button", name="Fastgør").click()
    expect(page.locator("#pinned")).to_contain_text("Lægehuset Frederiksberg")
    assert_accessible(page)

    employee = person()
    employee.sign_in(world.carer)
    employee.goto("/")
    page = employee.page
    page.get_by_role("link", name="Videokonsultation uden borgerens CPR-nummer").click()
    page.get_by_label("Søg på lægens navn, klinik eller ydernummer").fill("Holm")
    page.get_by_role("button", name="Søg").click()
    found = page.locator("#doctor-results > li")
    expect(found).to_have_count(2)
    expect(found.first).to_contain_text("Lægehuset Frederiksberg")
    expect(found.first).to_contain_text("Fastgjort af kommunen")
    expect(found.nth(1)).to_contain_text("Lægehuset Nørrebro")
    assert_accessible(page)
    found.first.get_by_role("button", name="Vælg").click()
    expect(page.locator("#confirm-clinic")).to_have_text("Lægehuset Frederiksberg")
    expect(page.locator("#doctor-card")).to_contain_text("70 10 20 30")
