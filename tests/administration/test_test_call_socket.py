"""The test call's self-answering socket: signed-in users only; it hands each signalling
message back to the same page, addressed to the caller or the loop-back participant, and
refuses anything else."""

import pytest
from channels.layers import channel_layers

from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED
from tests.consultations.test_sockets import receive, run, socket
from tests.support.signin import verified_client

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/ws/testopkald/"


@pytest.fixture(autouse=True)
def _fresh_layer() -> None:
    channel_layers.backends.clear()


def test_anonymous_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        comm = socket(PATH, None)
        connected, code = await comm.connect(timeout=5)
        assert not connected and code == CLOSE_UNAUTHORISED

    run(scenario)


def test_the_signal_comes_back_to_the_addressed_party(world) -> None:  # type: ignore[no-untyped-def]
    client = verified_client(world.carer)

    async def scenario() -> None:
        comm = socket(PATH, client)
        assert (await comm.connect(timeout=5))[0]
        offer = {"description": {"type": "offer", "sdp": "v=0"}}
        await comm.send_json_to({"type": "signal", "to": "loopback", "data": offer})
        assert await receive(comm) == {"type": "signal", "to": "loopback", "data": offer}
        await comm.send_json_to({"type": "signal", "to": "clinic", "data": offer})
        assert (await receive(comm))["type"] == "error"
        await comm.send_json_to({"type": "echo", "nonce": "x"})
        assert (await receive(comm))["type"] == "error"
        await comm.disconnect()

    run(scenario)
