"""Putting a message in the outbox: recipients normalised, the personal parts encrypted at
rest, an audit entry without them, and erased with the rest after the retention period."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.outbox import actions, recipients
from kontaktlaege.outbox.models import OutboxMessage
from kontaktlaege.privacy import retention
from tests.outbox.conftest import T0

S = OutboxMessage.State


@pytest.mark.parametrize(
    "typed",
    ["20 30 40 50", "20304050", "+45 20 30 40 50", "0045 20304050", "+45-2030-4050"],
)
def test_danish_numbers_are_normalised_to_e164(typed: str) -> None:
    assert recipients.normalize_phone(typed) == "+4520304050"
    assert recipients.phone_hint("+4520304050") == "+45 •• •• •• 50"


def test_foreign_numbers_keep_their_country() -> None:
    assert recipients.normalize_phone("+46 70 123 45 67") == "+46701234567"


@pytest.mark.parametrize("typed", ["", "1234", "abc", "2030405060708", "+45 0000 0000"])
def test_what_is_not_a_phone_number_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        recipients.normalize_phone(typed)


def test_the_form_field_gives_e164() -> None:
    class Form(forms.Form):
        phone = recipients.PhoneNumberField()

    form = Form({"phone": "20 30 40 50"})
    assert form.is_valid() and form.cleaned_data["phone"] == "+4520304050"
    form = Form({"phone": "123"})
    assert not form.is_valid() and "Telefonnummeret" in str(form.errors["phone"])


def _raw(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "outbox_outboxmessage" WHERE id = %s', [pk])
        return str(cursor.fetchone()[0])


def test_recipient_subject_and_text_are_encrypted_and_not_audited(world) -> None:  # type: ignore[no-untyped-def]
    message = actions.enqueue(
        channel="email",
        recipient=" inger@example.dk ",
        subject="Til Inger Jensen",
        body="Hoste og feber",
        clinic=world.clinic,
        actor=world.gp,
        now=T0,
    )

    assert (message.recipient, message.recipient_hint) == ("inger@example.dk", "i•••@•••.dk")
    assert (message.state, message.attempts, message.next_attempt_at) == (S.QUEUED, 0, T0)
    for column in ("recipient", "subject", "body"):
        assert _raw(message.pk, column).startswith("gAAAAA")
    entry = AuditEntry.objects.get(action="outbox_queued")
    assert entry.clinic_id == world.clinic.pk and entry.actor_id == world.gp.pk
    assert entry.detail == {"message": message.pk, "channel": "email", "attempts": 0}

    actions.deliver_due(T0)
    sent = AuditEntry.objects.get(action="outbox_sent")
    assert sent.detail == {"message": message.pk, "channel": "email", "attempts": 1}


def test_a_bad_recipient_queues_nothing(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        actions.enqueue(channel="sms", recipient="123", body="Hej", clinic=world.clinic)
    with pytest.raises(ValidationError):
        actions.enqueue(channel="email", recipient="ikke-en-adresse", body="Hej")
    assert not OutboxMessage.objects.exists()
    assert not AuditEntry.objects.filter(action="outbox_queued").exists()


def test_retention_erases_finished_messages_personal_parts(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 30
    old = actions.enqueue(channel="sms", recipient="20304050", body="Gammel", now=T0)
    actions.deliver_due(T0)
    recent = actions.enqueue(
        channel="sms", recipient="20304051", body="Ny", now=T0 + timedelta(days=29)
    )
    actions.deliver_due(T0 + timedelta(days=29))

    retention.erase_expired(T0 + timedelta(days=31))

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.recipient, old.subject, old.body) == ("", "", "")
    assert (old.state, old.recipient_hint) == (S.SENT, "+45 •• •• •• 50")
    assert recent.body == "Ny"


def test_key_rotation_moves_the_outbox_to_the_newest_key(world, settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CPR_ENCRYPTION_KEYS = [old]
    message = actions.enqueue(
        channel="email", recipient="inger@example.dk", subject="Emne", body="Tekst", now=T0
    )
    settings.CPR_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_cpr_keys")
    settings.CPR_ENCRYPTION_KEYS = [new]  # the old key retired

    message.refresh_from_db()
    assert (message.recipient, message.subject, message.body) == (
        "inger@example.dk",
        "Emne",
        "Tekst",
    )
    assert Fernet(new).decrypt(_raw(message.pk, "body").encode()) == b"Tekst"
