"""The session id changes after the second factor too, not only after the password: a session
id planted or seen before the code was given is worth nothing afterwards."""

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.factories import PASSWORD, ClinicStaffFactory
from tests.support.signin import current_code


def _after_password(username: str) -> tuple[Client, str]:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client, client.session.session_key


def test_the_session_id_changes_after_the_totp_step(world) -> None:  # type: ignore[no-untyped-def]
    client, after_password = _after_password("anne")
    response = client.post(reverse("accounts:verify"), {"token": current_code(world.gp)})
    assert response.status_code == 302 and response.url == "/"
    after_code = client.session.session_key
    assert after_code != after_password
    assert not Session.objects.filter(session_key=after_password).exists()
    assert client.get(reverse("consultations:waiting_room")).status_code == 200


def test_the_session_id_changes_after_enrolment(world) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.accounts import activation  # item 1 of the same issue

    user = ClinicStaffFactory(clinic=world.clinic)
    TOTPDevice.objects.filter(user=user).delete()
    code = activation.issue(user)
    client, after_password = _after_password(user.username)
    client.post(reverse("accounts:enroll"), {"code": code})
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    from django_otp.oath import totp

    token = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    response = client.post(reverse("accounts:enroll"), {"token": token})
    assert response.status_code == 302
    assert client.session.session_key != after_password
    assert not Session.objects.filter(session_key=after_password).exists()
