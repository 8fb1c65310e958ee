"""The in-process channel layer of the embedded default (one server process, no Redis)."""

import time

from channels.layers import InMemoryChannelLayer


class ProcessChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer sweeps every queue and group for expired entries on each
    send and receive, which makes fan-out quadratic in the number of open sockets (measured:
    p99 5 s at 5,000 connections). Sweeping at most once a second keeps expiry and makes
    each operation cost only its own work."""

    sweep_interval = 1.0

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_interval:
            return
        self._swept_at = now
        super()._clean_expired()
