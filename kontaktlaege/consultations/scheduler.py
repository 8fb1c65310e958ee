"""Periodic work (booking reminders, the outbox, queue grace period, retention).
`manage.py scheduler` in production; in the embedded default a daemon thread in the server
process. Safe to run several at once: each change locks or claims its rows."""

import logging
import threading
import time
from datetime import datetime

from django.db import close_old_connections

log = logging.getLogger(__name__)


def run_once(now: datetime | None = None) -> None:
    """One round of every job; `now` is injected by tests, the clock otherwise."""
    from kontaktlaege.bookings import actions as bookings
    from kontaktlaege.correspondence import delivery as correspondence
    from kontaktlaege.outbox import actions as outbox
    from kontaktlaege.privacy.retention import run_daily
    from kontaktlaege.stats import rollup

    from .actions import abandon_stale

    close_old_connections()
    try:
        bookings.run_scheduled(now)  # queues the reminders due, sent in this same round
        outbox.run_scheduled(now)  # sends what is due; never raises, so the rest still runs
        correspondence.run_scheduled()  # MedCom messages due; never raises either
        count = abandon_stale(now)
        if count:
            log.info("queue: %d waiting entries passed the grace period", count)
        run_daily(now)  # at most once a day, whichever process comes first
        rollup.refresh(now)  # the statistics' rows of the consultations finished since
    finally:
        # Give a pooled PostgreSQL connection back while the loop sleeps.
        close_old_connections()


def loop(interval: float = 30.0, stop: threading.Event | None = None) -> None:
    while stop is None or not stop.is_set():
        try:
            run_once()
        except Exception:  # keep the loop alive; the next round retries
            log.exception("scheduler round failed")
        time.sleep(interval)


def start_in_background() -> None:
    threading.Thread(target=loop, name="kl-scheduler", daemon=True).start()
