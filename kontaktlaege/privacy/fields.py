"""Health data encrypted at rest (citizen names, reasons, the clinic's messages), with the
CPR numbers' keys and rotation (directory/cpr.py, `manage.py rotate_cpr_keys`)."""

from typing import Any

from django.db import models

from kontaktlaege.directory import cpr as cprlib

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80)


class EncryptedTextField(models.TextField):
    """Text that is stored encrypted; only the empty string is stored as it is, so "is it
    empty" still works in queries (retention). Other lookups cannot match ciphertext."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value or not value.startswith(TOKEN_PREFIX):
            return value  # empty, or a row written before encryption (the migration's job)
        return cprlib.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value or value.startswith(TOKEN_PREFIX) and cprlib.decrypt(value):
            return value
        return cprlib.encrypt(value)
