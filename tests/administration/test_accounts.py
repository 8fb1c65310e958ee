"""A municipality's administrator (and a clinic's lead) keeps the local accounts of their own
scope: creates them with a one-time activation code, deactivates them, and resets a lost
second factor with a new code — never seeing a secret, never another scope's accounts."""

import re

from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts.models import User
from kontaktlaege.administration.models import Placement, Unit
from kontaktlaege.audit.models import AuditEntry
from tests.support.signin import verified_client

ACCOUNTS = reverse("administration:accounts")
NEW = {
    "username": "sofie",
    "first_name": "Sofie",
    "last_name": "Lund",
    "email": "sofie@kk.example",
    "password": "Lang-og-sikker-42",
}


def _code(page: str) -> str:
    found = re.search(r'id="activation-code">([A-Z0-9-]+)<', page)
    assert found, "no activation code on the page"
    return found.group(1)


def _enrol(user: User, password: str, code: str) -> Client:
    """As the new employee: password, activation code, then a code from the new app."""
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": password}
    )
    assert response.status_code == 302
    response = client.post(reverse("accounts:enroll"), {"code": code})
    assert response.url == reverse("accounts:enroll")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    response = client.post(reverse("accounts:enroll"), {"token": token})
    assert response.status_code == 302
    return client


def test_create_an_employee_who_activates_with_the_code(world, admins) -> None:  # type: ignore[no-untyped-def]
    response = verified_client(admins.kbh).post(ACCOUNTS, NEW)
    assert response.status_code == 200
    page = response.content.decode()
    code = _code(page)
    assert "otpauth" not in page  # the code only, never the authenticator's secret
    sofie = User.objects.get(username="sofie")
    assert sofie.kind == User.Kind.EMPLOYEE
    assert sofie.municipality == world.carer.municipality
    assert not TOTPDevice.objects.filter(user=sofie).exists()
    created = AuditEntry.objects.get(action="account_created")
    assert created.actor == admins.kbh and created.detail == {"user": sofie.pk}
    assert created.municipality == world.carer.municipality

    client = _enrol(sofie, NEW["password"], code)
    assert TOTPDevice.objects.get(user=sofie).confirmed
    assert client.get(reverse("home")).status_code == 302  # to the profile step, signed in


def test_the_employee_is_placed_in_one_of_the_municipalitys_units(world, admins) -> None:  # type: ignore[no-untyped-def]
    own = Unit.objects.create(
        municipality=world.carer.municipality, name="Hjemmeplejen Indre By", department="health"
    )
    theirs = Unit.objects.create(
        municipality=world.foreign_carer.municipality, name="Bostøtten", department="social"
    )
    client = verified_client(admins.kbh)
    page = client.post(ACCOUNTS, {**NEW, "unit": theirs.pk}).content.decode()
    assert 'role="alert"' in page and not User.objects.filter(username="sofie").exists()
    assert "Bostøtten" not in client.get(ACCOUNTS).content.decode()
    client.post(ACCOUNTS, {**NEW, "unit": own.pk})
    assert Placement.objects.get(user__username="sofie").unit == own
    assert "Hjemmeplejen Indre By" in client.get(ACCOUNTS).content.decode()
    # Moved later: to one of the own units only, and never by another municipality.
    other = Unit.objects.create(
        municipality=world.carer.municipality, name="Sygeplejen Vest", department="health"
    )
    place = reverse("administration:place", args=[world.carer.pk])
    client.post(place, {"unit": theirs.pk})
    assert not Placement.objects.filter(user=world.carer).exists()
    client.post(place, {"unit": other.pk})
    assert Placement.objects.get(user=world.carer).unit == other
    assert verified_client(admins.ros).post(place, {"unit": ""}).status_code == 404
    client.post(place, {"unit": ""})
    assert not Placement.objects.filter(user=world.carer).exists()
    assert AuditEntry.objects.filter(action="employee_placed", actor=admins.kbh).count() == 2


def test_a_clinic_lead_creates_clinic_staff(world, admins) -> None:  # type: ignore[no-untyped-def]
    response = verified_client(admins.lead).post(ACCOUNTS, {**NEW, "username": "karen"})
    assert response.status_code == 200 and _code(response.content.decode())
    karen = User.objects.get(username="karen")
    assert karen.kind == User.Kind.CLINIC and karen.clinic == world.clinic
    assert karen.municipality is None


