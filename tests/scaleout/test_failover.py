"""Scale-out: a server process dies and its clients reconnect to another. A small TCP proxy
stands in front of processes A and B and sends each new connection to the first process that
accepts it (A, else B), as nginx's proxy_next_upstream does. A clinic page and a waiting
employee's page are on A when A is killed with SIGKILL; they reconnect through the proxy to B
the way kl/live.js does, and end up showing exactly what PostgreSQL holds: the change made
while they were away arrives once, nothing is lost and nothing is shown twice."""

import asyncio
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.support.loopback import FlakyLink
from tests.support.pages import ReconnectingPage
from tests.support.server import Cluster, start_cluster
from tests.support.services import RedisServer
from tests.support.signin import Browser

from .test_two_processes import join

pytestmark = pytest.mark.scaleout

A, B = 0, 1


def room_shown(page: ReconnectingPage) -> tuple[int, list[tuple[int, str]]]:
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
    return seq, state, [(cluster.decrypt(text), at) for text, at in messages]


def consultation_shown(page: ReconnectingPage) -> tuple[int, str, list[tuple[str, datetime]]]:
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
    room = ReconnectingPage(proxy.ws("/ws/klinik/"), doctor).start()
    waiting = ReconnectingPage(proxy.ws(f"/ws/konsultation/{consultation}/"), employee).start()
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
    assert failover_cluster.servers[A].proc.returncode == -9
    assert failover_cluster.servers[B].proc.poll() is None
