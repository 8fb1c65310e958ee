"""Every change of a waiting room or consultation goes through here: one transaction that
checks the rules, writes, audits, bumps the sequence numbers and pushes hints on commit."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.administration.models import Placement
from kontaktlaege.audit.log import record
from kontaktlaege.directory.models import Clinic, Ydernummer
from kontaktlaege.video.models import Invite

from . import events, lifecycle
from .models import Consultation, Message, OpeningWindow, WaitingRoom

S = Consultation.State


class ActionError(Exception):
    """A rule said no; the message is for the user, in their language."""


@dataclass(frozen=True)
class CitizenOnBehalf:
    cpr: str
    name: str


def _lock_room(clinic_id: int) -> WaitingRoom:
    room = WaitingRoom.objects.select_for_update().filter(clinic_id=clinic_id).first()
    if room is None:  # a clinic made outside the product's own forms has no room yet
        room, _created = WaitingRoom.objects.get_or_create(clinic_id=clinic_id)
        room = WaitingRoom.objects.select_for_update().get(pk=room.pk)
    return room


def _bump_room(room: WaitingRoom, changed: Consultation | None = None) -> None:
    """`changed`: the one consultation this change is about, if it is about one."""
    room.seq += 1
    room.save(update_fields=["seq"])
    events.clinic_changed(room.clinic_id, room.seq, changed.queue_key if changed else None)


def _lock(consultation_id: int) -> tuple[WaitingRoom, Consultation]:
    """Lock the clinic's room, then the consultation: always in this order (no deadlocks)."""
    clinic_id = Consultation.objects.values_list("clinic_id", flat=True).get(pk=consultation_id)
    room = _lock_room(clinic_id)
    return room, Consultation.objects.select_for_update().get(pk=consultation_id)


def _move(consultation: Consultation, target: str, actor: User | None, **detail: object) -> None:
    fields = lifecycle.transition(consultation, target)
    consultation.save(update_fields=fields)
    record(
        f"consultation_{target}",
        actor=actor,
        clinic=consultation.clinic_id,
        municipality=consultation.municipality_id,
        consultation=consultation,
        citizen_cpr_hash=consultation.citizen_cpr_hash,
        detail={k: v for k, v in detail.items() if v is not None},
    )
    events.consultation_changed(consultation.pk, consultation.seq)


def join_queue(
    employee: User,
    *,
    ydernummer: Ydernummer,
    reason: str,
    citizen: CitizenOnBehalf | None = None,
    consent_given: bool = False,
    submit_token: str | None = None,
    invite_id: int | None = None,
) -> Consultation:
    """Queue a consultation. `submit_token`: the draft's one-time token; a draft already
    queued gives back its consultation (a double tap queues once). `invite_id`: the clinic's
    invitation link the employee came by; it is used up here, and the entry is marked
    invited."""
    clinic: Clinic = ydernummer.clinic
    if not clinic.offers_video:
        raise ActionError(closed_message(clinic))
    if citizen is not None and not consent_given:
        raise ActionError(_("Borgerens samtykke (tro- og love-erklæring) mangler."))
    with transaction.atomic():
        room = _lock_room(clinic.pk)
        # Under the room's lock, so a concurrent submit of the same draft waits for this one;
        # the column's unique constraint holds even without it.
        queued = queued_from(employee, submit_token)
        if queued is not None:
            return queued
        invite = None
        if invite_id is not None:
            invite = _claim_invite(invite_id, clinic, employee.display_name)
        else:
            closed = closed_message(clinic, room)
            if closed:
                raise ActionError(closed)
        kind = Consultation.Kind.ON_BEHALF if citizen else Consultation.Kind.WITHOUT_CITIZEN
        consultation = Consultation(
            clinic=clinic,
            ydernummer=ydernummer,
            kind=_invited_kind(invite) if invite else kind,
            booked_for=invite.planned_at if invite else None,
            employee=employee,
            municipality_id=employee.municipality_id,
            employee_name=employee.display_name,
            employee_role=employee.job_role,
            employee_workplace=employee.workplace,
            employee_unit_id=Placement.unit_id_of(employee),
            reason=reason,
            consent_given=consent_given,
            submit_token=submit_token or None,
            queued_at=timezone.now(),
            last_seen_at=timezone.now(),
            seq=1,
        )
        if citizen is not None:
            consultation.citizen_name = citizen.name
            consultation.set_citizen_cpr(citizen.cpr)
            if Consultation.objects.filter(
                clinic=clinic,
                citizen_cpr_hash=consultation.citizen_cpr_hash,
                state__in=[S.QUEUED, S.ADMITTED],
            ).exists():
                raise ActionError(_("Borgeren står allerede i kø hos lægen."))
        consultation.save()
        if invite is not None:
            Invite.objects.filter(pk=invite.pk).update(consultation=consultation)
        record(
            "consultation_queued",
            actor=employee,
            clinic=clinic,
            consultation=consultation,
            citizen_cpr_hash=consultation.citizen_cpr_hash,
            detail={"kind": consultation.kind, "consent": consent_given},
        )
        _bump_room(room, consultation)
    return consultation


