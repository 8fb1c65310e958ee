"""Who may be in a call and the roster of who is: the rules the call socket and the pages
share. Everything here is synchronous database work."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.consultations.models import Consultation

from .models import CallMember, Invite

MAX_PARTICIPANTS = 4
GUEST_SESSION_KEY = "video_guest"
INVITE_SALT = "kontaktlaege.video.invite"
S = Consultation.State


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
    return {"doctor": _("Læge"), "employee": _("Medarbejder"), "guest": _("Pårørende/tolk")}


def _role(principal: Principal, consultation: Consultation) -> tuple[str, str] | None:
    """(role, display name) of the principal in this consultation, or None if not allowed."""
    user = principal.user
    if user is not None:
        if user.is_employee and consultation.employee_id == user.pk:
            return "employee", user.display_name
        if user.is_clinic_staff and consultation.clinic_id == user.clinic_id:
            return "doctor", user.display_name
        return None
    if principal.invite_id is None:
        return None
    invite = Invite.objects.filter(pk=principal.invite_id, used_at__isnull=False).first()
    if invite is None or invite.consultation_id != consultation.pk:
        return None
    return "guest", invite.guest_name


def guest_principal(session: Any, consultation_id: int) -> Principal | None:
    data = session.get(GUEST_SESSION_KEY) if session is not None else None
    if not isinstance(data, dict) or data.get("consultation") != consultation_id:
        return None
    return Principal(key=f"guest:{data['invite']}", invite_id=data["invite"])


def _grace() -> timedelta:
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


def join(principal: Principal, consultation_id: int, peer_id: str, channel: str) -> str:
    """Add (or re-attach) the participant. Returns "ok", "forbidden", "inactive" or "full"."""
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if consultation is None:
            return "forbidden"
        role = _role(principal, consultation)
        if role is None:
            return "forbidden"
        if consultation.state != S.ADMITTED:
            return "inactive"
        members = CallMember.objects.filter(consultation=consultation)
        members.filter(away_since__lt=timezone.now() - _grace()).delete()
        existing = members.filter(peer_id=peer_id).first()
        if existing is not None:
            if existing.principal != principal.key:
                return "forbidden"
            existing.channel_name, existing.away_since = channel, None
            existing.seen_at = timezone.now()
            existing.save(update_fields=["channel_name", "away_since", "seen_at"])
            return "ok"
        if members.count() >= MAX_PARTICIPANTS:
            return "full"
        CallMember.objects.create(
            consultation=consultation,
            peer_id=peer_id,
            principal=principal.key,
            role=role[0],
            name=role[1],
            channel_name=channel,
        )
    record(
        "video_joined",
        actor=principal.user,
        clinic=consultation.clinic,
        consultation=consultation,
        detail={"role": role[0]},
    )
    return "ok"


def may_signal(principal: Principal, consultation_id: int, channel: str) -> str:
    """Checked before every relayed message: "ok", "ended" or "forbidden"."""
    consultation = Consultation.objects.filter(pk=consultation_id).first()
    if principal.user is not None:
        # Re-read: the user may have been deactivated or moved to another clinic mid-call.
        user = User.objects.filter(pk=principal.user.pk, is_active=True).first()
        principal = Principal(key=principal.key, user=user) if user else principal
        if user is None:
            return "forbidden"
    if consultation is None or _role(principal, consultation) is None:
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


def away(consultation_id: int, peer_id: str, channel: str) -> bool:
    """The socket dropped; the place is kept for the grace period. False if a newer socket
    of the same peer has already taken over."""
    return bool(
        CallMember.objects.filter(
            consultation_id=consultation_id, peer_id=peer_id, channel_name=channel
        ).update(channel_name="", away_since=timezone.now())
    )


def silent_after() -> timedelta:
    """A participant unheard this long is away although its socket never closed: the server
    process holding that socket died (the page itself pings every HEARTBEAT_SECONDS)."""
    return timedelta(seconds=3 * settings.HEARTBEAT_SECONDS + 5)


@dataclass(frozen=True)
class Heartbeat:
    back: bool  # this participant had been taken for away and is not
    gone: list[str]  # others now taken for away: their heartbeats stopped


def heartbeat(consultation_id: int, peer_id: str, channel: str) -> Heartbeat:
    """A participant's ping: it is alive; and whoever in the call has gone silent is away.
    The sockets of a dead process never close, so the survivors' heartbeats find them.
    Usually only a read: writes only for one back from away or someone gone silent."""
    now = timezone.now()
    members = CallMember.objects.filter(consultation_id=consultation_id)
    everyone = list(members.values_list("pk", "peer_id", "channel_name", "away_since", "seen_at"))
    mine = [(pk, away) for pk, p, c, away, _s in everyone if p == peer_id and c == channel]
    back = any(away is not None for _pk, away in mine)
    if back:
        members.filter(peer_id=peer_id, channel_name=channel).update(seen_at=now, away_since=None)
    elif mine:
        members.filter(pk__in=[pk for pk, _away in mine]).update(seen_at=now)
    limit = now - silent_after()
    gone = []
    for _pk, other, _c, away_since, seen_at in everyone:
        if other == peer_id or away_since is not None or seen_at >= limit:
            continue
        # The same test in the update: it may have been heard from meanwhile.
        silent = members.filter(peer_id=other, away_since__isnull=True, seen_at__lt=limit)
        if silent.update(away_since=F("seen_at")):
            gone.append(other)
    return Heartbeat(back=back, gone=gone)


def leave(consultation_id: int, peer_id: str) -> None:
    CallMember.objects.filter(consultation_id=consultation_id, peer_id=peer_id).delete()


# --- invitations ----------------------------------------------------------------------------


def create_invite(staff: User, consultation: Consultation) -> tuple[Invite, str]:
    invite = Invite.objects.create(
        consultation=consultation,
        created_by=staff,
        nonce=secrets.token_urlsafe(16),
        expires_at=timezone.now() + timedelta(seconds=invite_ttl()),
    )
    record(
        "video_invite_created", actor=staff, clinic=consultation.clinic, consultation=consultation
    )
    token = signing.dumps({"i": invite.pk, "n": invite.nonce}, salt=INVITE_SALT)
    return invite, token


def invite_from_token(token: str) -> Invite | None:
    """The still-usable invitation the token names, or None (forged, expired, used)."""
    try:
        data = signing.loads(token, salt=INVITE_SALT, max_age=invite_ttl())
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        return None
    invite = (
        Invite.objects.select_related("consultation__clinic")
        .filter(pk=data["i"], nonce=str(data.get("n")))
        .first()
    )
    if invite is None or not invite.is_usable:
        return None
    return invite


def use_invite(invite: Invite, guest_name: str) -> bool:
    """Mark the invitation used; False if someone else used it first."""
    used = Invite.objects.filter(pk=invite.pk, used_at__isnull=True).update(
        used_at=timezone.now(), guest_name=guest_name
    )
    if used:
        record(
            "video_invite_used",
            clinic=invite.consultation.clinic,
            consultation=invite.consultation,
        )
    return bool(used)
