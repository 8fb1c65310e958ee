"""Every change of a call goes through here: one transaction that checks the rules, writes
the roster or the invitation, audits, and tells the call's sockets once it has committed."""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.consultations.actions import ActionError
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.directory.models import Clinic
from kontaktlaege.live.layer import send_hint

from . import calls, messages
from .models import CallMember, Invite

S = Consultation.State


class JoinResult(enum.Enum):
    JOINED = "joined"  # a new place in the call
    REJOINED = "rejoined"  # the same participant's place, now on this socket
    FORBIDDEN = "forbidden"
    INACTIVE = "inactive"  # the consultation is not running
    FULL = "full"


class LeaveReason(enum.Enum):
    LEFT = "left"  # the participant hung up
    REFUSED = "refused"  # no longer allowed in the call
    ENDED = "ended"  # the consultation ended
    EXPIRED = "expired"  # away longer than the grace period
    REPLACED = "replaced"  # the same person joined again from another page (a reload)
    REMOVED = "removed"  # a guest the doctor removed from the call


@dataclass(frozen=True)
class Heartbeat:
    back: bool  # this participant had been taken for away and is not
    gone: list[str]  # others now taken for away: their heartbeats stopped


def _tell_call(
    consultation_id: int,
    event: str,
    peer: dict[str, Any],
    channel: str = "",
    reason: LeaveReason | None = None,
) -> None:
    """On commit, tell the call's sockets that a participant joined, is away or left. A
    place taken away (replaced, removed) carries the reason: that participant's own socket,
    if still open, is told and closed."""
    message: dict[str, Any] = {"type": "video.peer", "event": event, "peer": peer}
    if event == "joined":
        message["channel"] = channel  # for the others' consumers only
    if reason is not None:
        message["reason"] = reason.value  # for the consumers only
    group = calls.call_group(consultation_id)
    transaction.on_commit(lambda: send_hint(group, message))


def _tell_joined(member: CallMember) -> None:
    _tell_call(member.consultation_id, "joined", calls.member_info(member), member.channel_name)


def _record_left(
    member: CallMember, consultation: Consultation, actor: User | None, reason: LeaveReason
) -> None:
    record(
        "video_left",
        actor=actor,
        clinic=consultation.clinic_id,
        consultation=consultation,
        detail={"role": member.role, "reason": reason.value},
    )


def join(
    principal: calls.Principal, consultation_id: int, peer_id: str, channel: str
) -> JoinResult:
    """Add the participant to the call, or move its place to this socket. Places left away
    past the grace period are given up first, so they do not count against the limit."""
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if consultation is None:
            return JoinResult.FORBIDDEN
        role = calls.role_of(principal, consultation)
        if role is None:
            return JoinResult.FORBIDDEN
        if consultation.state != S.ADMITTED:
            return JoinResult.INACTIVE
        members = CallMember.objects.filter(consultation=consultation)
        expired = members.filter(away_since__lt=timezone.now() - calls.grace_period())
        for member in expired:
            member.delete()
            _record_left(member, consultation, None, LeaveReason.EXPIRED)
        existing = members.filter(peer_id=peer_id).first()
        if existing is not None:
            if existing.principal != principal.key:
                return JoinResult.FORBIDDEN
            existing.channel_name, existing.away_since = channel, None
            existing.seen_at = timezone.now()
            existing.save(update_fields=["channel_name", "away_since", "seen_at"])
            _tell_joined(existing)
            return JoinResult.REJOINED
        # Places are per person, not per socket. The same person with a new peer id most
        # likely reloaded the page (or opened it twice): the older place is given up, told
        # as left, and its socket (if still open) closed. The new place joins last, so it
        # makes the offers to everyone: the order rule holds.
        for older in members.filter(principal=principal.key):
            older.delete()
            _record_left(older, consultation, principal.user, LeaveReason.REPLACED)
            _tell_call(consultation_id, "left", {"id": older.peer_id}, reason=LeaveReason.REPLACED)
        others = set(members.values_list("principal", flat=True))
        if len(others) >= calls.MAX_PARTICIPANTS:
            return JoinResult.FULL
        member = CallMember.objects.create(
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
            clinic=consultation.clinic_id,
            consultation=consultation,
            detail={"role": role[0]},
        )
        _tell_joined(member)
    return JoinResult.JOINED


def leave(
    principal: calls.Principal,
    consultation_id: int,
    peer_id: str,
    reason: LeaveReason = LeaveReason.LEFT,
) -> bool:
    """Give up the participant's place. The others are told, except when the consultation
    ended (every socket of the call is closing). False if it had no place."""
    with transaction.atomic():
        member = (
            CallMember.objects.select_related("consultation")
            .filter(consultation_id=consultation_id, peer_id=peer_id)
            .first()
        )
        if member is None:
            return False
        member.delete()
        _record_left(member, member.consultation, principal.user, reason)
        if reason != LeaveReason.ENDED:
            _tell_call(consultation_id, "left", {"id": peer_id})
    return True