def test_weak_password_and_taken_username_are_refused(world, admins) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(admins.kbh)
    page = client.post(ACCOUNTS, {**NEW, "password": "123"}).content.decode()
    assert 'role="alert"' in page and not User.objects.filter(username="sofie").exists()
    page = client.post(ACCOUNTS, {**NEW, "username": "JONAS"}).content.decode()
    assert "Brugernavnet er allerede i brug." in page


def test_the_list_shows_only_the_own_municipality(world, admins) -> None:  # type: ignore[no-untyped-def]
    page = verified_client(admins.kbh).get(ACCOUNTS).content.decode()
    assert "mette" in page and "ali" in page
    assert "jonas" not in page  # Roskilde's
    assert "anne" not in page and "kbhadmin" not in page  # clinic staff, administrators
    lead_page = verified_client(admins.lead).get(ACCOUNTS).content.decode()
    assert "anne" in lead_page and "bodil" in lead_page and "mette" not in lead_page


def test_deactivate_ends_sign_in_and_reactivate_restores_it(world, admins) -> None:  # type: ignore[no-untyped-def]
    carer_session = verified_client(world.carer)
    assert carer_session.get(reverse("consultations:employee_start")).status_code == 200
    admin = verified_client(admins.kbh)
    admin.post(reverse("administration:deactivate", args=[world.carer.pk]))
    world.carer.refresh_from_db()
    assert not world.carer.is_active
    # The open session is over, and the password no longer signs in.
    response = carer_session.get(reverse("consultations:employee_start"))
    assert response.status_code == 302 and "/konto/log-ind/" in response.url
    login = Client().post(
        reverse("accounts:login"), {"username": "mette", "password": "Test-adgangskode-1"}
    )
    assert login.status_code == 200
    admin.post(reverse("administration:reactivate", args=[world.carer.pk]))
    world.carer.refresh_from_db()
    assert world.carer.is_active
    actions = list(AuditEntry.objects.filter(actor=admins.kbh).values_list("action", flat=True))
    assert actions == ["account_deactivated", "account_activated"]


def test_another_municipality_cannot_deactivate_or_reset(world, admins) -> None:  # type: ignore[no-untyped-def]
    ros = verified_client(admins.ros)
    for name in ("administration:deactivate", "administration:reset_second_factor"):
        assert ros.post(reverse(name, args=[world.carer.pk])).status_code == 404
    world.carer.refresh_from_db()
    assert world.carer.is_active
    assert TOTPDevice.objects.filter(user=world.carer, confirmed=True).exists()
    assert not AuditEntry.objects.filter(actor=admins.ros).exists()


def test_reset_a_lost_second_factor(world, admins) -> None:  # type: ignore[no-untyped-def]
    old = TOTPDevice.objects.get(user=world.carer)
    response = verified_client(admins.kbh).post(
        reverse("administration:reset_second_factor", args=[world.carer.pk])
    )
    page = response.content.decode()
    code = _code(page)
    assert "otpauth" not in page and old.key not in page
    assert not TOTPDevice.objects.filter(user=world.carer).exists()
    assert AuditEntry.objects.filter(action="second_factor_reset", actor=admins.kbh).exists()
    _enrol(world.carer, "Test-adgangskode-1", code)
    new = TOTPDevice.objects.get(user=world.carer, confirmed=True)
    assert new.key != old.key


def test_national_administrator_creates_a_region_administrator(world, admins) -> None:  # type: ignore[no-untyped-def]
    region = world.carer.municipality.region
    client = verified_client(admins.national)
    missing = client.post(ACCOUNTS, NEW)
    assert "region" in missing.context["form"].errors
    assert not User.objects.filter(username="sofie").exists()
    code = _code(client.post(ACCOUNTS, {**NEW, "region": region.pk}).content.decode())
    sofie = User.objects.get(username="sofie")
    assert (sofie.kind, sofie.region, sofie.municipality, sofie.clinic) == (
        User.Kind.ADMIN,
        region,
        None,
        None,
    )
    # Signed in, the new administrator lands on the region's statistics.
    own = _enrol(sofie, NEW["password"], code)
    assert own.get(reverse("stats:national"))["Location"] == reverse(
        "stats:region", args=[region.pk]
    )
    # Municipal administrators cannot make one: their accounts are employees.
    verified_client(admins.kbh).post(ACCOUNTS, {**NEW, "username": "x2", "region": region.pk})
    assert User.objects.get(username="x2").region is None
