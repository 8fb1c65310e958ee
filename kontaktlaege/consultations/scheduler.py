"""Runs the periodic jobs of kontaktlaege/jobs.py (reminders, outbox, grace period, retention).
`manage.py scheduler` in production; in the embedded default a daemon thread in the server
process. Safe to run several at once: each change locks or claims its rows."""

import logging
import threading
import time
from datetime import datetime

from django.db import close_old_connections

from kontaktlaege import jobs

log = logging.getLogger(__name__)


def run_once(now: datetime | None = None) -> None:
    """One round of every job (kontaktlaege/jobs.py); `now` is injected by tests, the clock
    otherwise."""
    close_old_connections()
    try:
        jobs.run_all(now)
    finally:
        # Give a pooled PostgreSQL connection back while the loop sleeps.
        close_old_connections()


def queue_grace(now: datetime | None = None) -> None:
    """The queue's job: waiting entries past the grace period lose their place."""
    from .actions import abandon_stale

    count = abandon_stale(now)
    if count:
        log.info("queue: %d waiting entries passed the grace period", count)


def loop(interval: float = 30.0, stop: threading.Event | None = None) -> None:
    while stop is None or not stop.is_set():
        try:
            run_once()
        except Exception:  # keep the loop alive; the next round retries
            log.exception("scheduler round failed")
        time.sleep(interval)


def start_in_background() -> None:
    threading.Thread(target=loop, name="kl-scheduler", daemon=True).start()
