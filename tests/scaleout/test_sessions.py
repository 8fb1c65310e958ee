"""Scale-out: signing out on process A closes that session's sockets on process B at once,
through Redis. The processes' own session checks are set an hour apart here, so nothing but
the hint can close them."""

import asyncio
import json
from collections.abc import Iterator

import pytest

from kontaktlaege.live.session_watch import CLOSE_SESSION_ENDED
from tests.support.pages import WAIT, Page
from tests.support.server import Cluster, start_cluster
from tests.support.services import RedisServer
from tests.support.signin import Browser

pytestmark = pytest.mark.scaleout

A, B = 0, 1


@pytest.fixture(scope="module")
def cluster_without_checks(
    pg_database: str, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    var = tmp_path_factory.mktemp("var")
    with start_cluster(pg_database, redis_server.url, var, SESSION_CHECK_SECONDS="3600") as c:
        yield c


async def scenario(cluster: Cluster) -> None:
    leaving = Browser(cluster.base(A)).login(cluster, "laege.norrebro")
    # The clinic's other account stays signed in (a second device of the same account would
    # need the next TOTP window: a code is accepted once).
    staying = Browser(cluster.base(A)).login(cluster, "sekretaer.norrebro")
    signed_out = await Page(cluster.ws(B, "/ws/klinik/"), leaving).open()
    other_session = await Page(cluster.ws(B, "/ws/klinik/"), staying).open()
    ws = signed_out.ws
    assert ws is not None

    leaving.post("/konto/log-ud/")
    await asyncio.wait_for(ws.wait_closed(), WAIT)
    assert ws.close_code == CLOSE_SESSION_ENDED
    # The other session's socket is still open: it answers.
    assert other_session.ws is not None
    other_session.changed.clear()
    await other_session.ws.send(json.dumps({"type": "sync"}))
    await asyncio.wait_for(other_session.changed.wait(), WAIT)
    await other_session.close()


def test_signing_out_on_one_process_closes_the_sockets_on_another(
    cluster_without_checks: Cluster,
) -> None:
    asyncio.run(scenario(cluster_without_checks))
