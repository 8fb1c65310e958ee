"""Adapter for the own-doctor registry (CPR → name and own doctor).

Production points OWN_DOCTOR_REGISTRY at an adapter for the national registry; the embedded
default reads the local RegistryEntry table so the product works without outside services.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from . import cpr as cprlib
from .models import RegistryEntry, Ydernummer


@dataclass(frozen=True)
class Citizen:
    cpr: str
    name: str
    ydernummer: Ydernummer | None


class RegistryUnavailable(Exception):
    pass


class LocalRegistry:
    def lookup(self, cpr: str) -> Citizen | None:
        entry = (
            RegistryEntry.objects.select_related("ydernummer__clinic")
            .filter(cpr_hash=cprlib.lookup_hash(cpr))
            .first()
        )
        if entry is None:
            return None
        return Citizen(cpr=cpr, name=entry.name, ydernummer=entry.ydernummer)


def registry() -> LocalRegistry:
    return import_string(settings.OWN_DOCTOR_REGISTRY)()
