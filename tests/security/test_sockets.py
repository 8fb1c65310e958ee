"""The live sockets against a real server process on loopback: who may connect to which socket,
what each message type answers, malformed and out-of-order frames, and a flooding client.

A rejected socket is closed before it is accepted: the handshake answers HTTP 403."""

import asyncio
import json
import random
import urllib.request

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations.models import Consultation, Message, WaitingRoom
from kontaktlaege.privacy import shared_device
from tests.support.signin import verified_client
from tests.support.threads import run_async

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 10  # a guard against hanging, not a performance bar


def cookie_for(user) -> str:  # type: ignore[no-untyped-def]
    return "sessionid=" + verified_client(user).cookies["sessionid"].value


def password_only_cookie(user) -> str:  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(user)
    return "sessionid=" + client.cookies["sessionid"].value


async def open_socket(base: str, path: str, cookie: str = ""):  # type: ignore[no-untyped-def]
    headers = {"Origin": f"http://{base}"}
    if cookie:
        headers["Cookie"] = cookie
    return await websockets.connect(
        f"ws://{base}{path}", additional_headers=headers, open_timeout=WAIT, max_size=2**22
    )


async def next_of(ws, *kinds: str) -> dict:  # type: ignore[no-untyped-def]
    while True:
        msg = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if msg["type"] in kinds:
            return msg


async def refused(base: str, path: str, cookie: str) -> bool:
    try:
        ws = await open_socket(base, path, cookie)
    except InvalidStatus as exc:
        return exc.response.status_code == 403
    await ws.close()
    return False


def db_state() -> tuple:
    """What no socket message may change. The room's sequence number is left out: a waiting
    page closed and opened again (policy closes here) moves it as presence."""
    return (
        list(Consultation.objects.order_by("pk").values_list("pk", "state", "seq", "reason")),
        list(WaitingRoom.objects.order_by("pk").values_list("pk", "mode")),
        Message.objects.count(),
        AuditEntry.objects.count(),
    )


def test_who_may_open_which_socket(world, scene, server_url) -> None:  # type: ignore[no-untyped-def]
    roles = {
        "anon": "",
        "password_only": password_only_cookie(world.carer),
        "employee": cookie_for(world.carer),
        "foreign_employee": cookie_for(world.foreign_carer),
        "clinic": cookie_for(world.gp),
        "foreign_clinic": cookie_for(world.other_gp),
        "admin": cookie_for(scene.admin),
    }
    allowed = {
        "/ws/klinik/": {"clinic", "foreign_clinic"},
        f"/ws/konsultation/{scene.mine.pk}/": {"employee"},
        f"/ws/konsultation/{scene.theirs.pk}/": {"foreign_employee"},
    }

    async def run() -> list[str]:
        wrong = []
        for path, who in allowed.items():
            for role, cookie in roles.items():
                if (role not in who) != await refused(server_url, path, cookie):
                    wrong.append(f"{role} on {path}")
        return wrong

    assert run_async(run()) == []


def test_message_types_per_socket(world, scene, server_url) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        gp = await open_socket(server_url, "/ws/klinik/", cookie_for(world.gp))
        other = await open_socket(server_url, "/ws/klinik/", cookie_for(world.other_gp))
        carer = await open_socket(
            server_url, f"/ws/konsultation/{scene.mine.pk}/", cookie_for(world.carer)
        )
        gp_snap = await next_of(gp, "snapshot")
        other_snap = await next_of(other, "snapshot")
        # Each clinic sees its own queue only.
        assert [e["id"] for e in gp_snap["data"]["entries"]] == [scene.mine.pk]
        assert [e["id"] for e in other_snap["data"]["entries"]] == [scene.theirs.pk]
        carer_snap = await next_of(carer, "snapshot")
        assert carer_snap["data"]["id"] == scene.mine.pk
        for ws, snap in ((gp, gp_snap), (carer, carer_snap)):
            await ws.send(json.dumps({"type": "ping", "seq": snap["seq"]}))
            assert (await next_of(ws, "pong"))["seq"] == snap["seq"]
            await ws.send(json.dumps({"type": "sync"}))
            assert (await next_of(ws, "snapshot"))["seq"] == snap["seq"]
            # Actions are HTTP POSTs through the action layer, never socket messages.
            for kind in ("admit", "reject", "end", "message", "join"):
                await ws.send(json.dumps({"type": kind, "id": scene.mine.pk}))
                assert (await next_of(ws, "error"))["message"] == "Ukendt beskedtype."
            await ws.send(json.dumps({"type": "ping"}))
            assert (await next_of(ws, "error"))["message"] == "Ugyldigt sekvensnummer."
        for ws in (gp, other, carer):
            await ws.close()

    before = db_state()
    run_async(run())
    assert db_state() == before


