"""What a municipality's administrator keeps beside the master data: whether the
municipality is connected, its roll-out pilot (the clinics its employees may call), its
first-line support contact, and its units/workplaces."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class MunicipalitySetup(models.Model):
    """One row per municipality that has changed anything; no row means connected, no pilot
    limit and no support contact."""

    municipality = models.OneToOneField(
        "directory.Municipality",
        on_delete=models.CASCADE,
        related_name="setup",
        verbose_name=_("kommune"),
    )
    connected = models.BooleanField(_("tilsluttet"), default=True)
    pilot = models.BooleanField(_("pilotforløb (kun udvalgte klinikker)"), default=False)
    pilot_clinics = models.ManyToManyField(
        "directory.Clinic", blank=True, related_name="+", verbose_name=_("klinikker i piloten")
    )
    support_name = models.CharField(_("supportens navn"), max_length=150, blank=True)
    support_phone = models.CharField(_("supportens telefon"), max_length=30, blank=True)
    support_email = models.EmailField(_("supportens e-mail"), blank=True)
    support_hours = models.CharField(_("supportens åbningstid"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("kommunens opsætning")
        verbose_name_plural = _("kommunernes opsætning")

    def __str__(self) -> str:
        return str(self.municipality)

    @property
    def has_support(self) -> bool:
        return bool(self.support_name or self.support_phone or self.support_email)


class Unit(models.Model):
    """A unit/workplace of a municipality ("Hjemmeplejen Indre By"), in the health or the
    social department, so statistics can tell them apart."""

    class Department(models.TextChoices):
        HEALTH = "health", _("Sundhed")
        SOCIAL = "social", _("Social")

    municipality = models.ForeignKey(
        "directory.Municipality",
        on_delete=models.CASCADE,
        related_name="units",
        verbose_name=_("kommune"),
    )
    name = models.CharField(_("navn"), max_length=150)
    department = models.CharField(_("forvaltning"), max_length=10, choices=Department.choices)
    active = models.BooleanField(_("i brug"), default=True)

    class Meta:
        verbose_name = _("enhed")
        verbose_name_plural = _("enheder")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="unit_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Placement(models.Model):
    """The unit an employee works in, set by the municipality's administrator; statistics
    count an employee's consultations under it."""

    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="placement",
        verbose_name=_("medarbejder"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="placements", verbose_name=_("enhed")
    )

    class Meta:
        verbose_name = _("placering")
        verbose_name_plural = _("placeringer")

    def __str__(self) -> str:
        return f"{self.user} – {self.unit}"

    @classmethod
    def unit_id_of(cls, user: Any) -> int | None:
        """The unit the employee is placed in now (None: not placed)."""
        return cls.objects.filter(user_id=user.pk).values_list("unit_id", flat=True).first()
