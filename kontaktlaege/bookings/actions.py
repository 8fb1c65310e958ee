"""Every change of a booking goes through here: book, move and cancel, each one audited
transaction that also queues the person's message in the outbox; and the reminder job, run
by the scheduler.

Two scheduler processes may look for due reminders at once: each booking's reminder is
claimed by a conditional UPDATE (`… WHERE id = %s AND reminder_claimed_at IS NULL`) in the
same transaction that queues the reminder, so exactly one of them queues it."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kontaktlaege.accounts.models import User
from kontaktlaege.audit.log import record
from kontaktlaege.consultations.actions import ActionError
from kontaktlaege.directory.models import Doctor
from kontaktlaege.outbox import actions as outbox
from kontaktlaege.video import actions as video
from kontaktlaege.video import messages
from kontaktlaege.video.models import Invite

from . import calendar
from .models import Booking

log = logging.getLogger(__name__)
BATCH = 100
# A booking's link works until this long after the booked time ends.
LINK_GRACE = timedelta(hours=1)


def reminder_time(starts_at: datetime) -> datetime:
    return starts_at - timedelta(minutes=settings.BOOKING_REMINDER_MINUTES)


def _no_reminder(starts_at: datetime, now: datetime) -> datetime | None:
    """Booked within the reminder's time: the confirmation is the reminder (marked as
    claimed, so no scheduler sends another)."""
    return now if reminder_time(starts_at) <= now else None


def _audit(action: str, booking: Booking, actor: User | None = None) -> None:
    record(action, actor=actor, clinic=booking.clinic_id, detail={"booking": booking.pk})


def book(
    staff: User,
    *,
    who: str,
    name: str,
    phone: str,
    email: str,
    starts_at: datetime,
    minutes: int,
    doctor: Doctor | None,
    link: Callable[[int, str], str],
    now: datetime | None = None,
) -> Booking:
    """Book a video consultation; the person gets the confirmation with the link, the
    preparation advice and (by e-mail) the calendar file. `phone` and `email` are normalised
    already (the form does it); one of them is needed."""
    now = now or timezone.now()
    if not staff.is_clinic_staff or staff.clinic is None:
        raise PermissionError("clinic staff only")
    if not (phone or email):
        raise ActionError(_("Skriv et mobilnummer eller en e-mailadresse."))
    if starts_at <= now:
        raise ActionError(_("Tidspunktet er allerede passeret."))
    if doctor is not None and doctor.ydernummer.clinic_id != staff.clinic_id:
        raise ActionError(_("Lægen hører ikke til klinikken."))
    ends_at = starts_at + timedelta(minutes=minutes)
    with transaction.atomic():
        invite, token = video.issue_patient_link(
            staff,
            name=name,
            at=starts_at,
            expires_at=ends_at + LINK_GRACE,
            channel=Invite.Channel.EMAIL if email else Invite.Channel.SMS,
        )
        booking = Booking.objects.create(
            clinic=staff.clinic,
            doctor=doctor,
            who=who,
            name=name,
            phone=phone,
            email=email,
            starts_at=starts_at,
            minutes=minutes,
            invite=invite,
            link=link(staff.clinic.pk, token),
            reminder_at=reminder_time(starts_at),
            reminder_claimed_at=_no_reminder(starts_at, now),
            created_by=staff,
        )
        _tell(booking, "confirmation", staff, now)
        _audit("booking_created", booking, staff)
    return booking


def _locked(staff: User, booking_id: int) -> Booking:
    if staff.clinic_id is None:
        raise Booking.DoesNotExist
    booking = (
        Booking.objects.select_for_update()
        .select_related("clinic")
        .filter(pk=booking_id, clinic_id=staff.clinic_id)
        .first()
    )
    if booking is None or not staff.is_clinic_staff:
        raise Booking.DoesNotExist
    if booking.state != Booking.State.BOOKED:
        raise ActionError(_("Bookingen er aflyst."))
    return booking


def _arrived(booking: Booking) -> bool:
    return Invite.objects.filter(booking=booking, used_at__isnull=False).exists()


def move(
    staff: User, booking_id: int, starts_at: datetime, minutes: int, now: datetime | None = None
) -> Booking:
    """A new time; the person is told, with the same link and an updated calendar file, and
    the reminder is due again before the new time."""
    now = now or timezone.now()
    if starts_at <= now:
        raise ActionError(_("Tidspunktet er allerede passeret."))
    with transaction.atomic():
        booking = _locked(staff, booking_id)
        if _arrived(booking):
            raise ActionError(_("Personen er allerede kommet ind via linket."))
        booking.starts_at, booking.minutes = starts_at, minutes
        booking.sequence += 1
        booking.reminder_at = reminder_time(starts_at)
        booking.reminder_claimed_at = _no_reminder(starts_at, now)
        booking.save()
        Invite.objects.filter(booking=booking).update(
            planned_at=starts_at, expires_at=booking.ends_at + LINK_GRACE
        )
        _tell(booking, "moved", staff, now)
        _audit("booking_moved", booking, staff)
    return booking


def cancel(staff: User, booking_id: int, now: datetime | None = None) -> Booking:
    """The booking is cancelled, its link withdrawn, and the person told."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked(staff, booking_id)
        booking.state = Booking.State.CANCELLED
        booking.sequence += 1
        booking.save(update_fields=["state", "sequence"])
        Invite.objects.filter(booking=booking, revoked_at__isnull=True).update(revoked_at=now)
        _tell(booking, "cancelled", staff, now)
        _audit("booking_cancelled", booking, staff)
    return booking


