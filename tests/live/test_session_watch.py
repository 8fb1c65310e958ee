"""Sockets end with their session (live/session_watch.py): signing out closes the session's
sockets at once; the processes' checks close those of a session that ended any other way
(deleted or expired, the idle lock, a password change), and leave the others open."""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kontaktlaege.consultations import actions
from kontaktlaege.live import session_watch
from kontaktlaege.live.session_watch import CLOSE_SESSION_ENDED
from kontaktlaege.privacy import shared_device
from tests.consultations.test_sockets import WAIT, db, receive, run, socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_layer(settings) -> None:  # type: ignore[no-untyped-def]
    channel_layers.backends.clear()
    settings.SEQ_POLL_SECONDS = 3600


async def _open(path: str, client: Client) -> WebsocketCommunicator:
    comm = socket(path, client)
    assert (await comm.connect(timeout=WAIT))[0]
    await receive(comm)  # its first snapshot
    return comm


async def _closed_for_the_session(comm: WebsocketCommunicator) -> None:
    while True:  # snapshots may come first
        output = await comm.receive_output(timeout=WAIT)
        if output["type"] == "websocket.close":
            assert output["code"] == CLOSE_SESSION_ENDED
            return


async def _still_open(comm: WebsocketCommunicator) -> None:
    await comm.send_json_to({"type": "sync"})
    assert (await receive(comm))["type"] == "snapshot"
    await comm.disconnect()


def test_signing_out_closes_that_sessions_sockets_at_once(world, as_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_CHECK_SECONDS = 3600  # only the sign-out's own hint can close them
    leaving, staying = as_user(world.gp), as_user(world.gp)  # two devices, one doctor
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel i dag")
    carer = as_user(world.carer)

    async def scenario() -> None:
        signed_out = [await _open("/ws/klinik/", leaving), await _open("/ws/klinik/", leaving)]
        other_device = await _open("/ws/klinik/", staying)
        carers_page = await _open(f"/ws/konsultation/{c.pk}/", carer)
        response = await db(leaving.post)(reverse("accounts:logout"))
        assert response.status_code == 302
        for comm in signed_out:
            await _closed_for_the_session(comm)
        await _still_open(other_device)
        await _still_open(carers_page)

    run(scenario)


def test_the_idle_lock_closes_the_sessions_sockets_at_once(world, as_user, settings) -> None:  # type: ignore[no-untyped-def]
    """The first request after the idle time locks the session (privacy middleware), and the
    pages still open on the shared tablet close with it, before any check."""
    settings.SESSION_CHECK_SECONDS = 3600
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel i dag")
    client = as_user(world.carer)

    def idle_then_request() -> None:
        session = client.session
        session[shared_device.LAST_ACTIVITY] = 0  # long ago
        session.save()
        assert client.get("/medarbejder/").status_code == 302  # to the lock page

    async def scenario() -> None:
        page = await _open(f"/ws/konsultation/{c.pk}/", client)
        await db(idle_then_request)()
        await _closed_for_the_session(page)

    run(scenario)


def _delete(client: Client) -> None:
    Session.objects.filter(session_key=client.session.session_key).delete()


def _expire(client: Client) -> None:
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )


def _idle_lock(client: Client) -> None:
    session = client.session
    session[shared_device.IDLE_LOCKED] = True
    session.save()


@pytest.mark.parametrize(
    "end", [_delete, _expire, _idle_lock, "password", "deactivated", "second factor removed"]
)
def test_the_check_closes_the_sockets_of_an_ended_session(world, as_user, settings, end) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_CHECK_SECONDS = 0.1
    c = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel i dag")
    ending, staying = as_user(world.carer), as_user(world.carer2)
    c2 = actions.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Hoste og feber")

    def end_it() -> None:
        if callable(end):
            end(ending)
        elif end == "password":
            world.carer.set_password("et helt nyt kodeord 2026")
            world.carer.save()
        elif end == "second factor removed":  # e.g. the phone was lost and 2FA reset
            TOTPDevice.objects.filter(user=world.carer).delete()
        else:
            world.carer.is_active = False
            world.carer.save()

    async def scenario() -> None:
        ended = await _open(f"/ws/konsultation/{c.pk}/", ending)
        other = await _open(f"/ws/konsultation/{c2.pk}/", staying)
        await asyncio.sleep(0.3)  # checks that see the session unchanged come first
        await db(end_it)()
        await _closed_for_the_session(ended)
        await _still_open(other)

    run(scenario)


def test_citizen_mode_closes_the_sockets_it_does_not_allow(world, as_user, settings) -> None:  # type: ignore[no-untyped-def]
    """Citizen mode locks the device to one consultation: its page's socket stays open, the
    others close."""
    settings.SESSION_CHECK_SECONDS = 0.1
    mine = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Svimmel i dag")
    earlier = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Hoste i dag")
    client = as_user(world.carer)

    def citizen_mode() -> None:
        session = client.session
        session[shared_device.CITIZEN_MODE] = mine.pk
        session.save()

    async def scenario() -> None:
        allowed = await _open(f"/ws/konsultation/{mine.pk}/", client)
        other = await _open(f"/ws/konsultation/{earlier.pk}/", client)
        await db(citizen_mode)()
        await _closed_for_the_session(other)
        await asyncio.sleep(5 * settings.SESSION_CHECK_SECONDS)
        await _still_open(allowed)

    run(scenario)


