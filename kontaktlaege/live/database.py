"""Where the sockets' database calls run: channels' one thread with SQLite (a read is quick
work in the process), SOCKET_DATABASE_THREADS threads with PostgreSQL, where a call mostly
waits for the server and one thread made the sockets wait for each other's answers."""

import functools
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

P = ParamSpec("P")
R = TypeVar("R")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    """One pool for the process, whichever event loop calls (tests run many loops)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(settings.SOCKET_DATABASE_THREADS, "socket-db")
        return _pool


def on_database(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`fn` as a coroutine function on the sockets' database threads, with Django's closing
    of old or broken connections before and after, as channels does."""
    if settings.SOCKET_DATABASE_THREADS <= 1:
        return database_sync_to_async(fn)  # type: ignore[no-any-return]

    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=False, executor=_shared_pool())
