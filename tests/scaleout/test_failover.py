"""Scale-out: a server process dies and its clients reconnect to another. A small TCP proxy
stands in front of processes A and B and sends each new connection to the first process that
accepts it (A, else B), as nginx's proxy_next_upstream does. A clinic page and a waiting
employee's page are on A when A is killed with SIGKILL; they reconnect through the proxy to B
the way kl/live.js does, and end up showing exactly what PostgreSQL holds: the change made
while they were away arrives once, nothing is lost and nothing is shown twice."""

import asyncio
import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.loopback import FlakyLink

from .conftest import Browser, Cluster, RedisServer, start_cluster
from .test_two_processes import join

pytestmark = pytest.mark.scaleout

A, B = 0, 1
WAIT = 15.0
CLOSE_UNAUTHORISED = 4003


class LivePage:
    """A live page's socket as kl/live.js keeps it: it shows the newest snapshot by sequence
    number and, when the socket closes without the page asking, opens a new one after a
    backoff (0.5 s doubling, up to 4 s, with jitter), where the server sends a fresh snapshot.
    No heartbeats here: reconnect and pushes alone must bring the page up to date.

    `online` stands for the page's network: while it is clear, reconnect timers wait."""

    def __init__(self, url: str, browser: Browser) -> None:
        self.url = url
        self.headers = {"Cookie": f"sessionid={browser.cookie('sessionid')}"}
        self.origin = url.replace("ws://", "http://").split("/ws/")[0]
        self.seq = -1
        self.data: dict[str, Any] = {}
        self.sockets: list[int] = []  # local port of each socket that opened
        self.drops = 0
        self.online = asyncio.Event()
        self.online.set()
        self.changed = asyncio.Event()
        self._closed_by_us = False
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None

    def start(self) -> "LivePage":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        retry = 0
        while not self._closed_by_us:
            await self.online.wait()
            try:
                ws = await connect(
                    self.url,
                    additional_headers=self.headers,
                    origin=self.origin,  # type: ignore[arg-type]
                    open_timeout=WAIT,
                )
            except (OSError, InvalidHandshake, TimeoutError):
                ws = None
            if ws is not None:
                retry = 0
                self._ws = ws
                self.sockets.append(ws.local_address[1])
                self._notify()
                try:
                    async for raw in ws:
                        message = json.loads(raw)
                        if message["type"] == "snapshot" and message["seq"] >= self.seq:
                            self.seq, self.data = message["seq"], message["data"]
                            self._notify()
                except ConnectionClosed:
                    pass
                self._ws = None
                if self._closed_by_us:
                    return
                assert ws.close_code != CLOSE_UNAUTHORISED, "the server refused the page"
                self.drops += 1
                self._notify()
            await asyncio.sleep(min(4.0, 0.5 * 2**retry) * (0.5 + random.random() / 2))
            retry += 1

    def _notify(self) -> None:
        self.changed.set()

    async def until(self, check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        """Wait (without heartbeats) until `check` holds."""
        end = time.monotonic() + timeout
        while not check():
            self.changed.clear()
            left = end - time.monotonic()
            assert left > 0, f"{what}: never happened; last snapshot seq {self.seq}: {self.data}"
            assert self._task is not None and not self._task.done(), self._task
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass

    async def close(self) -> None:
        """Close as the page does when it is left: no reconnect after this."""
        self._closed_by_us = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            if not self._task.done():
                self._task.cancel()  # waiting to reconnect
            await asyncio.gather(self._task, return_exceptions=True)


def room_shown(page: LivePage) -> tuple[int, list[tuple[int, str]]]:
    return page.seq, [(e["id"], e["state"]) for e in page.data.get("entries", [])]


def consultation_view(
    cluster: Cluster, consultation_id: int
) -> tuple[int, str, list[tuple[str, datetime]]]:
    """What the waiting person's page should show, read from PostgreSQL."""
    ((seq, state),) = cluster.sql(
        "SELECT seq, state FROM consultations_consultation WHERE id = %s", consultation_id
    )
    messages = cluster.sql(
        "SELECT text, created_at FROM consultations_message WHERE consultation_id = %s"
        " ORDER BY created_at, id",
        consultation_id,
    )
    return seq, state, [(text, at) for text, at in messages]


def consultation_shown(page: LivePage) -> tuple[int, str, list[tuple[str, datetime]]]:
    messages = [(m["text"], datetime.fromisoformat(m["at"])) for m in page.data["messages"]]
    return page.seq, page.data["state"], messages


@pytest.fixture
def failover_cluster(
    pg_database: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two processes of this test's own: process A gets killed."""
    with start_cluster(pg_database, redis_server.url, tmp_path_factory.mktemp("var")) as c:
        yield c


@pytest.fixture
def proxy(failover_cluster: Cluster) -> Iterator[FlakyLink]:
    with FlakyLink(*failover_cluster.ports) as front:
        yield front


async def scenario(cluster: Cluster, proxy: FlakyLink) -> None:
    # Everyone comes in through the proxy, which sends them to A while A is up.
    employee = Browser(proxy.base).login(cluster, "sygeplejerske.kbh")
    doctor = Browser(proxy.base).login(cluster, "laege.norrebro")
    ((clinic_id,),) = cluster.sql(
        "SELECT clinic_id FROM accounts_user WHERE username = %s", "laege.norrebro"
    )
    consultation = join(employee, "Borgeren er faldet og har ondt i hoften.")
    room = LivePage(proxy.ws("/ws/klinik/"), doctor).start()
    waiting = LivePage(proxy.ws(f"/ws/konsultation/{consultation}/"), employee).start()
    await room.until(lambda: room_shown(room)[1] == [(consultation, "queued")], "queue shown")
    await waiting.until(lambda: waiting.data.get("state") == "queued", "waiting page open")
    assert [proxy.backend_of(page.sockets[0]) for page in (room, waiting)] == [A, A]

    first = "Vi har set jeres henvendelse."
    assert doctor.post_json(f"/klinik/konsultation/{consultation}/besked/", text=first) == {
        "ok": True
    }
    await waiting.until(lambda: len(waiting.data["messages"]) == 1, "first message pushed")
    before = (room_shown(room), consultation_shown(waiting))

    # A dies. The pages see their sockets drop; their reconnect timers wait (see `online`)
    # so that the next changes are certain to happen while they are away.
    for page in (room, waiting):
        page.online.clear()
    routed_before = len(proxy.routes)
    cluster.kill(A)
    await room.until(lambda: room.drops == 1, "clinic page's socket dropped when A died")
    await waiting.until(lambda: waiting.drops == 1, "waiting page's socket dropped when A died")

    # Meanwhile the doctor writes a message and admits the waiting person; the proxy sends
    # these requests to B, the only process left.
    second = "Lægen er klar nu, vi ringer op."
    assert doctor.post_json(f"/klinik/konsultation/{consultation}/besked/", text=second) == {
        "ok": True
    }
    assert doctor.post_json(f"/klinik/konsultation/{consultation}/start/") == {"ok": True}
    assert proxy.routes[routed_before:] and all(
        backend == B for _port, backend in proxy.routes[routed_before:]
    ), proxy.routes[routed_before:]
    assert (room_shown(room), consultation_shown(waiting)) == before  # still the old view
    expected_room = cluster.room(clinic_id)
    expected_waiting = consultation_view(cluster, consultation)
    assert expected_room[1] == [(consultation, "admitted")]
    assert expected_waiting[1] == "admitted"
    assert [text for text, _at in expected_waiting[2]] == [first, second]

    # The network is back: both pages reconnect through the proxy, land on B, and the
    # snapshot B sends on connect brings them to what the database holds.
    for page in (room, waiting):
        page.online.set()
    await room.until(lambda: room_shown(room) == expected_room, "clinic page caught up")
    await waiting.until(
        lambda: consultation_shown(waiting) == expected_waiting, "waiting page caught up"
    )
    for page in (room, waiting):
        assert len(page.sockets) == 2 and page.drops == 1, (page.sockets, page.drops)
        assert proxy.backend_of(page.sockets[1]) == B
    assert cluster.room(clinic_id) == expected_room
    assert consultation_view(cluster, consultation) == expected_waiting

    # Pushes reach the reconnected pages on B: one more message, shown once, in order.
    third = "Tjek venligst at kameraet er tændt."
    assert doctor.post_json(f"/klinik/konsultation/{consultation}/besked/", text=third) == {
        "ok": True
    }
    expected_waiting = consultation_view(cluster, consultation)
    assert [text for text, _at in expected_waiting[2]] == [first, second, third]
    await waiting.until(
        lambda: consultation_shown(waiting) == expected_waiting, "third message pushed"
    )
    assert [m["text"] for m in waiting.data["messages"]] == [first, second, third]
    assert room_shown(room) == cluster.room(clinic_id)
    assert all(len(page.sockets) == 2 for page in (room, waiting))
    for page in (room, waiting):
        await page.close()


def test_clients_of_a_killed_process_reconnect_to_another(
    failover_cluster: Cluster, proxy: FlakyLink
) -> None:
    asyncio.run(scenario(failover_cluster, proxy))
    assert failover_cluster.procs[A].returncode == -9
    assert failover_cluster.procs[B].poll() is None
