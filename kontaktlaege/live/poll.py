"""Per process: one read of the sequence numbers of everything its open pages show, every
SEQ_POLL_SECONDS. It is the repair path: a page behind the database (a lost push, a
reconnect) is told within the interval, and heartbeats compare with it instead of each
asking the database."""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

from django.conf import settings

from .database import on_database

log = logging.getLogger(__name__)

V = TypeVar("V")
V_contra = TypeVar("V_contra", contravariant=True)
T = TypeVar("T")

IN_LIST = 500  # ids per query: bounded IN lists


class PolledPage(Protocol[V_contra]):
    def polled(self, value: V_contra) -> None:
        """What the database had at the poll; the page decides whether it is behind."""


def in_chunks(ids: list[int], read: Callable[[list[int]], Iterable[tuple[int, T]]]) -> dict[int, T]:
    found: dict[int, T] = {}
    for start in range(0, len(ids), IN_LIST):
        found.update(read(ids[start : start + IN_LIST]))
    return found


class SeqPoll(Generic[V]):
    """The pages open on each key (a clinic, a consultation) and the key's value as the
    database had it at the last poll. `stamp`, if given, is called with the keys that have
    pages open every `stamp_seconds`: "these are still here", for presence."""

    def __init__(
        self,
        read: Callable[[list[int]], dict[int, V]],
        what: str,
        stamp: Callable[[list[int]], object] | None = None,
        stamp_seconds: float = 10.0,
    ) -> None:
        self.read = read
        self.what = what
        self.stamp = stamp
        self.stamp_seconds = stamp_seconds
        self.pages: dict[int, set[PolledPage[V]]] = {}
        self.in_database: dict[int, V] = {}
        self.poller: asyncio.Future[None] | None = None
        self.failing = False

    def opened(self, key: int, page: PolledPage[V]) -> None:
        self.pages.setdefault(key, set()).add(page)
        if self.poller is None or self.poller.done():
            self.poller = asyncio.ensure_future(self._poll())

    def closed(self, key: int, page: PolledPage[V]) -> bool:
        """Forget the page; whether it was the key's last one in this process."""
        pages = self.pages.get(key, set())
        pages.discard(page)
        if pages:
            return False
        self.pages.pop(key, None)
        self.in_database.pop(key, None)
        return True

    async def _poll(self) -> None:
        stamped_at = time.monotonic()
        while self.pages:
            await asyncio.sleep(settings.SEQ_POLL_SECONDS)
            keys = list(self.pages)
            try:
                if self.stamp is not None and time.monotonic() - stamped_at >= self.stamp_seconds:
                    stamped_at = time.monotonic()
                    await on_database(self.stamp)(keys)
                values = await on_database(self.read)(keys)
            except Exception as error:  # the database is away: heartbeats ask it themselves
                if not self.failing:
                    log.warning("%s poll failing: %s", self.what, error)
                self.failing = True
                self.in_database.clear()
                continue
            if self.failing:
                log.warning("%s poll works again", self.what)
                self.failing = False
            for key in keys:
                if key not in self.pages:
                    continue  # closed while the poll read
                if key not in values:
                    self.in_database.pop(key, None)
                    continue
                value = self.in_database[key] = values[key]
                for page in list(self.pages[key]):
                    page.polled(value)