def mark_away(consultation_id: int, peer_id: str, channel: str) -> bool:
    """The socket dropped; the place is kept for the grace period. False if a newer socket
    of the same peer has already taken over. Not audited: the place is unchanged."""
    with transaction.atomic():
        away = CallMember.objects.filter(
            consultation_id=consultation_id, peer_id=peer_id, channel_name=channel
        ).update(channel_name="", away_since=timezone.now())
        if away:
            _tell_call(consultation_id, "away", {"id": peer_id})
    return bool(away)


def heartbeat(consultation_id: int, peer_id: str, channel: str) -> Heartbeat:
    """A participant's ping: it is alive; and whoever in the call has gone silent is away.
    The sockets of a dead process never close, so the survivors' heartbeats find them."""
    now = timezone.now()
    limit = now - calls.silent_after()
    members = CallMember.objects.filter(consultation_id=consultation_id)
    with transaction.atomic():
        everyone = list(members.values_list("peer_id", "channel_name", "away_since", "seen_at"))
        mine = members.filter(peer_id=peer_id, channel_name=channel)
        back = False
        if any(p == peer_id and c == channel and a is not None for p, c, a, _s in everyone):
            back = bool(mine.filter(away_since__isnull=False).update(seen_at=now, away_since=None))
        else:
            # A participant taken for away meanwhile stays away: its next heartbeat brings it
            # back, announced.
            mine.filter(away_since__isnull=True).update(seen_at=now)
        if back:
            _tell_joined(mine.get())
        gone = []
        for other, _c, away_since, seen_at in everyone:
            if other == peer_id or away_since is not None or seen_at >= limit:
                continue
            # The same test in the update: the row may have changed since the read.
            silent = members.filter(peer_id=other, away_since__isnull=True, seen_at__lt=limit)
            if silent.update(away_since=F("seen_at")):
                gone.append(other)
                _tell_call(consultation_id, "away", {"id": other})
    return Heartbeat(back=back, gone=gone)


# --- invitations ----------------------------------------------------------------------------


def create_invite(staff: User, consultation: Consultation) -> tuple[Invite, str]:
    """A one-time link for a relative or interpreter, while the consultation is running."""
    with transaction.atomic():
        current = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if not staff.is_clinic_staff or current.clinic_id != staff.clinic_id:
            raise Consultation.DoesNotExist
        if current.state != S.ADMITTED:
            raise ActionError(_("Konsultationen er ikke i gang."))
        token, token_hash = calls.new_token()
        invite = Invite.objects.create(
            purpose=Invite.Purpose.GUEST,
            clinic_id=current.clinic_id,
            consultation=current,
            created_by=staff,
            token_hash=token_hash,
            expires_at=timezone.now() + timedelta(seconds=calls.invite_ttl()),
        )
        record("video_invite_created", actor=staff, clinic=current.clinic_id, consultation=current)
    return invite, token


def invite_patient(
    staff: User,
    *,
    address: str,
    link: Callable[[int, str], str],
    name: str = "",
    at: datetime | None = None,
    consultation: Consultation | None = None,
    now: datetime | None = None,
) -> Invite:
    """Send a one-time link to a phone number (SMS) or an e-mail address: opened, it puts
    the person in the clinic's waiting room, marked invited. `link(clinic_id, token)` makes
    the absolute URL. At most INVITES_PER_ADDRESS to one address per hour. `consultation`:
    an entry the clinic queued itself (a passant), which the link then joins."""
    from kontaktlaege.outbox import actions as outbox
    from kontaktlaege.outbox import recipients

    if not staff.is_clinic_staff or staff.clinic is None:
        raise PermissionError("clinic staff only")
    clinic = staff.clinic
    now = now or timezone.now()
    address = (address or "").strip()
    channel = Invite.Channel.EMAIL if "@" in address else Invite.Channel.SMS
    try:
        recipient = (
            recipients.normalize_email(address)
            if channel == Invite.Channel.EMAIL
            else recipients.normalize_phone(address)
        )
    except ValidationError as error:
        raise ActionError(" ".join(error.messages)) from None
    recipient_hash = messages.address_hash(recipient)
    with transaction.atomic():
        # One clinic's invitations one at a time: the count below cannot be raced past.
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        recent = Invite.objects.filter(
            recipient_hash=recipient_hash, created_at__gte=now - timedelta(hours=1)
        ).count()
        if recent >= settings.INVITES_PER_ADDRESS:
            raise ActionError(
                _(
                    "Der er allerede sendt %(count)d invitationer til denne modtager den "
                    "seneste time. Vent lidt, eller ring til personen."
                )
                % {"count": recent}
            )
        if consultation is not None and (
            consultation.clinic_id != clinic.pk or consultation.state != S.QUEUED
        ):
            raise ActionError(_("Konsultationen er allerede afsluttet eller ændret."))
        start = max(now, at) if at else now
        invite, token = issue_patient_link(
            staff,
            name=name,
            at=at,
            expires_at=start + timedelta(hours=settings.INVITE_LINK_HOURS),
            channel=channel,
            recipient_hash=recipient_hash,
            consultation=consultation,
        )
        url = link(clinic.pk, token)
        subject, body = messages.invitation(clinic, url, invite)
        outbox.enqueue(
            channel=channel,
            recipient=recipient,
            subject=subject if channel == Invite.Channel.EMAIL else "",
            body=body,
            clinic=clinic,
            consultation=consultation,
            actor=staff,
            now=now,
        )
        record(
            "invite_sent",
            actor=staff,
            clinic=clinic,
            consultation=consultation,
            detail={"invite": invite.pk, "channel": channel},
        )
    return invite


