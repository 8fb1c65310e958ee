"""Sockets end with their session.

A socket is let in once, when it opens (live.signin), but its session can end while the page
stays open (signed out elsewhere, the idle lock, citizen mode, a password change, a
deactivated account, a removed second-factor device, expiry), and the page would go on
showing people. So each process checks its sockets' sessions every SESSION_CHECK_SECONDS and
closes, with CLOSE_SESSION_ENDED, those no longer let in; signing out also tells every
process at once through the layer (a digest of the session key, never the key). It reads the
`Session` table, so it needs Django's database session engine (the product's)."""

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp import DEVICE_ID_SESSION_KEY, device_classes

from .database import on_database
from .layer import layer_health, send_hint
from .per_loop import PerLoop
from .signin import rule_session_keys, socket_allowed

log = logging.getLogger(__name__)

CLOSE_SESSION_ENDED = 4001
CHUNK = 500  # bounded IN lists
ENDED_GROUP = "sessions-ended"
RESUBSCRIBE_SECONDS = 3600
RELISTEN_SECONDS = 5  # after the layer failed


def key_digest(session_key: str) -> str:
    """What goes through the layer instead of the key, which would sign anyone in."""
    return salted_hmac("kontaktlaege.session-ended", session_key).hexdigest()


class WatchedSocket(Protocol):
    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None: ...


# One socket as the check sees it: its session, the user it was let in as, its path.
Entry = tuple[str, int | None, str]
# A session as the check last read it: a digest of its stored data, and what the check
# needs of it.
Known = tuple[bytes, dict[str, Any]]
# What the check needs of a session besides the socket rules' keys: the user, their session
# hash, their second factor.
NEEDED = (SESSION_KEY, HASH_SESSION_KEY, DEVICE_ID_SESSION_KEY)


