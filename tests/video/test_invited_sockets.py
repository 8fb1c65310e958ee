"""An invited person has no account: the session holds the invitation, and it opens the live
socket of the consultation that invitation queued, and nothing else. A withdrawn invitation
opens nothing."""

from typing import Any

import pytest
from channels.layers import channel_layers
from django.test import Client

from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED
from kontaktlaege.video import actions as video
from kontaktlaege.video import calls
from tests.consultations.test_sockets import WAIT, receive, run, socket
from tests.support.personas import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layer() -> None:
    channel_layers.backends.clear()


def invited(world: World, address: str) -> tuple[Client, Consultation]:
    """A person who followed an SMS invitation into the waiting room."""
    links: list[str] = []

    def link(clinic: int, token: str) -> str:
        links.append(f"/invitation/{clinic}/{token}/")
        return "http://testserver" + links[-1]

    video.invite_patient(world.gp, address=address, link=link)
    person = Client()
    person.post(links[-1], {"name": "Inger"})
    assert person.post("/invitation/udstyrstjek/")["Location"] == "/invitation/venter/"
    return person, Consultation.objects.latest("pk")


def test_the_invited_session_opens_its_own_consultation_socket_only(
    world: World, as_user: Any
) -> None:
    person, mine = invited(world, "20304050")
    _other_person, theirs = invited(world, "30405060")
    employees = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste")
    assert calls.guest_principal(person.session, theirs.pk) is None

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{mine.pk}/", person)
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        assert first["type"] == "snapshot" and first["data"]["id"] == mine.pk
        assert first["data"]["position"] == 1
        await comm.disconnect()
        for other in (theirs, employees):
            comm = socket(f"/ws/konsultation/{other.pk}/", person)
            assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)
        comm = socket(f"/ws/konsultation/{mine.pk}/", None)
        assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)

    run(scenario)


def test_a_withdrawn_invitation_opens_nothing(world: World) -> None:
    person, mine = invited(world, "20304050")
    invite = mine.video_invites.get()
    video.revoke_invite(world.gp, invite.pk)
    assert person.get("/invitation/venter/").status_code == 404

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{mine.pk}/", person)
        assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)

    run(scenario)
