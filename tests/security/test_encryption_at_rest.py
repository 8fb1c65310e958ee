"""Health data is encrypted at rest (issue 29): citizen names, reasons and the clinic's
messages, with the CPR numbers' keys and rotation."""

import importlib

from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation, Message

SECRETS = ("Inger Jensen", "Hoste og feber i tre dage", "Ring i morgen", "Kom ind nu")


def _raw(model: type, field: str, pk: int) -> str:
    table, column = model._meta.db_table, model._meta.get_field(field).column
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


def _stored(consultation: Consultation, message: Message) -> list[str]:
    return [
        _raw(Consultation, "citizen_name", consultation.pk),
        _raw(Consultation, "reason", consultation.pk),
        _raw(Consultation, "reject_message", consultation.pk),
        _raw(Message, "text", message.pk),
    ]


def _day(world, scene) -> tuple[Consultation, Message]:  # type: ignore[no-untyped-def]
    message = actions.send_message(world.gp, scene.mine.pk, "Kom ind nu")
    actions.reject(world.gp, scene.mine.pk, "Ring i morgen")
    return Consultation.objects.get(pk=scene.mine.pk), Message.objects.get(pk=message.pk)


def test_names_reasons_and_messages_are_stored_encrypted(world, scene) -> None:  # type: ignore[no-untyped-def]
    consultation, message = _day(world, scene)
    stored = _stored(consultation, message)
    assert all(value.startswith("gAAAAA") for value in stored)
    assert not [s for s in SECRETS if any(s in value for value in stored)]
    assert (consultation.citizen_name, consultation.reason, consultation.reject_message) == (
        "Inger Jensen",
        "Hoste og feber i tre dage",
        "Ring i morgen",
    )
    assert message.text == "Kom ind nu"


def test_rotation_moves_them_to_the_newest_key(world, scene, settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CPR_ENCRYPTION_KEYS = [old]
    consultation, message = _day(world, scene)
    Consultation.objects.filter(pk=consultation.pk).update(reason="Hoste og feber i tre dage")
    settings.CPR_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_cpr_keys")
    settings.CPR_ENCRYPTION_KEYS = [new]  # old key retired
    consultation.refresh_from_db()
    assert consultation.reason == "Hoste og feber i tre dage"
    assert consultation.reject_message == "Ring i morgen"
    assert Message.objects.get(pk=message.pk).text == "Kom ind nu"
    assert Fernet(new).decrypt(_raw(Message, "text", message.pk).encode()) == b"Kom ind nu"


def test_rows_written_in_clear_before_are_encrypted_by_the_migration(world, scene) -> None:  # type: ignore[no-untyped-def]
    consultation, message = _day(world, scene)
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "consultations_consultation" SET "reason" = %s WHERE id = %s',
            ["Hoste og feber i tre dage", consultation.pk],
        )
    migration = importlib.import_module(
        "kontaktlaege.consultations.migrations.0004_encrypt_health_data"
    )
    migration.encrypt_existing(apps, None)
    assert _raw(Consultation, "reason", consultation.pk).startswith("gAAAAA")
    consultation.refresh_from_db()
    assert consultation.reason == "Hoste og feber i tre dage"
