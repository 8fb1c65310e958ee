"""A waiting person's page hears nothing of anyone else (issue 28): its socket is in no group
whose hints carry another person's data, and across a scripted day of joins, admits,
rejects and messages it receives no byte of another consultation."""

import asyncio
from typing import Any

import pytest
from channels.layers import get_channel_layer

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import WaitingRoom
from kontaktlaege.directory import cpr as cprlib
from tests.consultations.test_sockets import WAIT, receive, run, socket
from tests.support.personas import join_on_behalf

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_waiting_page_receives_nothing_of_another_consultation(world, as_user) -> None:  # type: ignore[no-untyped-def]
    mine = join_on_behalf(world, "Hævet ankel siden i går")
    secrets = [
        "Poul Nielsen",
        world.cpr2,
        cprlib.formatted(world.cpr2),
        world.cpr2[:6],
        "Brystsmerter om natten",
        "Vandladningsbesvær",
        "Kom ind ad bagdøren",
        "Privat besked til Ali",
        "Ali Hassan",
        world.foreign_carer.display_name,
    ]
    frames: list[str] = []
    hints: list[tuple[str, dict]] = []

    def scripted_day() -> None:
        other = join_on_behalf(world, "Brystsmerter om natten", carer=world.carer2, second=True)
        third = actions.join_queue(
            world.foreign_carer, ydernummer=world.ydernummer, reason="Vandladningsbesvær"
        )
        actions.send_message(world.gp, other.pk, "Kom ind ad bagdøren")
        actions.admit(world.gp, other.pk)
        actions.reject(world.gp, third.pk, "Privat besked til Ali")
        actions.set_mode(world.gp, WaitingRoom.Mode.CLOSED)
        actions.set_mode(world.gp, WaitingRoom.Mode.OPEN)
        actions.end(world.gp, other.pk)
        actions.send_message(world.gp, mine.pk, "Jeg kommer om 5 minutter")

    async def scenario() -> None:
        page = socket(f"/ws/konsultation/{mine.pk}/", as_user(world.carer))
        assert (await page.connect(timeout=WAIT))[0]
        frames.append(str(await receive(page)))
        layer: Any = get_channel_layer()
        # The session watch's own listener is in "sessions-ended"; the page is in these:
        joined = {g for g, members in layer.groups.items() if members} - {"sessions-ended"}
        assert joined == {f"consultation-{mine.pk}", f"clinic-{world.clinic.pk}-queue"}
        real_group_send = layer.group_send

        async def recorded(group: str, message: dict) -> None:
            hints.append((group, message))
            await real_group_send(group, message)

        layer.group_send = recorded
        await asyncio.get_running_loop().run_in_executor(None, scripted_day)
        while not await page.receive_nothing(timeout=1):
            frames.append(await page.receive_from(timeout=WAIT))
        await page.disconnect()

    run(scenario)
    text = "\n".join(frames)
    assert "Jeg kommer om 5 minutter" in text  # its own messages do arrive
    assert [s for s in secrets if s in text] == []
    # By construction: what reaches the page's groups is sequence numbers and queue places.
    heard = [
        m for g, m in hints if g in {f"consultation-{mine.pk}", f"clinic-{world.clinic.pk}-queue"}
    ]
    assert heard and all(set(m) <= {"type", "seq", "queue_key"} for m in heard)
