"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import gc
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontaktlaege.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup(set_prefix=False)

from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402


class ReusedThreadsASGIHandler(ASGIHandler):
    """Django's handler runs each request's synchronous code on a thread started for that
    request, and starting a thread blocks the event loop, every socket included, until the
    thread runs (py-spy at 5,000 connections: a quarter of the loop's time). The same
    isolation, one request at a time per thread, from threads that are kept and reused."""

    def __init__(self) -> None:
        super().__init__()
        self.idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.idle.pop() if self.idle else ThreadPoolExecutor(1, "http")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.idle.append(executor)


django_app = ReusedThreadsASGIHandler()

from django.core.signals import request_finished  # noqa: E402
from django.db import connections  # noqa: E402


def close_request_connections(**_: object) -> None:
    """Each HTTP request runs on a thread of its own under ASGI, so its database connection
    would outlive the thread (until a garbage collection) whatever CONN_MAX_AGE says: close
    it with the response. The sockets' database work runs on one long-lived thread and keeps
    its connection for CONN_MAX_AGE: opening one per snapshot read cost 15% of the server's
    time at 5,000 connections (py-spy, bench/)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


request_finished.connect(close_request_connections)

from kontaktlaege.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# A full collection pauses every socket of the process for as long as it takes to walk all
# tracked objects (bench/ at 5,000 connections: 0.45-0.65 s, about once in 20 s under load,
# and most of the p99). The loaded code never becomes garbage: take it out of those walks.
# Then leave the oldest generation to a timer (GC_FULL_SECONDS) instead of allocation counts;
# young objects are collected as usual, and what is not cyclic is freed at once anyway.
gc.freeze()


def collect_old_generation(every: float) -> None:
    while True:
        time.sleep(every)
        gc.collect()


if settings.GC_FULL_SECONDS > 0:
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 2**31 - 1)
    threading.Thread(
        target=collect_old_generation, args=(settings.GC_FULL_SECONDS,), name="gc-full", daemon=True
    ).start()
