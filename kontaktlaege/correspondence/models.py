"""MedCom correspondence (CareCommunication): the doctor's note about a consultation sent to
the municipality, and the municipality's replies to the clinic. The note is the clinic's
data (reference 004, element 03.07); the text and the FHIR bundle are stored encrypted.

Delivery follows the outbox's pattern (outbox/actions.py): states, a claim by conditional
UPDATE, back-off, the scheduler's hook."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kontaktlaege.outbox.models import Delivery
from kontaktlaege.privacy.fields import EncryptedTextField


class CareCommunication(Delivery):
    class Direction(models.TextChoices):
        TO_MUNICIPALITY = "to_municipality", _("Fra klinik til kommune")
        TO_CLINIC = "to_clinic", _("Fra kommune til klinik")

    class State(models.TextChoices):  # as the outbox's, but a MedCom message is "delivered"
        QUEUED = "queued", _("I kø")
        SENDING = "sending", _("Sendes")
        SENT = "sent", _("Leveret")
        RETRYING = "retrying", _("Prøver igen")
        FAILED = "failed", _("Fejlet")

    direction = models.CharField(_("retning"), max_length=16, choices=Direction.choices)
    consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        related_name="care_communications",
        verbose_name=_("konsultation"),
    )
    clinic = models.ForeignKey(
        "directory.Clinic",
        on_delete=models.PROTECT,
        related_name="care_communications",
        verbose_name=_("praksis"),
    )
    municipality = models.ForeignKey(
        "directory.Municipality",
        on_delete=models.PROTECT,
        related_name="care_communications",
        verbose_name=_("kommune"),
    )
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("afsender"),
    )
    author_name = models.CharField(_("afsender"), max_length=200)
    text = EncryptedTextField(_("tekst"))
    bundle = EncryptedTextField(_("FHIR-besked"))  # the MedCom message bundle, JSON
    message_id = models.UUIDField(_("besked-id"), unique=True)  # the MessageHeader's id
    created_at = models.DateTimeField(_("oprettet"))
    read_at = models.DateTimeField(_("læst"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("læst af"),
    )
    state = models.CharField(_("status"), max_length=8, choices=State.choices, default=State.QUEUED)
    delivered_at = models.DateTimeField(_("leveret"), null=True, blank=True)

    class Meta:
        verbose_name = _("korrespondancebesked")
        verbose_name_plural = _("korrespondancebeskeder")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="carecomm_due"),
            models.Index(
                fields=["municipality", "direction", "-created_at"], name="carecomm_inbox"
            ),
            models.Index(fields=["clinic", "-created_at"], name="carecomm_clinic"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk} ({self.state})"
