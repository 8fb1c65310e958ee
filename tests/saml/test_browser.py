"""The core flow in real Chromium with a federated employee: sign-in at the municipal
broker's page (the test identity provider, over HTTP on loopback), role and workplace at the
first sign-in, a citizen's CPR and consent, the device check, the queue; the doctor admits and
both see each other's video. Then the broker's single logout signs the employee out. A
citizen's own flow ("Borger selv") with MitID, to video on both sides and signing out. And
clinic staff with MitID Erhverv: the waiting room live, and single logout from "Log ud"."""

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import expect

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.saml.models import FederatedIdentity, Organisation
from tests.browser.conftest import pass_device_check
from tests.support import browser, server, signin
from tests.support.axe import assert_accessible
from tests.support.loopback import free_port
from tests.support.personas import World, join_on_behalf
from tests.support.saml_idp import Identity, IdentityProvider, citizen, make_keypair, serving
from tests.support.threads import in_own_thread
from tests.video.test_call_browser import sees_and_hears

from .conftest import CVR

CLINIC_CVR = "31415926"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def saml_site(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> Iterator[tuple[IdentityProvider, str]]:
    """The product's server configured for the test broker, and the broker itself."""
    directory: Path = tmp_path_factory.mktemp("saml-browser")
    with serving(directory) as idp:
        port = free_port()
        key, cert = make_keypair(directory, "sp")
        env = {
            **os.environ,
            "DATABASE_URL": server.database_url_of(connection.settings_dict),
            "LOG_LEVEL": "WARNING",
            "SAML_EMPLOYEE_IDP_METADATA": str(idp.metadata_file()),
            "SAML_CITIZEN_IDP_METADATA": str(idp.metadata_file()),
            "SAML_CLINIC_IDP_METADATA": str(idp.metadata_file()),
            "SAML_BASE_URL": f"http://127.0.0.1:{port}",
            "SAML_KEY_FILE": str(key),
            "SAML_CERT_FILE": str(cert),
        }
        with _server_on(env, port) as base:
            with urllib.request.urlopen(f"{base}/saml/metadata/") as answer:
                idp.trust(answer.read().decode())
            yield idp, base


class _server_on:  # noqa: N801  (a context manager used like a function)
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.site = server.Server(env, port=port)

    def __enter__(self) -> str:
        self.site.wait()
        return self.site.base

    def __exit__(self, *exc: object) -> None:
        self.site.stop()


@pytest.fixture
def server_url(saml_site: tuple[IdentityProvider, str]) -> str:
    """The site's address. By this name tests/conftest.py keeps the production password
    hasher for the test's people: the server process checks the doctor's password."""
    return saml_site[1]


# Per module: Playwright's sync API keeps an event loop in this thread while it runs.
@pytest.fixture(scope="module")
def chromium(saml_site: Any) -> Iterator[Any]:
    with browser.chromium() as b:
        yield b


def _waiting_room(chromium: Any, base: str, world: World) -> Any:
    """The doctor (a local account with TOTP) at the waiting room: its one entry."""
    doctor = chromium.new_context(
        base_url=base, locale="da-DK", permissions=["camera", "microphone"]
    ).new_page()
    signin.sign_in(doctor, world.gp)
    doctor.goto("/klinik/")
    return doctor.locator("#entries > li")


def _admit_and_see(doctor: Any, page: Any, pk: int) -> None:
    """The doctor admits; both see and hear each other."""
    doctor.click(f'li.entry[data-id="{pk}"] form[data-action="admit"] button')
    doctor.wait_for_url(f"**/klinik/konsultation/{pk}/video/")
    sees_and_hears(doctor, 1)
    sees_and_hears(page, 1)


def test_a_federated_employee_signs_in_queues_and_sees_the_doctor(
    world: World, saml_site: tuple[IdentityProvider, str], server_url: str, chromium: Any
) -> None:
    idp, base = saml_site
    Organisation.objects.create(cvr=CVR, municipality=world.carer.municipality)
    lise = idp.next_identity = Identity(first_name="Lise", last_name="Berg", cvr=CVR)

    context = chromium.new_context(
        base_url=base, locale="da-DK", permissions=["camera", "microphone"]
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Log ind med kommunens login").click()
    expect(page.get_by_role("heading", name="Test-login")).to_be_visible()
    expect(page.get_by_text("Lise Berg")).to_be_visible()
    page.get_by_role("button", name="Godkend login").click()

    # §3.1.1: the first sign-in asks for role and workplace; the name came from the broker.
    expect(page.get_by_role("heading", name="Din rolle og dit arbejdssted")).to_be_visible()
    page.get_by_label("Din rolle").fill("Hjemmesygeplejerske")
    page.get_by_label("Dit arbejdssted").fill("Sygeplejen Amager")
    page.get_by_role("button", name="Gem oplysninger").click()
    expect(page.get_by_role("heading", name="Start en videokonsultation")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text("Lise Berg")

    page.get_by_role("link", name="På vegne af borger").click()
    page.get_by_label("Borgerens CPR-nummer").fill(world.cpr)
    page.get_by_label("Tro- og love-erklæring").check()
    page.get_by_role("button", name="Log ind på borgers vegne").click()
    pass_device_check(page)
    expect(page.locator("#draft-citizen")).to_have_text("Inger Jensen")
    page.get_by_label("Hvad drejer konsultationen sig om?").fill("Hoste og feber siden i går")
    page.get_by_role("button", name="Start og stil i kø").click()
    expect(page.locator("#queue-number")).to_have_text("1")

    # The doctor (a local account with TOTP) admits; both see and hear each other.
    entry = _waiting_room(chromium, base, world)
    expect(entry.locator(".employee")).to_have_text("Lise Berg")
    expect(entry.locator(".role")).to_have_text("Hjemmesygeplejerske")
    c = Consultation.objects.get()
    assert c.employee == FederatedIdentity.objects.get(name_id=lise.name_id).user
    _admit_and_see(entry.page, page, c.pk)

    # Single logout from the broker (another tab of the same browser): signed out here.
    other_tab = context.new_page()
    other_tab.goto(idp.logout_request(f"{base}/saml/metadata/", lise.name_id))
    expect(other_tab.get_by_role("heading", name="Logget ud")).to_be_visible()
    other_tab.goto("/")
    expect(other_tab).to_have_url(f"{base}/konto/log-ind/?next=/")


def test_an_employee_without_the_role_is_told_whom_to_ask(
    world: World, saml_site: tuple[IdentityProvider, str], server_url: str, chromium: Any
) -> None:
    idp, base = saml_site
    Organisation.objects.create(cvr=CVR, municipality=world.carer.municipality)
    idp.next_identity = Identity(first_name="Ole", last_name="Dam", cvr=CVR, grants={})
    context = chromium.new_context(base_url=base, locale="da-DK")
    page = context.new_page()
    page.goto("/konto/log-ind/")
    assert_accessible(page)
    page.get_by_role("link", name="Log ind med kommunens login").click()
    page.get_by_role("button", name="Godkend login").click()

    expect(page.get_by_role("heading", name="Du kan ikke logge ind i Kontakt Læge")).to_be_visible()
    expect(page.get_by_text("Kontaktlaege_bruger_dk")).to_be_visible()
    expect(page.get_by_text("brugeradministrator")).to_be_visible()
    assert_accessible(page)
    page.goto("/")
    expect(page).to_have_url(f"{base}/konto/log-ind/?next=/")
    assert not FederatedIdentity.objects.exists()
    context.close()


def test_a_citizen_signs_in_with_mitid_queues_and_sees_the_doctor(
    world: World, saml_site: tuple[IdentityProvider, str], server_url: str, chromium: Any
) -> None:
    idp, base = saml_site
    idp.next_identity = citizen(world.cpr, first_name="Inger", last_name="Jensen")
    context = chromium.new_context(
        base_url=base, locale="da-DK", permissions=["camera", "microphone"]
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_role("link", name="Log ind med MitID", exact=True).click()
    expect(page.get_by_text("Inger Jensen")).to_be_visible()
    page.get_by_role("button", name="Godkend login").click()

    # The own doctor from the registry; no consent declaration: the citizen acts for themselves.
    expect(page.get_by_role("heading", name="Videokonsultation med din læge")).to_be_visible()
    expect(page.locator("#own-doctor")).to_contain_text("Lægehuset Nørrebro")
    expect(page.get_by_text("Tro- og love-erklæring")).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="Fortsæt til videokonsultation").click()
    pass_device_check(page)
    page.get_by_label("Hvad drejer konsultationen sig om?").fill("Ondt i halsen siden i går")
    assert_accessible(page)
    page.get_by_role("button", name="Start og stil i kø").click()
    expect(page.locator("#queue-number")).to_have_text("1")
    expect(page.locator("#connection")).to_have_text("Forbundet")
    assert_accessible(page)

    entry = _waiting_room(chromium, base, world)
    expect(entry.locator(".kind")).to_have_text("Borger selv")
    expect(entry.locator(".citizen")).to_have_text("Inger Jensen")
    c = Consultation.objects.get()
    assert c.kind == Consultation.Kind.CITIZEN and not c.consent_given
    # The citizen's own account, not an employee the doctor would see or the statistics count.
    assert c.employee is None and c.citizen_account is not None
    assert c.citizen_account.is_citizen
    _admit_and_see(entry.page, page, c.pk)
    assert_accessible(page)

    page.get_by_role("button", name="Afslut konsultation").click()
    expect(page.get_by_text("Konsultationen er afsluttet.")).to_be_visible()
    # "Log ud": signed out here, then on to the provider's single logout and back.
    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(f"{base}/konto/log-ind/")
    page.goto("/borger/")
    expect(page).to_have_url(f"{base}/konto/log-ind/?next=/borger/")


def _sign_in_as_clinic_staff(chromium: Any, base: str) -> Any:
    page = chromium.new_context(base_url=base, locale="da-DK").new_page()
    page.goto("/")
    page.get_by_role("link", name="Log ind med MitID Erhverv").click()
    expect(page.get_by_text("Anna Lund")).to_be_visible()
    page.get_by_role("button", name="Godkend login").click()
    return page


def test_clinic_staff_sign_in_with_mitid_erhverv_and_see_the_queue_live(
    world: World, saml_site: tuple[IdentityProvider, str], server_url: str, chromium: Any
) -> None:
    idp, base = saml_site
    Organisation.objects.create(cvr=CLINIC_CVR, clinic=world.clinic)
    anna = idp.next_identity = Identity(
        first_name="Anna", last_name="Lund", cvr=CLINIC_CVR, grants={}
    )
    page = _sign_in_as_clinic_staff(chromium, base)
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))

    # The clinic from the CVR mapping; its waiting room, live.
    expect(page).to_have_url(f"{base}/klinik/")
    expect(page.locator("header .who")).to_contain_text("Anna Lund")
    expect(page.locator("#connection")).to_have_text("Live")
    user = FederatedIdentity.objects.get(name_id=anna.name_id).user
    assert (user.kind, user.clinic) == ("clinic", world.clinic)
    c = in_own_thread(lambda: join_on_behalf(world, "Hoste og feber i tre dage"))
    entry = page.locator(f'#entries > li[data-id="{c.pk}"]')
    expect(entry.locator(".citizen")).to_have_text("Inger Jensen")
    expect(entry.locator(".reason")).to_contain_text("Hoste og feber i tre dage")
    assert_accessible(page)

    # "Log ud": signed out here, on to the provider's single logout and back.
    page.get_by_role("button", name="Log ud").click()
    expect(page).to_have_url(f"{base}/konto/log-ind/")
    assert any(url.startswith(f"{idp.base}/slo?SAMLRequest=") for url in visited)
    page.goto("/klinik/")
    expect(page).to_have_url(f"{base}/konto/log-ind/?next=/klinik/")


def test_clinic_staff_of_an_unmapped_cvr_are_refused(
    world: World, saml_site: tuple[IdentityProvider, str], server_url: str, chromium: Any
) -> None:
    idp, base = saml_site
    idp.next_identity = Identity(first_name="Anna", last_name="Lund", cvr=CLINIC_CVR, grants={})
    page = _sign_in_as_clinic_staff(chromium, base)
    expect(page.get_by_role("heading", name="Du kan ikke logge ind i Kontakt Læge")).to_be_visible()
    expect(page.get_by_text(f"CVR {CLINIC_CVR}")).to_be_visible()
    assert_accessible(page)
    page.goto("/klinik/")
    expect(page).to_have_url(f"{base}/konto/log-ind/?next=/klinik/")
    assert not FederatedIdentity.objects.exists()
