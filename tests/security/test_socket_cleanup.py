"""Sockets that die abnormally against a real server: vanished clients and abandoned
handshakes are cleaned up, and afterwards signing out still closes the session's other pages
at once while the clinic's other pages keep getting updates."""

import asyncio
import socket as tcp
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed

from kontaktlaege.consultations import actions
from tests.security.test_sockets import WAIT, cookie_for, next_of, open_socket
from tests.support.threads import in_own_thread, run_async

pytestmark = pytest.mark.django_db(transaction=True)


def _abandoned_handshake(base: str, path: str, cookie: str) -> None:
    """The upgrade request is sent and the client leaves before the answer."""
    host, port = base.split(":")
    with tcp.create_connection((host, int(port)), timeout=WAIT) as s:
        s.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: {base}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: http://{base}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )


def _sign_out(base: str, cookie: str) -> None:
    token = "k" * 32
    request = urllib.request.Request(
        f"http://{base}/konto/log-ud/",
        data=b"",
        headers={"Cookie": f"{cookie}; csrftoken={token}", "X-CSRFToken": token},
    )
    with urllib.request.urlopen(request, timeout=WAIT):  # noqa: S310 (loopback)
        pass


def test_dead_sockets_never_stop_the_session_watch_or_a_fan_out(world, scene, server_url) -> None:  # type: ignore[no-untyped-def]
    gp_cookie, secretary_cookie = cookie_for(world.gp), cookie_for(world.secretary)

    async def run() -> tuple[int | None, bool]:
        for _ in range(5):
            _abandoned_handshake(server_url, "/ws/klinik/", gp_cookie)
            vanished = await open_socket(server_url, "/ws/klinik/", gp_cookie)
            await next_of(vanished, "snapshot")
            vanished.transport.abort()  # gone without a close
            synced = await open_socket(server_url, "/ws/klinik/", gp_cookie)
            await synced.send('{"type": "sync"}')
            await synced.close()
        kept = await open_socket(server_url, "/ws/klinik/", gp_cookie)
        await next_of(kept, "snapshot")
        other = await open_socket(server_url, "/ws/klinik/", secretary_cookie)
        before = await next_of(other, "snapshot")
        await asyncio.sleep(0.5)  # the dead ones' ends reach the server
        await asyncio.get_running_loop().run_in_executor(None, _sign_out, server_url, gp_cookie)
        try:
            while True:  # at once: not at the next 15 s check
                await asyncio.wait_for(kept.recv(), 3)
        except ConnectionClosed:
            pass
        in_own_thread(
            lambda: actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Uro")
        )
        after = await next_of(other, "snapshot")
        await other.close()
        return kept.close_code, after["seq"] > before["seq"]

    assert run_async(run()) == (4001, True)
