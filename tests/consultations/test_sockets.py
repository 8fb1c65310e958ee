"""The live sockets through the real ASGI application: who may connect, snapshots with
sequence numbers on every change, re-sync on a stale ping, and Danish errors for bad input."""

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone, translation

from kontaktlaege.asgi import application
from kontaktlaege.consultations import actions, consumers, events
from kontaktlaege.consultations.models import Consultation, Message, WaitingRoom
from kontaktlaege.live.database import on_database
from kontaktlaege.live.sockets import CLOSE_POLICY, CLOSE_UNAUTHORISED
from tests.support.threads import run_async

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 5  # seconds a message may take on a busy machine; not a performance bar


@pytest.fixture(autouse=True)
def _fresh_layer() -> None:
    # Each test runs its own event loop; the in-memory layer must not outlive it.
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _no_sequence_poll(settings) -> None:  # type: ignore[no-untyped-def]
    # The exact order of messages is under test: the periodic poll only where asked for.
    settings.SEQ_POLL_SECONDS = 3600


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run on a thread of its own: safe even if an earlier test left an event loop running
    in the main thread (Playwright's sync API can)."""
    run_async(scenario())


def _headers(client: Client | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if client is not None:
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return headers


def socket(path: str, client: Client | None) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=_headers(client))


async def receive(comm: WebsocketCommunicator) -> dict[str, Any]:
    return await comm.receive_json_from(timeout=WAIT)


def db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    return database_sync_to_async(fn)


async def hold_database_thread(
    threads: int | None = None,
) -> tuple["asyncio.Future[Any]", threading.Event]:
    """Keep the sockets' database threads busy (all of them, or `threads` of them) until the
    returned event is set."""
    count = settings.SOCKET_DATABASE_THREADS if threads is None else threads
    held, release = threading.Semaphore(0), threading.Event()

    def busy() -> None:
        held.release()
        release.wait(2 * WAIT)

    blockers = [asyncio.ensure_future(on_database(busy)()) for _ in range(count)]
    loop = asyncio.get_running_loop()
    for _ in range(count):
        assert await loop.run_in_executor(None, held.acquire, True, WAIT)
    return asyncio.gather(*blockers), release


def _join(employee, ydernummer, reason: str = "Svimmel efter ny medicin") -> Consultation:  # type: ignore[no-untyped-def]
    return actions.join_queue(employee, ydernummer=ydernummer, reason=reason)


async def _open_clinic_pages(clients: list[Client]) -> list[WebsocketCommunicator]:
    """Staff pages of the waiting room, connected and past their first snapshot."""
    pages = [socket("/ws/klinik/", client) for client in clients]
    for page in pages:
        assert (await page.connect(timeout=WAIT))[0]
        await receive(page)
    return pages


async def _join_in_a_request_thread(world) -> Consultation:  # type: ignore[no-untyped-def]
    """The carer joins on a thread of its own, as an HTTP request does in the server."""

    def join() -> Consultation:
        try:
            return _join(world.carer, world.ydernummer)
        finally:
            connections.close_all()

    return await asyncio.get_running_loop().run_in_executor(None, join)


def _room_state(clinic_id: int) -> tuple:
    room = WaitingRoom.objects.get(clinic_id=clinic_id)
    rows = list(Consultation.objects.values_list("pk", "state", "seq").order_by("pk"))
    return room.seq, room.mode, rows, Message.objects.count()


# --- who may connect -------------------------------------------------------------------------


def test_unverified_or_anonymous_user_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    password_only = Client()
    password_only.force_login(world.gp)
    password_only.get("/")  # the session exists, without a second factor

    async def scenario() -> None:
        for client in (password_only, None):
            comm = socket("/ws/klinik/", client)
            assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)

    run(scenario)


def test_a_session_from_before_a_password_change_or_of_a_deactivated_user_is_refused(  # type: ignore[no-untyped-def]
    world, as_user
) -> None:
    """Sockets read the user from the session as pages do: Django's session hash check signs
    out a session when the password changes."""
    old_session = as_user(world.gp)
    world.gp.set_password("et helt nyt kodeord 2026")
    world.gp.save()
    deactivated = as_user(world.other_gp)
    world.other_gp.is_active = False
    world.other_gp.save()

    async def scenario() -> None:
        for client in (old_session, deactivated):
            comm = socket("/ws/klinik/", client)
            assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)
        comm = socket("/ws/klinik/", as_user(world.gp))  # signed in again: fine
        assert (await comm.connect(timeout=WAIT))[0]
        await comm.disconnect()

    run(scenario)


