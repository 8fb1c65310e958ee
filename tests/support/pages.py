"""Live pages as kl/live.js keeps them, simulated over WebSockets against a server process:
each shows the newest snapshot by sequence number. `Page` repairs itself by heartbeats (it
reopens a lost socket on the next one); `ReconnectingPage` reopens its socket by itself after
a backoff, without heartbeats."""

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED
from tests.support.signin import Browser

WAIT = 15.0  # seconds a page may take to show a change on a busy machine; not a performance bar


class SnapshotPage:
    def __init__(self, url: str, browser: Browser) -> None:
        self.url = url
        self.headers = {"Cookie": f"sessionid={browser.cookie('sessionid')}"}
        self.origin = url.replace("ws://", "http://").split("/ws/")[0]
        self.seq = -1
        self.data: dict[str, Any] = {}
        self.changed = asyncio.Event()
        self.ws: ClientConnection | None = None

    async def _connect(self, **options: Any) -> ClientConnection:
        return await connect(
            self.url,
            additional_headers=self.headers,
            origin=self.origin,  # type: ignore[arg-type]
            **options,
        )

    async def _show(self, ws: ClientConnection) -> None:
        """Show each newer snapshot from `ws` until it closes."""
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "snapshot" and message["seq"] >= self.seq:
                self.seq, self.data = message["seq"], message["data"]
                self.changed.set()

    def running(self) -> bool:
        return True

    async def until(self, check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Wait for pushes only (no heartbeat) until `check` holds."""
        end = time.monotonic() + timeout
        while not check():
            self.changed.clear()
            left = end - time.monotonic()
            assert left > 0, f"{what}: never happened; last snapshot seq {self.seq}: {self.data}"
            assert self.running(), f"{what}: the page stopped"
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass


class Page(SnapshotPage):
    async def open(self) -> "Page":
        self.ws = await self._connect()
        asyncio.get_running_loop().create_task(self._read(self.ws))
        await self.until(lambda: bool(self.data), "first snapshot")
        return self

    async def _read(self, ws: ClientConnection) -> None:
        try:
            await self._show(ws)
        except Exception:  # noqa: BLE001 - a dropped socket is reopened by heartbeat()
            pass
        if self.ws is ws:
            self.ws = None

    async def heartbeat(self) -> None:
        if self.ws is None:
            await self.open()
        else:
            await self.ws.send(json.dumps({"type": "ping", "seq": self.seq}))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class ReconnectingPage(SnapshotPage):
    """When the socket closes without the page asking, a new one opens after a backoff
    (0.5 s doubling, up to 4 s, with jitter), where the server sends a fresh snapshot.
    `online` stands for the page's network: while it is clear, reconnect timers wait."""

    def __init__(self, url: str, browser: Browser) -> None:
        super().__init__(url, browser)
        self.sockets: list[int] = []  # local port of each socket that opened
        self.drops = 0
        self.online = asyncio.Event()
        self.online.set()
        self._closed_by_us = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> "ReconnectingPage":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        retry = 0
        while not self._closed_by_us:
            await self.online.wait()
            try:
                ws = await self._connect(open_timeout=WAIT)
            except (OSError, InvalidHandshake, TimeoutError):
                ws = None
            if ws is not None:
                retry = 0
                self.ws = ws
                self.sockets.append(ws.local_address[1])
                self.changed.set()
                try:
                    await self._show(ws)
                except ConnectionClosed:
                    pass
                self.ws = None
                if self._closed_by_us:
                    return
                assert ws.close_code != CLOSE_UNAUTHORISED, "the server refused the page"
                self.drops += 1
                self.changed.set()
            await asyncio.sleep(min(4.0, 0.5 * 2**retry) * (0.5 + random.random() / 2))
            retry += 1

    async def close(self) -> None:
        """Close as the page does when it is left: no reconnect after this."""
        self._closed_by_us = True
        if self.ws is not None:
            await self.ws.close()
        if self._task is not None:
            if not self._task.done():
                self._task.cancel()  # waiting to reconnect
            await asyncio.gather(self._task, return_exceptions=True)
