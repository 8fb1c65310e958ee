"""Scale-out: an employee on server process A and a clinic on process B see each other's
queue changes through Redis, and after Redis is killed and started again every open page
ends up with what the database holds (pushes are hints; the heartbeat repairs)."""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from .conftest import Browser, Cluster, RedisServer

pytestmark = pytest.mark.scaleout

A, B = 0, 1
WAIT = 15.0


class Page:
    """A live page's socket as kl/live.js keeps it: the newest snapshot by sequence
    number, heartbeats that carry that number, reconnect when the socket is gone."""

    def __init__(self, url: str, browser: Browser) -> None:
        self.url = url
        self.headers = {"Cookie": f"sessionid={browser.cookie('sessionid')}"}
        self.origin = url.replace("ws://", "http://").split("/ws/")[0]
        self.seq = -1
        self.data: dict[str, Any] = {}
        self.changed = asyncio.Event()
        self.ws: ClientConnection | None = None

    async def open(self) -> "Page":
        self.ws = await connect(
            self.url,
            additional_headers=self.headers,
            origin=self.origin,  # type: ignore[arg-type]
        )
        asyncio.get_running_loop().create_task(self._read(self.ws))
        await self.until(lambda data: bool(data))
        return self

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "snapshot" and message["seq"] >= self.seq:
                    self.seq, self.data = message["seq"], message["data"]
                    self.changed.set()
        except Exception:  # noqa: BLE001 - a dropped socket is reopened by heartbeat()
            pass
        if self.ws is ws:
            self.ws = None

    async def heartbeat(self) -> None:
        if self.ws is None:
            await self.open()
        else:
            await self.ws.send(json.dumps({"type": "ping", "seq": self.seq}))

    async def until(self, check: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> None:
        """Wait for pushes only (no heartbeat) until `check` holds."""
        end = time.monotonic() + timeout
        while not check(self.data):
            self.changed.clear()
            left = end - time.monotonic()
            assert left > 0, f"page never got there; last snapshot: {self.data}"
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                pass

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def queue_ids(data: dict[str, Any]) -> list[int]:
    return [e["id"] for e in data.get("entries", [])]


def join(employee: Browser, reason: str) -> int:
    employee.post("/medarbejder/ydernummer/", ydernummer="012345", confirm="1")
    landed = employee.post("/medarbejder/aarsag/", reason=reason)
    assert "/konsultation/" in landed, landed
    return int(landed.rstrip("/").rsplit("/", 1)[1])


def database_view(cluster: Cluster, clinic_id: int) -> tuple[int, list[int]]:
    seq, rows = cluster.room(clinic_id)
    return seq, [id_ for id_, _state in rows]


def state_of(cluster: Cluster, consultation_id: int) -> tuple[int, str]:
    ((seq, state),) = cluster.sql(
        "SELECT seq, state FROM consultations_consultation WHERE id = %s", consultation_id
    )
    return seq, state


async def scenario(cluster: Cluster, redis: RedisServer) -> None:
    employee = Browser(cluster.base(A)).login(cluster, "sygeplejerske.kbh")
    doctor = Browser(cluster.base(B)).login(cluster, "laege.norrebro")
    ((clinic_id,),) = cluster.sql(
        "SELECT clinic_id FROM accounts_user WHERE username = %s", "laege.norrebro"
    )
    room = await Page(cluster.ws(B, "/ws/klinik/"), doctor).open()
    assert queue_ids(room.data) == []

    # The employee joins on A; the clinic's page on B gets it through Redis.
    first = join(employee, "Borgeren har feber og hoste.")
    waiting = await Page(cluster.ws(A, f"/ws/konsultation/{first}/"), employee).open()
    assert waiting.data["state"] == "queued" and waiting.data["position"] == 1
    await room.until(lambda d: queue_ids(d) == [first])
    assert room.data["entries"][0]["reason"] == "Borgeren har feber og hoste."

    # The doctor admits on B; the employee's page on A sees it.
    assert doctor.post_json(f"/klinik/konsultation/{first}/start/") == {"ok": True}
    await waiting.until(lambda d: d["state"] == "admitted")
    await room.until(lambda d: [e["state"] for e in d["entries"]] == ["admitted"])

    # Redis goes away; both sides change the database meanwhile; the pushes are lost.
    redis.kill()
    second = join(employee, "Ny borger med svimmelhed.")
    assert doctor.post_json(f"/klinik/konsultation/{first}/afslut/") == {"ok": True}
    redis.start()

    # Heartbeats bring every page back to what the database holds.
    end = time.monotonic() + 30
    while True:
        for page in (room, waiting):
            await page.heartbeat()
        await asyncio.sleep(0.5)
        db_room, db_first = database_view(cluster, clinic_id), state_of(cluster, first)
        if (room.seq, queue_ids(room.data)) == db_room and (
            waiting.seq,
            waiting.data.get("state"),
        ) == db_first:
            break
        assert time.monotonic() < end, (
            f"pages not in sync after Redis restart: room {room.seq} {queue_ids(room.data)} "
            f"vs {db_room}; consultation {waiting.seq} {waiting.data.get('state')} vs {db_first}"
        )
    assert queue_ids(room.data) == [second] and waiting.data["state"] == "ended"

    # And pushes flow again across the processes, without heartbeats.
    second_page = await Page(cluster.ws(A, f"/ws/konsultation/{second}/"), employee).open()
    assert second_page.data["state"] == "queued"
    # The layer resubscribes in the background: message the waiting person until a push
    # arrives (each message is real and stays in the database), then admit.
    end = time.monotonic() + 30
    while True:
        sent = len(second_page.data["messages"]) + 1
        assert doctor.post_json(
            f"/klinik/konsultation/{second}/besked/", text="Jeg kommer om 5 minutter."
        ) == {"ok": True}
        try:
            await second_page.until(lambda d, n=sent: len(d["messages"]) >= n, timeout=3)
            break
        except AssertionError:
            assert time.monotonic() < end, "pushes never resumed after the Redis restart"
    assert doctor.post_json(f"/klinik/konsultation/{second}/start/") == {"ok": True}
    await second_page.until(lambda d: d["state"] == "admitted")
    await room.until(lambda d: [e["state"] for e in d["entries"]] == ["admitted"])
    assert (room.seq, queue_ids(room.data)) == database_view(cluster, clinic_id)
    for page in (room, waiting, second_page):
        await page.close()


def test_two_processes_share_queue_and_survive_redis_restart(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    asyncio.run(scenario(cluster, redis_server))