def join_queue_by_citizen(
    citizen: User,
    *,
    cpr: str,
    name: str,
    ydernummer: Ydernummer,
    reason: str,
    submit_token: str | None = None,
) -> Consultation:
    """A citizen signed in with MitID queues with their own doctor ("Borger selv"): no
    consent declaration, they act for themselves. `submit_token` as in join_queue()."""
    if not citizen.is_citizen:
        raise PermissionError("citizens only")
    clinic: Clinic = ydernummer.clinic
    with transaction.atomic():
        room = _lock_room(clinic.pk)
        queued = queued_from(citizen, submit_token)
        if queued is not None:
            return queued
        closed = closed_message(clinic, room)
        if closed:
            raise ActionError(closed)
        now = timezone.now()
        consultation = Consultation(
            clinic=clinic,
            ydernummer=ydernummer,
            kind=Consultation.Kind.CITIZEN,
            citizen_account=citizen,  # the citizen's own account, never `employee`
            citizen_name=name,
            reason=reason,
            submit_token=submit_token or None,
            queued_at=now,
            last_seen_at=now,
            seq=1,
        )
        consultation.set_citizen_cpr(cpr)
        _queue_once(room, consultation, citizen, _("Du står allerede i kø hos lægen."))
    return consultation


def _queue_once(room: WaitingRoom, consultation: Consultation, actor: User, waiting: str) -> None:
    """Save a new entry for a citizen, unless the citizen is already waiting or in a call at
    the clinic (`waiting` says so); audited, the room told."""
    if Consultation.objects.filter(
        clinic_id=consultation.clinic_id,
        citizen_cpr_hash=consultation.citizen_cpr_hash,
        state__in=[S.QUEUED, S.ADMITTED],
    ).exists():
        raise ActionError(waiting)
    consultation.save()
    record(
        "consultation_queued",
        actor=actor,
        clinic=consultation.clinic_id,
        consultation=consultation,
        citizen_cpr_hash=consultation.citizen_cpr_hash,
        detail={"kind": consultation.kind},
    )
    _bump_room(room, consultation)


def invite_refusal(clinic: Clinic | None) -> str:
    """What a link that no longer works says, with the clinic's phone as plan B."""
    if clinic is None:
        return _("Linket virker ikke. Ring til din læge.")
    return _(
        "Linket er allerede brugt, er udløbet eller er trukket tilbage. Ring til klinikken "
        "på %(phone)s."
    ) % {"phone": clinic.phone or "-"}


def early_window() -> timedelta:
    """How long before the given time an invited or booked person may enter the room."""
    return timedelta(minutes=settings.BOOKING_EARLY_MINUTES)


