"""A clinic's booked video consultations (reference 002: appointment type "video", marked
in the calendar), each with its one-time link, its confirmation and its reminder."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kontaktlaege.privacy.fields import EncryptedTextField


class Booking(models.Model):
    class State(models.TextChoices):
        BOOKED = "booked", _("Booket")
        CANCELLED = "cancelled", _("Aflyst")

    class Who(models.TextChoices):
        PATIENT = "patient", _("Patient")
        EMPLOYEE = "employee", _("Kommunal medarbejder")

    clinic = models.ForeignKey(
        "directory.Clinic", on_delete=models.PROTECT, related_name="bookings"
    )
    doctor = models.ForeignKey(
        "directory.Doctor",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("læge"),
    )
    who = models.CharField(_("hvem"), max_length=8, choices=Who.choices, default=Who.PATIENT)
    name = EncryptedTextField(_("navn"))
    phone = EncryptedTextField(_("mobilnummer"), blank=True)  # E.164
    email = EncryptedTextField(_("e-mail"), blank=True)
    starts_at = models.DateTimeField(_("tidspunkt"))
    minutes = models.PositiveSmallIntegerField(_("varighed (minutter)"), default=15)
    state = models.CharField(max_length=10, choices=State.choices, default=State.BOOKED)
    # The booking's link (its token is stored only hashed in the invitation) and, so that the
    # reminder and a move can repeat it, the link itself, encrypted like all personal data.
    invite = models.OneToOneField(
        "video.Invite", on_delete=models.SET_NULL, null=True, related_name="booking"
    )
    link = EncryptedTextField(blank=True)
    # The calendar file's SEQUENCE: each move makes a newer version of the same event.
    sequence = models.PositiveIntegerField(default=0)
    reminder_at = models.DateTimeField(db_index=True)
    # Set by the one scheduler that claims the reminder (a conditional UPDATE).
    reminder_claimed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookinger")
        indexes = [models.Index(fields=["clinic", "starts_at"], name="booking_clinic_time")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def uid(self) -> str:
        """The calendar event's identity: the same across moves and the cancellation."""
        return f"booking-{self.pk}@kontaktlaege"
