"""Who you are: a user is a municipal employee, clinic staff, an administrator, or a citizen
signed in with MitID to queue by themselves (no password here, no names or CPR stored)."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


# The plugin cannot type the reverse manager of django-otp devices (saml.FederatedIdentity).
class User(AbstractUser):  # type: ignore[django-manager-missing]
    class Kind(models.TextChoices):
        EMPLOYEE = "employee", _("Kommunal medarbejder")
        CLINIC = "clinic", _("Klinikpersonale")
        ADMIN = "admin", _("Administrator")
        CITIZEN = "citizen", _("Borger")

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
    # Only a region's administrator has one (an admin with neither municipality nor clinic).
    region = models.ForeignKey(
        "directory.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
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
            models.CheckConstraint(
                name="region_only_for_region_admin",
                condition=models.Q(region__isnull=True)
                | models.Q(kind="admin", municipality__isnull=True, clinic__isnull=True),
            ),
        ]

    @property
    def is_employee(self) -> bool:
        return self.kind == self.Kind.EMPLOYEE

    @property
    def is_clinic_staff(self) -> bool:
        return self.kind == self.Kind.CLINIC

    @property
    def is_citizen(self) -> bool:
        return self.kind == self.Kind.CITIZEN

    @property
    def waits_in_queue(self) -> bool:
        """Queues and follows its own consultations: an employee, or a citizen ("Borger selv")."""
        return self.kind in (self.Kind.EMPLOYEE, self.Kind.CITIZEN)

    @property
    def needs_profile(self) -> bool:
        return self.is_employee and not (self.job_role and self.workplace)

    @property
    def display_name(self) -> str:
        if self.is_citizen:  # the name is kept encrypted in the session only
            return str(_("Borger"))
        return self.get_full_name() or self.username


class ActivationCode(models.Model):
    """The one-time code an administrator hands over so the account's owner, and only they, can
    bind an authenticator app (accounts/activation.py). Stored as a keyed hash."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="activation_code", verbose_name=_("bruger")
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("udstedt"))
    expires_at = models.DateTimeField(_("udløber"))
    used_at = models.DateTimeField(_("brugt"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("aktiveringskode")
        verbose_name_plural = _("aktiveringskoder")

    def __str__(self) -> str:
        return str(self.user)
