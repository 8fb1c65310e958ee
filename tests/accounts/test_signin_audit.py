"""Sign-in, sign-out, failed sign-ins, lock-outs and wrong TOTP codes are audited: who, when,
from where; never the password, the code, or a user name that belongs to no account."""

import logging

from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from tests.support.factories import PASSWORD
from tests.support.signin import current_code

ADDRESS = "198.51.100.23"
LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:verify")


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_sign_in_and_sign_out_are_audited_with_the_address(world) -> None:  # type: ignore[no-untyped-def]
    client = Client(REMOTE_ADDR=ADDRESS)
    client.post(LOGIN, {"username": "anne", "password": PASSWORD})
    (password_step,) = _entries("login_password")
    assert password_step.actor == world.gp and password_step.detail["address"] == ADDRESS
    client.post(VERIFY, {"token": current_code(world.gp)})
    (signed_in,) = _entries("login")
    assert signed_in.actor == world.gp and signed_in.detail["address"] == ADDRESS
    client.post(reverse("accounts:logout"))
    (signed_out,) = _entries("logout")
    assert signed_out.actor == world.gp and signed_out.detail["address"] == ADDRESS


def test_failed_sign_ins_lock_outs_and_wrong_codes_are_audited(world, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    client = Client(REMOTE_ADDR=ADDRESS)
    typed = [f"Hemmelig-gæt-{n}" for n in range(settings.AXES_FAILURE_LIMIT)]
    for password in typed:
        client.post(LOGIN, {"username": "mette", "password": password})
    failed = _entries("login_failed")
    assert len(failed) == settings.AXES_FAILURE_LIMIT
    assert all(e.actor == world.carer and e.detail["address"] == ADDRESS for e in failed)
    (locked,) = _entries("login_locked_out")
    assert locked.actor == world.carer and locked.detail["address"] == ADDRESS

    # A user name of no account: recorded without it.
    Client(REMOTE_ADDR=ADDRESS).post(LOGIN, {"username": "ingen.saadan", "password": "x" * 12})
    nameless = _entries("login_failed")[-1]
    assert nameless.actor is None and nameless.actor_label == ""

    # Wrong one-time code after the right password.
    coder = Client(REMOTE_ADDR=ADDRESS)
    coder.post(LOGIN, {"username": "anne", "password": PASSWORD})
    wrong = _wrong(current_code(world.gp))
    coder.post(VERIFY, {"token": wrong})
    (totp_failed,) = _entries("totp_failed")
    assert totp_failed.actor == world.gp and totp_failed.detail["address"] == ADDRESS

    rows = repr(list(AuditEntry.objects.values()))
    for secret in [*typed, PASSWORD, wrong, "ingen.saadan"]:
        assert secret not in rows
    for secret in [*typed, PASSWORD, wrong]:
        assert secret not in caplog.text