def test_citizen_mode_binds_sockets(world, scene, server_url) -> None:  # type: ignore[no-untyped-def]
    from kontaktlaege.consultations import actions

    second = actions.join_queue(world.carer, ydernummer=world.ydernummer, reason="Udslæt på armen")
    actions.admit(world.gp, scene.mine.pk)  # citizen mode is for a running call
    client = verified_client(world.carer)
    assert client.post(f"/privatliv/borgertilstand/{scene.mine.pk}/").status_code == 302
    cookie = "sessionid=" + client.cookies["sessionid"].value
    assert client.session[shared_device.CITIZEN_MODE] == scene.mine.pk

    async def run() -> tuple[bool, bool]:
        return (
            await refused(server_url, f"/ws/konsultation/{scene.mine.pk}/", cookie),
            await refused(server_url, f"/ws/konsultation/{second.pk}/", cookie),
        )

    assert run_async(run()) == (False, True)


MALFORMED: list[str | bytes] = [
    b"\x00\x01\x02binary",
    bytes(range(256)),
    "x" * 20_000,  # over WS_MAX_MESSAGE_BYTES
    "not json",
    "",
    "[]",
    "null",
    "42",
    '{"type": 5}',
    '{"type": null}',
    '{"no": "type"}',
    '{"type": "ping", "seq": "1"}',
    '{"type": "ping", "seq": true}',
    '{"type": "ping", "seq": 1.5}',
    '{"type": "ping", "seq": 1e400}',
    '{"type": "ping", "seq": -1}',
    '{"type": "ping", "seq": 99999999999999999999999999}',
    '{"type": "ping", "seq": NaN}',
    "[" * 5000 + "]" * 5000,  # deep nesting
    '{"type": "' + "ø" * 4000 + '"}',
    '{"type": "sync", "seq": {"$gt": 0}}',
    '{"type": "ping", "seq": 0, "__proto__": {"admin": true}}',
    '{"type":"ping","seq":1}{"type":"ping","seq":2}',
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]


def test_fuzzed_frames_change_nothing_and_others_keep_being_served(
    world, scene, server_url
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(6)
    frames = MALFORMED + [
        bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))) for _ in range(20)
    ]
    carer_cookie = cookie_for(world.carer)
    path = f"/ws/konsultation/{scene.mine.pk}/"

    async def run() -> int:
        gp = await open_socket(server_url, "/ws/klinik/", cookie_for(world.gp))
        snap = await next_of(gp, "snapshot")
        answered = 0
        fuzz = await open_socket(server_url, path, carer_cookie)
        for frame in frames:
            try:
                await fuzz.send(frame)
                # Every frame gets an answer: an error, or a pong / snapshot when well-formed.
                answered += (await next_of(fuzz, "error", "pong", "snapshot")) is not None
            except ConnectionClosed:
                # Too many bad frames: policy close (4008); the next client connects fine.
                assert fuzz.close_code == 4008
                fuzz = await open_socket(server_url, path, carer_cookie)
            # Out of order: a ping from the future and one from the past, mid-stream.
            await gp.send(json.dumps({"type": "ping", "seq": snap["seq"] + 1000}))
            await next_of(gp, "pong")
            await gp.send(json.dumps({"type": "ping", "seq": -5}))
            await next_of(gp, "pong")
            await asyncio.sleep(0.05)  # stay under the per-socket rate limit (50/s)
        await fuzz.close()
        await gp.send(json.dumps({"type": "ping", "seq": snap["seq"]}))
        assert (await next_of(gp, "pong"))["seq"] == snap["seq"]
        await gp.close()
        return answered

    before = db_state()
    answered = run_async(run())
    assert answered >= len(frames) - 3  # at most the frames that met a policy close
    assert db_state() == before


