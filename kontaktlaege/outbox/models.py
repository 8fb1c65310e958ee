"""The outbox: every SMS and e-mail the product sends, with its delivery state, attempts and
the gateway's last answer. Recipient, subject and body are personal data, stored encrypted."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kontaktlaege.privacy.fields import EncryptedTextField


class Delivery(models.Model):
    """A message delivered by the scheduler (outbox/actions.py's pattern, also used by
    correspondence/delivery.py): its state, attempts, claim and the receiver's last answer."""

    class State(models.TextChoices):
        QUEUED = "queued", _("I kø")
        SENDING = "sending", _("Sendes")
        SENT = "sent", _("Sendt")
        RETRYING = "retrying", _("Prøver igen")
        FAILED = "failed", _("Fejlet")

    state = models.CharField(_("status"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("forsøg"), default=0)
    next_attempt_at = models.DateTimeField(_("næste forsøg"))
    # Set by the one scheduler process that took the row (a conditional UPDATE); cleared when
    # the row goes back to waiting for a retry.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_answer = models.CharField(_("svar"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def is_pending(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.SENDING, self.State.RETRYING)


class OutboxMessage(Delivery):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    channel = models.CharField(_("kanal"), max_length=5, choices=Channel.choices)
    recipient = EncryptedTextField(_("modtager"))  # E.164 phone number or e-mail address
    # Enough to tell messages apart in a list, nothing that identifies the person.
    recipient_hint = models.CharField(_("modtager (kort)"), max_length=40)
    subject = EncryptedTextField(_("emne"), blank=True)
    body = EncryptedTextField(_("tekst"))
    # An e-mail's one attachment (a booking's calendar file), its MIME type with parameters
    # ("text/calendar; method=REQUEST") and file name.
    attachment = EncryptedTextField(_("vedhæftet fil"), blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment_name = models.CharField(max_length=100, blank=True)
    clinic = models.ForeignKey(
        "directory.Clinic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("praksis"),
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        verbose_name=_("konsultation"),
    )
    gateway_id = models.CharField(_("gatewayens id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("oprettet"))
    sent_at = models.DateTimeField(_("sendt"), null=True, blank=True)

    class Meta:
        verbose_name = _("udgående besked")
        verbose_name_plural = _("udgående beskeder")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["clinic", "-created_at"], name="outbox_clinic_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient_hint} ({self.state})"
