"""The connection test's WebSocket: public, answers each "echo" with the same nonce, so the page
can tell municipal IT that WebSockets through their proxy and firewall work."""

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _

from kontaktlaege.live.sockets import LiveSocket

MAX_NONCE = 64


class ConnectionTestConsumer(LiveSocket):
    message_types = frozenset({"echo"})
    ends_with_session = False  # open to anyone, it echoes what it is sent

    async def connect(self) -> None:
        await self.accept()

    async def handle(self, content: dict[str, Any]) -> None:
        nonce = content.get("nonce")
        if not isinstance(nonce, str) or not 0 < len(nonce) <= MAX_NONCE:
            await self.error(_("Ugyldig testbesked."))
            return
        await self.send_json({"type": "echo", "nonce": nonce})


websocket_urlpatterns = [path("ws/forbindelsestest/", ConnectionTestConsumer.as_asgi())]