def too_early(planned_at: datetime) -> str:
    opens = timezone.localtime(planned_at - early_window())
    return _("Du er lidt for tidligt på den. Du kan gå ind i venteværelset fra kl. %(time)s.") % {
        "time": f"{opens:%H.%M}"
    }


def _claim_invite(invite_id: int, clinic: Clinic, name: str) -> Invite:
    """Use up a patient's invitation to the clinic: the conditional UPDATE succeeds for one
    caller only, and only while the link is unused, unexpired, not withdrawn and the
    clinic's."""
    now = timezone.now()
    planned_at = Invite.objects.filter(pk=invite_id).values_list("planned_at", flat=True).first()
    if planned_at is not None and now < planned_at - early_window():
        raise ActionError(too_early(planned_at))
    claimed = Invite.objects.filter(
        pk=invite_id,
        clinic=clinic,
        purpose=Invite.Purpose.PATIENT,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now, guest_name=name[:60])
    if not claimed:
        raise ActionError(invite_refusal(clinic))
    return Invite.objects.get(pk=invite_id)


def _invited_kind(invite: Invite) -> str:
    """A booking's link (bookings/) marks its person booked; any other, invited."""
    booked = hasattr(invite, "booking")  # the booking's one-to-one back to its link
    return Consultation.Kind.BOOKED if booked else Consultation.Kind.INVITED


def join_invited(invite_id: int, name: str) -> Consultation:
    """A person who opened the clinic's invitation link (and passed the device check) enters
    the waiting room, marked invited. The invitation is what admits them: the room's
    open/closed state for walk-ins does not apply. An invitation to an entry the clinic
    queued itself (a passant) makes the person that entry's."""
    clinic_id = (
        Invite.objects.filter(pk=invite_id, purpose=Invite.Purpose.PATIENT)
        .values_list("clinic_id", flat=True)
        .first()
    )
    clinic = Clinic.objects.filter(pk=clinic_id).first() if clinic_id else None
    if clinic is None:
        raise ActionError(invite_refusal(None))
    if not clinic.offers_video:
        raise ActionError(closed_message(clinic))
    with transaction.atomic():
        room = _lock_room(clinic.pk)
        invite = _claim_invite(invite_id, clinic, name)
        now = timezone.now()
        if invite.consultation_id is not None:
            consultation = Consultation.objects.select_for_update().get(pk=invite.consultation_id)
            if consultation.state != S.QUEUED:
                raise ActionError(invite_refusal(clinic))
            consultation.last_seen_at, consultation.away_since = now, None
            consultation.seq += 1
            consultation.save(update_fields=["last_seen_at", "away_since", "seq"])
            events.consultation_changed(consultation.pk, consultation.seq)
        else:
            consultation = Consultation.objects.create(
                clinic=clinic,
                ydernummer=clinic.ydernumre.order_by("pk").first(),
                kind=_invited_kind(invite),
                citizen_name=name or invite.invitee_name,
                reason="",
                booked_for=invite.planned_at,
                queued_at=now,
                last_seen_at=now,
                seq=1,
            )
            Invite.objects.filter(pk=invite.pk).update(consultation=consultation)
        record(
            "consultation_queued",
            clinic=clinic,
            consultation=consultation,
            citizen_cpr_hash=consultation.citizen_cpr_hash,
            detail={"kind": consultation.kind, "invite": invite.pk},
        )
        _bump_room(room, consultation)
    return consultation