def test_employee_cannot_open_the_clinic_socket(world, as_user) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        comm = socket("/ws/klinik/", as_user(world.carer))
        assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)

    run(scenario)


def test_consultation_socket_only_for_its_own_employee(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = _join(world.carer, world.ydernummer)
    path = f"/ws/konsultation/{c.pk}/"

    async def scenario() -> None:
        for stranger in (world.carer2, world.foreign_carer, world.gp):
            comm = socket(path, as_user(stranger))
            assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)
        comm = socket("/ws/konsultation/987654/", as_user(world.carer))
        assert await comm.connect(timeout=WAIT) == (False, CLOSE_UNAUTHORISED)
        comm = socket(path, as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        assert first["type"] == "snapshot" and first["data"]["id"] == c.pk
        assert first["data"]["position"] == 1
        await comm.disconnect()

    run(scenario)


# --- the clinic's live list ------------------------------------------------------------------


def test_clinic_socket_gets_snapshot_then_newer_one_when_someone_joins(world, as_user) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        comm = socket("/ws/klinik/", as_user(world.gp))
        other = socket("/ws/klinik/", as_user(world.other_gp))
        assert (await comm.connect(timeout=WAIT))[0]
        assert (await other.connect(timeout=WAIT))[0]
        first = await receive(comm)
        assert first["type"] == "snapshot" and first["data"]["entries"] == []
        await receive(other)

        c = await db(_join)(world.carer, world.ydernummer)
        second = await receive(comm)
        assert second["type"] == "snapshot" and second["seq"] > first["seq"]
        (entry,) = second["data"]["entries"]
        assert entry["id"] == c.pk and entry["position"] == 1
        assert entry["employee_name"] == "Mette Sørensen"
        assert entry["reason"] == "Svimmel efter ny medicin"
        # Another clinic hears nothing of it.
        assert await other.receive_nothing(timeout=0.3)

        await db(actions.admit)(world.gp, c.pk)
        third = await receive(comm)
        assert third["seq"] > second["seq"]
        assert third["data"]["entries"][0]["state"] == "admitted"
        await comm.disconnect()
        await other.disconnect()

    run(scenario)


def test_stale_ping_gets_a_fresh_snapshot(world, as_user) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        comm = socket("/ws/klinik/", as_user(world.gp))
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        # A change whose push this client "missed": written straight to the database.
        await db(
            lambda: WaitingRoom.objects.filter(clinic=world.clinic).update(seq=first["seq"] + 7)
        )()
        await comm.send_json_to({"type": "ping", "seq": first["seq"]})
        fresh = await receive(comm)
        assert fresh["type"] == "snapshot" and fresh["seq"] == first["seq"] + 7
        assert await receive(comm) == {"type": "pong", "seq": first["seq"]}
        # A current ping gets just the pong.
        await comm.send_json_to({"type": "ping", "seq": fresh["seq"]})
        assert await receive(comm) == {"type": "pong", "seq": fresh["seq"]}
        await comm.send_json_to({"type": "sync"})
        assert (await receive(comm))["seq"] == fresh["seq"]
        await comm.disconnect()

    run(scenario)


def test_with_several_database_threads_a_page_opens_while_one_call_is_slow(  # type: ignore[no-untyped-def]
    world, as_user, settings
) -> None:
    """With PostgreSQL the sockets' calls run on several threads: a slow call (here a held
    one) does not keep another page from signing in and reading its snapshot."""
    settings.SOCKET_DATABASE_THREADS = 2
    c = _join(world.carer, world.ydernummer)

    async def scenario() -> None:
        blocker, release = await hold_database_thread(threads=1)
        try:
            comm = socket("/ws/klinik/", as_user(world.gp))
            assert (await comm.connect(timeout=WAIT))[0]
            assert [e["id"] for e in (await receive(comm))["data"]["entries"]] == [c.pk]
            assert not blocker.done()  # opened while the other call was still held
        finally:
            release.set()
            await blocker
        await comm.disconnect()

    run(scenario)


def test_one_database_thread_is_the_default_with_sqlite() -> None:
    """SQLite's reads are quick work in the process: more threads would only compete for the
    interpreter (live/database.py). PostgreSQL's default is several."""
    expected = 1 if connections["default"].vendor == "sqlite" else 4
    assert settings.SOCKET_DATABASE_THREADS == expected


def test_the_clinic_snapshot_is_in_the_products_language(world, as_user) -> None:  # type: ignore[no-untyped-def]
    """An English-speaking writer's request must not give the doctor's page English labels:
    the sockets have no request to take a language from."""
    client = as_user(world.gp)

    def join_in_english() -> Consultation:
        try:
            with translation.override("en"):
                return _join(world.carer, world.ydernummer)
        finally:
            connections.close_all()

    async def scenario() -> None:
        (page,) = await _open_clinic_pages([client])
        await asyncio.get_running_loop().run_in_executor(None, join_in_english)
        (entry,) = (await receive(page))["data"]["entries"]
        assert entry["state_label"] == str(Consultation.State.QUEUED.label)
        with translation.override("en"):
            assert entry["state_label"] != str(Consultation.State.QUEUED.label)
        await page.disconnect()

    run(scenario)


def test_a_lost_push_reaches_the_page_by_the_poll_without_a_heartbeat(  # type: ignore[no-untyped-def]
    world, as_user, settings, monkeypatch
) -> None:
    settings.SEQ_POLL_SECONDS = 0.1
    monkeypatch.setattr(events, "send_hint", lambda group, message: None)  # every push is lost

    async def scenario() -> None:
        comm = socket("/ws/klinik/", as_user(world.gp))
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        assert first["data"]["entries"] == []
        c = await db(lambda: _join(world.carer, world.ydernummer))()
        fresh = await receive(comm)  # the page sent nothing
        assert fresh["type"] == "snapshot" and fresh["seq"] > first["seq"]
        assert [e["id"] for e in fresh["data"]["entries"]] == [c.pk]
        # Once: later polls find the page current.
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    run(scenario)


@pytest.mark.parametrize("path_kind", ["clinic", "consultation"])
def test_bad_messages_get_danish_errors_and_change_nothing(world, as_user, path_kind) -> None:  # type: ignore[no-untyped-def]
    c = _join(world.carer, world.ydernummer)
    if path_kind == "clinic":
        path, client = "/ws/klinik/", as_user(world.gp)
    else:
        path, client = f"/ws/konsultation/{c.pk}/", as_user(world.carer)
    before = _room_state(world.clinic.pk)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"text_data": "{not json"}, "Beskeden kunne ikke læses."),
        ({"text_data": json.dumps({"type": "admit", "id": c.pk})}, "Ukendt beskedtype."),
        ({"text_data": json.dumps(["ping"])}, "Ukendt beskedtype."),
        ({"text_data": json.dumps({"seq": 1})}, "Ukendt beskedtype."),
        ({"text_data": json.dumps({"type": "ping", "seq": "1"})}, "Ugyldigt sekvensnummer."),
        ({"text_data": json.dumps({"type": "ping", "seq": True})}, "Ugyldigt sekvensnummer."),
        (
            {"text_data": json.dumps({"type": "ping", "pad": "x" * settings.WS_MAX_MESSAGE_BYTES})},
            "Beskeden er for stor eller ikke tekst.",
        ),
        ({"bytes_data": b"\x00\x01"}, "Beskeden er for stor eller ikke tekst."),
    ]

    async def scenario() -> None:
        comm = socket(path, client)
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        for frame, message in bad:
            await comm.send_to(**frame)
            assert await receive(comm) == {"type": "error", "message": message}
        # Still connected and answering.
        await comm.send_json_to({"type": "ping", "seq": first["seq"]})
        assert await receive(comm) == {"type": "pong", "seq": first["seq"]}
        # Before the page closes: a waiting page closing is presence, not its messages.
        assert await db(lambda: _room_state(world.clinic.pk))() == before
        await comm.disconnect()

    run(scenario)


