"""Re-encrypt every stored CPR number with the newest key in CPR_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old ones after it, run this command, then remove
the old keys. Rows still under the embedded default key (derived from SECRET_KEY, used while
no keys are configured) are read too, so the move to configured keys is the same command.
Rows are re-encrypted in small locked batches, so it is safe while serving."""

import base64

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import RegistryEntry

BATCH = 500
TARGETS: list[tuple[type[RegistryEntry] | type[Consultation], str]] = [
    (RegistryEntry, "cpr_encrypted"),
    (Consultation, "citizen_cpr_encrypted"),
]


def _rotator() -> MultiFernet:
    embedded = base64.urlsafe_b64encode(cprlib._derived_key(b"cpr-encryption")).decode()
    keys = [*settings.CPR_ENCRYPTION_KEYS, embedded]
    return MultiFernet([Fernet(k) for k in keys])


def rotate_all() -> dict[str, int]:
    rotator = _rotator()
    counts = {}
    for model, field in TARGETS:
        done = 0
        ids = list(model.objects.exclude(**{field: ""}).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                rows = model.objects.select_for_update().filter(pk__in=ids[start : start + BATCH])
                for pk, token in rows.values_list("pk", field):
                    if token:
                        model.objects.filter(pk=pk).update(
                            **{field: rotator.rotate(token.encode()).decode()}
                        )
                        done += 1
        counts[model._meta.label] = done
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
            self.stdout.write(f"{label}: {count} CPR-numre krypteret igen.")
