"""The shape of a signaling message. Only offers, answers, ICE candidates, restart notices
and leave go through, each to one named peer; anything else is refused with a Danish error."""

import re
from typing import Any

from django.utils.translation import gettext as _

PEER_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_SDP = 12_000
MAX_CANDIDATE = 1_000
FIELDS: dict[Any, set[str]] = {"offer": {"sdp"}, "answer": {"sdp"}, "candidate": {"candidate"}}
RELAYED = frozenset({"offer", "answer", "candidate", "restart"})


class Invalid(Exception):
    pass


def valid_peer_id(value: Any) -> bool:
    return isinstance(value, str) and bool(PEER_ID.match(value))


def _text(value: Any, limit: int, *, optional: bool = False) -> bool:
    if value is None:
        return optional
    return isinstance(value, str) and len(value) <= limit


def _candidate(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) - {
        "candidate",
        "sdpMid",
        "sdpMLineIndex",
        "usernameFragment",
    }:
        raise Invalid(_("Ugyldig ICE-kandidat."))
    index = value.get("sdpMLineIndex")
    index_ok = index is None or (
        isinstance(index, int) and not isinstance(index, bool) and 0 <= index < 64
    )
    if not (
        _text(value.get("candidate"), MAX_CANDIDATE)
        and _text(value.get("sdpMid"), 32, optional=True)
        and _text(value.get("usernameFragment"), 256, optional=True)
        and index_ok
    ):
        raise Invalid(_("Ugyldig ICE-kandidat."))
    return {k: value.get(k) for k in ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment")}


def parse(content: dict[str, Any]) -> dict[str, Any]:
    """The message to relay (without "to"), or Invalid with the user's error text."""
    kind = content.get("type")
    allowed = {"type", "to"} | FIELDS.get(str(kind), set())
    if kind not in RELAYED or set(content) - allowed:
        raise Invalid(_("Ugyldig signaleringsbesked."))
    if not valid_peer_id(content.get("to")):
        raise Invalid(_("Ukendt modtager."))
    message: dict[str, Any] = {"type": kind}
    if kind in ("offer", "answer"):
        sdp = content.get("sdp")
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP:
            raise Invalid(_("Ugyldig eller for stor sessionsbeskrivelse (SDP)."))
        message["sdp"] = sdp
    elif kind == "candidate":
        message["candidate"] = _candidate(content.get("candidate"))
    return message
