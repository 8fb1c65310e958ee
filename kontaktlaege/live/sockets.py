"""The base of the product's sockets: size and rate limits, JSON validation, heartbeats, and
a clean-up that runs exactly once however the socket ends.

Client → server messages are small JSON objects with a "type". Anything else gets a Danish
error, and a client that floods or keeps sending garbage is disconnected."""

import asyncio
import json
import logging
import time
from collections.abc import Coroutine
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from .layer import layer_health
from .per_loop import PerLoop
from .session_watch import session_watch

log = logging.getLogger(__name__)

CLOSE_UNAUTHORISED = 4003
CLOSE_POLICY = 4008
MIN_CHECK_SECONDS = 5.0

# Sockets of this process being let in at once; the others wait their turn at the door.
handshakes = PerLoop(lambda: asyncio.Semaphore(settings.SOCKET_HANDSHAKES_AT_ONCE))


class LiveSocket(AsyncWebsocketConsumer):
    message_types: frozenset[str] = frozenset({"ping", "sync"})
    max_bad_messages = 10
    # Closed when the session it was let in with ends (session_watch).
    ends_with_session = True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """channels' consumer, with the clean-up after it whatever ended it: a close, a
        handler's error, a client gone mid-handshake, the server shutting down."""
        self.groups_joined: list[str] = []
        self.gone = False
        self._cleaned = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._bucket = float(settings.WS_MAX_MESSAGES_PER_SECOND)
        self._bucket_at = time.monotonic()
        self._bad = 0
        self.heard_at = time.monotonic()
        try:
            await super().__call__(scope, receive, send)
        finally:
            await asyncio.shield(self._clean_up())

    async def _clean_up(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        self.gone = True
        session_watch().closed(self)
        for task in self._tasks:
            task.cancel()
        try:
            await self.left()
        except Exception:
            log.warning("%s: clean-up failed", type(self).__name__, exc_info=True)
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer forgets it with its group expiry
                log.warning("%s: could not leave a group", type(self).__name__)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """channels' dispatch without its hop to the database thread before every message
        (close_old_connections): these sockets reach the database only through on_database,
        which does that around each call, and a hop per ping queued every page's pongs and
        hints behind the snapshot reads. tests/test_layers.py breaks if channels changes it."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        """A few pages are let in at a time: after a process dies, its pages all come back to
        this one at once, and the open pages' updates must not queue behind their sign-ins
        and first reads (issue 29: 3.6 s behind 1,000 reconnecting pages)."""
        async with handshakes():
            await super().websocket_connect(message)

    async def left(self) -> None:
        """The socket has ended: forget this page wherever it was registered."""

    async def join_group(self, group: str) -> None:
        """Hints of the group reach this page; while the layer is away (Redis restarting) the
        page goes without them, and the poll keeps it current."""
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception as error:
            layer_health.failed(error)
            return
        self.groups_joined.append(group)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Work for this page beside its messages (a repair the poll asked for); cancelled
        when the socket ends."""

        async def run() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("%s: background work failed", type(self).__name__, exc_info=True)

        if self._cleaned:
            work.close()
            return
        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if self.ends_with_session and not self.gone:
            session_watch().opened(self, self.scope.get("session"), self.scope.get("path", ""))

    async def send(self, *args: Any, **kwargs: Any) -> None:
        """A client that has gone is not an error: its disconnect follows."""
        if self.gone:
            return
        try:
            await super().send(*args, **kwargs)
        except OSError:  # the server's ClientDisconnected
            self.gone = True

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self.gone:
            return
        try:
            await super().close(code, reason)
        except OSError:
            self.gone = True

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def error(self, text: str) -> None:
        self._bad += 1
        await self.send_json({"type": "error", "message": text})
        if self._bad >= self.max_bad_messages:
            await self.close(code=CLOSE_POLICY)

    def silent(self) -> bool:
        """Nothing heard for two heartbeats and a margin: the client is gone although its
        socket never closed (a lost network keeps a connection half-open for minutes)."""
        return time.monotonic() - self.heard_at > 2 * settings.HEARTBEAT_SECONDS + 5

    def heartbeat_due(self, client_is_current: bool) -> bool:
        """Whether a ping should check the database. Real pages ping every
        HEARTBEAT_SECONDS; a client pinging faster while up to date just gets a pong, so a
        flood costs no database work and the rate limit can catch up with it."""
        now = time.monotonic()
        if client_is_current and now - getattr(self, "_checked_at", -1e9) < MIN_CHECK_SECONDS:
            return False
        self._checked_at = now
        return True

    def _allow(self) -> bool:
        """Token bucket: a burst of the per-second limit, refilled at that rate."""
        limit = float(settings.WS_MAX_MESSAGES_PER_SECOND)
        now = time.monotonic()
        self._bucket = min(limit, self._bucket + (now - self._bucket_at) * limit)
        self._bucket_at = now
        if self._bucket < 1:
            return False
        self._bucket -= 1
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.heard_at = time.monotonic()
        if not self._allow():
            log.warning("socket flood: closing %s", type(self).__name__)
            await self.close(code=CLOSE_POLICY)
            return
        if text_data is None or len(text_data.encode()) > settings.WS_MAX_MESSAGE_BYTES:
            await self.error(_("Beskeden er for stor eller ikke tekst."))
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: deeply nested arrays
            await self.error(_("Beskeden kunne ikke læses."))
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if not isinstance(kind, str) or kind not in self.message_types:
            log.info("socket: unknown message type on %s", type(self).__name__)
            await self.error(_("Ukendt beskedtype."))
            return
        await self.handle(content)

    async def handle(self, content: dict[str, Any]) -> None:
        raise NotImplementedError


def seq_of(content: dict[str, Any], key: str = "seq") -> int | None:
    value = content.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
