"""The in-process channel layer of the embedded default, and sending hints to it (or to
Redis) from a request's thread."""

import logging
import threading
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)


class LayerHealth:
    """One warning when the channel layer starts failing and one when it works again, not a
    traceback per lost hint (Redis restarting loses hints by the thousand; the poll repairs
    what they announced)."""

    def __init__(self) -> None:
        self.failing = False
        self.lock = threading.Lock()

    def failed(self, error: BaseException | None) -> None:
        with self.lock:
            if not self.failing:
                self.failing = True
                log.warning("the channel layer is failing (%r); pages catch up by the poll", error)

    def worked(self) -> None:
        if self.failing:
            with self.lock:
                if self.failing:
                    self.failing = False
                    log.warning("the channel layer works again")


layer_health = LayerHealth()


class LayerFailureFilter(logging.Filter):
    """For channels_redis's loggers (settings.LOGGING): its receive task logs a traceback
    every second while Redis is away; it becomes layer_health's one warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is None:
            return True
        layer_health.failed(record.exc_info[1])
        return False


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
        layer_health.failed(error)
    else:
        layer_health.worked()


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
