"""Sockets open only from the site's own pages: the Origin header's scheme, host and port must
be the socket's own (a page on https://host opens wss://host), not just an allowed host."""

from typing import Any

from channels.security.websocket import WebsocketDenier


class SameOriginValidator:
    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers", ()))
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        if not host or origin != f"{scheme}://{host}":
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
