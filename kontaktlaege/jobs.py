"""The scheduler's periodic jobs, in the order of one round. Each is named by its dotted path
and called as `job(now)` (`now` None: the clock), so the scheduler imports no app itself;
a new periodic job is one line here."""

from collections.abc import Callable
from datetime import datetime

from django.utils.module_loading import import_string

Job = Callable[[datetime | None], object]

JOBS = (
    # Queues the booking reminders due; the outbox sends them in this same round.
    "kontaktlaege.bookings.actions.run_scheduled",
    # Sends the SMS and e-mails due; never raises, so the jobs after it still run.
    "kontaktlaege.outbox.actions.run_scheduled",
    # MedCom messages due; never raises either.
    "kontaktlaege.correspondence.delivery.run_scheduled",
    # The queue's grace period: people away too long lose their place.
    "kontaktlaege.consultations.scheduler.queue_grace",
    # Retention, at most once a day, whichever process comes first.
    "kontaktlaege.privacy.retention.run_daily",
    # The statistics' rows of the consultations finished since the last round.
    "kontaktlaege.stats.rollup.refresh",
)


def registered() -> list[Job]:
    return [import_string(path) for path in JOBS]


def run_all(now: datetime | None = None) -> None:
    """One round: every job in order. A job that raises ends the round (the scheduler's loop
    logs it and tries again next round), as the jobs that must not stop the rest catch their
    own errors."""
    for job in registered():
        job(now)
