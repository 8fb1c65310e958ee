"""Who is still at their waiting page: each page's heartbeat is noted here, and a thread of
its own writes the notes of the whole process in one statement per `PRESENCE_FLUSH_SECONDS`.

The stamp used to be written by the heartbeat itself, on the database thread that every
socket of the process shares. A write waits its turn behind the other writers (with SQLite
one at a time, a waiting writer polling every 1-100 ms), so under a burst of joins one
stamp held up every page's reads, and the heartbeat's answer came seconds late: in the
bench's sustained joins at 1,000 pages, 4.4 s at the median, past the 3 s after which a
page gives the connection up. A stamp a second late changes nothing: the clinic shows a
person as gone only after 25 s of silence, and the queue drops them after minutes.

Video calls stamp their participants the same way (video/calls.py), with a writer of theirs."""

import logging
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connections

from . import actions

log = logging.getLogger(__name__)
STAMPS_PER_WRITE = 500


def _stamp_waiting(consultation_ids: Iterable[int]) -> object:
    return actions.mark_seen(consultation_ids)


class Presence:
    def __init__(
        self,
        write: Callable[[Iterable[int]], object] = _stamp_waiting,
        name: str = "presence",
        background: bool = True,
    ) -> None:
        """write: stamps the noted ids in one statement (by default the waiting persons');
        background: write on a thread of its own (otherwise only flush() writes)."""
        self._write = write
        self._name = name
        self._noted: set[int] = set()
        self._lock = threading.Lock()
        self._pending = threading.Event()
        self._thread: threading.Thread | None = None
        self._background = background

    def note(self, stamped_id: int) -> None:
        """The person's page is there. Returns at once; the stamp follows within about
        PRESENCE_FLUSH_SECONDS."""
        with self._lock:
            self._noted.add(stamped_id)
            if self._thread is None and self._background:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        self._pending.set()

    def flush(self) -> None:
        """Write what has been noted, on the calling thread."""
        with self._lock:
            noted, self._noted = sorted(self._noted), set()
        # In slices, so that no one write holds SQLite's writers up for long.
        for start in range(0, len(noted), STAMPS_PER_WRITE):
            stamps = noted[start : start + STAMPS_PER_WRITE]
            try:
                self._write(stamps)
            except Exception:  # the pages' next heartbeats note them again
                log.warning("%s: %d stamps not written", self._name, len(stamps), exc_info=True)

    def _run(self) -> None:
        while True:
            self._pending.wait()
            self._pending.clear()
            # Gather a round's notes before writing them.
            time.sleep(settings.PRESENCE_FLUSH_SECONDS)
            try:
                self.flush()
            finally:
                # No connection kept between rounds (one round a second at most): a test
                # database can then be dropped while this thread lives.
                connections.close_all()


presence = Presence()
