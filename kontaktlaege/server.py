"""How a server process runs Django's HTTP side next to thousands of open sockets.

One event loop carries every socket of the process, so anything that holds it up (starting a
thread, a hop between the loop and a thread, a full garbage collection) is paid by all pages
at once. The figures behind each choice come from bench/run.py (see README, "Measured")."""

import gc
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import HttpResponseBase
from django.urls import set_script_prefix

log = logging.getLogger(__name__)


class HTTPHandler(ASGIHandler):
    """Django's ASGI handler, with each request's synchronous work done in one call on a
    kept thread.

    Django's own handler starts a thread per request (and starting a thread blocks the event
    loop until it runs: a quarter of the loop's time at 5,000 connections), and crosses
    between the loop and that thread three to four times per request (started signal,
    middleware and view, error log, close). Every crossing back waits for the loop's turn,
    which under load is the slowest part of a request. Here a request crosses once: the
    started signal, middleware, view and the response's close run together, on one of the
    kept threads, one request at a time per thread, as Django's handler isolates them.
    The product's middleware and views are all synchronous; a synchronous chain is used."""

    def __init__(self) -> None:
        super(ASGIHandler, self).__init__()  # not ASGIHandler's: it loads an async chain
        self.load_middleware(is_async=False)
        self.idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.idle.pop() if self.idle else ThreadPoolExecutor(1, "http")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self._release(executor)

    def _release(self, executor: ThreadPoolExecutor) -> None:
        """Keep up to HTTP_THREADS_KEPT idle threads (each keeps its database connection for
        CONN_MAX_AGE); a burst's extra threads close their connections and end."""
        if len(self.idle) < settings.HTTP_THREADS_KEPT:
            self.idle.append(executor)
            return
        executor.submit(connections.close_all)
        executor.shutdown(wait=False)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:  # closed once its content has gone out (or failed to)
                    await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def respond(self, scope: Any, body_file: Any) -> HttpResponseBase:
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refused = self.create_request(scope, body_file)
        if request is None:  # undecodable or too large: Django's own 400 or 413
            assert refused is not None
            response: HttpResponseBase = refused
        else:
            set_script_prefix(get_script_prefix(scope))
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
        if not response.streaming:
            # Its content is in memory: close it here (request_finished and all) rather than
            # cross back to this thread after sending.
            response.close()
        return response


def collect_full_generation_on_a_timer(every: float) -> None:
    """A full collection pauses every socket of the process for as long as it takes to walk
    all tracked objects (at 5,000 connections 0.45-0.65 s, about once in 20 s under load, and
    most of the p99). The loaded code never becomes garbage: take it out of those walks. Then
    leave the oldest generation to a timer instead of allocation counts; young objects are
    collected as usual, and what is not cyclic is freed at once anyway."""
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


def checkpoint_sqlite_on_a_timer(every: float) -> threading.Event | None:
    """With SQLite, the commit that fills the write-ahead log to its limit also copies it back
    into the database file and syncs that to disk: in a trace of the bench's joins, one such
    commit took 8.6 ms instead of 0.15, and those commits were the fan-out's p99 at 100 pages.
    Here a thread of the server copies it back every `every` seconds instead. A passive
    checkpoint blocks neither readers nor writers, and the commits no longer fill the log.
    Returns an event that stops the thread when set."""
    if every <= 0 or connections["default"].vendor != "sqlite":
        return None
    stop = threading.Event()

    def checkpoint() -> None:
        while not stop.wait(every):
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # the next one will do; a commit does it when the log is full
                log.warning("write-ahead log checkpoint failed", exc_info=True)
        connections["default"].close()

    threading.Thread(target=checkpoint, name="sqlite-checkpoint", daemon=True).start()
    return stop