def test_a_client_that_keeps_sending_garbage_is_disconnected(world, as_user) -> None:  # type: ignore[no-untyped-def]
    async def scenario() -> None:
        comm = socket("/ws/klinik/", as_user(world.gp))
        assert (await comm.connect(timeout=WAIT))[0]
        await receive(comm)
        for _ in range(10):
            await comm.send_to(text_data="garbage")
            assert (await receive(comm))["type"] == "error"
        assert await comm.receive_output(timeout=WAIT) == {
            "type": "websocket.close",
            "code": CLOSE_POLICY,
        }

    run(scenario)


# --- the waiting person's page ---------------------------------------------------------------


def test_queue_number_moves_up_when_the_one_ahead_cancels(world, as_user) -> None:  # type: ignore[no-untyped-def]
    ahead = _join(world.carer, world.ydernummer)
    mine = _join(world.carer2, world.ydernummer)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{mine.pk}/", as_user(world.carer2))
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        assert first["data"]["position"] == 2 and first["data"]["state"] == "queued"

        await db(actions.cancel)(world.carer, ahead.pk)
        update = await receive(comm)
        assert update["type"] == "snapshot" and update["data"]["position"] == 1
        assert "room_seq" not in update["data"]  # the socket's bookkeeping stays with it

        await db(actions.send_message)(world.gp, mine.pk, "Jeg kommer om 5 minutter")
        update = await receive(comm)
        assert update["seq"] > first["seq"]
        assert [m["text"] for m in update["data"]["messages"]] == ["Jeg kommer om 5 minutter"]

        await db(actions.admit)(world.gp, mine.pk)
        update = await receive(comm)
        assert update["data"]["state"] == "admitted" and update["data"]["position"] is None
        await comm.disconnect()

    run(scenario)


