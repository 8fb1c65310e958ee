"""A municipality's units, roll-out pilot, support contact and usage; the national
administrator's "not connected yet"."""

from django.test import Client
from django.urls import reverse

from kontaktlaege.administration.models import MunicipalitySetup, Unit
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation
from tests.support import factories
from tests.support.signin import verified_client

PILOT = reverse("administration:pilot")
CITIZEN = reverse("consultations:citizen")
BY_YDERNUMMER = reverse("consultations:by_ydernummer")
OUTSIDE = "er endnu ikke med i afprøvningen af Kontakt Læge i Københavns Kommune."


def test_units_are_kept_per_municipality(world, admins) -> None:  # type: ignore[no-untyped-def]
    kbh = verified_client(admins.kbh)
    units = reverse("administration:units")
    kbh.post(units, {"name": "Hjemmeplejen Indre By", "department": "health", "active": "on"})
    kbh.post(units, {"name": "Socialpsykiatrien", "department": "social", "active": "on"})
    clash = kbh.post(units, {"name": "hjemmeplejen indre by", "department": "social"})
    assert "Der findes allerede en enhed med det navn." in clash.content.decode()
    ros_unit = Unit.objects.create(
        municipality=world.foreign_carer.municipality, name="Bostøtten", department="social"
    )
    page = kbh.get(units).content.decode()
    assert "Hjemmeplejen Indre By" in page and "Socialpsykiatrien" in page
    assert "Bostøtten" not in page
    unit = Unit.objects.get(name="Socialpsykiatrien")
    assert unit.department == "social" and unit.municipality == world.carer.municipality
    kbh.post(
        reverse("administration:unit", args=[unit.pk]),
        {"name": "Socialpsykiatri Nord", "department": "social"},
    )
    unit.refresh_from_db()
    assert unit.name == "Socialpsykiatri Nord" and not unit.active
    # Roskilde's unit cannot be seen or changed from Copenhagen.
    assert kbh.get(reverse("administration:unit", args=[ros_unit.pk])).status_code == 404
    kbh.post(
        reverse("administration:unit", args=[ros_unit.pk]), {"name": "X", "department": "health"}
    )
    ros_unit.refresh_from_db()
    assert ros_unit.name == "Bostøtten"
    assert AuditEntry.objects.filter(action="unit_saved", actor=admins.kbh).count() == 3


def _queue_start(client: Client, cpr: str) -> str:
    return client.post(CITIZEN, {"cpr": cpr, "consent": "on"}).content.decode()


def test_a_pilot_limits_the_clinics_and_lifting_it_frees_them(world, admins) -> None:  # type: ignore[no-untyped-def]
    pilot_clinic = factories.ClinicFactory(
        name="Pilotklinikken", municipality=world.clinic.municipality
    )
    pilot_yn = factories.YdernummerFactory(clinic=pilot_clinic, number="054321")
    pilot_cpr = factories.citizen(pilot_yn, "Karl Berg")
    kbh = verified_client(admins.kbh)
    kbh.post(PILOT, {"pilot": "on", "clinics": [pilot_clinic.pk]})
    setup = MunicipalitySetup.objects.get(municipality=world.carer.municipality)
    assert setup.pilot and list(setup.pilot_clinics.all()) == [pilot_clinic]
    assert AuditEntry.objects.get(action="pilot_changed").detail == {
        "pilot": True,
        "clinics": [pilot_clinic.pk],
    }

    carer = verified_client(world.carer)
    # A citizen whose doctor is outside the pilot: said at the CPR step.
    page = _queue_start(carer, world.cpr)
    assert OUTSIDE in page and "Lægehuset Nørrebro" in page
    assert not AuditEntry.objects.filter(action="on_behalf_login").exists()
    # …and at the ydernummer step.
    page = carer.post(BY_YDERNUMMER, {"ydernummer": "012345"}).content.decode()
    assert OUTSIDE in page
    # The pilot's clinic goes ahead.
    response = carer.post(CITIZEN, {"cpr": pilot_cpr, "consent": "on"})
    assert response.status_code == 302
    response = carer.post(BY_YDERNUMMER, {"ydernummer": "054321"})
    assert response.status_code == 200 and "Pilotklinikken" in response.content.decode()
    assert OUTSIDE not in response.content.decode()
    # Roskilde has no pilot: its employee calls anyone.
    ros_page = verified_client(world.foreign_carer).post(BY_YDERNUMMER, {"ydernummer": "012345"})
    assert OUTSIDE not in ros_page.content.decode()

    kbh.post(PILOT, {"clinics": [pilot_clinic.pk]})  # the limit lifted
    assert carer.post(CITIZEN, {"cpr": world.cpr, "consent": "on"}).status_code == 302