def _texts(booking: Booking, what: str) -> tuple[str, list[str]]:
    clinic = booking.clinic
    when = messages.local(booking.starts_at)
    subject = {
        "confirmation": _("Bekræftelse: videokonsultation hos %(clinic)s %(when)s"),
        "reminder": _("Påmindelse: videokonsultation hos %(clinic)s %(when)s"),
        "moved": _("Ny tid: videokonsultation hos %(clinic)s %(when)s"),
        "cancelled": _("Aflyst: videokonsultation hos %(clinic)s %(when)s"),
    }[what] % {"clinic": clinic.name, "when": when}
    if what == "cancelled":
        return subject, [
            _(
                "Din videokonsultation hos %(clinic)s %(when)s er aflyst. Linket virker ikke "
                "længere."
            )
            % {"clinic": clinic.name, "when": when},
            _("Ring til klinikken på %(phone)s, hvis du har brug for en ny tid.")
            % {"phone": clinic.phone or "-"},
        ]
    intro = {
        "confirmation": _("Du har en videokonsultation hos %(clinic)s %(when)s."),
        "reminder": _("Husk din videokonsultation hos %(clinic)s %(when)s."),
        "moved": _("Din videokonsultation hos %(clinic)s er flyttet til %(when)s."),
    }[what] % {"clinic": clinic.name, "when": when}
    early = settings.BOOKING_EARLY_MINUTES
    return subject, [
        intro,
        _("Åbn linket på din telefon eller computer op til %(minutes)d minutter før:")
        % {"minutes": early},
        booking.link,
        messages.plan_b(clinic),
    ]


def _tell(booking: Booking, what: str, actor: User | None, now: datetime) -> None:
    """Queue the person's message by SMS and/or e-mail; the e-mail carries the preparation
    advice and the calendar file."""
    with translation.override(settings.LANGUAGE_CODE):
        subject, lines = _texts(booking, what)
        if booking.phone:
            outbox.enqueue(
                channel="sms",
                recipient=booking.phone,
                body="\n".join(lines),
                clinic=booking.clinic,
                actor=actor,
                now=now,
            )
        if booking.email:
            body = [_("Kære %(name)s") % {"name": booking.name}, "", *lines]
            if what in ("confirmation", "moved"):
                body += ["", _("Sådan forbereder du dig:")]
                body += [f"- {line}" for line in messages.preparation()]
            method = "CANCEL" if what == "cancelled" else "REQUEST"
            outbox.enqueue(
                channel="email",
                recipient=booking.email,
                subject=subject,
                body="\n".join(body),
                clinic=booking.clinic,
                actor=actor,
                now=now,
                attachment=(
                    calendar.FILE_NAME,
                    calendar.mime_type(method),
                    calendar.ics(booking, method),
                ),
            )


def due_reminders(now: datetime) -> list[int]:
    return list(
        Booking.objects.filter(
            state=Booking.State.BOOKED,
            reminder_claimed_at__isnull=True,
            reminder_at__lte=now,
            starts_at__gt=now,
        )
        .order_by("reminder_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the reminders due at `now` (injected in tests); how many this call queued."""
    now = now or timezone.now()
    queued = 0
    for pk in due_reminders(now):
        with transaction.atomic():
            claimed = Booking.objects.filter(
                pk=pk,
                reminder_claimed_at__isnull=True,
                state=Booking.State.BOOKED,
                reminder_at__lte=now,
            ).update(reminder_claimed_at=now)
            if not claimed:
                continue  # another scheduler took it
            booking = Booking.objects.select_related("clinic").get(pk=pk)
            _tell(booking, "reminder", None, now)
            _audit("booking_reminder_queued", booking)
            queued += 1
    return queued


def run_scheduled(now: datetime | None = None) -> None:
    """The scheduler's call: never raises, so a failure does not stop the other jobs."""
    try:
        count = send_due_reminders(now)
        if count:
            log.info("bookings: %d reminder(s) queued", count)
    except Exception:
        log.exception("bookings: reminder round failed")


def erase_expired(now: datetime) -> int:
    """Retention (privacy/retention.py): name, phone, e-mail and link of bookings whose time
    passed more than RETENTION_DAYS ago; time, duration, doctor and state stay."""
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    return (
        Booking.objects.filter(starts_at__lt=cutoff)
        .exclude(name="", phone="", email="", link="")
        .update(name="", phone="", email="", link="")
    )
