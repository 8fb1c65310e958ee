"""Scale-out: an employee on server process A and a clinic on process B see each other's
queue changes through Redis, and after Redis is killed and started again every open page
ends up with what the database holds (pushes are hints; the heartbeat repairs)."""

import asyncio
import time
from typing import Any

import pytest

from tests.support.pages import Page
from tests.support.server import Cluster
from tests.support.services import RedisServer
from tests.support.signin import Browser

pytestmark = pytest.mark.scaleout

A, B = 0, 1


def queue_ids(data: dict[str, Any]) -> list[int]:
    return [e["id"] for e in data.get("entries", [])]


def states(page: Page) -> list[str]:
    return [e["state"] for e in page.data.get("entries", [])]


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
    await room.until(lambda: queue_ids(room.data) == [first], "queue shown on B")
    assert room.data["entries"][0]["reason"] == "Borgeren har feber og hoste."

    # The doctor admits on B; the employee's page on A sees it.
    assert doctor.post_json(f"/klinik/konsultation/{first}/start/") == {"ok": True}
    await waiting.until(lambda: waiting.data["state"] == "admitted", "admitted shown on A")
    await room.until(lambda: states(room) == ["admitted"], "admitted shown on B")

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
            await second_page.until(
                lambda n=sent: len(second_page.data["messages"]) >= n, "message pushed", timeout=3
            )
            break
        except AssertionError:
            assert time.monotonic() < end, "pushes never resumed after the Redis restart"
    assert doctor.post_json(f"/klinik/konsultation/{second}/start/") == {"ok": True}
    await second_page.until(lambda: second_page.data["state"] == "admitted", "admitted")
    await room.until(lambda: states(room) == ["admitted"], "admitted shown on B")
    assert (room.seq, queue_ids(room.data)) == database_view(cluster, clinic_id)
    for page in (room, waiting, second_page):
        await page.close()


def test_two_processes_share_queue_and_survive_redis_restart(
    cluster: Cluster, redis_server: RedisServer
) -> None:
    asyncio.run(scenario(cluster, redis_server))
