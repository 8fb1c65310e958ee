"""What a server process needs beside its thousands of open sockets, each kept because a
PRODUCT §5 bar failed without it (figures in the commit messages)."""

import gc
import threading
import time
from typing import Any

from django.core.signals import request_finished
from django.db import connections


def close_request_connections(**kwargs: Any) -> None:
    """Django's ASGI handler runs each request on a thread of its own: its database
    connection is closed when the request ends, not left open with the ended thread, while
    the sockets' long-lived database thread keeps its own for CONN_MAX_AGE. (A connection
    inside a transaction is left: the test client's requests run in the test's.)"""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def collect_full_generation_on_a_timer(every: float) -> None:
    """A full collection walks every tracked object and holds every socket of the process
    meanwhile (about half a second at 5,000 pages). The loaded code is frozen out of the
    walks, and the oldest generation is collected on a timer instead of allocation counts."""
    gc.freeze()
    if every <= 0:
        return
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)

    def collect() -> None:
        while True:
            time.sleep(every)
            gc.collect()

    threading.Thread(target=collect, name="gc-full", daemon=True).start()


def prepare(gc_full_seconds: float) -> None:
    request_finished.connect(close_request_connections, dispatch_uid="kl-close-request-db")
    collect_full_generation_on_a_timer(gc_full_seconds)
