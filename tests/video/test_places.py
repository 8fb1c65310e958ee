"""A call's four places are counted per person, not per socket: the same person on a new page
(a reload, a second tab) takes over their own place, and the older page is told and closed."""

from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.video import actions, calls
from kontaktlaege.video.actions import JoinResult
from kontaktlaege.video.models import CallMember
from tests.support import factories
from tests.support.personas import World
from tests.support.video import peer, user
from tests.video.test_signaling import Peer, admitted, cookie_of, joined, run


def guest_of(c: Consultation, world: World, name: str = "Tolk") -> calls.Principal:
    invite, _token = actions.create_invite(world.gp, c)
    assert actions.use_invite(invite, name)
    return calls.Principal(key=f"guest:{invite.pk}", invite_id=invite.pk)


def guest_cookie(c: Consultation, world: World, name: str = "Tolk") -> str:
    principal = guest_of(c, world, name)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[calls.GUEST_SESSION_KEY] = {"invite": principal.invite_id, "consultation": c.pk}
    session.save()
    assert session.session_key
    return session.session_key


@pytest.mark.django_db
def test_one_guest_with_three_peer_ids_holds_one_place(
    world: World, running: Consultation, hints: list, commit: Callable[..., Any]
) -> None:
    guest = guest_of(running, world)
    ids = [peer(), peer(), peer()]
    for n, peer_id in enumerate(ids):
        assert commit(actions.join, guest, running.pk, peer_id, f"g-{n}") == JoinResult.JOINED
    # Only the newest page holds the place, and it joined last (it makes the offers).
    assert list(CallMember.objects.filter(consultation=running).values_list("peer_id")) == [
        (ids[2],)
    ]
    # Each older place was announced as left, before the newer one as joined; the reason is
    # for the older page's own socket.
    events = [(m["event"], m["peer"]["id"], m.get("reason")) for m in hints]
    assert events == [
        ("joined", ids[0], None),
        ("left", ids[0], "replaced"),
        ("joined", ids[1], None),
        ("left", ids[1], "replaced"),
        ("joined", ids[2], None),
    ]
    left = AuditEntry.objects.filter(action="video_left").order_by("pk")
    assert [e.detail for e in left] == [{"role": "guest", "reason": "replaced"}] * 2

    # Three more people fill the call; a fifth person is refused, but one already in it
    # opening another page is not.
    for n, who in enumerate([world.gp, world.secretary, world.carer]):
        assert actions.join(user(who), running.pk, peer(), f"u-{n}") == JoinResult.JOINED
    fifth = factories.ClinicStaffFactory(username="carl", clinic=world.clinic)
    assert actions.join(user(fifth), running.pk, peer(), "u-5") == JoinResult.FULL
    assert actions.join(guest, running.pk, peer(), "g-4") == JoinResult.JOINED
    assert actions.join(user(world.gp), running.pk, peer(), "u-6") == JoinResult.JOINED
    principals = CallMember.objects.filter(consultation=running).values_list("principal")
    assert len(principals) == len(set(principals)) == calls.MAX_PARTICIPANTS


@pytest.mark.django_db(transaction=True)
def test_a_guest_opening_three_sockets_does_not_fill_the_call(world: World) -> None:
    c = admitted(world)
    cookie = guest_cookie(c, world)

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        pages = []
        for _n in range(3):
            page = Peer(c.pk, cookie)
            assert (await page.connect())[0]
            assert (await page.receive())["type"] == "call"
            if pages:
                older = pages[-1]
                # The older page hears why it lost its place, and may not reconnect.
                assert await older.receive_until("replaced") == {
                    "type": "replaced",
                    "message": "Opkaldet er åbnet i et andet vindue eller en anden fane.",
                }
                assert await older.closed_with() == 4003
                left = await doctor.receive_until("peer-left")
                assert left == {"type": "peer-left", "peer": {"id": older.id}}
            arrived = await doctor.receive_until("peer-joined")
            assert arrived["peer"]["id"] == page.id
            pages.append(page)
        # Two more people join; only a fifth person finds the call full.
        others = [await joined(c.pk, world.secretary), await joined(c.pk, world.carer)]
        fifth = factories.ClinicStaffFactory
        person = await database_sync_to_async(fifth)(username="carl", clinic=world.clinic)
        late = Peer(c.pk, await database_sync_to_async(cookie_of)(person))
        assert (await late.connect())[0]
        assert (await late.receive())["type"] == "full"
        for p in [doctor, pages[-1], *others]:
            await p.comm.disconnect()

    run(scenario())
    members = CallMember.objects.filter(consultation=c)
    assert members.count() == 4
    assert members.filter(role="guest").count() == 1
