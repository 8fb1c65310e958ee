"""The call socket relays signaling only between the participants of one admitted
consultation, checks every message, and refuses malformed or oversized ones in Danish."""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from kontaktlaege.asgi import application
from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.video import actions as video
from kontaktlaege.video import calls
from kontaktlaege.video.models import CallMember
from tests.support import factories
from tests.support.personas import World
from tests.support.signin import verified_client
from tests.support.threads import run_async

pytestmark = pytest.mark.django_db(transaction=True)
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def admitted(world: World, employee: Any = None) -> Consultation:
    c = actions.join_queue(employee or world.carer, ydernummer=world.ydernummer, reason="Hoste")
    return actions.admit(world.gp, c.pk)


def cookie_of(user: Any) -> str:
    return verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value


class Peer:
    def __init__(self, cid: int, cookie: str | None, peer_id: str | None = None) -> None:
        self.id = uuid.uuid4().hex if peer_id is None else peer_id
        headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
        if cookie:
            headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
        self.comm = WebsocketCommunicator(
            application, f"/ws/video/{cid}/?peer={self.id}", headers=headers
        )

    async def connect(self) -> tuple[bool, int | None]:
        return await self.comm.connect()

    async def send(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        await self.comm.send_to(text_data=text)

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        return await self.comm.receive_json_from(timeout=timeout)

    async def receive_until(self, kind: str) -> dict[str, Any]:
        while True:
            message = await self.receive()
            if message["type"] == kind:
                return message

    async def closed_with(self) -> int:
        while True:
            output = await self.comm.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                return output.get("code", 1000)

    async def nothing(self) -> bool:
        return await self.comm.receive_nothing(timeout=0.3)


def run(coro: Any) -> Any:
    async def wrapped() -> Any:
        await get_channel_layer().flush()
        return await coro

    return run_async(wrapped())


async def joined(cid: int, user: Any) -> Peer:
    peer = Peer(cid, await database_sync_to_async(cookie_of)(user))
    connected, _code = await peer.connect()
    assert connected
    call = await peer.receive()
    assert call["type"] == "call"
    return peer


def left_reasons(c: Consultation) -> list[str]:
    entries = AuditEntry.objects.filter(consultation_id=c.pk, action="video_left")
    return [e.detail["reason"] for e in entries.order_by("pk")]


def test_participants_exchange_offer_answer_and_candidates(world: World) -> None:
    c = admitted(world)

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        employee = await joined(c.pk, world.carer)
        # The newcomer sees the doctor in the roster; the doctor hears of the newcomer.
        joined_msg = await doctor.receive()
        assert joined_msg["type"] == "peer-joined"
        assert joined_msg["peer"]["id"] == employee.id
        assert joined_msg["peer"]["role"] == "employee"

        await employee.send({"type": "offer", "to": doctor.id, "sdp": SDP})
        assert await doctor.receive() == {"type": "offer", "sdp": SDP, "from": employee.id}
        await doctor.send({"type": "answer", "to": employee.id, "sdp": SDP})
        assert (await employee.receive())["type"] == "answer"
        candidate = {
            "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
            "usernameFragment": "abcd",
        }
        await doctor.send({"type": "candidate", "to": employee.id, "candidate": candidate})
        got = await employee.receive()
        assert got == {"type": "candidate", "candidate": candidate, "from": doctor.id}
        await employee.send({"type": "restart", "to": doctor.id})
        assert await doctor.receive() == {"type": "restart", "from": employee.id}

        await employee.send({"type": "leave"})
        assert (await doctor.receive()) == {"type": "peer-left", "peer": {"id": employee.id}}
        await doctor.comm.disconnect()

    run(scenario())
    # Both joins and the hang-up are audited; the doctor's closed socket only went away.
    assert left_reasons(c) == ["left"]
    assert AuditEntry.objects.filter(consultation_id=c.pk, action="video_joined").count() == 2


def test_roster_lists_the_others_with_ice_servers(world: World) -> None:
    c = admitted(world)

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        employee = Peer(c.pk, await database_sync_to_async(cookie_of)(world.carer))
        await employee.connect()
        call = await employee.receive()
        assert call["you"] == employee.id
        assert [p["id"] for p in call["peers"]] == [doctor.id]
        assert call["peers"][0]["name"] == "Anne Holm"
        assert call["ice_servers"] == []
        # Both ends learn the join order, by which the later one makes the offer.
        assert call["order"] > call["peers"][0]["order"]
        joined_msg = await doctor.receive_until("peer-joined")
        assert joined_msg["peer"]["order"] == call["order"]
        await employee.comm.disconnect()
        # A dropped socket is "away", not gone: the place is kept for the grace period.
        away = await doctor.receive_until("peer-away")
        assert away == {"type": "peer-away", "peer": {"id": employee.id}}
        await doctor.comm.disconnect()

    run(scenario())


def test_an_arrival_in_the_roster_is_not_announced_again(world: World) -> None:
    """The doctor joins the group before reading the roster: the employee's announcement can
    come after a roster that already lists them. The same socket, still present, is not sent
    as a new arrival (the page would negotiate again); a new socket of theirs is."""
    c = admitted(world)

    async def scenario() -> None:
        employee = await joined(c.pk, world.carer)
        doctor = await joined(c.pk, world.gp)
        assert (await employee.receive())["type"] == "peer-joined"
        member = await database_sync_to_async(
            lambda: CallMember.objects.get(consultation=c, peer_id=employee.id)
        )()
        info = await database_sync_to_async(calls.member_info)(member)
        layer, group = get_channel_layer(), f"video-{c.pk}"
        late = {"type": "video.peer", "event": "joined", "peer": info}
        await layer.group_send(group, {**late, "channel": member.channel_name})
        assert await doctor.nothing()
        await layer.group_send(group, {**late, "channel": member.channel_name + "-new"})
        assert await doctor.receive() == {"type": "peer-joined", "peer": info}
        await employee.comm.disconnect()
        assert await doctor.receive() == {"type": "peer-away", "peer": {"id": employee.id}}
        await doctor.comm.disconnect()

    run(scenario())


@pytest.mark.parametrize("who", ["carer2", "foreign_carer", "other_gp", "anonymous"])
def test_outsiders_cannot_connect(world: World, who: str) -> None:
    c = admitted(world)
    # carer2 has a consultation of their own: its socket is still no key to this one.
    admitted(world, employee=world.carer2)
    cookie = None if who == "anonymous" else cookie_of(getattr(world, who))

    async def scenario() -> None:
        connected, code = await Peer(c.pk, cookie).connect()
        assert not connected
        assert code == 4003

    run(scenario())
    assert not CallMember.objects.filter(consultation=c).exists()


def test_signed_in_without_second_factor_cannot_connect(world: World) -> None:
    from django.test import Client

    c = admitted(world)
    client = Client()
    client.force_login(world.gp)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    async def scenario() -> None:
        assert (await Peer(c.pk, cookie).connect()) == (False, 4003)

    run(scenario())


def test_missing_or_malformed_peer_id_is_refused(world: World) -> None:
    c = admitted(world)
    cookie = cookie_of(world.gp)

    async def scenario() -> None:
        for bad in ["", "x", "a" * 41, "<script>alert(1)</script>"]:
            assert (await Peer(c.pk, cookie, peer_id=bad).connect()) == (False, 4003)

    run(scenario())


def test_cannot_inject_into_another_consultation(world: World) -> None:
    mine = admitted(world)
    theirs = admitted(world, employee=world.carer2)

    async def scenario() -> None:
        doctor = await joined(mine.pk, world.gp)
        other = await joined(theirs.pk, world.carer2)
        # The doctor knows the other call's peer id, but can only address its own call.
        for message in [
            {"type": "offer", "to": other.id, "sdp": SDP},
            {"type": "candidate", "to": other.id, "candidate": {"candidate": ""}},
        ]:
            await doctor.send(message)
            notice = await doctor.receive()
            assert notice == {
                "type": "notice",
                "message": "Deltageren er ikke i opkaldet lige nu.",
            }
        assert await other.nothing()
        # A socket of the other call cannot join this one either.
        intruder = Peer(mine.pk, await database_sync_to_async(cookie_of)(world.carer2))
        assert (await intruder.connect()) == (False, 4003)
        await doctor.comm.disconnect()
        await other.comm.disconnect()

    run(scenario())


def test_a_peer_id_cannot_be_taken_over(world: World) -> None:
    c = admitted(world)

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        thief = Peer(c.pk, await database_sync_to_async(cookie_of)(world.carer), doctor.id)
        assert (await thief.connect()) == (False, 4003)
        await doctor.comm.disconnect()

    run(scenario())


BAD_MESSAGES = [
    ("not json", "Beskeden kunne ikke læses."),
    ({"type": "hack"}, "Ukendt beskedtype."),
    ({"type": "offer", "to": "x", "sdp": SDP}, "Ukendt modtager."),
    ({"type": "offer", "to": "abcdefgh", "sdp": "hello"}, None),
    ({"type": "offer", "to": "abcdefgh", "sdp": SDP, "extra": 1}, None),
    ({"type": "answer", "to": "abcdefgh", "sdp": "v=0" + "a" * 13_000}, None),
    ({"type": "candidate", "to": "abcdefgh", "candidate": "x"}, "Ugyldig ICE-kandidat."),
    (
        {
            "type": "candidate",
            "to": "abcdefgh",
            "candidate": {"candidate": "", "sdpMLineIndex": -1},
        },
        "Ugyldig ICE-kandidat.",
    ),
    ({"type": "restart", "to": "abcdefgh", "sdp": SDP}, "Ugyldig signaleringsbesked."),
    ({"type": "leave", "to": "abcdefgh"}, "Ugyldig signaleringsbesked."),
    ("x" * 20_000, "Beskeden er for stor eller ikke tekst."),
]


def test_malformed_and_oversized_messages_get_a_danish_error(world: World) -> None:
    c = admitted(world)

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        # A fresh socket every few messages: ten errors on one socket close it.
        for start in range(0, len(BAD_MESSAGES), 5):
            employee = await joined(c.pk, world.carer)
            await doctor.receive_until("peer-joined")
            for message, text in BAD_MESSAGES[start : start + 5]:
                await employee.send(message)
                error = await employee.receive()
                assert error["type"] == "error", message
                if text:
                    assert error["message"] == text
            await employee.send({"type": "leave"})
            await doctor.receive_until("peer-left")
        assert await doctor.nothing()  # no offer, answer or candidate reached the other side
        await doctor.comm.disconnect()

    run(scenario())


def test_repeated_abuse_closes_the_socket(world: World) -> None:
    c = admitted(world)

    async def scenario() -> None:
        employee = await joined(c.pk, world.carer)
        for _ in range(10):
            await employee.send("garbage")
        assert await employee.closed_with() == 4008

    run(scenario())


def test_at_most_four_participants(world: World) -> None:
    c = admitted(world)
    invite, _token = video.create_invite(world.gp, c)
    assert video.use_invite(invite, "Tolk")
    guest = verified_client(world.gp)  # any session will do; give it the invitation
    guest.logout()
    session = guest.session
    session[calls.GUEST_SESSION_KEY] = {"invite": invite.pk, "consultation": c.pk}
    session.save()
    guest_cookie = session.session_key
    fifth_person = factories.ClinicStaffFactory(username="carl", clinic=world.clinic)

    async def scenario() -> None:
        peers = [
            await joined(c.pk, world.gp),
            await joined(c.pk, world.secretary),
            await joined(c.pk, world.carer),
        ]
        g = Peer(c.pk, guest_cookie)
        assert (await g.connect())[0]
        assert (await g.receive())["type"] == "call"
        fifth = Peer(c.pk, await database_sync_to_async(cookie_of)(fifth_person))
        assert (await fifth.connect())[0]
        assert await fifth.receive() == {
            "type": "full",
            "message": "Opkaldet er fuldt (højst 4 deltagere).",
        }
        assert await fifth.closed_with() == 4009
        for p in [*peers, g]:
            await p.comm.disconnect()

    run(scenario())
    assert CallMember.objects.filter(consultation=c).count() == 4


def test_only_while_admitted_and_ending_closes_every_socket(world: World) -> None:
    queued = actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Feber")
    c = admitted(world)

    async def scenario() -> None:
        early = Peer(queued.pk, await database_sync_to_async(cookie_of)(world.carer2))
        assert (await early.connect())[0]
        assert await early.receive() == {
            "type": "ended",
            "message": "Videoopkaldet er ikke i gang.",
        }
        assert await early.closed_with() == 4004

        doctor = await joined(c.pk, world.gp)
        employee = await joined(c.pk, world.carer)
        await database_sync_to_async(actions.end)(world.gp, c.pk)
        for p in (doctor, employee):
            assert (await p.receive_until("ended"))["message"] == "Konsultationen er afsluttet."
            assert await p.closed_with() == 4004

    run(scenario())
    assert left_reasons(c) == ["ended", "ended"]
    assert not CallMember.objects.filter(consultation=c).exists()


def test_every_message_is_authorised_again(world: World) -> None:
    c = admitted(world)

    async def scenario() -> None:
        employee = await joined(c.pk, world.carer)
        doctor = await joined(c.pk, world.gp)
        # The doctor moves to another clinic mid-call: the next message is refused.
        world.gp.clinic = world.other_clinic
        await database_sync_to_async(world.gp.save)()
        await doctor.send({"type": "offer", "to": employee.id, "sdp": SDP})
        assert await doctor.closed_with() == 4003
        assert (await employee.receive_until("peer-left"))["peer"]["id"] == doctor.id
        assert await employee.nothing()
        await employee.comm.disconnect()

    run(scenario())
    assert left_reasons(c) == ["refused"]


def test_a_participant_whose_heartbeats_stopped_is_away_until_heard_again(world: World) -> None:
    """Its server process died: the socket never closed, so nobody said it left. The others'
    heartbeats find it silent; if it was alive after all, its own next heartbeat brings it
    back."""
    c = admitted(world)

    def silence(peer_id: str) -> None:
        long_ago = timezone.now() - calls.silent_after() - timedelta(seconds=1)
        CallMember.objects.filter(peer_id=peer_id).update(seen_at=long_ago)

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        employee = await joined(c.pk, world.carer)
        await doctor.receive_until("peer-joined")
        await database_sync_to_async(silence)(employee.id)
        await doctor.send({"type": "ping", "seq": 0})
        assert (await doctor.receive())["type"] == "pong"
        assert await doctor.receive() == {"type": "peer-away", "peer": {"id": employee.id}}
        # Nothing is relayed to it meanwhile, and the roster says it is away.
        await doctor.send({"type": "offer", "to": employee.id, "sdp": SDP})
        assert (await doctor.receive())["type"] == "notice"
        await doctor.send({"type": "sync"})
        assert (await doctor.receive_until("call"))["peers"][0]["away"] is True

        await employee.send({"type": "ping", "seq": 0})
        back = await doctor.receive_until("peer-joined")
        assert back["peer"]["id"] == employee.id and back["peer"]["away"] is False
        await doctor.send({"type": "offer", "to": employee.id, "sdp": SDP})
        assert (await employee.receive_until("offer"))["from"] == doctor.id
        # A heartbeat from someone heard recently finds nobody silent.
        await employee.send({"type": "ping", "seq": 0})
        assert (await employee.receive())["type"] == "pong"
        assert await doctor.nothing()
        for peer in (doctor, employee):
            await peer.comm.disconnect()

    run(scenario())


def test_a_stamp_leaves_a_participant_that_went_away_away(world: World) -> None:
    """A heartbeat of a socket that closed meanwhile stamps nothing: its participant stays
    away (a heartbeat of its new socket brings it back, announced)."""
    c = admitted(world)
    old = timezone.now() - timedelta(seconds=20)
    here, gone = (
        CallMember.objects.create(
            consultation=c,
            peer_id=uuid.uuid4().hex,
            principal=f"user:{n}",
            role="doctor",
            channel_name=f"channel-{n}",
            seen_at=old,
        )
        for n in (1, 2)
    )
    assert video.mark_away(c.pk, gone.peer_id, "channel-2")
    CallMember.objects.filter(pk=gone.pk).update(away_since=old)
    assert video.heartbeat(c.pk, here.peer_id, "channel-1") == video.Heartbeat(False, [])
    assert video.heartbeat(c.pk, gone.peer_id, "channel-2") == video.Heartbeat(False, [])
    here.refresh_from_db()
    gone.refresh_from_db()
    assert here.seen_at > old
    assert (gone.seen_at, gone.away_since) == (old, old)
