"""Who is on the other end of a WebSocket: the same rule as for pages (signed in and second
factor verified), read from the session the socket was opened with.

All of it is one call on the sockets' database thread (session, user, device: three
queries). That thread (with PostgreSQL, those few threads) serves every socket of the
process, so when thousands of pages reconnect at once (a restarted process) each saved call
or query shortens the queue."""

from types import SimpleNamespace
from typing import Any

from django.contrib import auth
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from kontaktlaege.privacy.shared_device import socket_allowed
from kontaktlaege.socket_database import on_database

from .models import User


def read_verified_user(scope: dict[str, Any]) -> User | None:
    """The socket's verified user, or None, read on the calling thread: for a consumer that
    reads more in the same call on the sockets' database thread (`verified_user` below is
    the call on its own)."""
    session = scope.get("session")
    if session is None:
        return None
    # Django's own reading of a session: its backend (which refuses inactive users), and the
    # password hash check that signs a session out when the password changes.
    user = auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    if not isinstance(user, User):
        return None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    # Idle lock and citizen mode (shared tablets) bind sockets as they bind pages.
    if not socket_allowed(session, scope.get("path", "")):
        return None
    return user


async def verified_user(scope: dict[str, Any]) -> User | None:
    return await on_database(read_verified_user)(scope)
