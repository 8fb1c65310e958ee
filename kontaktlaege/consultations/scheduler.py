"""Periodic work (queue grace period). `manage.py scheduler` in production; in the embedded
default a daemon thread in the server process. Safe to run several at once: each change
locks its rows."""

import logging
import threading
import time

from django.db import close_old_connections

log = logging.getLogger(__name__)


def run_once() -> None:
    from kontaktlaege.correspondence import delivery as correspondence
    from kontaktlaege.outbox import actions as outbox
    from kontaktlaege.privacy.retention import run_daily
    from kontaktlaege.stats import rollup

    from .actions import abandon_stale

    close_old_connections()
    try:
        outbox.run_scheduled()  # sends what is due; never raises, so the jobs below still run
        correspondence.run_scheduled()  # MedCom messages due; never raises either
        count = abandon_stale()
        if count:
            log.info("queue: %d waiting entries passed the grace period", count)
        run_daily()  # at most once a day, whichever process comes first
        rollup.refresh()  # the statistics' rows of the consultations finished since
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
