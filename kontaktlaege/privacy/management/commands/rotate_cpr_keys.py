"""Re-encrypt every stored CPR number with the newest key in CPR_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old ones after it, run this command, then remove
the old keys. Rows are re-encrypted in small locked batches, so it is safe while serving."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory import cpr as cprlib
from kontaktlaege.directory.models import RegistryEntry

BATCH = 500
TARGETS = [(RegistryEntry, "cpr_encrypted"), (Consultation, "citizen_cpr_encrypted")]


def rotate_all() -> dict[str, int]:
    counts = {}
    for model, field in TARGETS:
        done = 0
        ids = list(
            model.objects.exclude(**{field: ""}).order_by("pk").values_list("pk", flat=True)
        )
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                rows = model.objects.select_for_update().filter(pk__in=ids[start : start + BATCH])
                for pk, token in rows.values_list("pk", field):
                    if token:
                        model.objects.filter(pk=pk).update(**{field: cprlib.rotate(token)})
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