def test_the_connection_test_is_not_tied_to_a_session(world, as_user, settings) -> None:  # type: ignore[no-untyped-def]
    """The device check's echo socket carries nothing of anyone: it outlives a session."""
    settings.SESSION_CHECK_SECONDS = 0.1
    client = as_user(world.carer)

    async def scenario() -> None:
        echo = socket("/ws/forbindelsestest/", client)
        assert (await echo.connect(timeout=WAIT))[0]
        await db(_delete)(client)
        await asyncio.sleep(5 * settings.SESSION_CHECK_SECONDS)
        await echo.send_json_to({"type": "echo", "nonce": "n1"})
        assert await receive(echo) == {"type": "echo", "nonce": "n1"}
        await echo.disconnect()

    run(scenario)


def test_a_check_reads_many_sessions_in_bounded_chunks(world, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One read per CHUNK sessions (and one for their users), whatever the number of sockets."""
    monkeypatch.setattr(session_watch, "CHUNK", 2)
    clients = [as_user(world.gp) for _ in range(5)]
    keys = [client.session.session_key for client in clients]
    _delete(clients[3])
    reads: list[int] = []
    original = session_watch.ended_entries

    def counting(entries: Any, known: Any = None) -> Any:
        entries = list(entries)
        reads.append(len(entries))
        return original(entries, known)

    monkeypatch.setattr(session_watch, "ended_entries", counting)
    entries = [(key, world.gp.pk, "/ws/klinik/") for key in keys]

    async def scenario() -> None:
        watch = session_watch.SessionWatch()
        closed: list[Any] = []
        sockets = [_Recording(closed, n) for n in range(5)]
        watch.sockets = dict(zip(sockets, entries, strict=True))
        await watch.check()
        assert closed == [(3, CLOSE_SESSION_ENDED)]

    run(scenario)
    assert reads == [2, 2, 1]


def test_a_check_decodes_only_the_sessions_that_changed(world, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Decoding (the signature check) is most of a check's time; sessions rarely change."""
    clients = [as_user(world.gp) for _ in range(3)]
    entries = [(c.session.session_key, world.gp.pk, "/ws/klinik/") for c in clients]
    decoded: list[str] = []
    store_class = type(session_watch._session_store())
    original = store_class.decode

    def counting(self: Any, session_data: str) -> Any:
        decoded.append(session_data)
        return original(self, session_data)

    monkeypatch.setattr(store_class, "decode", counting)
    known: dict[str, Any] = {}
    assert session_watch.ended_entries(entries, known) == set()
    assert len(decoded) == 3
    assert session_watch.ended_entries(entries, known) == set()
    assert len(decoded) == 3  # none changed
    _idle_lock(clients[1])  # (reads the session through the store too)
    decoded.clear()
    assert session_watch.ended_entries(entries, known) == {entries[1]}
    assert len(decoded) == 1


class _Recording:
    def __init__(self, closed: list[Any], n: int) -> None:
        self.closed: Callable[..., Any] = closed.append
        self.n = n

    async def close(self, code: Any = None, reason: Any = None) -> None:
        self.closed((self.n, code))


def test_the_key_never_goes_through_the_layer(world, as_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(session_watch, "send_hint", lambda group, message: sent.append(message))
    client = as_user(world.gp)
    key = client.session.session_key
    client.post(reverse("accounts:logout"))
    assert len(sent) == 1
    assert key not in str(sent) and sent[0]["digest"] == session_watch.key_digest(key)
    assert settings.SESSION_COOKIE_NAME not in str(sent)


def test_the_hints_come_back_after_the_layer_failed(world, as_user, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Redis restarting must not end the hints for good: the watch joins the group again
    (also every RESUBSCRIBE_SECONDS, as memberships expire) and a sign-out still closes."""
    settings.SESSION_CHECK_SECONDS = 3600
    monkeypatch.setattr(session_watch, "RESUBSCRIBE_SECONDS", 0.2)
    monkeypatch.setattr(session_watch, "RELISTEN_SECONDS", 0.05)
    joins: list[str] = []

    class FailingOnce:
        def __init__(self, layer: Any) -> None:
            self.layer = layer

        def __getattr__(self, name: str) -> Any:
            return getattr(self.layer, name)

        async def group_add(self, group: str, channel: str) -> None:
            joins.append(group)
            if len(joins) == 1:
                raise ConnectionError("layer away")
            await self.layer.group_add(group, channel)

    real = session_watch.get_channel_layer
    monkeypatch.setattr(session_watch, "get_channel_layer", lambda: FailingOnce(real()))
    client = as_user(world.gp)

    async def scenario() -> None:
        comm = await _open("/ws/klinik/", client)
        for _ in range(100):  # failed, joined, joined again after the resubscribe time
            if len(joins) >= 3:
                break
            await asyncio.sleep(0.05)
        assert joins == [session_watch.ENDED_GROUP] * len(joins) and len(joins) >= 3
        await db(client.post)(reverse("accounts:logout"))
        await _closed_for_the_session(comm)

    run(scenario)
