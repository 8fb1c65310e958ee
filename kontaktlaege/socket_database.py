"""Where the sockets' database calls run.

With SQLite, on one thread, channels' own: a read there takes a fraction of a millisecond of
work in this process, so more threads would only compete for the interpreter.

With PostgreSQL, a call mostly waits for the server's answer, and on one thread the sockets'
calls wait for each other's answers: with two processes under sustained joins that thread
was busy 83% of the time, 65% of it waiting in psycopg (a profile in docs/performance.md), and
an employee's page took 0.4-0.6 s to show its queue number. Here SOCKET_DATABASE_THREADS
threads of the process take the calls, each borrowing a connection from the pool only for
the call."""

import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def socket_threads() -> int:
    return max(1, int(settings.SOCKET_DATABASE_THREADS))


def _shared_pool(threads: int) -> ThreadPoolExecutor:
    """One pool for the process, whichever event loop calls (tests run many loops)."""
    with _pools_lock:
        if threads not in _pools:
            _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="socket-db")
        return _pools[threads]


class _OnSocketThreads(SyncToAsync):  # type: ignore[type-arg]
    """channels' DatabaseSyncToAsync, on the pool: the borrowed connection goes back to the
    pool after each call. (channels' test communicator turns channels' own closing off.)"""

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            close_old_connections()


def on_database(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`fn` as a coroutine function that runs it on the sockets' database threads, with
    Django's closing of old or broken connections before and after, as channels does."""
    threads = socket_threads()
    if threads == 1:
        return database_sync_to_async(fn)  # type: ignore[no-any-return]
    return _OnSocketThreads(fn, thread_sensitive=False, executor=_shared_pool(threads))  # type: ignore[no-any-return]
