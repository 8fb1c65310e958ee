"""ICE servers for the browser: STUN, and TURN with short-lived credentials in the TURN
REST-API scheme that coturn implements with `use-auth-secret`:
username = "<expiry unix time>:<user id>", password = base64(HMAC-SHA1(secret, username))."""

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings


def turn_credentials(user_id: str, now: float | None = None) -> tuple[str, str]:
    expiry = int((now if now is not None else time.time()) + settings.TURN_CREDENTIAL_TTL)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user_id: str) -> list[dict[str, Any]]:
    """The RTCPeerConnection `iceServers` list; empty means host candidates only (same
    network), which is the embedded default."""
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": settings.STUN_URLS})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential = turn_credentials(user_id)
        servers.append({"urls": settings.TURN_URLS, "username": username, "credential": credential})
    return servers


def ice_transport_policy() -> str:
    """The RTCPeerConnection `iceTransportPolicy`: "relay" (TURN only) when TURN_RELAY_ONLY is
    set and TURN is configured, else "all". Without TURN, relay only would never connect."""
    relay = settings.TURN_RELAY_ONLY and settings.TURN_URLS and settings.TURN_SECRET
    return "relay" if relay else "all"
