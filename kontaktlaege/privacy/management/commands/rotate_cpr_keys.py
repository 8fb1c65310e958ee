"""Re-encrypt every stored CPR number, citizen name, reason and clinic message with the
newest key in CPR_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old ones after it, run this command, then remove
the old keys. Rows still under the embedded default key (derived from SECRET_KEY, used while
no keys are configured) are read too, so the move to configured keys is the same command.
Rows are re-encrypted in small locked batches, so it is safe while serving."""

import base64
from typing import cast

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from kontaktlaege.consultations.models import Consultation, Message
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import RegistryEntry
from kontaktlaege.outbox.models import OutboxMessage

BATCH = 500
TARGETS: list[tuple[type[models.Model], str]] = [
    (RegistryEntry, "cpr_encrypted"),
    (Consultation, "citizen_cpr_encrypted"),
    (Consultation, "citizen_name"),
    (Consultation, "reason"),
    (Consultation, "reject_message"),
    (Message, "text"),
    (OutboxMessage, "recipient"),
    (OutboxMessage, "subject"),
    (OutboxMessage, "body"),
]


def _rotator() -> MultiFernet:
    embedded = base64.urlsafe_b64encode(cprlib._derived_key(b"cpr-encryption")).decode()
    keys = [*settings.CPR_ENCRYPTION_KEYS, embedded]
    return MultiFernet([Fernet(k) for k in keys])


def rotate_all() -> dict[str, int]:
    """Stored tokens, read and written as they are in the table (not through the fields,
    which decrypt with the configured keys only)."""
    rotator = _rotator()
    counts: dict[str, int] = {}
    quote = connection.ops.quote_name
    for model, field in TARGETS:
        column = cast(models.Field, model._meta.get_field(field)).column
        table, column = quote(model._meta.db_table), quote(str(column))
        done = 0
        ids = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic(), connection.cursor() as cursor:
                batch = ids[start : start + BATCH]
                list(model._default_manager.select_for_update().filter(pk__in=batch))
                marks = ", ".join(["%s"] * len(batch))
                cursor.execute(f"SELECT id, {column} FROM {table} WHERE id IN ({marks})", batch)
                for pk, token in cursor.fetchall():
                    if token:
                        rotated = rotator.rotate(token.encode()).decode()
                        cursor.execute(
                            f"UPDATE {table} SET {column} = %s WHERE id = %s", [rotated, pk]
                        )
                        done += 1
        label = f"{model._meta.label}.{field}"
        counts[label] = done
    return counts


class Command(BaseCommand):
    help = "Krypterer alle gemte CPR-numre igen med den nyeste nøgle i CPR_ENCRYPTION_KEYS."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            counts = rotate_all()
        except Exception as exc:  # InvalidToken: a row no configured key can read
            raise CommandError(
                f"Rotation stoppede: {type(exc).__name__}. Mangler en gammel nøgle?"
            ) from None
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} værdier krypteret igen.")
