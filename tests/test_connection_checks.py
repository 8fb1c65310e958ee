"""daphne's connection checks as the product installs them (kontaktlaege.server): ended
connections are reaped by the same rules as daphne's, looking only at those that ended, and
the timeout walk reaches every connection a slice per turn of the event loop."""

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from daphne.server import Server
from twisted.internet import reactor

import kontaktlaege.asgi  # noqa: F401 - installs the checks on daphne's server class

SLICE = 250


class Connection:
    """What daphne's server asks of a protocol."""

    def __init__(self) -> None:
        self.checked = 0
        self.errors: list[BaseException] = []

    def check_timeouts(self) -> None:
        self.checked += 1

    def handle_exception(self, error: BaseException) -> None:
        self.errors.append(error)


@pytest.fixture
def timers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, Callable[..., Any], tuple]]:
    """The reactor is not running here: its timers are collected to be run by hand."""
    calls: list[tuple[float, Callable[..., Any], tuple]] = []
    monkeypatch.setattr(reactor, "callLater", lambda s, f, *a: calls.append((s, f, a)))
    return calls


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop(None)


class NotWalked(dict):
    """The reaping must find its connections without walking all of them."""

    def _walked(self, *args: Any) -> Any:
        raise AssertionError("the reaping walked every connection")

    __iter__ = items = keys = values = _walked  # type: ignore[assignment]


def make_server(application: Callable[..., Any], **options: Any) -> Server:
    server = Server(application, endpoints=["tcp:port=0"], **options)
    server.connections = NotWalked()  # as run() sets it, a dict
    return server


def open_connection(server: Server, loop: asyncio.AbstractEventLoop) -> Connection:
    connection = Connection()
    server.protocol_connected(connection)
    assert server.create_application(connection, {"type": "websocket"}) is not None
    return connection


def settle(loop: asyncio.AbstractEventLoop) -> None:
    for _ in range(3):  # tasks end and their done callbacks run
        loop.run_until_complete(asyncio.sleep(0))


def test_ended_connections_are_reaped_and_open_ones_left(
    loop: asyncio.AbstractEventLoop, timers: list
) -> None:
    release = [asyncio.Event() for _ in range(3)]
    started: list[int] = []

    async def application(scope: Any, receive: Any, send: Any) -> None:
        started.append(len(started))
        await release[started[-1]].wait()

    server = make_server(application)
    running, leaving, ended_open = (open_connection(server, loop) for _ in range(3))
    release[1].set()  # leaving's application ends, then its socket closes
    release[2].set()  # ended_open's application ends; its socket stays open
    settle(loop)
    server.protocol_disconnected(leaving)

    server.application_checker()
    assert leaving not in server.connections
    assert "application_instance" not in server.connections[ended_open]
    assert "application_instance" in server.connections[running]
    assert timers[-1][0] == 1  # the next check in a second

    # A socket that closes while its application still runs waits for the application.
    server.protocol_disconnected(running)
    server.application_checker()
    assert running in server.connections
    release[0].set()
    settle(loop)
    server.application_checker()
    assert running not in server.connections
    server.protocol_disconnected(ended_open)
    server.application_checker()
    assert len(server.connections) == 0


def test_an_application_that_outlives_its_socket_is_cancelled(
    loop: asyncio.AbstractEventLoop, timers: list
) -> None:
    async def application(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.Event().wait()

    server = make_server(application, application_close_timeout=0)
    connection = open_connection(server, loop)
    server.protocol_disconnected(connection)
    server.connections[connection]["disconnected"] -= 1  # longer ago than the timeout
    server.application_checker()
    settle(loop)
    server.application_checker()
    assert connection not in server.connections


def test_an_application_error_goes_to_its_open_connection(
    loop: asyncio.AbstractEventLoop, timers: list
) -> None:
    async def application(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("broken")

    server = make_server(application)
    connection = open_connection(server, loop)
    settle(loop)
    server.application_checker()
    assert [str(e) for e in connection.errors] == ["broken"]
    assert connection in server.connections  # the protocol closes it; then it is reaped


def test_the_timeout_walk_checks_every_connection_a_slice_per_turn(
    loop: asyncio.AbstractEventLoop, timers: list
) -> None:
    async def application(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.Event().wait()

    server = make_server(application)
    server.connections = {}  # the timeout walk does walk them all, in slices
    connections = [open_connection(server, loop) for _ in range(2 * SLICE + 10)]
    del server.connections[connections[-1]]  # reaped while the walk is under way

    server.timeout_checker()
    assert sum(c.checked for c in connections) == SLICE  # one slice in this turn
    turns = 1
    while timers[-1][0] == 0:
        delay, step, args = timers.pop()
        step(*args)
        turns += 1
    assert turns == 3
    assert [c.checked for c in connections] == [1] * (len(connections) - 1) + [0]
    assert timers[-1][0] == 2  # and again in two seconds
    for task in asyncio.all_tasks(loop):
        task.cancel()
    settle(loop)
