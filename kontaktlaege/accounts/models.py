"""Who you are: a user is a municipal employee, clinic staff or an administrator."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("Kommunal medarbejder")
        CLINIC = "clinic", _("Klinikpersonale")
        ADMIN = "admin", _("Administrator")

    kind = models.CharField(_("brugertype"), max_length=10, choices=Kind.choices)
    municipality = models.ForeignKey(
        "directory.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("kommune"),
    )
    clinic = models.ForeignKey(
        "directory.Clinic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("praksis"),
    )
    # Asked at an employee's first sign-in and shown to the doctor (reference 000, 1/5).
    job_role = models.CharField(_("rolle"), max_length=100, blank=True)
    workplace = models.CharField(_("arbejdssted"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("bruger")
        verbose_name_plural = _("brugere")
        constraints = [
            models.CheckConstraint(
                name="employee_has_municipality",
                condition=~models.Q(kind="employee") | models.Q(municipality__isnull=False),
            ),
            models.CheckConstraint(
                name="clinic_staff_has_clinic",
                condition=~models.Q(kind="clinic") | models.Q(clinic__isnull=False),
            ),
        ]

    @property
    def is_employee(self) -> bool:
        return self.kind == self.Kind.EMPLOYEE

    @property
    def is_clinic_staff(self) -> bool:
        return self.kind == self.Kind.CLINIC

    @property
    def needs_profile(self) -> bool:
        return self.is_employee and not (self.job_role and self.workplace)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
