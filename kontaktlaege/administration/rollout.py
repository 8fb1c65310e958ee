"""Roll-out checks the employee flow asks: may this employee call this clinic (a
municipality's pilot lists the clinics it may call), and is the municipality connected."""

from typing import Any

from django.utils.translation import gettext as _

from .models import MunicipalitySetup


def setup_of(user: Any) -> MunicipalitySetup | None:
    if not getattr(user, "municipality_id", None):
        return None
    return MunicipalitySetup.objects.filter(municipality_id=user.municipality_id).first()


def clinic_outside_pilot(user: Any, clinic: Any) -> str:
    """The message for an employee whose municipality's pilot does not include `clinic`;
    empty when the call may go ahead."""
    if getattr(user, "kind", None) != "employee":
        return ""
    setup = (
        MunicipalitySetup.objects.filter(municipality_id=user.municipality_id, pilot=True)
        .select_related("municipality")
        .first()
    )
    if setup is None or setup.pilot_clinics.filter(pk=clinic.pk).exists():
        return ""
    return _(
        "%(clinic)s er endnu ikke med i afprøvningen af Kontakt Læge i %(municipality)s. "
        "Indtil videre kan du kun ringe til klinikkerne i afprøvningen. "
        "Ring til klinikken på %(phone)s, eller spørg din administrator."
    ) % {
        "clinic": clinic.name,
        "municipality": setup.municipality.name,
        "phone": clinic.phone or "-",
    }


def not_connected(user: Any) -> bool:
    """True for an employee of a municipality marked "not connected yet"."""
    if getattr(user, "kind", None) != "employee" or not user.municipality_id:
        return False
    return MunicipalitySetup.objects.filter(
        municipality_id=user.municipality_id, connected=False
    ).exists()
