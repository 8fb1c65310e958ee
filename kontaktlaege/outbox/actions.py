"""Every change of an outbox message goes through here: enqueue() in one audited
transaction, and the delivery job deliver_due(now), run by the scheduler.

Two scheduler processes may run deliver_due at once: each due row is claimed by a
conditional UPDATE (`… WHERE id = %s AND claimed_at IS NULL AND state IN (queued,
retrying) AND next_attempt_at <= now`), so exactly one of them sends it. A temporary failure
is retried after 1, 2, 4, 8 … minutes (at most an hour) until OUTBOX_MAX_ATTEMPTS; a
permanent refusal fails at once. Failed messages stay in the outbox, shown to the clinic."""

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kontaktlaege.audit.log import record

from . import backends, recipients
from .models import Delivery, OutboxMessage

log = logging.getLogger(__name__)
M = OutboxMessage
DUE_STATES = (Delivery.State.QUEUED, Delivery.State.RETRYING)
BATCH = 100
MAX_DELAY = timedelta(hours=1)
# A row still "sending" this long after its claim was left by a process that died mid-send:
# it is sent again (perhaps twice, never lost). Far longer than any send's timeout.
STALE_CLAIM = timedelta(minutes=15)


def enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    clinic: Any = None,
    consultation: Any = None,
    actor: Any = None,
    now: datetime | None = None,
    attachment: tuple[str, str, str] | None = None,
) -> OutboxMessage:
    """Queue one SMS or e-mail; the scheduler sends it. `recipient` is validated and
    normalised here (ValidationError when it is not a phone number / e-mail address); call it
    inside the caller's transaction to send only what was committed with it. `attachment`:
    (file name, MIME type, text) of an e-mail's one attachment."""
    now = now or timezone.now()
    if channel == M.Channel.SMS:
        recipient = recipients.normalize_phone(recipient)
        hint = recipients.phone_hint(recipient)
    elif channel == M.Channel.EMAIL:
        recipient = recipients.normalize_email(recipient)
        hint = recipients.email_hint(recipient)
    else:
        raise ValueError(f"unknown channel {channel!r}")
    with transaction.atomic():
        message = M.objects.create(
            channel=channel,
            recipient=recipient,
            recipient_hint=hint,
            subject=subject,
            body=body,
            clinic=clinic,
            consultation=consultation,
            next_attempt_at=now,
            created_at=now,
        )
        if attachment is not None and channel == M.Channel.EMAIL:
            message.attachment_name, message.attachment_type, message.attachment = attachment
            message.save(update_fields=["attachment_name", "attachment_type", "attachment"])
        _audit("outbox_queued", message, actor=actor)
    return message


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, 8 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_DELAY)


