"""A base for the product's sockets: size and rate limits, JSON validation, heartbeats.

Client → server messages are small JSON objects with a "type". Anything else gets a Danish
error, and a client that floods or keeps sending garbage is disconnected."""

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils.translation import gettext as _

from kontaktlaege.accounts.session_watch import session_watch

log = logging.getLogger(__name__)

CLOSE_UNAUTHORISED = 4003
CLOSE_POLICY = 4008
MIN_CHECK_SECONDS = 5.0


class LiveSocket(AsyncWebsocketConsumer):
    message_types: frozenset[str] = frozenset({"ping", "sync"})
    max_bad_messages = 10
    # Closed when the session it was let in with ends (accounts.session_watch).
    ends_with_session = True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """channels' loop waits for the client and the channel layer with a new task and a new
        `asyncio.wait` for every message, and those objects live until the socket's next
        message: ten seconds for an idle page between pings. At 5,000 pages some twenty such
        objects per message reached the garbage collector's middle generation, whose
        collections then held the event loop 10-25 ms about every two seconds (timed in the
        benchmark). Here one task per source reads it for the socket's life, and messages
        are still handled one at a time, each source read again only once its message was."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources: list[Callable[[], Awaitable[dict[str, Any]]]] = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            sources.append(self.channel_receive)
        one_at_a_time = asyncio.Lock()

        async def read(source: Callable[[], Awaitable[dict[str, Any]]]) -> None:
            while True:
                message = await source()
                async with one_at_a_time:
                    await self.dispatch(message)

        readers = [asyncio.ensure_future(read(source)) for source in sources]
        try:
            done, _ = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
            for reader in done:
                error = reader.exception()
                if error is not None and not isinstance(error, StopConsumer):
                    raise error
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self._bucket = float(settings.WS_MAX_MESSAGES_PER_SECOND)
        self._bucket_at = time.monotonic()
        self._bad = 0
        await super().websocket_connect(message)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if self.ends_with_session:
            session_watch().opened(self, self.scope.get("session"), self.scope.get("path", ""))

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        session_watch().closed(self)
        await super().websocket_disconnect(message)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # channels' own dispatch first runs close_old_connections on the shared database
        # thread: a thread hop for every ping and every hint, queued behind snapshot reads
        # (500 pings a second at 5,000 pages). These consumers touch the database only
        # through socket_database.on_database, which closes old connections around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def error(self, text: str) -> None:
        self._bad += 1
        await self.send_json({"type": "error", "message": text})
        if self._bad >= self.max_bad_messages:
            await self.close(code=CLOSE_POLICY)

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
        if not isinstance(content, dict) or content.get("type") not in self.message_types:
            log.info("socket: unknown message type on %s", type(self).__name__)
            await self.error(_("Ukendt beskedtype."))
            return
        await self.handle(content)

    async def handle(self, content: dict[str, Any]) -> None:
        raise NotImplementedError


def seq_of(content: dict[str, Any], key: str = "seq") -> int | None:
    value = content.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