def add_passant(staff: User, cpr: str, reason: str) -> Consultation:
    """Clinic staff queue a patient who is not listed at the clinic ("passant", reference
    002), found by CPR number: the look-up is limited and audited like an employee's. The
    entry waits for the person, who comes in by an invitation link."""
    from kontaktlaege.directory import lookups

    clinic = staff.clinic
    if not staff.is_clinic_staff or clinic is None:
        raise PermissionError("clinic staff only")
    try:
        found = lookups.look_up(staff, cpr)
    except lookups.LookupLimitReached as refused:
        raise ActionError(str(refused)) from None
    if found is None:
        raise ActionError(_("CPR-nummeret findes ikke i CPR-registret."))
    with transaction.atomic():
        room = _lock_room(clinic.pk)
        consultation = Consultation(
            clinic=clinic,
            ydernummer=clinic.ydernumre.order_by("pk").first(),
            kind=Consultation.Kind.PASSANT,
            citizen_name=found.name,
            reason=reason,
            queued_at=timezone.now(),
            seq=1,
        )
        consultation.set_citizen_cpr(cpr)
        _queue_once(room, consultation, staff, _("Borgeren står allerede i kø hos lægen."))
    return consultation


def leave_invited(invite_id: int, consultation_id: int) -> Consultation:
    """An invited person leaves the queue ("Forlad køen")."""
    with transaction.atomic():
        room, consultation = _lock(consultation_id)
        if not Invite.objects.filter(
            pk=invite_id, consultation_id=consultation.pk, revoked_at__isnull=True
        ).exists():
            raise Consultation.DoesNotExist
        try:
            _move(consultation, S.CANCELLED, None, invite=invite_id)
        except lifecycle.TransitionNotAllowed as exc:
            raise ActionError(str(exc.user_message)) from None
        _bump_room(room, consultation)
    return consultation


def closed_message(clinic: Clinic, room: WaitingRoom | None = None) -> str:
    """Why no one can queue at the clinic now, with its phone as plan B; "" when one can."""
    phone = clinic.phone or "-"
    if not clinic.offers_video:
        return _("Lægen tilbyder ikke videokonsultation. Ring til klinikken på %(phone)s.") % {
            "phone": phone
        }
    room = room or WaitingRoom.objects.get_or_create(clinic=clinic)[0]
    if not room.is_open():
        return _("Lægens venteværelse er lukket lige nu. Ring til klinikken på %(phone)s.") % {
            "phone": phone
        }
    return ""


def queued_from(user: User, submit_token: str | None) -> Consultation | None:
    """The user's own consultation queued from the draft with this token, if any."""
    if not submit_token:
        return None
    return Consultation.objects.followed_by(user).filter(submit_token=submit_token).first()


def _clinic_transition(
    staff: User, consultation_id: int, target: str, **detail: object
) -> Consultation:
    with transaction.atomic():
        room, consultation = _lock(consultation_id)
        if consultation.clinic_id != staff.clinic_id:
            raise Consultation.DoesNotExist
        try:
            _move(consultation, target, staff, **detail)
        except lifecycle.TransitionNotAllowed as exc:
            raise ActionError(str(exc.user_message)) from None
        if target == S.ADMITTED:
            consultation.admitted_by = staff
            consultation.save(update_fields=["admitted_by"])
        _bump_room(room, consultation)
    return consultation


def admit(staff: User, consultation_id: int) -> Consultation:
    return _clinic_transition(staff, consultation_id, S.ADMITTED)


def reject(staff: User, consultation_id: int, message: str = "") -> Consultation:
    with transaction.atomic():
        consultation = _clinic_transition(
            staff, consultation_id, S.REJECTED, with_message=bool(message)
        )
        consultation.reject_message = message
        consultation.save(update_fields=["reject_message"])
    return consultation


def cancel(employee: User, consultation_id: int) -> Consultation:
    with transaction.atomic():
        room, consultation = _lock(consultation_id)
        if not consultation.is_followed_by(employee):
            raise Consultation.DoesNotExist
        try:
            _move(consultation, S.CANCELLED, employee)
        except lifecycle.TransitionNotAllowed as exc:
            raise ActionError(str(exc.user_message)) from None
        _bump_room(room, consultation)
    return consultation


