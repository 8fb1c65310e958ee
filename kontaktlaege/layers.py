"""The in-process channel layer of the embedded default (one server process, no Redis), and
sending hints to it (or to Redis) from a request's thread."""

import logging
import math
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)


def send_hint(group: str, message: dict[str, Any]) -> None:
    """group_send from a request's thread. Hints are at most once: what they announce is in
    the database, and the pages (or the processes' checks) catch up from there, e.g. while
    Redis restarts. A lost hint must not turn a saved change into an error page."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        log.warning("push lost for %s", group.split("-")[0], exc_info=True)


class ProcessChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer sweeps every channel and group membership for expired
    entries on each send and receive, which makes fan-out quadratic in the number of open
    sockets (measured: p99 5 s at 5,000 connections). Sweeping all of them once a second
    still stalled every socket of the process for 7-28 ms each second at 5,000 (bench/).

    Expired messages can only sit in channels that were sent to, and a group membership
    expires only after `group_expiry` (a day): each sweep (at most once a second) looks at
    the channels holding messages, and memberships are walked at most once a minute, and only
    when the oldest of them can have expired. What expires, and when, is as in channels."""

    sweep_interval = 1.0
    group_sweep_interval = 60.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._swept_at = 0.0
        self._groups_swept_at = 0.0
        self._holding: set[str] = set()  # channels that may hold messages
        self._oldest_join = math.inf  # no membership is older than this (wall clock)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await super().send(channel, message)
        self._holding.add(channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """As channels does it, without a task per member: its sends never wait."""
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            try:
                await self.send(channel, message)
            except ChannelFull:
                pass

    def has_members(self, group: str) -> bool:
        return bool(self.groups.get(group))

    async def group_add(self, group: str, channel: str) -> None:
        await super().group_add(group, channel)
        self._oldest_join = min(self._oldest_join, self.groups[group][channel])

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_interval:
            return
        self._swept_at = now
        self._expire_messages(time.time())
        if now - self._groups_swept_at >= self.group_sweep_interval:
            self._groups_swept_at = now
            self._expire_memberships(time.time())

    def _expire_messages(self, wall: float) -> None:
        for channel in list(self._holding):
            queue = self.channels.get(channel)
            if queue is None or queue.empty():
                self._holding.discard(channel)
                continue
            # Each queued item is (expires at, message), oldest first.
            if queue._queue[0][0] >= wall:  # type: ignore[attr-defined]
                continue
            while not queue.empty() and queue._queue[0][0] < wall:  # type: ignore[attr-defined]
                queue.get_nowait()
            # A channel that let a message expire is gone: it leaves its groups, as in channels.
            self._remove_from_groups(channel)
            if queue.empty():
                self.channels.pop(channel, None)
                self._holding.discard(channel)

    def _expire_memberships(self, wall: float) -> None:
        limit = int(wall) - self.group_expiry
        if self._oldest_join >= limit:
            return
        oldest = math.inf
        for group, members in list(self.groups.items()):
            for channel, joined in list(members.items()):
                if joined and joined < limit:
                    del members[channel]
                elif joined:
                    oldest = min(oldest, joined)
            if not members:
                del self.groups[group]
        self._oldest_join = oldest