def test_changes_behind_the_waiting_person_do_not_make_their_page_read_again(  # type: ignore[no-untyped-def]
    world, as_user, monkeypatch
) -> None:
    mine = _join(world.carer, world.ydernummer)
    reads = _counting_reads(monkeypatch)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{mine.pk}/", as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        assert (await receive(comm))["data"]["position"] == 1
        assert len(reads) == 1

        # Someone joins behind and leaves again: two clinic hints, neither about anyone ahead.
        behind = await db(_join)(world.carer2, world.ydernummer)
        await db(actions.cancel)(world.carer2, behind.pk)
        # A message of our own comes after those hints on this socket, so they have been
        # handled when its snapshot arrives: that one read is the only one since.
        await db(actions.send_message)(world.gp, mine.pk, "Jeg kommer om 5 minutter")
        update = await receive(comm)
        assert [m["text"] for m in update["data"]["messages"]] == ["Jeg kommer om 5 minutter"]
        assert update["data"]["position"] == 1
        assert len(reads) == 2
        await comm.disconnect()

    run(scenario)


def test_rejection_reaches_the_waiting_person_with_the_message(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = _join(world.carer, world.ydernummer)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{c.pk}/", as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        await receive(comm)
        await db(actions.reject)(world.gp, c.pk, "Ring til klinikken i morgen")
        # The clinic hint and the consultation hint may both arrive; the last word counts.
        update = await receive(comm)
        while update["data"]["state"] != "rejected":
            update = await receive(comm)
        assert update["data"]["reject_message"] == "Ring til klinikken i morgen"
        await comm.disconnect()

    run(scenario)


def _counting_reads(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """The waiting pages' snapshot reads, by consultation."""
    reads: list[int] = []
    real = consumers.consultation_snapshot
    monkeypatch.setattr(consumers, "consultation_snapshot", lambda pk: reads.append(pk) or real(pk))
    return reads


def _entry(snapshot: dict[str, Any]) -> dict[str, Any]:
    (entry,) = snapshot["data"]["entries"]
    return entry


def test_the_clinic_sees_a_waiting_person_go_and_come_back(world, as_user) -> None:  # type: ignore[no-untyped-def]
    """Presence is live: the last waiting page closing, and a page opening again, each reach
    the clinic's pages at once, with nothing else changing."""
    c = _join(world.carer, world.ydernummer)
    carer = as_user(world.carer)

    async def scenario() -> None:
        (clinic,) = await _open_clinic_pages([as_user(world.gp)])
        waiting = socket(f"/ws/konsultation/{c.pk}/", carer)
        assert (await waiting.connect(timeout=WAIT))[0]
        await receive(waiting)
        assert await clinic.receive_nothing(timeout=0.2)  # present already: no change
        await waiting.disconnect()
        gone = await receive(clinic)
        assert _entry(gone)["connected"] is False
        again = socket(f"/ws/konsultation/{c.pk}/", carer)
        assert (await again.connect(timeout=WAIT))[0]
        await receive(again)
        back = await receive(clinic)
        assert _entry(back)["connected"] is True and back["seq"] > gone["seq"]
        await again.disconnect()
        await receive(clinic)
        await clinic.disconnect()

    run(scenario)
    assert Consultation.objects.get(pk=c.pk).away_since is not None


def test_a_second_page_of_the_same_person_keeps_them_present(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = _join(world.carer, world.ydernummer)
    carer = as_user(world.carer)

    async def scenario() -> None:
        pages = [socket(f"/ws/konsultation/{c.pk}/", carer) for _ in range(2)]
        for page in pages:
            assert (await page.connect(timeout=WAIT))[0]
            await receive(page)
        await pages[0].disconnect()
        assert await db(lambda: Consultation.objects.get(pk=c.pk).away_since)() is None
        await pages[1].disconnect()

    run(scenario)
    assert Consultation.objects.get(pk=c.pk).away_since is not None


def test_the_poll_stamps_open_pages_and_silent_ones_are_marked_away(world) -> None:  # type: ignore[no-untyped-def]
    """A page whose server process died never closes: its stamps stop, and the scheduler's
    round marks the person away; a page open again (stamped) brings them back."""
    c = _join(world.carer, world.ydernummer)
    old = timezone.now() - actions.silent_after() - timedelta(seconds=1)
    Consultation.objects.filter(pk=c.pk).update(last_seen_at=old)
    seq = WaitingRoom.objects.get(clinic=world.clinic).seq
    assert actions.abandon_stale() == 0
    c.refresh_from_db()
    assert c.away_since is not None and c.state == Consultation.State.QUEUED
    assert WaitingRoom.objects.get(clinic=world.clinic).seq == seq + 1
    actions.pages_open([c.pk])
    c.refresh_from_db()
    assert c.away_since is None and c.last_seen_at > old
    assert WaitingRoom.objects.get(clinic=world.clinic).seq == seq + 2


def test_the_waiting_page_opens_with_two_calls_on_the_database_thread(  # type: ignore[no-untyped-def]
    world, as_user, monkeypatch
) -> None:
    """Sign-in and the consultation in one call, the snapshot in the other; a person who is
    present (just joined) costs no write."""
    c = _join(world.carer, world.ydernummer)
    calls: list[str] = []

    def counting(fn):  # type: ignore[no-untyped-def]
        calls.append(getattr(fn, "__name__", repr(fn)))
        return on_database(fn)

    monkeypatch.setattr(consumers, "on_database", counting)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{c.pk}/", as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        assert (await receive(comm))["data"]["position"] == 1
        await comm.disconnect()

    run(scenario)
    assert calls[:2] == ["_own_consultation", "consultation_snapshot"]


def test_a_lost_push_reaches_the_waiting_persons_page_by_the_poll(  # type: ignore[no-untyped-def]
    world, as_user, settings, monkeypatch
) -> None:
    """Every push is lost: the one ahead leaves, then the clinic writes. The page, which sends
    nothing, gets each change from the process's poll, and each once."""
    settings.SEQ_POLL_SECONDS = 0.1
    ahead = _join(world.carer2, world.ydernummer)
    mine = _join(world.carer, world.ydernummer)
    monkeypatch.setattr(events, "send_hint", lambda group, message: None)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{mine.pk}/", as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        assert (await receive(comm))["data"]["position"] == 2
        await db(actions.cancel)(world.carer2, ahead.pk)
        assert (await receive(comm))["data"]["position"] == 1
        assert await comm.receive_nothing(timeout=0.5)
        await db(actions.send_message)(world.gp, mine.pk, "Jeg kommer om 5 minutter")
        update = await receive(comm)
        assert [m["text"] for m in update["data"]["messages"]] == ["Jeg kommer om 5 minutter"]
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    run(scenario)


def test_a_current_heartbeat_of_the_waiting_page_is_answered_from_the_poll(  # type: ignore[no-untyped-def]
    world, as_user, settings, monkeypatch
) -> None:
    """Once the process has polled, a heartbeat that is current reads nothing; one from a
    page that is behind still gets the snapshot."""
    settings.SEQ_POLL_SECONDS = 0.1
    c = _join(world.carer, world.ydernummer)
    reads = _counting_reads(monkeypatch)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{c.pk}/", as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        seq = (await receive(comm))["seq"]
        await asyncio.sleep(0.4)  # polled
        await comm.send_json_to({"type": "ping", "seq": seq})
        assert await receive(comm) == {"type": "pong", "seq": seq}
        assert reads == [c.pk]
        await comm.send_json_to({"type": "ping", "seq": seq - 1})
        assert (await receive(comm))["seq"] == seq
        assert await receive(comm) == {"type": "pong", "seq": seq - 1}
        assert reads == [c.pk, c.pk]
        await comm.disconnect()

    run(scenario)


def test_stale_ping_on_the_consultation_socket_gets_a_fresh_snapshot(world, as_user) -> None:  # type: ignore[no-untyped-def]
    c = _join(world.carer, world.ydernummer)

    async def scenario() -> None:
        comm = socket(f"/ws/konsultation/{c.pk}/", as_user(world.carer))
        assert (await comm.connect(timeout=WAIT))[0]
        first = await receive(comm)
        await comm.send_json_to({"type": "ping", "seq": first["seq"]})
        assert await receive(comm) == {"type": "pong", "seq": first["seq"]}
        # A client that missed a push (or reconnected) pings with an older number.
        await comm.send_json_to({"type": "ping", "seq": first["seq"] - 1})
        fresh = await receive(comm)
        assert fresh["type"] == "snapshot" and fresh["seq"] == first["seq"]
        assert await receive(comm) == {"type": "pong", "seq": first["seq"] - 1}
        await comm.disconnect()

    run(scenario)
