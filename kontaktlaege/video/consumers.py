"""The call socket: a signaling relay between the participants of one admitted consultation.
Media goes peer-to-peer; the server only passes offers, answers and candidates to a named peer
after checking, for every message, that the sender still belongs in the call."""

from typing import Any
from urllib.parse import parse_qs

from django.utils.translation import gettext as _

from kontaktlaege.consultations.events import consultation_group
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.live.database import on_database
from kontaktlaege.live.signin import verified_user
from kontaktlaege.live.sockets import CLOSE_UNAUTHORISED, LiveSocket

from . import actions, calls, signaling
from .actions import JoinResult, LeaveReason
from .turn import ice_servers, ice_transport_policy

CLOSE_ENDED = 4004
CLOSE_FULL = 4009
# Why a participant's place may be taken from its open socket (actions.LeaveReason values).
TAKEN_AWAY = frozenset({LeaveReason.REPLACED.value, LeaveReason.REMOVED.value})


async def _principal(scope: dict[str, Any], consultation_id: int) -> calls.Principal | None:
    user = await verified_user(scope)
    if user is not None:
        return calls.Principal(key=f"user:{user.pk}", user=user)
    return await on_database(calls.guest_principal)(scope.get("session"), consultation_id)


def _peer_from_query(scope: dict[str, Any]) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode(errors="replace")).get("peer", [])
    return values[0] if len(values) == 1 and signaling.valid_peer_id(values[0]) else None


class CallConsumer(LiveSocket):
    message_types = frozenset({"ping", "sync", "leave", *signaling.RELAYED})

    async def connect(self) -> None:
        self.joined = False
        self.present: dict[str, str] = {}  # others as this page knows them: peer id → channel
        self.consultation_id: int = self.scope["url_route"]["kwargs"]["consultation_id"]
        peer_id = _peer_from_query(self.scope)
        principal = await _principal(self.scope, self.consultation_id) if peer_id else None
        if principal is None or peer_id is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.principal, self.peer_id = principal, peer_id
        self.group = calls.call_group(self.consultation_id)
        # Join the groups first, so no arrival after our roster read is missed. The join tells
        # the others on commit.
        await self.join_group(self.group)
        await self.join_group(consultation_group(self.consultation_id))
        result = await on_database(actions.join)(
            principal, self.consultation_id, peer_id, self.channel_name
        )
        if result == JoinResult.FORBIDDEN:
            await self._discard()
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        await self.accept()
        if result == JoinResult.INACTIVE:
            await self._ended(_("Videoopkaldet er ikke i gang."))
            return
        if result == JoinResult.FULL:
            await self.send_json(
                {"type": "full", "message": _("Opkaldet er fuldt (højst 4 deltagere).")}
            )
            await self._discard()
            await self.close(code=CLOSE_FULL)
            return
        self.joined = True
        await self.send_roster()

    async def _discard(self) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def left(self) -> None:
        """The socket ended without hanging up: the place is kept for the grace period."""
        if self.joined:
            self.joined = False
            await on_database(actions.mark_away)(
                self.consultation_id, self.peer_id, self.channel_name
            )

    async def send_roster(self) -> None:
        roster = await on_database(calls.roster)(self.consultation_id, self.peer_id)
        self.present = roster.present
        await self.send_json(
            {
                "type": "call",
                "you": self.peer_id,
                "order": roster.order,
                "peers": roster.peers,
                "ice_servers": ice_servers(self.principal.key),
                "ice_transport_policy": ice_transport_policy(),
                "grace_seconds": calls.grace_seconds(),
            }
        )

    async def _leave(self, reason: LeaveReason, code: int = 1000) -> None:
        self.joined = False
        await on_database(actions.leave)(self.principal, self.consultation_id, self.peer_id, reason)
        await self._discard()
        await self.close(code=code)

    async def _ended(self, text: str = "") -> None:
        if self.joined:
            self.joined = False
            await on_database(actions.leave)(
                self.principal, self.consultation_id, self.peer_id, LeaveReason.ENDED
            )
        text = text or _("Konsultationen er afsluttet.")
        await self.send_json({"type": "ended", "message": text})
        await self._discard()
        await self.close(code=CLOSE_ENDED)

    # --- from the channel layer --------------------------------------------------------------

    async def video_peer(self, event: dict[str, Any]) -> None:
        peer = event["peer"]
        if not self.joined:
            return
        if peer["id"] == self.peer_id:
            if event["event"] == "left" and event.get("reason") in TAKEN_AWAY:
                await self._taken_away(event["reason"])
            return
        if event["event"] == "joined":
            # We join the group before reading the roster, so that no arrival is missed: one
            # between the two comes twice, in the roster and announced. The same socket,
            # still present, is the same arrival (a page would negotiate it again).
            if self.present.get(peer["id"]) == event["channel"]:
                return
            self.present[peer["id"]] = event["channel"]
        else:
            self.present.pop(peer["id"], None)
        await self.send_json({"type": f"peer-{event['event']}", "peer": peer})

    async def video_signal(self, event: dict[str, Any]) -> None:
        if self.joined:
            await self.send_json(event["message"])

    async def consultation_hint(self, event: dict[str, Any]) -> None:
        state = await on_database(
            lambda: Consultation.objects.values_list("state", flat=True).get(
                pk=self.consultation_id
            )
        )()
        if state != Consultation.State.ADMITTED:
            await self._ended()

    async def _taken_away(self, reason: str) -> None:
        """This socket's place is gone: the same person joined from another page, or the
        doctor removed this guest. The page is told why; 4003 keeps it from reconnecting."""
        self.joined = False
        if reason == LeaveReason.REPLACED.value:
            text = _("Opkaldet er åbnet i et andet vindue eller en anden fane.")
        else:
            text = _("Lægen har fjernet dig fra opkaldet.")
        await self.send_json({"type": reason, "message": text})
        await self._discard()
        await self.close(code=CLOSE_UNAUTHORISED)

    # --- from the browser --------------------------------------------------------------------

    async def handle(self, content: dict[str, Any]) -> None:
        kind = content["type"]
        if kind == "sync":
            await self.send_roster()
            return
        if kind == "ping":
            await self.send_json({"type": "pong", "seq": content.get("seq")})
            if self.joined and self.heartbeat_due(client_is_current=True):
                # Tells the call on commit who is back or gone silent.
                await on_database(actions.heartbeat)(
                    self.consultation_id, self.peer_id, self.channel_name
                )
            return
        allowed = await on_database(calls.may_signal)(
            self.principal, self.consultation_id, self.channel_name
        )
        if allowed == "ended":
            await self._ended()
            return
        if allowed != "ok":
            await self._leave(LeaveReason.REFUSED, code=CLOSE_UNAUTHORISED)
            return
        if kind == "leave":
            if set(content) != {"type"}:
                await self.error(_("Ugyldig signaleringsbesked."))
                return
            await self._leave(LeaveReason.LEFT)
            return
        try:
            message = signaling.parse(content)
        except signaling.Invalid as exc:
            await self.error(str(exc))
            return
        target = await on_database(calls.channel_of)(self.consultation_id, content["to"])
        if not target or content["to"] == self.peer_id:
            # Not abuse: the peer may just have left. The sender learns from the roster.
            await self.send_json(
                {"type": "notice", "message": _("Deltageren er ikke i opkaldet lige nu.")}
            )
            return
        message["from"] = self.peer_id
        await self.channel_layer.send(target, {"type": "video.signal", "message": message})