def end(user: User, consultation_id: int) -> Consultation:
    """Either side ends a running consultation."""
    with transaction.atomic():
        room, consultation = _lock(consultation_id)
        if not (
            consultation.is_followed_by(user)
            or (user.is_clinic_staff and consultation.clinic_id == user.clinic_id)
        ):
            raise Consultation.DoesNotExist
        try:
            _move(consultation, S.ENDED, user)
        except lifecycle.TransitionNotAllowed as exc:
            raise ActionError(str(exc.user_message)) from None
        _bump_room(room, consultation)
    return consultation


def continue_by_phone(user: User, consultation_id: int) -> Consultation:
    """ "Fortsat over telefon": the video failed and the call went on by phone. Either side
    marks it, once; a queued consultation leaves the queue as ended (the doctor took it by
    phone), an admitted one runs on until it is ended."""
    with transaction.atomic():
        room, consultation = _lock(consultation_id)
        clinic_side = user.is_clinic_staff and consultation.clinic_id == user.clinic_id
        if not (clinic_side or consultation.is_followed_by(user)):
            raise Consultation.DoesNotExist
        if consultation.phone_fallback_at is not None:
            raise ActionError(_("Konsultationen er allerede markeret som fortsat over telefon."))
        target = lifecycle.BY_PHONE.get(consultation.state)
        if target is None:
            raise ActionError(_("Konsultationen er allerede afsluttet eller ændret."))
        was = consultation.state
        fields = ["phone_fallback_at", "phone_fallback_by", "seq"]
        if target != was:
            fields += lifecycle.transition(consultation, target, by_phone=True)
        else:
            consultation.seq += 1
        consultation.phone_fallback_at = timezone.now()
        consultation.phone_fallback_by = user
        consultation.save(update_fields=sorted(set(fields)))
        record(
            "consultation_phone_fallback",
            actor=user,
            clinic=consultation.clinic_id,
            municipality=consultation.municipality_id,
            consultation=consultation,
            citizen_cpr_hash=consultation.citizen_cpr_hash,
            detail={"side": "clinic" if clinic_side else "employee", "from": was, "to": target},
        )
        events.consultation_changed(consultation.pk, consultation.seq)
        _bump_room(room, consultation)
    return consultation


def send_message(staff: User, consultation_id: int, text: str) -> Message:
    with transaction.atomic():
        _room, consultation = _lock(consultation_id)
        if consultation.clinic_id != staff.clinic_id:
            raise Consultation.DoesNotExist
        if not consultation.is_active:
            raise ActionError(_("Konsultationen er allerede afsluttet eller ændret."))
        message = Message.objects.create(consultation=consultation, author=staff, text=text)
        consultation.seq += 1
        consultation.save(update_fields=["seq"])
        record(
            "message_sent", actor=staff, clinic=consultation.clinic_id, consultation=consultation
        )
        events.consultation_changed(consultation.pk, consultation.seq)
    return message


def set_mode(staff: User, mode: str, *, clear_queue: bool = False) -> WaitingRoom:
    """Open now, open on the weekly schedule, or close (keeping or clearing the queue)."""
    if mode not in WaitingRoom.Mode.values:
        raise ActionError(_("Ukendt status for venteværelset."))
    with transaction.atomic():
        room = _lock_room(staff.clinic_id)  # type: ignore[arg-type]
        was_open = room.is_open()
        room.mode = mode
        room.save(update_fields=["mode"])
        cleared = 0
        if mode == WaitingRoom.Mode.CLOSED and clear_queue:
            waiting = Consultation.objects.select_for_update().filter(
                clinic_id=room.clinic_id, state=S.QUEUED
            )
            for consultation in waiting:
                _move(consultation, S.CLEARED, staff)
                cleared += 1
        else:
            _tell_waiting_if_opened_or_closed(room, was_open)
        record(
            "waiting_room_" + mode,
            actor=staff,
            clinic=room.clinic,
            municipality=room.clinic.municipality,
            detail={"cleared": cleared},
        )
        _bump_room(room)
    return room


