"""The call's roster (who is in it, on which socket) and one-time invitation links for a
relative or an interpreter."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Invite(models.Model):
    """A link a doctor hands to a relative or interpreter: signed, expiring, usable once."""

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="video_invites"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    guest_name = models.CharField(_("navn"), max_length=60, blank=True)
    # Set when the doctor removed the guest: the link and the guest's session no longer let
    # anyone in.
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
