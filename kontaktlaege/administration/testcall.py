"""The test call: the caller's page calls a loop-back participant that sends the caller's own
video and sound back with a delay, over the same signalling socket and ICE/TURN servers as a
real call, so an employee (or municipal IT) proves device, network and TURN without a doctor.
No consultation is made: nothing shows in any clinic's list or in the statistics."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.live.signin import verified_user
from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED, LiveSocket
from kontaktlaege.video.turn import ice_servers

SOCKET_PATH = "/ws/testopkald/"
PARTIES = {"caller", "loopback"}


@never_cache
@verified_required()
def page(request: HttpRequest) -> HttpResponse:
    servers = ice_servers(f"testcall-{request.user.pk}")
    return render(
        request,
        "administration/test_call.html",
        {
            "ice_servers": servers,
            "socket_path": SOCKET_PATH,
            # Through TURN only when there is one: the test then proves the relay path.
            "relay_only": bool(settings.TURN_URLS and settings.TURN_SECRET),
        },
    )


class LoopbackConsumer(LiveSocket):
    """The self-answering waiting room: hands each signalling message back to the same page,
    addressed to the caller or to the loop-back participant. Signed-in staff only."""

    message_types = frozenset({"signal"})

    async def connect(self) -> None:
        user = await verified_user(self.scope)
        if user is None or user.is_citizen:  # staff's test; a citizen has none here
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        await self.accept()

    async def handle(self, content: dict[str, Any]) -> None:
        to, data = content.get("to"), content.get("data")
        if to not in PARTIES or not isinstance(data, dict):
            await self.error(_("Ugyldig testbesked."))
            return
        await self.send_json({"type": "signal", "to": to, "data": data})


websocket_urlpatterns = [path(SOCKET_PATH.lstrip("/"), LoopbackConsumer.as_asgi())]
