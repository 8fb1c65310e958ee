"""A citizen's sockets: their own consultation's waiting page and call open; the clinic's
waiting room, the staff's test call, and anybody else's consultation or call do not."""

import pytest
from channels.layers import channel_layers

from kontaktlaege.consultations import actions
from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED
from tests.consultations.test_sockets import WAIT, receive, run, socket
from tests.support.citizens import citizen_client, make_citizen
from tests.support.personas import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layer() -> None:
    channel_layers.backends.clear()


def test_a_citizen_opens_only_their_own_consultations_sockets(world: World) -> None:
    inger = make_citizen()
    own = actions.join_queue_by_citizen(
        inger, cpr=world.cpr, name="Inger Jensen", ydernummer=world.ydernummer, reason="Hoste"
    )
    actions.admit(world.gp, own.pk)
    theirs = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel")
    actions.admit(world.gp, theirs.pk)
    client = citizen_client(inger, world.cpr)

    async def scenario() -> None:
        for path in (f"/ws/konsultation/{own.pk}/", f"/ws/video/{own.pk}/?peer=citizenpeer1"):
            page = socket(path, client)
            assert (await page.connect(timeout=WAIT))[0], path
            await receive(page)
            await page.disconnect()
        for path in (
            "/ws/klinik/",
            "/ws/testopkald/",
            f"/ws/konsultation/{theirs.pk}/",
            f"/ws/video/{theirs.pk}/?peer=citizenpeer1",
        ):
            connected, code = await socket(path, client).connect(timeout=WAIT)
            assert not connected and code == CLOSE_UNAUTHORISED, path

    run(scenario)
