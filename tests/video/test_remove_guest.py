"""The doctor can remove a guest: the invitation is revoked (its link and the guest's session
let nobody in again), the guest's place is given up, the call told, the guest's socket closed."""

from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.video import actions, calls
from kontaktlaege.video.actions import JoinResult
from kontaktlaege.video.models import CallMember, Invite
from tests.support.personas import World
from tests.support.signin import verified_client
from tests.video.test_signaling import Peer, admitted, joined, run


def guest(c: Consultation, world: World) -> tuple[calls.Principal, str]:
    """A used invitation: the guest's principal, and the invitation link's token."""
    invite, token = actions.create_invite(world.gp, c)
    assert actions.use_invite(invite, "Tolk Hansen")
    return calls.Principal(key=f"guest:{invite.pk}", invite_id=invite.pk), token


def guest_session(principal: calls.Principal, c: Consultation) -> Any:
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[calls.GUEST_SESSION_KEY] = {"invite": principal.invite_id, "consultation": c.pk}
    session.save()
    return session


def browser_of(session: Any) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.mark.django_db
def test_remove_guest_revokes_the_invitation_and_gives_up_the_place(
    world: World, running: Consultation, hints: list, commit: Callable[..., Any]
) -> None:
    principal, _token = guest(running, world)
    assert actions.join(principal, running.pk, "guest-peer-1", "ch-g") == JoinResult.JOINED
    # Only clinic staff of the consultation's clinic; nothing changes otherwise.
    for outsider in (world.other_gp, world.carer):
        with pytest.raises(Consultation.DoesNotExist):
            actions.remove_guest(outsider, running.pk, peer_id="guest-peer-1")
    with pytest.raises(actions.ActionError):
        actions.remove_guest(world.secretary, running.pk, peer_id="nobody-here")
    assert Invite.objects.get().revoked_at is None
    hints.clear()

    removed = commit(actions.remove_guest, world.secretary, running.pk, peer_id="guest-peer-1")
    assert removed == principal.invite_id
    assert Invite.objects.get().revoked_at is not None
    assert not CallMember.objects.filter(consultation=running).exists()
    assert hints == [
        {
            "type": "video.peer",
            "event": "left",
            "peer": {"id": "guest-peer-1"},
            "reason": "removed",
        }
    ]
    entry = AuditEntry.objects.get(action="video_guest_removed")
    assert (entry.actor, entry.consultation_id) == (world.secretary, running.pk)
    left = AuditEntry.objects.get(action="video_left")
    assert left.detail == {"role": "guest", "reason": "removed"}
    # A removed guest cannot come back: not on a new socket, not between messages.
    assert actions.join(principal, running.pk, "guest-peer-2", "ch-g2") == JoinResult.FORBIDDEN
    assert calls.role_of(principal, running) is None
    assert calls.may_signal(principal, running.pk, "ch-g") == "forbidden"
    # By its invitation too (a link not used yet, say).
    unused, _t = actions.create_invite(world.gp, running)
    assert actions.remove_guest(world.gp, running.pk, invite_id=unused.pk) == unused.pk
    assert not Invite.objects.get(pk=unused.pk).is_usable


# Transactional: without, a request made while someone is in the call found the shared
# in-memory test database closed (cause not found; it is not this endpoint's).
@pytest.mark.django_db(transaction=True)
def test_the_endpoint_is_for_the_clinic_with_csrf(world: World, running: Consultation) -> None:
    principal, _token = guest(running, world)
    actions.join(principal, running.pk, "guest-peer-1", "ch-g")
    url = reverse("video:remove_guest", args=[running.pk])
    strict = verified_client(world.gp)
    strict.handler.enforce_csrf_checks = True
    assert strict.post(url, {"peer": "guest-peer-1"}).status_code == 403
    assert verified_client(world.other_gp).post(url, {"peer": "guest-peer-1"}).status_code == 404
    assert verified_client(world.carer).post(url, {"peer": "guest-peer-1"}).status_code == 403
    doctor = verified_client(world.gp)
    assert doctor.post(url, {}).status_code == 400
    missing = doctor.post(url, {"peer": "nobody-here"})
    assert missing.status_code == 409 and missing.json()["error"]
    done = doctor.post(url, {"peer": "guest-peer-1"})
    assert done.status_code == 200 and done.json() == {"removed": principal.invite_id}
    assert Invite.objects.get().revoked_at is not None
    # The doctor's page has the button and the form it posts.
    page = doctor.get(reverse("video:clinic_call", args=[running.pk]))
    html = page.content.decode()
    assert 'id="remove-guest-form"' in html and f'action="{url}"' in html
    assert "remove-guest" in html and ">Fjern<" in html


@pytest.mark.django_db(transaction=True)
def test_a_removed_guest_is_closed_out_and_cannot_come_back(world: World) -> None:
    c = admitted(world)
    principal, token = guest(c, world)
    session = guest_session(principal, c)
    browser = browser_of(session)
    assert browser.get(reverse("video:guest_call")).status_code == 200

    async def scenario() -> None:
        doctor = await joined(c.pk, world.gp)
        g = Peer(c.pk, session.session_key)
        assert (await g.connect())[0]
        assert (await g.receive())["type"] == "call"
        assert (await doctor.receive_until("peer-joined"))["peer"]["id"] == g.id

        client = await database_sync_to_async(verified_client)(world.gp)
        url = reverse("video:remove_guest", args=[c.pk])
        response = await database_sync_to_async(client.post)(url, {"peer": g.id})
        assert response.status_code == 200
        assert await g.receive_until("removed") == {
            "type": "removed",
            "message": "Lægen har fjernet dig fra opkaldet.",
        }
        assert await g.closed_with() == 4003
        assert await doctor.receive_until("peer-left") == {
            "type": "peer-left",
            "peer": {"id": g.id},
        }
        # The same session, a new page: refused.
        again = Peer(c.pk, session.session_key)
        connected, code = await again.connect()
        assert not connected and code == 4003
        await doctor.comm.disconnect()

    run(scenario())
    assert not CallMember.objects.filter(consultation=c, role="guest").exists()
    # The guest's page and the link both say, in Danish, that the invitation was withdrawn.
    for response in (
        browser.get(reverse("video:guest_call")),
        Client().get(reverse("video:guest_join", args=[token])),
    ):
        assert response.status_code == 410
        assert "Invitationen er trukket tilbage" in response.content.decode()
    # And the session holds the invitation no more.
    assert browser.get(reverse("video:guest_call")).status_code == 404
