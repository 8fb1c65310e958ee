"""Retention: the personal data of finished consultations is erased after RETENTION_DAYS.

What goes: citizen name, CPR (encrypted value and keyed hash), reason, reject message, the
employee's name/role/workplace as shown to the doctor, the link to a citizen's own account
("Borger selv"), the clinic's messages, and the recipient, subject and text of the outbox's
finished SMS and e-mails, the text and FHIR bundle of finished correspondence
(correspondence/), the names on expired invitation links, and the name, phone, e-mail and
link of past bookings. What stays: kind, state, clinic, municipality, ydernummer, the unit the
employee called from and the lifecycle timestamps, so the statistics count the same before
and after."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kontaktlaege.audit.log import record
from kontaktlaege.bookings import actions as bookings
from kontaktlaege.consultations.models import Consultation, Message
from kontaktlaege.correspondence import actions as correspondence
from kontaktlaege.outbox import actions as outbox
from kontaktlaege.video import actions as video

from .models import RetentionRun

log = logging.getLogger(__name__)
S = Consultation.State

# The moment each finished state was reached.
FINISHED_AT = {
    S.ENDED: "ended_at",
    S.REJECTED: "rejected_at",
    S.CANCELLED: "cancelled_at",
    S.CLEARED: "cleared_at",
    S.ABANDONED: "abandoned_at",
}
PERSONAL_FIELDS = {
    "citizen_name": "",
    "citizen_cpr_encrypted": "",
    "citizen_cpr_hash": "",
    "reason": "",
    "reject_message": "",
    "employee_name": "",
    "employee_role": "",
    "employee_workplace": "",
    "citizen_account": None,
}


def expired(now: datetime | None = None) -> QuerySet[Consultation]:
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS)
    finished = Q()
    for state, field in FINISHED_AT.items():
        finished |= Q(state=state, **{f"{field}__lt": cutoff})
    return Consultation.objects.filter(finished)


def _still_personal() -> Q:
    q = Q(messages__isnull=False)
    for field, erased in PERSONAL_FIELDS.items():
        q |= ~Q(**{field: erased})
    return q


def erase_expired(now: datetime | None = None) -> int:
    """Erase what is due; returns how many consultations held personal data."""
    with transaction.atomic():
        ids = list(expired(now).filter(_still_personal()).values_list("pk", flat=True).distinct())
        if ids:
            Message.objects.filter(consultation_id__in=ids).delete()
            Consultation.objects.filter(pk__in=ids).update(**PERSONAL_FIELDS)
        # Expired sessions may hold an encrypted CPR draft of a call never placed.
        Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
        messages = outbox.erase_expired(now or timezone.now())
        notes = correspondence.erase_expired(now or timezone.now())
        invites = video.erase_expired(now or timezone.now())
        bookings_erased = bookings.erase_expired(now or timezone.now())
        record(
            "retention_erased",
            detail={
                "consultations": len(ids),
                "outbox_messages": messages,
                "correspondence_messages": notes,
                "invites": invites,
                "bookings": bookings_erased,
                "retention_days": settings.RETENTION_DAYS,
            },
        )
    log.info("retention: erased personal data of %d consultations", len(ids))
    return len(ids)


def run_daily(now: datetime | None = None) -> bool:
    """Run the retention job unless it already ran today (in any process)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    if RetentionRun.objects.filter(day=day).exists():
        return False
    try:
        with transaction.atomic():
            # The unique day is the lock: a second process fails here and rolls back.
            run = RetentionRun.objects.create(day=day, ran_at=now)
            run.erased = erase_expired(now)
            run.save(update_fields=["erased"])
    except IntegrityError:
        return False
    return True