def due_ids(now: datetime, model: type[Delivery] = M) -> list[int]:
    """The rows of `model` (the outbox's, or correspondence's) due at `now`, oldest first."""
    return list(
        model._default_manager.filter(
            state__in=DUE_STATES, next_attempt_at__lte=now, claimed_at__isnull=True
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def claim(pk: int, now: datetime, model: type[Delivery] = M) -> bool:
    """Take the row for this process: true for exactly one of several callers."""
    return bool(
        model._default_manager.filter(
            pk=pk, claimed_at__isnull=True, state__in=DUE_STATES, next_attempt_at__lte=now
        ).update(state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def settle(message: Delivery, result: backends.Result, now: datetime, **sent: Any) -> bool:
    """Record a claimed row's outcome: sent (with the fields `sent`), retrying after the
    back-off until OUTBOX_MAX_ATTEMPTS, or failed. Only while this process still holds the
    claim (see STALE_CLAIM): false when another took the row over. Call inside a transaction."""
    S = Delivery.State
    changes: dict[str, Any] = {"last_answer": result.answer[:300]}
    if result.outcome == "sent":
        changes.update(state=S.SENT, **sent)
    elif result.outcome == "retry" and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        changes.update(
            state=S.RETRYING,
            claimed_at=None,
            next_attempt_at=now + backoff(message.attempts),
        )
    else:
        changes.update(state=S.FAILED)
    mine = (
        type(message)
        ._default_manager.filter(pk=message.pk, state=S.SENDING, claimed_at=message.claimed_at)
        .update(**changes)
    )
    if mine:
        for field, value in changes.items():
            setattr(message, field, value)
    return bool(mine)


def deliver_one(pk: int, now: datetime, sms_backend: backends.BaseSMSBackend | None = None) -> str:
    """Claim, send and record one message; its new state, or "" when another process had
    claimed it."""
    if not claim(pk, now):
        return ""
    message = M.objects.get(pk=pk)
    try:
        if message.channel == M.Channel.SMS:
            result = (sms_backend or backends.get_sms_backend()).send(
                message.recipient, message.body
            )
        else:
            result = backends.send_email(
                message.recipient,
                message.subject,
                message.body,
                attachment=(message.attachment_name, message.attachment_type, message.attachment)
                if message.attachment
                else None,
            )
    except Exception as error:  # a broken backend must not stop the others or lose the row
        log.error("outbox: message %d: backend raised %s", pk, type(error).__name__)
        result = backends.Result("retry", f"backend error: {type(error).__name__}")
    return _finish(message, result, now)


def _finish(message: OutboxMessage, result: backends.Result, now: datetime) -> str:
    with transaction.atomic():
        if not settle(message, result, now, sent_at=now, gateway_id=result.gateway_id):
            log.warning("outbox: message %d was taken over while sending", message.pk)
            return ""
        _audit(f"outbox_{message.state}", message)
    level = logging.WARNING if message.state == M.State.FAILED else logging.INFO
    log.log(
        level,
        "outbox: message %d %s after %d attempt(s)",
        message.pk,
        message.state,
        message.attempts,
    )
    return str(message.state)


def release_stale(now: datetime) -> int:
    """Rows left "sending" by a process that died: back to retrying (or failed)."""
    stale = M.objects.filter(state=M.State.SENDING, claimed_at__lt=now - STALE_CLAIM)
    count = 0
    for message in stale:
        state = (
            M.State.RETRYING if message.attempts < settings.OUTBOX_MAX_ATTEMPTS else M.State.FAILED
        )
        with transaction.atomic():
            if M.objects.filter(pk=message.pk, claimed_at=message.claimed_at).update(
                state=state,
                claimed_at=None,
                next_attempt_at=now,
                last_answer="interrupted while sending",
            ):
                message.state = state
                _audit(f"outbox_{state}", message)
                count += 1
    return count


def deliver_due(now: datetime | None = None) -> Counter[str]:
    """Send every message that is due at `now` (injected in tests); the count per outcome."""
    now = now or timezone.now()
    release_stale(now)
    outcomes: Counter[str] = Counter()
    ids = due_ids(now)
    sms_backend: backends.BaseSMSBackend | None = None
    if ids:
        try:
            sms_backend = backends.get_sms_backend()
        except Exception as error:  # misconfigured: e-mail still goes; each SMS is retried
            log.error("outbox: SMS backend unavailable: %s", type(error).__name__)
    for pk in ids:
        outcome = deliver_one(pk, now, sms_backend)
        if outcome:
            outcomes[outcome] += 1
    return outcomes


def run_scheduled(now: datetime | None = None) -> None:
    """The scheduler's call: never raises, so a failing outbox does not stop the other jobs."""
    try:
        outcomes = deliver_due(now)
        if outcomes:
            log.info("outbox: %s", dict(outcomes))
    except Exception:
        log.exception("outbox: delivery round failed")


def _audit(action: str, message: OutboxMessage, actor: Any = None) -> None:
    """Ids, channel, state and attempts only: never the recipient or the text."""
    record(
        action,
        actor=actor,
        clinic=message.clinic_id,
        consultation=message.consultation if message.consultation_id else None,
        detail={
            "message": message.pk,
            "channel": message.channel,
            "attempts": message.attempts,
        },
    )


def erase_expired(now: datetime) -> int:
    """Retention (privacy/retention.py): the recipient, subject and text of messages finished
    more than RETENTION_DAYS ago; state, attempts, answer and hint stay for the record."""
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    return (
        M.objects.filter(state__in=[M.State.SENT, M.State.FAILED], created_at__lt=cutoff)
        .exclude(body="")
        .update(recipient="", subject="", body="", attachment="")
    )
