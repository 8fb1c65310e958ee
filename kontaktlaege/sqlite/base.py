"""SQLite for the embedded default: Django's backend, with the writers of a process queued
on a lock of the process instead of SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the database taken is put
to sleep by SQLite's busy handler in steps of 1, 2, 5, 10, 15, 20, 25 … ms and retries, so
a write that was free again after half a millisecond still waits its step out. Under the
bench's sustained joins most of a request thread's time was spent in those sleeps
(`BEGIN IMMEDIATE` alone was 14% of the server's samples, with 16 employees joining). Here
writers of one process wait on a Python lock, which wakes the next one when the write
before it ends. Writers in other processes (a management command) still meet SQLite's busy
handler, as before, and so does a writer that has waited out the timeout on the lock."""

import threading
from typing import Any

from django.db.backends.sqlite3 import base


class _Writer:
    """The one write transaction of a process on one database file."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None  # the thread id holding it


_writers: dict[str, _Writer] = {}
_writers_lock = threading.Lock()


def writer_for(name: str) -> _Writer:
    with _writers_lock:
        return _writers.setdefault(name, _Writer())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_writer = False

    def _writer(self) -> _Writer:
        return writer_for(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        writer = self._writer()
        me = threading.get_ident()
        # One thread holds at most one connection per database, so it cannot be the owner
        # here; if it were, waiting would never end, and SQLite's own handler decides.
        if writer.owner != me and not self.is_in_memory_db():
            timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
            if writer.lock.acquire(timeout=timeout):
                writer.owner = me
                self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            writer = self._writer()
            writer.owner = None
            writer.lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_writer()
