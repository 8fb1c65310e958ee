"""Local sign-in: password, then a TOTP code; the `totp` command for demo accounts; login
throttling with django-axes."""

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts import activation
from kontaktlaege.audit.models import AuditEntry
from tests.support import factories

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")


def _code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def _password(client: Client, username: str, password: str = factories.PASSWORD, nxt: str = ""):  # type: ignore[no-untyped-def]
    url = f"{LOGIN}?next={nxt}" if nxt else LOGIN
    return client.post(url, {"username": username, "password": password})


def test_wrong_password_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = _password(client, "anne", "forkert-adgangskode")
    assert response.status_code == 200
    assert "Forkert brugernavn eller adgangskode." in response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("consultations:waiting_room")).status_code == 302


def test_wrong_totp_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = _password(client, "anne")
    assert response.status_code == 302 and response.url == VERIFY
    good = _code(TOTPDevice.objects.get(user=world.gp))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"token": wrong})
    assert response.status_code == 200
    assert "Koden er forkert eller udløbet. Prøv igen." in response.context["form"].errors["token"]
    response = client.post(VERIFY, {"token": "12ab"})
    assert "Koden består af 6 cifre." in response.context["form"].errors["token"]
    # Signed in with the password only: the pages still ask for the code.
    response = client.get(reverse("consultations:waiting_room"))
    assert response.status_code == 302 and response.url == VERIFY
    assert not AuditEntry.objects.filter(action="login").exists()


def test_password_and_totp_sign_in(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = _password(client, "anne", nxt=reverse("consultations:waiting_room"))
    assert response.url == VERIFY
    assert client.get(VERIFY).status_code == 200
    response = client.post(VERIFY, {"token": _code(TOTPDevice.objects.get(user=world.gp))})
    assert response.status_code == 302
    assert response.url == reverse("consultations:waiting_room")
    assert client.get(response.url).status_code == 200
    assert AuditEntry.objects.filter(action="login", actor=world.gp).count() == 1


def test_next_to_another_site_is_ignored(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _password(client, "mette", nxt="https://evil.example/")
    response = client.post(VERIFY, {"token": _code(TOTPDevice.objects.get(user=world.carer))})
    assert response.status_code == 302 and response.url == "/"


def test_enrolment_of_a_new_authenticator(world) -> None:  # type: ignore[no-untyped-def]
    user = factories.ClinicStaffFactory(clinic=world.clinic)
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    _password(client, user.username)
    response = client.get(VERIFY)
    assert response.status_code == 302 and response.url == reverse("accounts:enroll")
    # The secret is shown only after the one-time activation code (tests/accounts/).
    code = activation.issue(user)
    client.post(reverse("accounts:enroll"), {"code": code})
    page = client.get(response.url)
    assert page.status_code == 200 and page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:enroll"), {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("consultations:waiting_room")).status_code == 200


def test_logout_clears_the_session(world, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(world.carer)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Clear-Site-Data"]
    assert client.get(reverse("consultations:employee_start")).status_code == 302


def test_totp_command_prints_the_current_code(world) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.get(user=world.gp)
    before = _code(device)
    out = io.StringIO()
    call_command("totp", "anne", stdout=out)
    after = _code(device)
    printed = out.getvalue().strip()
    assert len(printed) == 6 and printed in {before, after}  # a step may pass in between
    # And it is a code the sign-in accepts.
    client = Client()
    _password(client, "anne")
    response = client.post(VERIFY, {"token": printed})
    assert response.status_code == 302 and response.url == "/"


def test_totp_command_for_an_unknown_user(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError):
        call_command("totp", "ingen-saadan", stdout=io.StringIO())


def test_login_is_locked_after_repeated_failures(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _password(client, "anne", "forkert-adgangskode")
        assert response.status_code == 200
    response = _password(client, "anne", "forkert-adgangskode")
    assert response.status_code in (403, 429)
    # Now even the right password is refused, with the Danish lock-out page.
    response = _password(client, "anne")
    assert response.status_code in (403, 429)
    assert "For mange forsøg" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The lock is per user name: another person at the same address can still sign in.
    response = _password(Client(), "bodil")
    assert response.status_code == 302 and response.url == VERIFY