class SessionWatch:
    """Per process (per event loop): the open sockets by session."""

    def __init__(self) -> None:
        self.sockets: dict[WatchedSocket, Entry] = {}
        # What the check read from each session last time, so that an unchanged one is not
        # decoded again (its signature check is most of a check's time).
        self.known: dict[str, Known] = {}
        # Each open session's key digest, made once when its first socket opens: a hint is
        # matched by comparing strings, not by an HMAC per open socket.
        self.digests: dict[str, str] = {}
        self.poller: asyncio.Future[None] | None = None
        self.listener: asyncio.Future[None] | None = None

    def opened(self, socket: WatchedSocket, session: Any, path: str) -> None:
        key = getattr(session, "session_key", None)
        if not key:
            return
        user_id = session.get(SESSION_KEY)  # already loaded when the socket was let in
        self.sockets[socket] = (key, int(user_id) if user_id is not None else None, path)
        if key not in self.digests:
            self.digests[key] = key_digest(key)
        if self.poller is None or self.poller.done():
            self.poller = asyncio.ensure_future(self._poll())
        if self.listener is None or self.listener.done():
            self.listener = asyncio.ensure_future(self._listen())

    def closed(self, socket: WatchedSocket) -> None:
        self.sockets.pop(socket, None)
        if not self.sockets and self.listener is not None:
            self.listener.cancel()
            self.listener = None

    async def _listen(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        channel = await layer.new_channel()
        try:
            while self.sockets:
                try:
                    await self._hints(layer, channel)
                except TimeoutError:
                    pass
                except Exception as error:  # the layer is away: the check still runs
                    layer_health.failed(error)
                    await asyncio.sleep(RELISTEN_SECONDS)
        finally:
            try:
                await asyncio.shield(layer.group_discard(ENDED_GROUP, channel))
            except Exception:  # expires with the layer's group expiry
                log.warning("could not leave %s", ENDED_GROUP, exc_info=True)

    async def _hints(self, layer: Any, channel: str) -> None:
        """Close the sockets of the sessions the hints name. Joins the group again every
        RESUBSCRIBE_SECONDS: a layer forgets a membership after its group expiry (a day)."""
        await layer.group_add(ENDED_GROUP, channel)
        async with asyncio.timeout(RESUBSCRIBE_SECONDS):
            while True:
                message = await layer.receive(channel)
                digest = message.get("digest")
                keys = {key for key, known in self.digests.items() if known == digest}
                if keys:
                    ended = {e for e in self.sockets.values() if e[0] in keys}
                    await self.close_where(ended.__contains__)

    async def _poll(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.SESSION_CHECK_SECONDS)
            await self.check()

    async def check(self) -> None:
        """Close the sockets whose session has ended, reading the database in chunks (the
        sockets' database thread is shared: no long hold of it)."""
        entries = sorted(set(self.sockets.values()))
        for start in range(0, len(entries), CHUNK):
            chunk = entries[start : start + CHUNK]
            try:
                ended = await on_database(ended_entries)(chunk, self.known)
            except Exception:  # the database is away: sockets stay, the next check decides
                log.warning("session check failed", exc_info=True)
                return
            if ended:
                await self.close_where(ended.__contains__)
        open_keys = {key for key, _, _ in self.sockets.values()}
        self.known = {key: seen for key, seen in self.known.items() if key in open_keys}
        self.digests = {key: d for key, d in self.digests.items() if key in open_keys}

    async def close_where(self, ended: Callable[[Entry], bool]) -> None:
        doomed = [socket for socket, entry in self.sockets.items() if ended(entry)]
        if doomed:
            log.info("closing %d sockets whose session ended", len(doomed))
        for socket in doomed:
            self.sockets.pop(socket, None)
            try:
                await socket.close(code=CLOSE_SESSION_ENDED)
            except Exception:  # one socket gone wrong must not keep the others open
                log.warning("closing a socket whose session ended failed", exc_info=True)


def session_ended(session_key: str | None) -> None:
    """From a request's thread (signing out, the idle lock): every process closes the
    session's sockets now, not at its next check."""
    if session_key:
        send_hint(ENDED_GROUP, {"type": "session.ended", "digest": key_digest(session_key)})


def ended_entries(entries: Iterable[Entry], known: dict[str, Known] | None = None) -> set[Entry]:
    """The entries whose session no longer lets their socket in: gone or expired, another
    user, or one whose password changed or who was deactivated (Django's own session hash
    check), or whose second-factor device was removed, or the shared-device rules (idle
    lock, citizen mode) say no for the path. `known` holds what earlier checks decoded; it
    is brought up to date."""
    entries = list(entries)
    known = {} if known is None else known
    rows = Session.objects.filter(
        session_key__in={key for key, _, _ in entries}, expire_date__gt=timezone.now()
    ).values_list("session_key", "session_data")
    store = _session_store()
    sessions: dict[str, dict[str, Any]] = {}
    for key, stored in rows:
        digest = hashlib.blake2b(stored.encode(), digest_size=16).digest()
        seen = known.get(key)
        if seen is None or seen[0] != digest:
            decoded = store.decode(stored)
            needed = (*NEEDED, *rule_session_keys())
            seen = known[key] = (digest, {k: decoded[k] for k in needed if k in decoded})
        sessions[key] = seen[1]
    user_ids = {user_id for _, user_id, _ in entries if user_id is not None}
    hashes = {
        u.pk: (u.get_session_auth_hash(), *u.get_session_auth_fallback_hash())
        for u in get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    }
    devices = _confirmed_devices({d.get(DEVICE_ID_SESSION_KEY) or "" for d in sessions.values()})
    ended = set()
    for entry in entries:
        key, user_id, path = entry
        data = sessions.get(key)
        if data is None or not socket_allowed(data, path):
            ended.add(entry)
        elif user_id is not None and (
            not _same_user(data, user_id, hashes.get(user_id))
            or (data.get(DEVICE_ID_SESSION_KEY), user_id) not in devices
        ):
            ended.add(entry)
    return ended


def _confirmed_devices(persistent_ids: set[str]) -> set[tuple[str, int]]:
    """(persistent id, user id) of the confirmed second-factor devices among these: one
    query per kind of device (django-otp's ids are "<model label>/<pk>")."""
    found = set()
    for model in device_classes():
        prefix = f"{model.model_label()}/"
        pks = {
            int(pid.removeprefix(prefix))
            for pid in persistent_ids
            if pid.startswith(prefix) and pid.removeprefix(prefix).isdigit()
        }
        if pks:
            rows = model.objects.filter(pk__in=pks, confirmed=True).values_list("pk", "user_id")
            found |= {(f"{prefix}{pk}", user_id) for pk, user_id in rows}
    return found


def _same_user(data: dict[str, Any], user_id: int, hashes: tuple[str, ...] | None) -> bool:
    if hashes is None or str(data.get(SESSION_KEY)) != str(user_id):
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    return any(constant_time_compare(session_hash, known) for known in hashes)


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore()


# The process's watch (one per event loop).
session_watch = PerLoop(SessionWatch)
