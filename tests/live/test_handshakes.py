"""A process lets in SOCKET_HANDSHAKES_AT_ONCE sockets at a time (live/sockets.py): a storm
of reconnecting pages waits at the door instead of queueing ahead of the open pages."""

import asyncio
from typing import Any

import pytest

from kontaktlaege.consultations.consumers import WaitingRoomConsumer
from tests.consultations.test_sockets import WAIT, receive, run, socket

pytestmark = pytest.mark.django_db(transaction=True)


def most_at_once(world: Any, as_user: Any, monkeypatch: Any, pages: int) -> int:
    """Open `pages` clinic pages at once; how many were being let in at the same time."""
    inside, most = 0, 0
    real_connect = WaitingRoomConsumer.connect

    async def connect(self: WaitingRoomConsumer) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.05)  # every page is at the door before the first is let in
        try:
            await real_connect(self)
        finally:
            inside -= 1

    monkeypatch.setattr(WaitingRoomConsumer, "connect", connect)
    gp = as_user(world.gp)

    async def scenario() -> None:
        comms = [socket("/ws/klinik/", gp) for _ in range(pages)]
        opened = await asyncio.gather(*(c.connect(timeout=WAIT) for c in comms))
        assert all(ok for ok, _ in opened)
        for comm in comms:
            assert (await receive(comm))["type"] == "snapshot"
            await comm.disconnect()

    run(scenario)
    return most


def test_pages_are_let_in_a_few_at_a_time(
    world: Any, as_user: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.SOCKET_HANDSHAKES_AT_ONCE = 2
    assert most_at_once(world, as_user, monkeypatch, pages=6) == 2


def test_the_door_is_as_wide_as_configured(
    world: Any, as_user: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.SOCKET_HANDSHAKES_AT_ONCE = 6
    assert most_at_once(world, as_user, monkeypatch, pages=6) == 6