def _tell_waiting_if_opened_or_closed(room: WaitingRoom, was_open: bool) -> None:
    """Those waiting are told that the room closed (or opened again) for new arrivals."""
    if room.is_open() == was_open:
        return
    waiting = Consultation.objects.select_for_update().filter(
        clinic_id=room.clinic_id, state=S.QUEUED
    )
    for consultation in waiting:
        consultation.seq += 1
        consultation.save(update_fields=["seq"])
        events.consultation_changed(consultation.pk, consultation.seq)


def set_schedule(staff: User, windows: list[tuple[int, time, time]]) -> WaitingRoom:
    with transaction.atomic():
        room = _lock_room(staff.clinic_id)  # type: ignore[arg-type]
        was_open = room.is_open()
        room.windows.all().delete()
        OpeningWindow.objects.bulk_create(
            OpeningWindow(waiting_room=room, weekday=d, start=s, end=e) for d, s, e in windows
        )
        _tell_waiting_if_opened_or_closed(room, was_open)
        record(
            "schedule_changed", actor=staff, clinic=room.clinic, detail={"windows": len(windows)}
        )
        _bump_room(room)
    return room


# --- presence of the waiting person's page ------------------------------------------------


def _set_away(consultation_id: int, away: bool, since: datetime | None = None) -> bool:
    """Mark the waiting person away (since `since`, or now) or back; the clinic's pages are
    told. Whether it changed."""
    with transaction.atomic():
        room, consultation = _lock(consultation_id)
        if consultation.state != S.QUEUED or (consultation.away_since is not None) == away:
            return False
        consultation.away_since = (since or timezone.now()) if away else None
        if not away:
            consultation.last_seen_at = timezone.now()
        consultation.save(update_fields=["away_since", "last_seen_at"])
        _bump_room(room, consultation)
    return True


def page_back(consultation_id: int) -> bool:
    """A page of a waiting person that was away is open again."""
    return _set_away(consultation_id, away=False)


def page_gone(consultation_id: int, since: datetime | None = None) -> bool:
    """The last page of a waiting person has closed (or went silent at `since`); the grace
    period starts."""
    return _set_away(consultation_id, away=True, since=since)


def pages_open(consultation_ids: list[int]) -> None:
    """The server's poll, every few seconds: these consultations have a page open here."""
    now = timezone.now()
    waiting = Consultation.objects.filter(pk__in=consultation_ids, state=S.QUEUED)
    waiting.update(last_seen_at=now)
    for pk in waiting.filter(away_since__isnull=False).values_list("pk", flat=True):
        page_back(pk)


def silent_after() -> timedelta:
    """A waiting page unstamped this long is gone although its socket never closed: the
    server process holding it died (live processes stamp their pages every few seconds)."""
    return timedelta(seconds=3 * settings.PRESENCE_STAMP_SECONDS)


def abandon_stale(now: datetime | None = None) -> int:
    """Pages gone silent are away; people away longer than the grace period lose their place."""
    now = now or timezone.now()
    silent = Consultation.objects.filter(
        state=S.QUEUED, away_since__isnull=True, last_seen_at__lt=now - silent_after()
    )
    for pk, last_seen_at in list(silent.values_list("pk", "last_seen_at")):
        page_gone(pk, since=last_seen_at)
    limit = now - timedelta(seconds=settings.QUEUE_GRACE_SECONDS)
    count = 0
    stale = Consultation.objects.filter(state=S.QUEUED, away_since__lt=limit)
    for pk in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            room, consultation = _lock(pk)
            if consultation.state != S.QUEUED or not (
                consultation.away_since and consultation.away_since < limit
            ):
                continue
            _move(consultation, S.ABANDONED, None, grace_seconds=settings.QUEUE_GRACE_SECONDS)
            _bump_room(room, consultation)
            count += 1
    return count
