"""The in-process channel layer of the embedded default, and sending hints to it (or to
Redis) from a request's thread."""

import logging
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)


class _PushHealth:
    """One warning when pushes start failing and one when they work again, not a traceback
    per lost hint (Redis restarting loses hints by the thousand; the poll repairs them)."""

    def __init__(self) -> None:
        self.failing = False
        self.lock = threading.Lock()

    def failed(self, error: BaseException) -> None:
        with self.lock:
            if not self.failing:
                self.failing = True
                log.warning("pushes are failing (%s); pages catch up through the poll", error)

    def worked(self) -> None:
        if self.failing:
            with self.lock:
                if self.failing:
                    self.failing = False
                    log.warning("pushes work again")


push_health = _PushHealth()


def send_hint(group: str, message: dict[str, Any]) -> None:
    """group_send from a request's thread. Hints are at most once: what they announce is in
    the database, and the pages catch up from there; a lost hint never turns a saved change
    into an error page."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as error:
        push_health.failed(error)
    else:
        push_health.worked()


class ProcessChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages and memberships at most once per
    `sweep_seconds`: the sweep walks every open socket, so sweeping on every send made fan-out
    quadratic. Relies on channels calling `_clean_expired` (tests/test_layers.py)."""

    sweep_seconds = 5.0
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.sweep_seconds:
            self._swept_at = now
            super()._clean_expired()
