"""Running Django code off an event loop: on a thread of its own, as a request runs in the
server, closing that thread's database connections when it is done."""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def in_own_thread(fn: Callable[[], T], timeout: float | None = None) -> T:
    """Run `fn` on a thread of its own (outside any event loop a test left running, e.g.
    Playwright's), then close that thread's database connections: on PostgreSQL they come
    from a pool, and a thread that ends holding one would keep it from everyone else."""
    from django.db import connections

    def run() -> T:
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=timeout)


def run_async(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run a test scenario on its own thread and event loop. Synchronous ORM calls inside a
    coroutine get connections of the coroutine's own context, which only that context can
    close: they are closed there, before the loop ends."""
    from django.db import connections

    async def closing() -> T:
        try:
            return await coro
        finally:
            connections.close_all()

    return in_own_thread(lambda: asyncio.run(closing()), timeout)


def at_once(fn: Callable[[int], T], n: int = 2, timeout: float = 60) -> list[T]:
    """Run fn(0) … fn(n - 1) on n threads, each with its own database connections, started
    at the same moment (as n processes would); their results in order, or the first error."""
    from django.db import connections

    start = threading.Barrier(n)

    def run(i: int) -> T:
        try:
            start.wait(10)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n), timeout=timeout))