def test_a_frame_beyond_the_servers_limit_closes_only_its_socket(world, scene, server_url) -> None:  # type: ignore[no-untyped-def]
    """Over WS_MAX_MESSAGE_BYTES a message gets the application's Danish error (above); one
    over the server's frame limit is refused by the protocol before it is held in memory:
    that socket closes as "message too big" (1009), the others keep being served."""
    from kontaktlaege.serve import FRAME_LIMIT_BYTES

    async def run() -> tuple[int | None, bool]:
        gp = await open_socket(server_url, "/ws/klinik/", cookie_for(world.gp))
        snap = await next_of(gp, "snapshot")
        big = await open_socket(
            server_url, f"/ws/konsultation/{scene.mine.pk}/", cookie_for(world.carer)
        )
        await next_of(big, "snapshot")
        try:
            await big.send("x" * (FRAME_LIMIT_BYTES + 1))
        except ConnectionClosed:
            pass  # the server may close before the whole frame has gone out
        with pytest.raises(ConnectionClosed):
            await next_of(big, "error", "pong", "snapshot")
        await gp.send(json.dumps({"type": "ping", "seq": snap["seq"]}))
        pong = await next_of(gp, "pong")
        await gp.close()
        return big.close_code, pong["seq"] == snap["seq"]

    before = db_state()
    assert run_async(run()) == (1009, True)
    assert db_state() == before


def _post_as(base: str, cookie: str, path: str, data: dict[str, str]) -> int:
    token = "k" * 32
    req = urllib.request.Request(
        f"http://{base}{path}",
        data=urllib.parse.urlencode(data).encode(),
        headers={
            "Cookie": f"{cookie}; csrftoken={token}",
            "X-CSRFToken": token,
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(req, timeout=WAIT) as response:  # noqa: S310 (loopback)
        return response.status


def test_flooding_client_is_cut_off_while_others_get_updates(world, scene, server_url) -> None:  # type: ignore[no-untyped-def]
    gp_cookie = cookie_for(world.gp)

    async def run() -> int | None:
        gp = await open_socket(server_url, "/ws/klinik/", gp_cookie)
        await next_of(gp, "snapshot")
        flooder = await open_socket(
            server_url, f"/ws/konsultation/{scene.mine.pk}/", cookie_for(world.carer)
        )

        async def flood() -> None:
            try:
                for i in range(1000):
                    await flooder.send(json.dumps({"type": "ping", "seq": i}))
                    await asyncio.sleep(0.001)  # about 1,000 messages a second
            except ConnectionClosed:
                pass

        async def drain() -> None:
            try:
                async for _msg in flooder:
                    pass
            except ConnectionClosed:
                pass

        flooding = asyncio.create_task(flood())
        draining = asyncio.create_task(drain())
        status = await asyncio.to_thread(
            _post_as, server_url, gp_cookie, "/klinik/status/", {"mode": "closed"}
        )
        assert status == 200
        while (await next_of(gp, "snapshot"))["data"]["mode"] != "closed":
            pass
        await flooding
        await asyncio.wait_for(draining, 6 * WAIT)  # queued pings drain slowly on PostgreSQL
        # After the flooder is gone, updates still arrive.
        await asyncio.to_thread(
            _post_as, server_url, gp_cookie, "/klinik/status/", {"mode": "open"}
        )
        while (await next_of(gp, "snapshot"))["data"]["mode"] != "open":
            pass
        await gp.close()
        return flooder.close_code

    assert run_async(run()) == 4008
