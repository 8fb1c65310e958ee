"""A new account's authenticator is bound only with a one-time activation code that an
administrator hands over (`manage.py activation_code`, or the admin's action): whoever
learns the password alone cannot bind their own phone. The owner hears of every device
added or removed."""

import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.accounts import activation
from kontaktlaege.accounts.models import ActivationCode, User
from kontaktlaege.audit.models import AuditEntry
from tests.support.factories import PASSWORD, ClinicStaffFactory, UserFactory
from tests.support.signin import verified_client

ENROLL = reverse("accounts:enroll")
WRONG = "Aktiveringskoden er forkert, udløbet eller allerede brugt."


@pytest.fixture
def newcomer(world) -> User:  # type: ignore[no-untyped-def]
    user = ClinicStaffFactory(clinic=world.clinic, email="ny@laegehuset.example")
    TOTPDevice.objects.filter(user=user).delete()
    mail.outbox.clear()
    return user


def _after_password(user: User) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.5")
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def _command(username: str) -> str:
    out = io.StringIO()
    call_command("activation_code", username, stdout=out)
    return out.getvalue().strip()


def test_the_password_alone_does_not_show_the_secret(newcomer) -> None:  # type: ignore[no-untyped-def]
    client = _after_password(newcomer)
    page = client.get(ENROLL)
    assert page.status_code == 200
    assert "qr" not in page.context and b"otpauth" not in page.content
    assert not TOTPDevice.objects.filter(user=newcomer).exists()
    # Guessing a code with no code issued, or a six-digit TOTP code, binds nothing.
    response = client.post(ENROLL, {"code": "ABCD-EFGH-JKLM"})
    assert WRONG in response.content.decode()
    response = client.post(ENROLL, {"token": "123456"})
    assert response.status_code == 200 and "qr" not in response.context
    assert not TOTPDevice.objects.filter(user=newcomer).exists()
    failed = AuditEntry.objects.get(action="activation_code_failed")
    assert failed.actor == newcomer and failed.detail["address"] == "198.51.100.5"


def test_enrolment_with_the_code_from_the_command(newcomer) -> None:  # type: ignore[no-untyped-def]
    code = _command(newcomer.username)
    stored = ActivationCode.objects.get(user=newcomer)
    assert code not in repr(stored.__dict__) and code.replace("-", "") not in stored.code_hash
    assert stored.expires_at - timezone.now() > timedelta(hours=71)
    client = _after_password(newcomer)
    response = client.post(ENROLL, {"code": code.lower().replace("-", " ")})
    assert response.status_code == 302 and response.url == ENROLL
    page = client.get(ENROLL)
    assert page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    response = client.post(ENROLL, {"token": _code(device)})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=newcomer).confirmed
    assert client.get(reverse("consultations:waiting_room")).status_code == 200
    # The owner is told, by e-mail and in the audit log.
    (message,) = mail.outbox
    assert message.to == [newcomer.email] and code not in message.body
    added = AuditEntry.objects.get(action="totp_device_added")
    assert added.actor == newcomer
    assert AuditEntry.objects.filter(action="activation_code_issued").count() == 1
    assert AuditEntry.objects.filter(action="activation_code_used", actor=newcomer).count() == 1


def test_a_code_is_single_use(newcomer) -> None:  # type: ignore[no-untyped-def]
    code = activation.issue(newcomer)
    first = _after_password(newcomer)
    assert first.post(ENROLL, {"code": code}).status_code == 302
    second = _after_password(newcomer)
    assert WRONG in second.post(ENROLL, {"code": code}).content.decode()


def test_a_code_expires(newcomer) -> None:  # type: ignore[no-untyped-def]
    code = activation.issue(newcomer)
    ActivationCode.objects.filter(user=newcomer).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert WRONG in _after_password(newcomer).post(ENROLL, {"code": code}).content.decode()


def test_a_new_code_replaces_the_old(newcomer) -> None:  # type: ignore[no-untyped-def]
    old = activation.issue(newcomer)
    new = activation.issue(newcomer)
    client = _after_password(newcomer)
    assert WRONG in client.post(ENROLL, {"code": old}).content.decode()
    assert client.post(ENROLL, {"code": new}).status_code == 302


def test_repeated_wrong_codes_burn_the_code(newcomer) -> None:  # type: ignore[no-untyped-def]
    code = activation.issue(newcomer)
    client = _after_password(newcomer)
    for _ in range(activation.MAX_FAILURES):
        client.post(ENROLL, {"code": "ABCD-EFGH-JKLM"})
    response = client.post(ENROLL, {"code": code})
    assert response.status_code == 200 and "qr" not in response.context
    assert "Bed en administrator om en ny aktiveringskode." in response.content.decode()


def test_the_admin_shows_a_code_once(world, newcomer) -> None:  # type: ignore[no-untyped-def]
    admin = UserFactory(username="admin", kind=User.Kind.ADMIN, is_staff=True, is_superuser=True)
    client = verified_client(admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "issue_activation_code", "_selected_action": [newcomer.pk]},
    )
    assert response.status_code == 302
    (shown,) = [str(m) for m in get_messages(response.wsgi_request)]
    code = shown.rsplit(" ", 1)[-1]
    issued = AuditEntry.objects.get(action="activation_code_issued")
    assert issued.actor == admin and code not in repr(issued.detail)
    assert _after_password(newcomer).post(ENROLL, {"code": code}).status_code == 302


def test_the_command_for_an_unknown_user(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError):
        call_command("activation_code", "ingen-saadan", stdout=io.StringIO())


def test_removing_a_device_tells_the_owner(world) -> None:  # type: ignore[no-untyped-def]
    world.gp.email = "anne@laegehuset.example"
    world.gp.save()
    mail.outbox.clear()
    TOTPDevice.objects.filter(user=world.gp).delete()
    (removed,) = AuditEntry.objects.filter(action="totp_device_removed")
    assert removed.actor == world.gp
    (message,) = mail.outbox
    assert message.to == ["anne@laegehuset.example"]
    # Without an e-mail address, the audit entry alone.
    TOTPDevice.objects.filter(user=world.secretary).delete()
    assert AuditEntry.objects.filter(action="totp_device_removed").count() == 2
    assert len(mail.outbox) == 1


def test_the_demo_accounts_keep_their_devices(db) -> None:  # type: ignore[no-untyped-def]
    call_command("load_demo", stdout=io.StringIO())
    user = User.objects.get(username="laege.norrebro")
    assert TOTPDevice.objects.get(user=user).confirmed
    client = Client()
    client.post(reverse("accounts:login"), {"username": user.username, "password": _demo()})
    out = io.StringIO()
    call_command("totp", user.username, stdout=out)
    response = client.post(reverse("accounts:verify"), {"token": out.getvalue().strip()})
    assert response.status_code == 302 and response.url == "/"


def _demo() -> str:
    from kontaktlaege.directory.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
