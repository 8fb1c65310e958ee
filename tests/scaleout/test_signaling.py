"""Scale-out: the call socket relays signaling between server processes. The employee's
socket is on process A and the doctor's on B; rosters, join notices, offers, answers and ICE
candidates cross between them through Redis, and a message for a peer that is not in the
call comes back as a notice and reaches nobody."""

import asyncio
import json
import secrets
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support.pages import WAIT
from tests.support.server import Cluster
from tests.support.signin import Browser

from .test_two_processes import join

pytestmark = pytest.mark.scaleout

A, B = 0, 1
SDP_OFFER = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
SDP_ANSWER = "v=0\r\no=- 1894739001835927473 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE: dict[str, Any] = {
    "candidate": "candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "kl7f",
}


class CallSocket:
    """One participant's call socket (ws/video/<id>/?peer=<peer id>) on one process."""

    def __init__(self, cluster: Cluster, process: int, consultation_id: int, browser: Browser):
        self.cluster, self.process, self.consultation_id = cluster, process, consultation_id
        self.cookie = f"sessionid={browser.cookie('sessionid')}"
        self.peer_id = ""
        self.ws: ClientConnection | None = None

    async def open(self, peer_id: str) -> dict[str, Any]:
        """Connect as `peer_id`; returns the "call" roster message the server sends first."""
        self.peer_id = peer_id
        self.ws = await connect(
            self.cluster.ws(self.process, f"/ws/video/{self.consultation_id}/?peer={peer_id}"),
            additional_headers={"Cookie": self.cookie},
            origin=self.cluster.base(self.process),  # type: ignore[arg-type]
            open_timeout=WAIT,
        )
        call = await self.receive()
        assert call["type"] == "call", call
        return call

    async def send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message; fails after WAIT seconds without one."""
        assert self.ws is not None
        try:
            raw = await asyncio.wait_for(self.ws.recv(), WAIT)
        except TimeoutError:
            raise AssertionError(f"peer {self.peer_id} got nothing within {WAIT} s") from None
        return json.loads(raw)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None


def peer_id(role: str) -> str:
    return f"{role}-{secrets.token_urlsafe(12)}"


async def scenario(cluster: Cluster) -> None:
    employee = Browser(cluster.base(A)).login(cluster, "sygeplejerske.kbh")
    doctor = Browser(cluster.base(B)).login(cluster, "laege.norrebro")
    consultation = join(employee, "Borgeren har brystsmerter; lægen vil se ham på video.")
    assert doctor.post_json(f"/klinik/konsultation/{consultation}/start/") == {"ok": True}

    carer = CallSocket(cluster, A, consultation, employee)
    gp = CallSocket(cluster, B, consultation, doctor)
    carer_id, gp_id = peer_id("medarbejder"), peer_id("laege")

    # The employee is first in the call (on A): nobody else is in the roster yet.
    call = await carer.open(carer_id)
    assert call["you"] == carer_id and call["peers"] == []

    # The doctor joins on B: the roster (read from PostgreSQL) lists the employee, and the
    # notice of the doctor's arrival crosses from B to A.
    call = await gp.open(gp_id)
    assert call["you"] == gp_id
    assert [(p["id"], p["role"], p["away"]) for p in call["peers"]] == [
        (carer_id, "employee", False)
    ]
    joined = await carer.receive()
    assert joined["type"] == "peer-joined", joined
    assert (joined["peer"]["id"], joined["peer"]["role"]) == (gp_id, "doctor")

    # The employee's socket drops and comes back on A with the same peer id: the doctor on B
    # hears the employee go away and then join again (notices from A to B).
    await carer.close()
    assert await gp.receive() == {"type": "peer-away", "peer": {"id": carer_id}}
    call = await carer.open(carer_id)
    assert [(p["id"], p["role"], p["away"]) for p in call["peers"]] == [(gp_id, "doctor", False)]
    joined = await gp.receive()
    assert joined["type"] == "peer-joined", joined
    assert (joined["peer"]["id"], joined["peer"]["role"]) == (carer_id, "employee")
    assert joined["peer"]["away"] is False

    # Offer from A to B, answer and an ICE candidate from B to A, a candidate back to B:
    # each arrives once, unchanged, with "from" set by the server to the sender's peer id.
    await carer.send({"type": "offer", "to": gp_id, "sdp": SDP_OFFER})
    assert await gp.receive() == {"type": "offer", "sdp": SDP_OFFER, "from": carer_id}
    await gp.send({"type": "answer", "to": carer_id, "sdp": SDP_ANSWER})
    assert await carer.receive() == {"type": "answer", "sdp": SDP_ANSWER, "from": gp_id}
    await gp.send({"type": "candidate", "to": carer_id, "candidate": CANDIDATE})
    assert await carer.receive() == {"type": "candidate", "candidate": CANDIDATE, "from": gp_id}
    own = {**CANDIDATE, "candidate": CANDIDATE["candidate"].replace("192.0.2.10", "192.0.2.11")}
    await carer.send({"type": "candidate", "to": gp_id, "candidate": own})
    assert await gp.receive() == {"type": "candidate", "candidate": own, "from": carer_id}

    # A message for a peer id that is not in the call comes back to the sender as a notice
    # and is relayed to nobody: the next thing each side receives is what was sent after it.
    stranger = peer_id("ukendt")
    await carer.send({"type": "offer", "to": stranger, "sdp": SDP_OFFER})
    notice = await carer.receive()
    assert notice["type"] == "notice" and notice["message"], notice
    await gp.send({"type": "candidate", "to": stranger, "candidate": CANDIDATE})
    notice = await gp.receive()
    assert notice["type"] == "notice" and notice["message"], notice
    await carer.send({"type": "restart", "to": gp_id})
    assert await gp.receive() == {"type": "restart", "from": carer_id}
    await gp.send({"type": "restart", "to": carer_id})
    assert await carer.receive() == {"type": "restart", "from": gp_id}
    ((members,),) = cluster.sql(
        "SELECT array_agg(peer_id ORDER BY peer_id) FROM video_callmember"
        " WHERE consultation_id = %s",
        consultation,
    )
    assert members == sorted([carer_id, gp_id])

    await carer.send({"type": "leave"})
    assert await gp.receive() == {"type": "peer-left", "peer": {"id": carer_id}}
    await carer.close()
    await gp.close()


def test_signaling_is_relayed_between_processes(cluster: Cluster) -> None:
    asyncio.run(scenario(cluster))
