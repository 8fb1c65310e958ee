"""A socket's clean-up runs exactly once whatever ends it (live/sockets.py): afterwards no
registry of the process (session watch, polls, channel groups) holds the page."""

import asyncio
from typing import Any

import pytest
from channels.layers import get_channel_layer

from kontaktlaege.consultations import consumers
from kontaktlaege.live.session_watch import session_watch
from tests.consultations.test_sockets import WAIT, _join, receive, run, socket

pytestmark = pytest.mark.django_db(transaction=True)


def test_sockets_ending_in_every_way_leave_nothing_registered(world, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    c = _join(world.carer, world.ydernummer)
    gp, carer = as_user(world.gp), as_user(world.carer)
    real_read = consumers.clinic_snapshot_message
    failing = False

    def read(clinic_id: int) -> Any:
        if failing:
            raise RuntimeError("a handler's error")
        return real_read(clinic_id)

    monkeypatch.setattr(consumers, "clinic_snapshot_message", read)

    async def opened(path: str, client: Any) -> Any:
        comm = socket(path, client)
        assert (await comm.connect(timeout=WAIT))[0]
        await receive(comm)
        return comm

    async def scenario() -> None:
        nonlocal failing
        clinic, waiting = "/ws/klinik/", f"/ws/konsultation/{c.pk}/"
        # A normal close.
        await (await opened(clinic, gp)).disconnect()
        # A sync, then gone; a heartbeat, then a normal close (live.js's wake() + renew()).
        synced = await opened(clinic, gp)
        await synced.send_json_to({"type": "sync"})
        await synced.disconnect()
        pinged = await opened(waiting, carer)
        await pinged.send_json_to({"type": "ping", "seq": 0})
        await pinged.disconnect()
        # A handler's error ends the socket.
        broken = await opened(clinic, gp)
        failing = True
        await broken.send_json_to({"type": "sync"})
        with pytest.raises(RuntimeError):
            await broken.wait(WAIT)
        failing = False
        # A message whose type is not a string.
        odd = await opened(waiting, carer)
        await odd.send_json_to({"type": []})
        assert (await receive(odd))["message"] == "Ukendt beskedtype."
        await odd.disconnect()
        # Refused before it was accepted.
        refused = socket(waiting, gp)
        assert not (await refused.connect(timeout=WAIT))[0]
        await asyncio.sleep(0.1)

        assert session_watch().sockets == {}
        assert consumers.room_polls().pages == {}
        assert consumers.consultation_polls().pages == {}
        layer = get_channel_layer()
        assert not any(members for members in layer.groups.values())

    run(scenario)