def issue_patient_link(
    staff: User,
    *,
    name: str,
    at: datetime | None,
    expires_at: datetime,
    channel: str,
    recipient_hash: str = "",
    consultation: Consultation | None = None,
) -> tuple[Invite, str]:
    """A patient's link to the staff's clinic, not sent: the caller sends it (an invitation,
    a booking's confirmation) in the same transaction. Its token, and the stored row."""
    token, token_hash = calls.new_token()
    invite = Invite.objects.create(
        purpose=Invite.Purpose.PATIENT,
        clinic_id=staff.clinic_id,
        consultation=consultation,
        created_by=staff,
        token_hash=token_hash,
        channel=channel,
        recipient_hash=recipient_hash,
        invitee_name=name,
        planned_at=at,
        expires_at=expires_at,
    )
    return invite, token


def revoke_invite(staff: User, invite_id: int) -> Invite:
    """The clinic withdraws a patient's invitation: its link lets nobody in any more."""
    if staff.clinic_id is None or not staff.is_clinic_staff:
        raise Invite.DoesNotExist
    with transaction.atomic():
        invite = (
            Invite.objects.select_for_update()
            .filter(pk=invite_id, clinic_id=staff.clinic_id, purpose=Invite.Purpose.PATIENT)
            .first()
        )
        if invite is None:
            raise Invite.DoesNotExist
        if invite.revoked_at is None:
            invite.revoked_at = timezone.now()
            invite.save(update_fields=["revoked_at"])
            record(
                "invite_revoked", actor=staff, clinic=invite.clinic_id, detail={"invite": invite.pk}
            )
    return invite


def use_invite(invite: Invite, guest_name: str) -> bool:
    """Mark the invitation used; False if it was used first, has expired or the consultation
    is no longer running."""
    with transaction.atomic():
        used = Invite.objects.filter(
            pk=invite.pk,
            purpose=Invite.Purpose.GUEST,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            consultation__state=S.ADMITTED,
        ).update(used_at=timezone.now(), guest_name=guest_name)
        if used and (consultation := invite.consultation) is not None:
            record("video_invite_used", clinic=consultation.clinic_id, consultation=consultation)
    return bool(used)


def remove_guest(
    staff: User, consultation_id: int, *, peer_id: str = "", invite_id: int | None = None
) -> int:
    """The doctor removes a guest, named by its peer id in the call or by its invitation:
    the invitation is revoked (its link and the guest's session let nobody in again), the
    guest's place is given up, the call told, and the guest's open socket told and closed.
    Clinic staff of the consultation's clinic only. Returns the invitation's id."""
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if (
            consultation is None
            or not staff.is_clinic_staff
            or consultation.clinic_id != staff.clinic_id
        ):
            raise Consultation.DoesNotExist
        if peer_id:
            member = CallMember.objects.filter(
                consultation=consultation, peer_id=peer_id, role="guest"
            ).first()
            key = member.principal if member is not None else ""
            invite_id = int(key.split(":", 1)[1]) if key.startswith("guest:") else None
        invite = (
            Invite.objects.select_for_update()
            .filter(pk=invite_id, consultation=consultation)
            .first()
            if invite_id is not None
            else None
        )
        if invite is None:
            raise ActionError(_("Gæsten er ikke med i dette opkald."))
        if invite.revoked_at is None:
            invite.revoked_at = timezone.now()
            invite.save(update_fields=["revoked_at"])
        for member in CallMember.objects.filter(
            consultation=consultation, principal=f"guest:{invite.pk}"
        ):
            member.delete()
            _record_left(member, consultation, staff, LeaveReason.REMOVED)
            _tell_call(consultation.pk, "left", {"id": member.peer_id}, reason=LeaveReason.REMOVED)
        record(
            "video_guest_removed",
            actor=staff,
            clinic=consultation.clinic_id,
            consultation=consultation,
            detail={"invite": invite.pk},
        )
    return invite.pk


def erase_expired(now: datetime) -> int:
    """Retention (privacy/retention.py): the names on invitations that expired more than
    RETENTION_DAYS ago."""
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    return (
        Invite.objects.filter(expires_at__lt=cutoff)
        .exclude(invitee_name="", guest_name="")
        .update(invitee_name="", guest_name="")
    )
