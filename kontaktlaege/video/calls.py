"""Who may be in a call and the roster of who is: the rules the call socket and the pages
share. Reads only; every change goes through actions.py."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.models import Consultation

from .models import CallMember, Invite

MAX_PARTICIPANTS = 4
GUEST_SESSION_KEY = "video_guest"
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100
S = Consultation.State


def call_group(consultation_id: int) -> str:
    """The channel layer group of a call's sockets."""
    return f"video-{consultation_id}"


def grace_seconds() -> int:
    return settings.VIDEO_GRACE_SECONDS


def invite_ttl() -> int:
    return settings.VIDEO_INVITE_TTL


@dataclass(frozen=True)
class Principal:
    """Who is on the other end: a verified user, or a guest holding a used invitation."""

    key: str  # "user:<pk>" / "guest:<invite pk>"
    user: User | None = None
    invite_id: int | None = None


def role_labels() -> dict[str, str]:
    return {
        "doctor": _("Læge"),
        "employee": _("Medarbejder"),
        "citizen": _("Borger"),
        "guest": _("Pårørende/tolk"),
        "invited": _("Inviteret"),
    }


def role_of(principal: Principal, consultation: Consultation) -> tuple[str, str] | None:
    """(role, display name) of the principal in this consultation, or None if not allowed."""
    user = principal.user
    if user is not None:
        if user.is_employee and consultation.is_followed_by(user):
            return "employee", user.display_name
        if user.is_citizen and consultation.is_followed_by(user):  # "Borger selv"
            return "citizen", consultation.citizen_name
        if user.is_clinic_staff and consultation.clinic_id == user.clinic_id:
            return "doctor", user.display_name
        return None
    if principal.invite_id is None:
        return None
    # A revoked invitation (the doctor removed the guest) lets nobody in, on any page or
    # socket, whatever session still holds it.
    invite = Invite.objects.filter(
        pk=principal.invite_id, used_at__isnull=False, revoked_at__isnull=True
    ).first()
    if invite is None or invite.consultation_id != consultation.pk:
        return None
    if invite.purpose == Invite.Purpose.PATIENT:
        return "invited", invite.guest_name or invite.invitee_name
    return "guest", invite.guest_name


def guest_principal(session: Any, consultation_id: int) -> Principal | None:
    data = session.get(GUEST_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict) or data.get("consultation") != consultation_id:
        return None
    return Principal(key=f"guest:{data['invite']}", invite_id=data["invite"])


def grace_period() -> timedelta:
    """How long the place of a participant whose socket dropped is kept."""
    return timedelta(seconds=grace_seconds())


@dataclass(frozen=True)
class Roster:
    order: int | None  # the participant's own place in the join order
    peers: list[dict[str, Any]]  # the others, in join order, as sent to the page
    present: dict[str, str]  # the others not away: peer id → their socket's channel


def roster(consultation_id: int, peer_id: str) -> Roster:
    members = list(CallMember.objects.filter(consultation_id=consultation_id).order_by("pk"))
    others = [m for m in members if m.peer_id != peer_id]
    return Roster(
        order=next((m.pk for m in members if m.peer_id == peer_id), None),
        peers=[member_info(m) for m in others],
        present={m.peer_id: m.channel_name for m in others if m.away_since is None},
    )


def member_info(member: CallMember) -> dict[str, Any]:
    # "order" is the join order (joins are serialised by the consultation's row lock): of any
    # two participants the later one makes the offer, so the two never offer at once.
    return {
        "id": member.peer_id,
        "order": member.pk,
        "role": member.role,
        "role_label": role_labels()[member.role],
        "name": member.name,
        "away": member.away_since is not None,
    }


def may_signal(principal: Principal, consultation_id: int, channel: str) -> str:
    """Checked before every relayed message: "ok", "ended" or "forbidden"."""
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if principal.user is not None:
        # Re-read: the user may have been deactivated or moved to another clinic mid-call.
        user = User.objects.filter(pk=principal.user.pk, is_active=True).first()
        principal = Principal(key=principal.key, user=user) if user else principal
        if user is None:
            return "forbidden"
    if consultation is None or role_of(principal, consultation) is None:
        return "forbidden"
    if consultation.state != S.ADMITTED:
        return "ended"
    if not CallMember.objects.filter(consultation=consultation, channel_name=channel).exists():
        return "forbidden"
    return "ok"


def channel_of(consultation_id: int, peer_id: str) -> str:
    """The socket of a peer in this call ("" if unknown or away)."""
    return (
        CallMember.objects.filter(
            consultation_id=consultation_id, peer_id=peer_id, away_since__isnull=True
        )
        .values_list("channel_name", flat=True)
        .first()
        or ""
    )


def silent_after() -> timedelta:
    """A participant unheard this long is away although its socket never closed: the server
    process holding that socket died (the page itself pings every HEARTBEAT_SECONDS)."""
    return timedelta(seconds=3 * settings.HEARTBEAT_SECONDS + 5)


# --- invitations ----------------------------------------------------------------------------


def new_token() -> tuple[str, str]:
    """A link's token (256 random bits, URL-safe) and the hash that is stored of it."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_named(token: str, clinic_id: int | None = None) -> Invite | None:
    """The invitation a genuine token names, usable or not (None if forged, or, given a
    clinic, when the invitation is another clinic's)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    invites = Invite.objects.select_related("clinic", "consultation__clinic").filter(
        token_hash=token_hash(token)
    )
    if clinic_id is not None:
        invites = invites.filter(clinic_id=clinic_id)
    return invites.first()


def invite_from_token(token: str) -> Invite | None:
    """The still-usable relative's/interpreter's invitation the token names, or None
    (forged, expired, used, revoked, or a patient's)."""
    invite = invite_named(token)
    if invite is None or not invite.is_usable or invite.purpose != Invite.Purpose.GUEST:
        return None
    return invite


def guest_invite(session: Any) -> Invite | None:
    """The invitation a guest's session holds, revoked or not (None if it holds none)."""
    data = session.get(GUEST_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("invite"), int):
        return None
    return Invite.objects.filter(pk=data["invite"]).first()


def invited_consultation(session: Any, consultation_id: int) -> Consultation | None:
    """The consultation an invited patient's session waits in (or is called from), if it
    is this one and the invitation still stands."""
    data = session.get(GUEST_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict) or data.get("consultation") != consultation_id:
        return None
    if not isinstance(data.get("invite"), int):
        return None
    invite = Invite.objects.filter(
        pk=data["invite"],
        purpose=Invite.Purpose.PATIENT,
        consultation_id=consultation_id,
        used_at__isnull=False,
        revoked_at__isnull=True,
    ).first()
    return Consultation.objects.filter(pk=consultation_id).first() if invite else None
