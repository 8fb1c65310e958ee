"""The call's roster (who is in it, on which socket) and one-time invitation links: for a
relative or an interpreter into a call, or for a patient into the waiting room."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kontaktlaege.privacy.fields import EncryptedTextField


class Invite(models.Model):
    """The product's one kind of invitation link: random, stored only as a hash, expiring,
    usable once, bound to one clinic. A GUEST link lets a relative or an interpreter into a
    running call; a PATIENT link (sent by SMS or e-mail) puts the person in the clinic's
    waiting room, bound to the consultation it queues."""

    class Purpose(models.TextChoices):
        GUEST = "guest", _("Pårørende/tolk")
        PATIENT = "patient", _("Inviteret")

    class Channel(models.TextChoices):
        LINK = "link", _("Link")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.GUEST)
    clinic = models.ForeignKey(
        "directory.Clinic", on_delete=models.CASCADE, null=True, related_name="video_invites"
    )
    # A GUEST link's running consultation; a PATIENT link's is set when the link queues it
    # (or from the start, when the clinic invites someone it has queued: a passant).
    consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="video_invites",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # SHA-256 of the link's token (256 random bits): the database never holds a usable link.
    token_hash = models.CharField(max_length=64, db_index=True, default="")
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.LINK)
    # A keyed hash of the address the link was sent to: invitations per address are limited.
    recipient_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Who the clinic invited, and when, if it said (shown in the waiting room).
    invitee_name = EncryptedTextField(_("navn"), blank=True)
    planned_at = models.DateTimeField(_("tidspunkt"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    guest_name = models.CharField(_("navn"), max_length=60, blank=True)
    # Set when the doctor removed the guest or the clinic withdrew the invitation: the link
    # and the session it gave no longer let anyone in.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("videoinvitation")
        verbose_name_plural = _("videoinvitationer")

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and timezone.now() < self.expires_at


class CallMember(models.Model):
    """One participant of a running call. The table is the roster shared by every server
    process; `channel_name` is empty while the participant's socket is away."""

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="call_members"
    )
    peer_id = models.CharField(max_length=40)
    principal = models.CharField(max_length=40)  # "user:<pk>" or "guest:<invite pk>"
    role = models.CharField(max_length=10)  # doctor / employee / guest
    name = models.CharField(max_length=200, blank=True)
    channel_name = models.CharField(max_length=200, blank=True)
    # Set while the participant is away: its socket closed (`channel_name` is then empty), or
    # its heartbeats stopped although the socket never said goodbye (its server process died).
    away_since = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consultation", "peer_id"], name="one_peer_id_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.peer_id}"
