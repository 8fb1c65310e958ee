"""A booking's reminder goes once, at its time (default an hour before), with two scheduler
instances running their rounds at the same moments. Time is injected, never slept. In CI the
suite runs on PostgreSQL too, where the two rounds really race for the row."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kontaktlaege.bookings import actions
from kontaktlaege.bookings.models import Booking
from kontaktlaege.consultations.scheduler import run_once
from kontaktlaege.outbox.models import OutboxMessage
from tests.support.personas import World
from tests.support.threads import at_once

REMINDER = "Husk din videokonsultation"


def two_schedulers(round_: Callable[[], Any]) -> None:
    """Two scheduler instances, each in its own thread with its own database connection,
    start the same round at once."""
    at_once(lambda _: round_())


def book(
    staff: Any,
    starts_at: datetime,
    now: datetime,
    who: str,
    name: str,
    phone: str = "",
    email: str = "",
) -> Booking:
    """A 15-minute booking, no doctor named, made at `now`."""
    return actions.book(
        staff,
        who=who,
        name=name,
        phone=phone,
        email=email,
        starts_at=starts_at,
        minutes=15,
        doctor=None,
        link=lambda clinic, token: f"http://testserver/invitation/{clinic}/{token}/",
        now=now,
    )


def reminders() -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.order_by("pk") if REMINDER in m.body]


@pytest.mark.django_db(transaction=True)
def test_the_reminder_is_sent_exactly_once_an_hour_before(world: World, settings: Any) -> None:
    settings.BOOKING_REMINDER_MINUTES = 60
    now = timezone.now().replace(microsecond=0)
    starts_at = now + timedelta(hours=3)
    booking = book(world.secretary, starts_at, now, "patient", "Inger Jensen", phone="+4520304050")
    assert booking.reminder_at == starts_at - timedelta(hours=1)

    def at(t: datetime) -> Callable[[], None]:
        return lambda: run_once(t)

    two_schedulers(at(starts_at - timedelta(minutes=61)))
    assert reminders() == []

    due = starts_at - timedelta(minutes=60)
    two_schedulers(at(due))
    [reminder] = reminders()
    assert reminder.channel == "sms" and booking.link in reminder.body
    # Queued and sent by the same round.
    assert reminder.state == OutboxMessage.State.SENT and reminder.sent_at == due
    booking.refresh_from_db()
    assert booking.reminder_claimed_at == due

    for later in (due + timedelta(minutes=1), due + timedelta(minutes=30)):
        two_schedulers(at(later))
    assert len(reminders()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_moved_booking_is_reminded_again_before_its_new_time(world: World) -> None:
    now = timezone.now().replace(microsecond=0)
    booking = book(
        world.gp,
        now + timedelta(hours=2),
        now,
        "employee",
        "Mette Sørensen",
        email="mette@example.dk",
    )
    assert actions.send_due_reminders(now + timedelta(hours=1)) == 1
    new_start = now + timedelta(hours=5)
    actions.move(world.gp, booking.pk, new_start, 15, now=now + timedelta(hours=1, minutes=5))
    assert actions.send_due_reminders(now + timedelta(hours=2)) == 0
    assert actions.send_due_reminders(new_start - timedelta(minutes=60)) == 1
    assert len(reminders()) == 2


@pytest.mark.django_db
def test_booked_within_the_hour_the_confirmation_is_the_only_reminder(world: World) -> None:
    now = timezone.now()
    book(world.gp, now + timedelta(minutes=30), now, "patient", "Inger Jensen", phone="+4520304050")
    assert actions.send_due_reminders(now + timedelta(minutes=1)) == 0
    assert Booking.objects.get().reminder_claimed_at == now
    assert reminders() == []