def test_a_call_prepared_before_the_pilot_is_refused_at_the_reason(world, admins) -> None:  # type: ignore[no-untyped-def]
    carer = verified_client(world.carer)
    assert carer.post(CITIZEN, {"cpr": world.cpr, "consent": "on"}).status_code == 302
    verified_client(admins.kbh).post(PILOT, {"pilot": "on", "clinics": [world.other_clinic.pk]})
    response = carer.post(
        reverse("consultations:reason"), {"reason": "Hoste og feber i tre dage"}, follow=True
    )
    assert OUTSIDE in response.content.decode()
    assert not Consultation.objects.exists()


def test_a_pilot_needs_a_clinic_and_is_the_own_municipalitys(world, admins) -> None:  # type: ignore[no-untyped-def]
    kbh = verified_client(admins.kbh)
    page = kbh.post(PILOT, {"pilot": "on"}).content.decode()
    assert "Vælg mindst én klinik til afprøvningen." in page
    verified_client(admins.ros).post(PILOT, {"pilot": "on", "clinics": [world.other_clinic.pk]})
    kbh.post(PILOT, {})
    ros = MunicipalitySetup.objects.get(municipality=world.foreign_carer.municipality)
    assert ros.pilot and list(ros.pilot_clinics.all()) == [world.other_clinic]
    # Copenhagen's page shows its own (lifted) state, not Roskilde's pilot.
    page = kbh.get(PILOT).content.decode()
    assert "Medarbejderne kan ringe til alle klinikker." in page
    assert "checked" not in page


def test_a_municipality_not_connected_cannot_sign_in(world, admins) -> None:  # type: ignore[no-untyped-def]
    national = verified_client(admins.national)
    kbh = world.carer.municipality
    national.post(reverse("administration:set_connected", args=[kbh.pk]), {"connected": "0"})
    verified_client(admins.kbh).post(
        reverse("administration:support"), {"support_name": "KK IT-support"}
    )
    assert AuditEntry.objects.filter(action="municipality_disconnected").exists()
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "mette", "password": "Test-adgangskode-1"}
    )
    response = client.get(response.url)
    page = response.content.decode()
    assert response.status_code == 403
    assert "Københavns Kommune er endnu ikke tilsluttet Kontakt Læge" in page
    assert "KK IT-support" in page
    # Signed out: the next request is anonymous.
    assert client.get(reverse("consultations:employee_start")).url.startswith("/konto/log-ind/")
    # Roskilde's employees, and Copenhagen's administrator, are not affected.
    assert (
        verified_client(world.foreign_carer)
        .get(reverse("consultations:employee_start"))
        .status_code
        == 200
    )
    national.post(reverse("administration:set_connected", args=[kbh.pk]), {"connected": "1"})
    assert (
        verified_client(world.carer).get(reverse("consultations:employee_start")).status_code == 200
    )


def test_support_contact_on_the_help_page_and_the_error_pages(world, admins) -> None:  # type: ignore[no-untyped-def]
    verified_client(admins.kbh).post(
        reverse("administration:support"),
        {"support_name": "KK IT-support", "support_phone": "33 66 33 66", "support_hours": "8-16"},
    )
    carer = verified_client(world.carer)
    help_page = carer.get(reverse("administration:help")).content.decode()
    assert "KK IT-support" in help_page and "33 66 33 66" in help_page
    missing = carer.get("/ingen-saadan-side/")
    assert missing.status_code == 404 and "KK IT-support" in missing.content.decode()
    # Roskilde's employee sees no Copenhagen support.
    ros = verified_client(world.foreign_carer).get(reverse("administration:help")).content.decode()
    assert "KK IT-support" not in ros


def test_usage_shows_who_used_it_when_without_health_data(world, admins) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.consultations import actions

    actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste og feber i tre dage")
    actions.join_queue(world.foreign_carer, ydernummer=world.other_ydernummer, reason="Svimmelhed")
    page = verified_client(admins.kbh).get(reverse("administration:usage")).content.decode()
    assert "Mette Sørensen" in page and "Stillet i kø" in page
    assert "Hoste" not in page and "Lægehuset" not in page
    assert "jonas" not in page
