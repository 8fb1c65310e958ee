"""Before a call: the employee's device check (microphone, speaker, camera, tips) and the public
connection test that tells municipal IT which network paths to the video servers work."""

import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from kontaktlaege.accounts.access import verified_required
from kontaktlaege.accounts.models import User
from kontaktlaege.consultations.views import DRAFT
from kontaktlaege.directory.models import Ydernummer

from .turn import ice_servers, turn_credentials

# Set when the employee leaves the device check; {"audio_only": bool}. The call draft itself
# is not touched.
DEVICE_CHECK = "device_check"

# The connection test is public: its TURN credentials live only long enough for the test
# (and a "Test igen" after a firewall change), settings.CONNECTION_TEST_TURN_TTL, and one
# address gets settings.CONNECTION_TEST_TURN_PER_ADDRESS of them within that time, so an
# anonymous script cannot use up the TURN server's quota.
TURN_COUNT_KEY = "connection-test-turn:{}"

CATEGORIES = [
    ("stun", _("STUN (UDP)")),
    ("turn-udp", _("TURN over UDP")),
    ("turn-tcp", _("TURN over TCP/TLS (443)")),
]


@never_cache
@verified_required(User.Kind.EMPLOYEE)
def device_check(request: HttpRequest) -> HttpResponse:
    draft = request.session.get(DRAFT)
    if not draft:
        return redirect("consultations:employee_start")
    if request.method == "POST":
        request.session[DEVICE_CHECK] = {"audio_only": request.POST.get("audio_only") == "1"}
        return redirect("consultations:reason")
    ydernummer = get_object_or_404(
        Ydernummer.objects.select_related("clinic"), pk=draft["ydernummer"]
    )
    return render(request, "video/device_check.html", {"clinic": ydernummer.clinic})


def category(url: str) -> str:
    """Which network path an ICE server URL tests: "stun", "turn-udp" or "turn-tcp"."""
    scheme, _sep, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme in ("stun", "stuns"):
        return "stun"
    if scheme == "turns" or "transport=tcp" in rest.lower():
        return "turn-tcp"
    return "turn-udp"


def _host_port(url: str) -> str:
    """The "host:port" of a stun:/turn: URL, for the page's list of servers."""
    scheme, _sep, rest = url.partition(":")
    default = "5349" if scheme.lower() in ("turns", "stuns") else "3478"
    parts = urlsplit("//" + rest.split("?", 1)[0])
    return f"{parts.hostname or rest}:{parts.port or default}"


def turn_allowed(address: str) -> bool:
    """Whether this client address may have TURN credentials now: at most
    CONNECTION_TEST_TURN_PER_ADDRESS within CONNECTION_TEST_TURN_TTL. Counted in Django's
    cache: with several server processes and the default per-process cache, per process."""
    key = TURN_COUNT_KEY.format(address or "unknown")
    cache.add(key, 0, timeout=settings.CONNECTION_TEST_TURN_TTL)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout=settings.CONNECTION_TEST_TURN_TTL)
        count = 1
    return count <= settings.CONNECTION_TEST_TURN_PER_ADDRESS


def connection_test_servers(anonymous_id: str, with_turn: bool = True) -> list[dict[str, Any]]:
    """One entry per configured STUN/TURN URL, each with the iceServers entry that tests it
    alone. TURN credentials come from ice_servers() and are then reissued short-lived;
    without `with_turn`, the TURN servers are left out."""
    short_now = time.time() - settings.TURN_CREDENTIAL_TTL + settings.CONNECTION_TEST_TURN_TTL
    tests: list[dict[str, Any]] = []
    for server in ice_servers(anonymous_id):
        entry: dict[str, Any] = {}
        if "credential" in server:
            if not with_turn:
                continue
            entry["username"], entry["credential"] = turn_credentials(anonymous_id, short_now)
        for url in server["urls"]:
            tests.append(
                {
                    "index": len(tests),
                    "category": category(url),
                    "url": url,
                    "address": _host_port(url),
                    "ice": {"urls": url, **entry},
                }
            )
    return tests


@never_cache
def connection_test(request: HttpRequest) -> HttpResponse:
    # The client's address: uvicorn sets it from X-Forwarded-For only for FORWARDED_ALLOW_IPS.
    wants_turn = bool(settings.TURN_URLS and settings.TURN_SECRET)
    turn_limited = wants_turn and not turn_allowed(request.META.get("REMOTE_ADDR", ""))
    servers = connection_test_servers(
        f"forbindelsestest-{secrets.token_hex(4)}", with_turn=not turn_limited
    )
    groups = [
        {
            "key": key,
            "label": label,
            "servers": [s for s in servers if s["category"] == key],
            "limited": turn_limited and key.startswith("turn"),
        }
        for key, label in CATEGORIES
    ]
    return render(
        request,
        "video/connection_test.html",
        {
            "groups": groups,
            "servers": servers,
            "turn_limited": turn_limited,
            "turn_wait_minutes": max(1, -(-settings.CONNECTION_TEST_TURN_TTL // 60)),
        },
    )
