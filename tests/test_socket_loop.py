"""The product's sockets read the page and the channel layer with one task each for the
socket's life (consultations.sockets.LiveSocket), and still handle one message at a time, end
on a disconnect and pass a handler's error on, as channels' own loop does."""

import asyncio
from typing import Any

import pytest
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator

from kontaktlaege.consultations.sockets import LiveSocket
from tests.live import run_async

# channels' connect and disconnect close the database connections that have gone stale.
pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 5  # seconds a message may take on a busy machine; not a performance bar
GROUP = "probe"


class Probe(LiveSocket):
    ends_with_session = False
    handled: list[str]
    gate: asyncio.Event

    async def connect(self) -> None:
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def handle(self, content: dict[str, Any]) -> None:
        Probe.handled.append(content["type"])
        await self.send_json({"type": "pong"})

    async def slow_event(self, event: dict[str, Any]) -> None:
        Probe.handled.append("slow begun")
        await Probe.gate.wait()
        Probe.handled.append("slow done")

    async def broken_event(self, event: dict[str, Any]) -> None:
        raise ValueError("broken handler")


@pytest.fixture(autouse=True)
def _fresh_layer() -> None:
    channel_layers.backends.clear()  # each test runs its own event loop


def readers_left() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_coro().__qualname__.endswith(".read")]  # type: ignore[union-attr]


async def open_probe() -> WebsocketCommunicator:
    Probe.handled, Probe.gate = [], asyncio.Event()
    page = WebsocketCommunicator(Probe.as_asgi(), "/probe/")
    assert (await page.connect())[0]
    return page


async def until(condition: Any) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


def test_the_page_and_the_layer_are_handled_one_message_at_a_time() -> None:
    async def scenario() -> None:
        page = await open_probe()
        await get_channel_layer().group_send(GROUP, {"type": "slow.event"})
        await until(lambda: Probe.handled == ["slow begun"])
        await page.send_json_to({"type": "ping"})
        await asyncio.sleep(0.2)  # ample time for the ping to overtake, were it allowed to
        assert Probe.handled == ["slow begun"]
        Probe.gate.set()
        assert await page.receive_json_from(timeout=WAIT) == {"type": "pong"}
        assert Probe.handled == ["slow begun", "slow done", "ping"]
        await page.disconnect()
        assert readers_left() == []

    run_async(scenario())


def test_a_handlers_error_ends_the_socket_and_is_raised() -> None:
    async def scenario() -> None:
        page = await open_probe()
        await get_channel_layer().group_send(GROUP, {"type": "broken.event"})
        with pytest.raises(ValueError, match="broken handler"):
            await page.wait(timeout=WAIT)
        assert readers_left() == []

    run_async(scenario())


def test_one_task_per_source_serves_the_socket_for_its_life() -> None:
    async def scenario() -> None:
        page = await open_probe()
        before = set(readers_left())
        for _ in range(3):
            await page.send_json_to({"type": "ping"})
            assert await page.receive_json_from(timeout=WAIT) == {"type": "pong"}
        assert len(before) == 2 and set(readers_left()) == before
        await page.disconnect()

    run_async(scenario())


def test_a_disconnect_ends_the_socket_quietly() -> None:
    async def scenario() -> None:
        page = await open_probe()
        await page.send_json_to({"type": "sync"})
        assert await page.receive_json_from(timeout=WAIT) == {"type": "pong"}
        await page.disconnect()
        assert page.future.done() and page.future.exception() is None
        assert readers_left() == []
        assert Probe.handled == ["sync"]

    run_async(scenario())
