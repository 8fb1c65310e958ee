"""The delivery job: back-off with injected time, the last attempt, two schedulers that never
send one message twice, a send interrupted by a dying process, and the scheduler's hook."""

from datetime import timedelta

import pytest

from kontaktlaege.consultations.scheduler import run_once
from kontaktlaege.outbox import actions
from kontaktlaege.outbox.models import OutboxMessage
from tests.outbox.conftest import T0
from tests.support import factories
from tests.support.threads import at_once

S = OutboxMessage.State


def _sms(clinic, text: str = "Husk din videokonsultation kl. 10.00") -> OutboxMessage:  # type: ignore[no-untyped-def]
    return actions.enqueue(
        channel="sms", recipient="+45 20 30 40 50", body=text, clinic=clinic, now=T0
    )


def test_backoff_doubles_from_a_minute_up_to_an_hour() -> None:
    assert [actions.backoff(n) for n in range(1, 9)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)
    ]


def test_retries_wait_1_2_4_8_minutes_then_the_message_fails(world, gateway, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OUTBOX_MAX_ATTEMPTS = 5
    gateway.script = [(503, {"error": "busy"})] * 5
    message = _sms(world.clinic)
    now = T0
    waits = []
    for _attempt in range(4):
        assert actions.deliver_due(now) == {"retrying": 1}
        message.refresh_from_db()
        waits.append(message.next_attempt_at - now)
        assert actions.deliver_due(message.next_attempt_at - timedelta(seconds=1)) == {}
        now = message.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]

    assert actions.deliver_due(now) == {"failed": 1}  # the fifth and last attempt
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_answer) == (S.FAILED, 5, "HTTP 503 busy")
    assert actions.deliver_due(now + timedelta(days=1)) == {}
    assert len(gateway.requests) == 5


def test_a_row_claimed_by_one_scheduler_is_not_sent_by_the_other(world, gateway) -> None:  # type: ignore[no-untyped-def]
    message = _sms(world.clinic)
    # Scheduler B lists the due rows; scheduler A lists, claims and sends them; then B goes on.
    b_due = actions.due_ids(T0)
    assert actions.deliver_due(T0) == {"sent": 1}
    assert b_due == [message.pk]
    assert actions.deliver_one(message.pk, T0) == ""
    # And while A holds the claim (mid-send), B cannot take it either.
    other = _sms(world.clinic, "En anden besked")
    assert actions.claim(other.pk, T0)
    assert not actions.claim(other.pk, T0)
    assert actions.deliver_due(T0) == {}
    assert gateway.texts == ["Husk din videokonsultation kl. 10.00"]


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_each_message_exactly_once(gateway) -> None:  # type: ignore[no-untyped-def]
    """Real concurrency: two threads, two database connections (SQLite, and PostgreSQL when
    the suite runs with DATABASE_URL)."""
    clinic = factories.ClinicFactory()
    texts = [f"Besked {n}" for n in range(20)]
    for text in texts:
        _sms(clinic, text)
    outcomes = at_once(lambda _: dict(actions.deliver_due(T0)))

    assert sorted(gateway.texts) == sorted(texts)  # each once: no double, none lost
    assert sum(o.get("sent", 0) for o in outcomes) == 20
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {(S.SENT, 1)}


def test_a_send_interrupted_by_a_dying_process_is_sent_again(world, gateway) -> None:  # type: ignore[no-untyped-def]
    message = _sms(world.clinic)
    assert actions.claim(message.pk, T0)  # ... and the process died before it sent

    assert actions.deliver_due(T0 + timedelta(minutes=5)) == {}  # perhaps still sending
    assert actions.deliver_due(T0 + timedelta(minutes=16)) == {"sent": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == (S.SENT, 2)
    assert len(gateway.requests) == 1


# run_once() closes the connection it found, as between its rounds: outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_sends_what_is_due(world) -> None:  # type: ignore[no-untyped-def]
    message = actions.enqueue(
        channel="sms", recipient="20304050", body="Hej", clinic=world.clinic
    )  # embedded default: delivered into the outbox
    run_once()
    message.refresh_from_db()
    assert (message.state, message.last_answer) == (S.SENT, "outbox-only")


@pytest.mark.django_db(transaction=True)
def test_a_broken_sms_backend_loses_nothing_and_stops_no_other_job(world, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SMS_BACKEND = "kontaktlaege.outbox.no_such_module.Backend"
    message = actions.enqueue(channel="sms", recipient="20304050", body="Hej", clinic=world.clinic)
    settings.RETENTION_DAYS = 30
    run_once()  # the retention job after it still ran
    from kontaktlaege.privacy.models import RetentionRun

    assert RetentionRun.objects.exists()
    message.refresh_from_db()
    assert message.state == S.RETRYING
    assert message.last_answer == "backend error: ModuleNotFoundError"
