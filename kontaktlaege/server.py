"""How a server process runs Django's HTTP side next to thousands of open sockets.

One event loop carries every socket of the process, so anything that holds it up (starting a
thread, a hop between the loop and a thread, a full garbage collection) is paid by all pages
at once. The figures behind each choice come from bench/run.py (see README, "Measured")."""

import gc
import logging
import pprint
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


def send_at_once_when_nothing_is_queued() -> None:
    """Twisted queues every write and sends it on a later turn of the event loop, after
    registering the socket for writability and before unregistering it again: two `epoll_ctl`
    calls and a turn of the loop per message (12% of the loop's samples in a profile of the
    bench's sustained joins, with 20% in the sends themselves). When nothing is queued on the
    socket, the kernel takes a WebSocket message at once, so send it at once, as asyncio's own
    transports do, and queue only what the kernel did not take. HTTP responses begin with
    `writeSequence` (the headers), which still queues, so their parts still go out together.
    Installed for the TCP connections daphne accepts (the application is imported before it
    listens). A connection that starts TLS on itself keeps Twisted's path; with daphne's
    `ssl:` endpoint, TLS sits above the connection and its ciphertext goes out here."""
    from twisted.internet import tcp

    class SendingServer(tcp.Server):
        def write(self, data: bytes) -> None:
            if (
                data
                and not self.TLS
                and self.connected
                and not self.disconnecting
                and not self._writeDisconnecting
                and not self._writeDisconnected
                and not self._tempDataBuffer
                and self.offset == len(self.dataBuffer)
            ):
                try:
                    sent = self.socket.send(data)
                except OSError:  # full, or lost: Twisted's path queues it or reports the loss
                    sent = 0
                if sent == len(data):
                    return
                data = data[sent:]
            super().write(data)

    tcp.Port.transport = SendingServer


def check_connections_without_holding_the_loop(slice_size: int = 250) -> None:
    """daphne looks after its connections on two timers: every second it walks all of them to
    reap those whose application ended, and every two seconds it walks all of them again to
    apply timeouts and send WebSocket pings. Each walk holds the event loop, and with it every
    socket of the process: at 5,000 open pages 7.7 ms every second (up to 22) and 8.7 ms every
    two seconds, timed in the benchmark. Here the reaping looks only at connections that
    disconnected or whose application ended (daphne's server is told as each happens), and
    the timeout walk goes `slice_size` connections per turn of the loop. Same rules, same
    intervals; installed on daphne's server class before it runs (the application is
    imported first)."""
    from daphne.server import Server
    from twisted.internet import reactor as installed

    reactor: Any = installed  # daphne installed its asyncio reactor (its app, at setup)

    def watched(server: Server) -> set[Any]:
        return server.__dict__.setdefault("_kl_to_reap", set())  # type: ignore[no-any-return]

    protocol_disconnected = Server.protocol_disconnected
    create_application = Server.create_application

    def on_disconnect(self: Server, protocol: Any) -> None:
        protocol_disconnected(self, protocol)
        watched(self).add(protocol)

    def on_create(self: Server, protocol: Any, scope: Any) -> Any:
        queue = create_application(self, protocol, scope)
        if queue is not None:
            to_reap = watched(self)
            self.connections[protocol]["application_instance"].add_done_callback(
                lambda _: to_reap.add(protocol)
            )
        return queue

    def settled(self: Server, protocol: Any) -> bool:
        """daphne's rules for one connection; True when it needs no more looking at."""
        details = self.connections.get(protocol)
        if details is None:
            return True
        gone = details.get("disconnected")
        app = details.get("application_instance")
        if app is not None and not app.done():
            if gone and time.time() - gone > self.application_close_timeout:
                log.warning("application instance for %r took too long to shut down", protocol)
                app.cancel()  # done on a later turn: looked at again next time
            return False
        if app is not None:
            del details["application_instance"]
            error = None if app.cancelled() else app.exception()
            if isinstance(error, KeyboardInterrupt):  # the application asks the server to stop
                self.stop()
            elif error is not None:
                log.error("Exception inside application: %s", error, exc_info=error)
                if not gone:
                    protocol.handle_exception(error)
        if gone:
            del self.connections[protocol]
        return True  # still connected with its application ended: back here when it goes

    def application_checker(self: Server) -> None:
        try:
            to_reap = watched(self)
            for protocol in list(to_reap):
                if settled(self, protocol):
                    to_reap.discard(protocol)
        finally:
            reactor.callLater(1, self.application_checker)

    def timeout_checker(self: Server) -> None:
        protocols = list(self.connections)

        def check(start: int) -> None:
            try:
                for protocol in protocols[start : start + slice_size]:
                    if protocol in self.connections:
                        protocol.check_timeouts()
            finally:
                if start + slice_size < len(protocols):
                    reactor.callLater(0, check, start + slice_size)
                else:
                    reactor.callLater(2, self.timeout_checker)

        check(0)

    Server.protocol_disconnected = on_disconnect  # type: ignore[method-assign]
    Server.create_application = on_create  # type: ignore[method-assign]
    Server.application_checker = application_checker  # type: ignore[method-assign]
    Server.timeout_checker = timeout_checker  # type: ignore[method-assign]


class PrettyWhenShown:
    """`pprint.pformat` put off until the text is shown."""

    __slots__ = ("value", "args", "kwargs")

    def __init__(self, value: object, *args: Any, **kwargs: Any) -> None:
        self.value, self.args, self.kwargs = value, args, kwargs

    def __str__(self) -> str:
        return pprint.pformat(self.value, *self.args, **self.kwargs)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def format_websocket_options_only_when_logged() -> None:
    """autobahn pretty-prints a WebSocket connection's 29 options for a debug log line as each
    connection opens, whether debug logging is on or not: 91 µs of the event loop per page
    (timed), 11% of the loop's samples in a profile of the benchmark's reconnect storm. Its
    module's `pformat` is made lazy (txaio formats a debug line's arguments only when the line
    is written); `Timings.__str__`, the one caller that needs the text itself, gets it."""
    from autobahn.websocket import protocol

    if not hasattr(protocol, "pformat") or not hasattr(protocol, "Timings"):
        return  # another autobahn: leave it as it is
    protocol.pformat = PrettyWhenShown  # type: ignore[assignment]
    protocol.Timings.__str__ = lambda self: pprint.pformat(self._timings)  # type: ignore[method-assign]
